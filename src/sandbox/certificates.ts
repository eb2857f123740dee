/**
 * TLS material for sandbox clusters, made with openssl: a certificate authority, and
 * certificates it signs for brokers (server) and clients (mTLS). Everything is PEM, which both
 * sides read without conversion: Kafka brokers through `ssl.keystore.type=PEM` and
 * `ssl.truststore.type=PEM`, librdkafka through ssl.ca.location, ssl.certificate.location and
 * ssl.key.location. For tests and demos only: the CA's key lies next to its certificate.
 *
 * Files are made once and reused (a restarted broker keeps its certificate); a missing one is
 * made again. A key passphrase reaches openssl through its environment (`-passout env:`), never
 * its command line, where any process on the machine could read it.
 */
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { exec } from './exec.js';

export interface CertificateAuthority {
  /** The CA certificate: what clients and brokers trust (ssl.ca.location, ssl.truststore.location). */
  certFile: string;
  keyFile: string;
}

export interface IssuedCertificate {
  /** The certificate followed by the CA's (the chain a peer needs). */
  certFile: string;
  /** PKCS#8 private key; encrypted when a passphrase was given. */
  keyFile: string;
  /** Key and chain in one file: a broker's `ssl.keystore.type=PEM` keystore. */
  keystoreFile: string;
}

export interface IssueOptions {
  /** The certificate's common name; a broker's principal under mTLS is derived from it. */
  commonName: string;
  /** Names a server certificate is valid for (IP addresses and DNS names). Default 127.0.0.1, localhost. */
  hosts?: readonly string[];
  /** Encrypt the private key with this passphrase (AES-256). */
  keyPassphrase?: string;
}

const OPENSSL = 'openssl';
const DAYS = '3650';
const PASSPHRASE_ENV = 'STRAIT_SANDBOX_KEY_PASSPHRASE';

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function openssl(args: readonly string[], what: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let result;
  try {
    result = await exec(OPENSSL, args, { env, timeoutMs: 60_000 });
  } catch (err) {
    throw new SandboxError(`cannot run ${OPENSSL} to make ${what} (install it: apt-get install openssl): ${String(err)}`, undefined, { cause: err });
  }
  if (result.code !== 0) throw new SandboxError(`${OPENSSL} ${args[0]} failed making ${what} (exit ${result.code ?? result.signal}): ${result.stderr.trim().slice(-500)}`);
}

/** A CA in `dir` (ca.pem, ca-key.pem), made unless it exists. */
export async function ensureCertificateAuthority(dir: string, name = 'strait sandbox CA'): Promise<CertificateAuthority> {
  const ca = { certFile: path.join(dir, 'ca.pem'), keyFile: path.join(dir, 'ca-key.pem') };
  if ((await exists(ca.certFile)) && (await exists(ca.keyFile))) return ca;
  await mkdir(dir, { recursive: true });
  await openssl(
    ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', ca.keyFile, '-out', ca.certFile, '-days', DAYS, '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    `the CA in ${dir}`,
  );
  await chmod(ca.keyFile, 0o600);
  return ca;
}

function subjectAltNames(hosts: readonly string[]): string {
  return hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/**
 * A certificate signed by `ca` for `<dir>/<name>*.pem`, usable for both ends of a TLS connection
 * (serverAuth and clientAuth), made unless it exists.
 */
export async function ensureCertificate(ca: CertificateAuthority, dir: string, name: string, options: IssueOptions): Promise<IssuedCertificate> {
  const files = { certFile: path.join(dir, `${name}.pem`), keyFile: path.join(dir, `${name}-key.pem`), keystoreFile: path.join(dir, `${name}-keystore.pem`) };
  if ((await exists(files.certFile)) && (await exists(files.keyFile)) && (await exists(files.keystoreFile))) return files;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new SandboxError(`certificate name "${name}" must be letters, digits, ".", "_" or "-"`);
  if (!/^[A-Za-z0-9 ._-]+$/.test(options.commonName)) throw new SandboxError(`common name "${options.commonName}" must be letters, digits, spaces, ".", "_" or "-"`);
  await mkdir(dir, { recursive: true });
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  const plainKey = path.join(dir, `${name}-key.tmp.pem`);
  await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', plainKey, '-out', csr, '-subj', `/CN=${options.commonName}`], `the key of ${name}`);
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${subjectAltNames(options.hosts ?? ['127.0.0.1', 'localhost'])}`,
      '',
    ].join('\n'),
  );
  const leaf = path.join(dir, `${name}.leaf.pem`);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', leaf, '-days', DAYS, '-sha256', '-extfile', ext], `the certificate of ${name}`);
  if (options.keyPassphrase === undefined) {
    await openssl(['pkcs8', '-topk8', '-nocrypt', '-in', plainKey, '-out', files.keyFile], `the key of ${name}`);
  } else {
    await openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', plainKey, '-out', files.keyFile, '-passout', `env:${PASSPHRASE_ENV}`], `the key of ${name}`, {
      ...process.env,
      [PASSPHRASE_ENV]: options.keyPassphrase,
    });
  }
  await chmod(files.keyFile, 0o600);
  const chain = `${await readFile(leaf, 'utf8')}${await readFile(ca.certFile, 'utf8')}`;
  await writeFile(files.certFile, chain);
  await writeFile(files.keystoreFile, `${await readFile(files.keyFile, 'utf8')}${chain}`, { mode: 0o600 });
  await Promise.all([csr, ext, plainKey, leaf].map((f) => rm(f, { force: true })));
  return files;
}
