/**
 * A pair of secured sandbox clusters for the tests of secured replication, on ports of their
 * own (base .. base+7) and in a folder of their own, so the shared default sandbox is untouched:
 *
 *   port     listener           what
 *   base     PLAINTEXT          source: test set-up and checks (User:ANONYMOUS, a super user)
 *   base+1   CONTROLLER         source
 *   base+2   PLAINTEXT          target: as base
 *   base+3   CONTROLLER         target
 *   base+4   SASL_SSL           source: SCRAM-SHA-512 (strait, admin) and PLAIN (admin, alice)
 *   base+5   SSL                source: client certificates required (mTLS)
 *   base+6   SASL_SSL           target: as base+4
 *   base+7   SSL                target: as base+5
 *
 * One CA signs the brokers' certificates and strait's client certificate (CN=strait, an
 * encrypted key), so `User:strait` is strait's principal both with SCRAM and with mTLS, and one
 * set of ACLs serves both. StandardAuthorizer is on; `admin` is a super user.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { grantAcls, type AclGrant } from '../../src/sandbox/acls.js';
import { ensureCertificate, ensureCertificateAuthority, type CertificateAuthority, type IssuedCertificate } from '../../src/sandbox/certificates.js';
import { ensureKafkaDist } from '../../src/sandbox/kafka-dist.js';
import { streamProgress } from '../../src/sandbox/progress.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { listenerAddress, secureCustomization } from '../../src/sandbox/secure.js';

export type ClusterName = 'source' | 'target';

export const STRAIT_USER = 'strait';
export const STRAIT_PRINCIPAL = `User:${STRAIT_USER}`;

export interface SecuredPair {
  sandbox: Sandbox;
  dir: string;
  ca: CertificateAuthority;
  /** strait's client certificate (CN=strait); its key is encrypted with clientKeyPassword. */
  client: IssuedCertificate;
  clientKeyPassword: string;
  /** The SCRAM-SHA-512 password of user strait (the same on both clusters). */
  straitPassword: string;
  /** The PLAIN password of user alice. */
  alicePassword: string;
  /** The back door for set-up and checks (no authentication, super user). */
  plaintext(name: ClusterName): string;
  saslSsl(name: ClusterName): string;
  mtls(name: ClusterName): string;
  grant(name: ClusterName, grants: readonly AclGrant[]): Promise<void>;
  stop(): Promise<void>;
}

/** Random enough to be unique in a log, in the alphabet SCRAM passwords may use. */
function password(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 10)}${Math.random().toString(36).slice(2, 10)}`;
}

export async function startSecuredPair(dir: string, base: number): Promise<SecuredPair> {
  const straitPassword = password('strait-scram');
  const adminPassword = password('admin');
  const alicePassword = password('alice-plain');
  const clientKeyPassword = password('client-key');
  const ports = { source: { port: base, saslSsl: base + 4, mtls: base + 5 }, target: { port: base + 2, saslSsl: base + 6, mtls: base + 7 } };
  const ca = await ensureCertificateAuthority(path.join(dir, 'tls'));
  const client = await ensureCertificate(ca, path.join(dir, 'tls'), 'strait-client', { commonName: STRAIT_USER, keyPassphrase: clientKeyPassword });
  const clusters: Partial<Record<ClusterName, ReturnType<typeof secureCustomization> & { heap: string }>> = {};
  for (const name of ['source', 'target'] as const) {
    const brokerCert = await ensureCertificate(ca, path.join(dir, name, 'tls'), 'broker', { commonName: `${name} broker` });
    clusters[name] = {
      ...secureCustomization({
        listeners: [
          { port: ports[name].saslSsl, protocol: 'SASL_SSL' },
          { port: ports[name].mtls, protocol: 'SSL', clientAuth: 'required' },
        ],
        scramUsers: { [STRAIT_USER]: straitPassword, admin: adminPassword },
        plainUsers: { admin: adminPassword, alice: alicePassword },
        tls: { keystoreFile: brokerCert.keystoreFile, truststoreFile: ca.certFile },
      }),
      heap: '384m',
    };
    // One partition for the group and transaction logs instead of 50: the first group and the
    // first transactional producer of a fresh cluster then wait for one partition, not fifty.
    clusters[name].properties = { ...clusters[name].properties, 'offsets.topic.num.partitions': 1, 'transaction.state.log.num.partitions': 1 };
  }
  const sandbox = await Sandbox.open({ dir, sourcePort: ports.source.port, targetPort: ports.target.port, stopTimeoutMs: 15_000, clusters, progress: streamProgress(process.stderr) });
  await sandbox.up();
  const dist = await ensureKafkaDist();
  return {
    sandbox,
    dir,
    ca,
    client,
    clientKeyPassword,
    straitPassword,
    alicePassword,
    plaintext: (name) => sandbox.bootstrapServers(name),
    saslSsl: (name) => listenerAddress(ports[name].saslSsl),
    mtls: (name) => listenerAddress(ports[name].mtls),
    grant: (name, grants) => grantAcls(sandbox.cluster(name), grants, dist),
    stop: async () => {
      await sandbox.down({ clean: true });
    },
  };
}

/**
 * The ACLs strait needs for flows whose topics and groups start with `prefix`, from a source
 * called "source" (so remote topics start with "source."), with every feature on: replication
 * in every mode, heartbeats, checkpoints, offset syncs, topic config and ACL sync.
 */
export function straitAcls(prefix: string): Record<ClusterName, AclGrant[]> {
  return {
    source: [
      // Read the topics; write heartbeats and MM2's offset syncs (kept on the source, as MM2 does);
      // the flow's consumer group.
      { principal: STRAIT_PRINCIPAL, operations: ['All'], prefixed: true, resources: [{ topic: prefix }, { topic: 'heartbeats' }, { topic: 'mm2-offset-syncs.' }, { group: prefix }] },
      // Describe the topic ACLs for the ACL sync.
      { principal: STRAIT_PRINCIPAL, operations: ['Describe'], resources: [{ cluster: true }] },
    ],
    target: [
      // Remote topics and checkpoints (source.*), heartbeats; exactly-once: the offsets group and
      // the transactional ids.
      {
        principal: STRAIT_PRINCIPAL,
        operations: ['All'],
        prefixed: true,
        resources: [{ topic: 'source.' }, { topic: 'heartbeats' }, { group: prefix }, { group: `__strait-eos.${prefix}` }, { transactionalId: prefix }],
      },
      // Create ACLs for the ACL sync.
      { principal: STRAIT_PRINCIPAL, operations: ['Describe', 'Alter'], resources: [{ cluster: true }] },
    ],
  };
}

/** Writes `content` to a file only the owner may read, for `${file:...}` references. */
export async function secretFile(dir: string, name: string, content: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, `${content}\n`, { mode: 0o600 });
  return file;
}
