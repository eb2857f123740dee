/**
 * Replication between secured clusters, against real brokers: a pair of its own (TLS listeners
 * with certificates from a private CA, SASL/SCRAM-SHA-512 and SASL/PLAIN users, mTLS, ACLs with
 * StandardAuthorizer; see test/helpers/secured-clusters.ts) on ports 30120-30127, started and
 * stopped here. strait connects as User:strait with exactly the ACLs docs/config.md lists.
 *
 * - Every mode replicates over SASL_SSL with SCRAM-SHA-512, every record checked on the target.
 * - A wrong password, an untrusted broker certificate and a missing ACL each give an error that
 *   names the cluster, what was refused and what to fix; once the ACL is granted, the records
 *   follow without a restart and none is lost.
 * - SASL/PLAIN users log in too, and a wrong PLAIN password is told apart from the others.
 * - mTLS: a client without a certificate is refused (and told why); strait with its certificate
 *   (an encrypted key) replicates.
 * - Secrets never leak: a run whose configuration holds SASL passwords and key passphrases,
 *   literal and through `${file:}`, plus runs with wrong ones, and `strait validate` of good and
 *   bad files: no secret in any log line, error, /status, /metrics, `strait status` or
 *   validate output.
 *
 * Runs: 3 of 3 passed in this form (204, 215 and 231 s on 2 cores with a load average of 7-12
 * from other work on the machine); 3 of 3 before the clusters got one-partition group and
 * transaction logs (203-328 s).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { ensureCertificateAuthority } from '../../src/sandbox/certificates.js';
import { uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { comparePartitions, waitForCatchUp, type TopicPair } from '../helpers/replication.js';
import { secretFile, startSecuredPair, straitAcls, STRAIT_PRINCIPAL, type ClusterName, type SecuredPair } from '../helpers/secured-clusters.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';

const CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));
const BASE_PORT = 30120;
const METRICS_PORT = 30130;
/** Every topic and group of this file starts with it: the ACLs strait gets are prefixed with it. */
const PREFIX = 'sec-';
const PARTITIONS = 3;

const root = await mkdtemp(path.join(tmpdir(), 'strait-secured-it-'));
let pair: SecuredPair;

before(async () => {
  pair = await startSecuredPair(root, BASE_PORT);
  const acls = straitAcls(PREFIX);
  await Promise.all([pair.grant('source', acls.source), pair.grant('target', acls.target)]);
});

after(async () => {
  await pair?.stop().catch((e: unknown) => process.stderr.write(`stopping the secured test clusters failed: ${String(e)}\n`));
  await rm(root, { recursive: true, force: true });
});

/** strait's SCRAM-SHA-512 login over TLS to a cluster of the pair. */
function scram(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.username': 'strait',
    'sasl.password': pair.straitPassword,
    'ssl.ca.location': pair.ca.certFile,
    ...overrides,
  };
}

/** strait's client certificate on the mTLS listener. */
function mtls(): Record<string, string> {
  return {
    'security.protocol': 'SSL',
    'ssl.ca.location': pair.ca.certFile,
    'ssl.certificate.location': pair.client.certFile,
    'ssl.key.location': pair.client.keyFile,
    'ssl.key.password': pair.clientKeyPassword,
  };
}

async function createTopic(topic: string, records: number): Promise<TopicPair[]> {
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': pair.plaintext('source') });
  try {
    await admin.createTopic(topic, PARTITIONS, 1);
  } finally {
    admin.close();
  }
  if (records > 0) await produceRecords(pair.plaintext('source'), topic, PARTITIONS, 0, records, topic);
  return [{ source: topic, target: `source.${topic}`, partitions: PARTITIONS }];
}

/** Every record of the source on the target, byte for byte, once, in order. */
async function checkEveryRecord(pairs: TopicPair[], expected: number): Promise<void> {
  await waitForCatchUp(pair.plaintext('source'), pair.plaintext('target'), pairs, 90_000);
  const cmp = await comparePartitions(pair.plaintext('source'), pair.plaintext('target'), pairs, true);
  assert.equal(cmp.records, expected);
  assert.equal(cmp.duplicates, 0);
}

async function stop(p: StraitProcess): Promise<void> {
  p.kill('SIGTERM');
  const exit = await p.exited;
  assert.equal(exit.code, 0, `strait stops cleanly:\n${p.tail()}`);
}

/**
 * Ends a run that never got to replicate. A stop would wait for the connection attempts still
 * under way (up to their timeouts); what these runs are for is their log.
 */
async function end(p: StraitProcess): Promise<void> {
  p.kill('SIGKILL');
  await p.exited;
}

for (const mode of ['at-least-once', 'exactly-once', 'offset-preserving'] as const) {
  void test(`${mode}: replicates over SASL_SSL with SCRAM-SHA-512 from a secured source to a secured target, every record`, { timeout: 3 * 60_000 }, async (t) => {
    const topic = uniqueName(`${PREFIX}${mode}`);
    const pairs = await createTopic(topic, 6_000);
    const groupId = `${topic}-group`;
    const config = writeConfig(pair.saslSsl('source'), pair.saslSsl('target'), {
      include: [topic],
      groupId,
      extraFlow: { mode, ...(mode === 'exactly-once' ? { transactionInterval: '300ms' } : {}) },
      ...(mode === 'exactly-once' ? { engine: { instanceId: 'secured' } } : {}),
      sourceProperties: scram(),
      targetProperties: scram(),
    });
    const strait = new StraitProcess(config);
    t.after(() => strait.kill('SIGKILL'));
    await strait.waitForLog(/assigned \d+ partition/, 60_000);
    // More records while it runs: live replication, not only a catch-up.
    await produceRecords(pair.plaintext('source'), topic, PARTITIONS, 6_000, 4_000, topic);
    await waitForCatchUp(pair.plaintext('source'), pair.plaintext('target'), pairs, 90_000, groupId);
    await stop(strait);
    await checkEveryRecord(pairs, 10_000);
    if (mode === 'offset-preserving') {
      const ends = async (name: ClusterName, t2: string): Promise<number[]> => {
        const admin = new KafkaAdmin(name, { 'bootstrap.servers': pair.plaintext(name) });
        try {
          return (await admin.listOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: t2, partition })), 'latest')).sort((a, b) => a.partition - b.partition).map((o) => o.offset);
        } finally {
          admin.close();
        }
      };
      assert.deepEqual(await ends('target', `source.${topic}`), await ends('source', topic), 'offsets are the same on both clusters');
    }
    assert.doesNotMatch(strait.log(), /refused/, 'no refusal on the way');
  });
}

void test('a wrong password is reported naming the cluster, the refused login and the settings to fix; the password is not shown', { timeout: 2 * 60_000 }, async (t) => {
  const topic = uniqueName(`${PREFIX}pw`);
  await createTopic(topic, 0);
  const wrong = `wrong-${Math.random().toString(36).slice(2)}`;
  const config = writeConfig(pair.saslSsl('source'), pair.saslSsl('target'), { include: [topic], groupId: `${topic}-group`, sourceProperties: scram({ 'sasl.password': wrong }), targetProperties: scram() });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(
    /cluster \\"source\\": the cluster refused strait's SASL SCRAM-SHA-512 login as user \\"strait\\" \(Authentication failed[^)]*\)\. Fix: check clusters\.source\.sasl\.username and clusters\.source\.sasl\.password/,
    60_000,
  );
  // The flow's first step says why it waits, too.
  await strait.waitForLog(/cannot list or create topics \(cluster \\"source\\": listing topics failed: [^)]*the cluster refused strait's SASL/, 60_000);
  await end(strait);
  assert.ok(!strait.log().includes(wrong), 'the wrong password is not in the log');
});

void test('SASL/PLAIN users log in over TLS; a wrong PLAIN password is refused with the fix', { timeout: 60_000 }, async (t) => {
  const plain = (password: string): Record<string, string> => ({
    'bootstrap.servers': pair.saslSsl('source'),
    ...scram({ 'sasl.mechanism': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': password }),
  });
  const alice = new KafkaAdmin('source', plain(pair.alicePassword));
  t.after(() => alice.close());
  // Logged in: alice may describe no topic, so she sees none, but the call succeeds.
  assert.deepEqual(await alice.listTopics(), []);
  const wrong = `wrong-${Math.random().toString(36).slice(2)}`;
  const intruder = new KafkaAdmin('source', plain(wrong));
  t.after(() => intruder.close());
  await assert.rejects(intruder.listTopics(), (e: Error) => {
    assert.match(e.message, /^cluster "source": listing topics failed: .*the cluster refused strait's SASL PLAIN login as user "alice" \(Authentication failed: Invalid username or password\)\. Fix: check clusters\.source\.sasl\.username and clusters\.source\.sasl\.password$/);
    assert.ok(!e.message.includes(wrong));
    return true;
  });
});

void test('an untrusted broker certificate is reported naming the cluster, the broker and ssl.ca.location', { timeout: 2 * 60_000 }, async (t) => {
  const topic = uniqueName(`${PREFIX}ca`);
  await createTopic(topic, 0);
  // A CA that did not sign the target's brokers.
  const rogue = await ensureCertificateAuthority(path.join(root, 'rogue-ca'), 'another CA');
  const config = writeConfig(pair.saslSsl('source'), pair.saslSsl('target'), { include: [topic], groupId: `${topic}-group`, sourceProperties: scram(), targetProperties: scram({ 'ssl.ca.location': rogue.certFile }) });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  const broker = pair.saslSsl('target').replace(/\./g, '\\.');
  await strait.waitForLog(new RegExp(`cluster \\\\"target\\\\": strait does not trust the TLS certificate of broker sasl_ssl://${broker} \\(error:[^)]*certificate verify failed\\)\\. Fix: set clusters\\.target\\.ssl\\.ca\\.location`), 60_000);
  await end(strait);
});

void test('a missing ACL is reported naming the cluster, the refused Read and the ACL to grant; once granted, every record arrives without a restart', { timeout: 3 * 60_000 }, async (t) => {
  // Outside the prefix strait's ACLs cover: strait may see the topic but not read it.
  const topic = uniqueName('locked');
  const pairs = await createTopic(topic, 3_000);
  await pair.grant('source', [{ principal: STRAIT_PRINCIPAL, operations: ['Describe', 'DescribeConfigs'], resources: [{ topic }] }]);
  const config = writeConfig(pair.saslSsl('source'), pair.saslSsl('target'), { include: [topic], groupId: `${PREFIX}${topic}-group`, sourceProperties: scram(), targetProperties: scram() });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(
    new RegExp(
      // A worker that also reads another topic cannot tell which of its topics was refused.
      `cluster \\\\"source\\\\": consuming failed: Broker: Topic authorization failed: the cluster refused Read on (topic |one or more of the topics [^(]*)\\\\"${topic}\\\\"[^(]* to User:strait \\(TOPIC_AUTHORIZATION_FAILED\\)\\. ` +
        `Fix: grant it with an ACL on cluster \\\\"source\\\\", e\\.g\\. kafka-acls\\.sh .*--add --allow-principal User:strait --operation Read --topic (${topic}|<topic>); strait keeps fetching`,
    ),
    60_000,
  );
  // Records keep coming while the permission is missing; none is lost.
  await produceRecords(pair.plaintext('source'), topic, PARTITIONS, 3_000, 1_000, topic);
  await pair.grant('source', [{ principal: STRAIT_PRINCIPAL, operations: ['Read'], resources: [{ topic }] }]);
  await checkEveryRecord(pairs, 4_000);
  await stop(strait);
});

void test('mTLS: a client without a certificate is refused and told why; strait with its certificate (an encrypted key) replicates every record', { timeout: 2 * 60_000 }, async (t) => {
  const anonymous = new KafkaAdmin('target', { 'bootstrap.servers': pair.mtls('target'), 'security.protocol': 'SSL', 'ssl.ca.location': pair.ca.certFile });
  t.after(() => anonymous.close());
  await assert.rejects(anonymous.listTopics(), (e: Error) => {
    assert.match(e.message, /cluster "target": listing topics failed: .*refused the TLS handshake \([^)]*\): it requires a client certificate it trusts, and strait presented none\. Fix: set clusters\.target\.ssl\.certificate\.location/);
    return true;
  });
  const topic = uniqueName(`${PREFIX}mtls`);
  const pairs = await createTopic(topic, 5_000);
  const config = writeConfig(pair.mtls('source'), pair.mtls('target'), { include: [topic], groupId: `${topic}-group`, sourceProperties: mtls(), targetProperties: mtls() });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await checkEveryRecord(pairs, 5_000);
  await stop(strait);
  assert.doesNotMatch(strait.log(), /refused/);
});

// ---------------------------------------------------------------------------------------------
// Secrets never leak

async function httpGet(url: string): Promise<string> {
  const res = await fetch(url);
  return `${res.status} ${await res.text()}`;
}

function cli(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, STRAIT_LOG_PRETTY: '0', ...env }, timeout: 60_000 });
  return `${r.stdout}\n${r.stderr}`;
}

void test('secrets never leak: no password or key passphrase in any log line, error, /status, /metrics, status or validate output', { timeout: 3 * 60_000 }, async (t) => {
  const dir = await mkdtemp(path.join(root, 'leak-'));
  const wrongPassword = `wrong-pw-${Math.random().toString(36).slice(2)}`;
  const wrongKeyPassword = `wrong-key-${Math.random().toString(36).slice(2)}`;
  const secrets = [pair.straitPassword, pair.clientKeyPassword, wrongPassword, wrongKeyPassword];
  await secretFile(path.join(dir, 'secrets'), 'strait-password', pair.straitPassword);
  await secretFile(path.join(dir, 'secrets'), 'key-password', pair.clientKeyPassword);
  await secretFile(path.join(dir, 'secrets'), 'wrong-key-password', wrongKeyPassword);
  const topic = uniqueName(`${PREFIX}leak`);
  const pairs = await createTopic(topic, 2_000);
  // A topic strait may see but not read: the refusals show up while the run goes on.
  const locked = uniqueName('locked-leak');
  await createTopic(locked, 10);
  await pair.grant('source', [{ principal: STRAIT_PRINCIPAL, operations: ['Describe'], resources: [{ topic: locked }] }]);

  // Each cluster holds a SASL password and a key passphrase: one literal, one from a file
  // (relative to the configuration file's folder).
  const clientCert = { 'ssl.certificate.location': pair.client.certFile, 'ssl.key.location': pair.client.keyFile };
  const yaml = (source: Record<string, string>, target: Record<string, string>): string =>
    JSON.stringify({
      clusters: {
        source: { 'bootstrap.servers': pair.saslSsl('source'), ...scram(), ...clientCert, ...source },
        target: { 'bootstrap.servers': pair.saslSsl('target'), ...scram(), ...clientCert, ...target },
      },
      flows: [{ source: 'source', target: 'target', topics: { include: [topic, locked] }, groupId: `${topic}-group`, refreshTopicsInterval: '2s' }],
      engine: { workers: 2, metrics: { enabled: true, port: METRICS_PORT }, summaryInterval: '1s', commitInterval: '500ms', shutdownTimeout: '20s' },
    });
  const good = path.join(dir, 'good.yaml');
  await writeFile(
    good,
    yaml({ 'sasl.password': '${file:secrets/strait-password}', 'ssl.key.password': pair.clientKeyPassword }, { 'sasl.password': pair.straitPassword, 'ssl.key.password': '${file:secrets/key-password}' }),
  );
  const outputs: [string, string][] = [];
  const debug = { STRAIT_LOG_LEVEL: 'debug' };

  outputs.push(['validate (valid file)', cli(['validate', '--config', good])]);
  assert.match(outputs[0][1], /config OK/);

  // A replicating run, at debug level, refused one of its topics: its log, /status, /metrics
  // and `strait status`.
  const run = new StraitProcess(good, debug);
  t.after(() => run.kill('SIGKILL'));
  await checkEveryRecord(pairs, 2_000);
  await run.waitForLog(/refused Read on /, 30_000);
  outputs.push(['/status', await httpGet(`http://127.0.0.1:${METRICS_PORT}/status`)]);
  outputs.push(['/metrics', await httpGet(`http://127.0.0.1:${METRICS_PORT}/metrics`)]);
  outputs.push(['strait status', cli(['status', '--url', `http://127.0.0.1:${METRICS_PORT}`])]);
  outputs.push(['strait status --json', cli(['status', '--url', `http://127.0.0.1:${METRICS_PORT}`, '--json'])]);
  await stop(run);
  outputs.push(['run log', run.log()]);
  assert.match(outputs[1][1], /^200 /);
  assert.match(outputs[2][1], /strait_/);

  // A run that keeps failing: a wrong password (literal). Its endpoint is not up until the
  // flows started, so its log is what there is.
  const bad = path.join(dir, 'bad.yaml');
  await writeFile(bad, yaml({ 'sasl.password': wrongPassword, 'ssl.key.password': pair.clientKeyPassword }, { 'ssl.key.password': pair.clientKeyPassword }));
  const failing = new StraitProcess(bad, debug);
  t.after(() => failing.kill('SIGKILL'));
  await failing.waitForLog(/cannot list or create topics \(.*refused strait's SASL SCRAM-SHA-512 login/, 60_000);
  await end(failing);
  outputs.push(['failing run log', failing.log()]);

  // A run that cannot start: a wrong key passphrase (from a file).
  const badKey = path.join(dir, 'bad-key.yaml');
  await writeFile(badKey, yaml({ 'ssl.key.password': pair.clientKeyPassword }, { 'ssl.key.password': '${file:secrets/wrong-key-password}' }));
  // It reports the error at once, but its exit waits for connection attempts under way.
  const refused = new StraitProcess(badKey, debug);
  t.after(() => refused.kill('SIGKILL'));
  await refused.waitForLog(/cluster "target": cannot create an admin client: .*check that .*ssl\.key\.location.* and that ssl\.key\.password is the passphrase/, 30_000);
  await end(refused);
  outputs.push(['run with a wrong key passphrase', refused.log()]);

  // Configurations with mistakes next to the secrets: a misspelt secret key, an unknown key
  // holding one, a reference to a missing file, a bad value read from a file.
  await secretFile(path.join(dir, 'secrets'), 'brokers', `${pair.straitPassword}:99999`);
  const broken = path.join(dir, 'broken.yaml');
  await writeFile(
    broken,
    yaml(
      { 'sasl.pasword': pair.straitPassword, 'ssl.key.password': '${file:secrets/missing}', 'bootstrap.servers': '${file:secrets/brokers}' },
      { 'ssl.key.passwd': pair.clientKeyPassword, 'sasl.password': `${pair.straitPassword}\${oops}` },
    ),
  );
  outputs.push(['validate (broken file)', cli(['validate', '--config', broken])]);
  outputs.push(['run (broken file)', cli(['run', '--config', broken])]);
  assert.match(outputs.at(-2)![1], /configuration problem/);

  for (const [what, text] of outputs) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${what} shows a secret (${secret.slice(0, 8)}...):\n${text.slice(0, 4000)}`);
  }
  t.diagnostic(`checked ${outputs.length} outputs, ${outputs.reduce((n, [, s]) => n + s.split('\n').length, 0)} lines, for ${secrets.length} secrets`);
});
