/**
 * Topic config and topic ACL sync against real clusters, with MM2's rules: a pair of secured
 * clusters of its own (SASL/PLAIN listener + StandardAuthorizer on both, users admin and alice),
 * on ports of its own and in a temporary folder, so the shared default sandbox is not touched.
 * Everything strait does here goes through the SASL listener as "admin".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { ConfigAdmin, type TopicAcl } from '../../src/kafka/config-admin.js';
import { TopicConfigSync } from '../../src/mirror/config-sync.js';
import { TopicAclSync, aclKey } from '../../src/mirror/acl-sync.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { listenerAddress, saslPlainClientProperties, saslPlainCustomization } from '../../src/sandbox/secure.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));

// Away from the default sandbox (19092-19095); each cluster takes N and N+1, plus its SASL port.
const SOURCE_PORT = 29192;
const TARGET_PORT = 29194;
const SOURCE_SASL_PORT = 29196;
const TARGET_SASL_PORT = 29197;
const USERS = { admin: 'admin-pw-7f3a', alice: 'alice-pw-91c2' };

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function keys(acls: readonly TopicAcl[]): string[] {
  return acls.map((a) => `${a.pattern} ${a.topic} ${a.permission} ${a.principal} ${a.operation} ${a.host}`).sort();
}

async function topicOverrides(admin: ConfigAdmin, topic: string): Promise<Record<string, string | null>> {
  const entries = (await admin.describeTopicConfigs([topic])).get(topic) ?? [];
  return Object.fromEntries(entries.filter((e) => e.source === 'topic').map((e) => [e.name, e.value]));
}

void test('topic configs and ACLs are copied as MM2 copies them, over SASL to clusters with an authorizer', { timeout: 150_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strait-sync-'));
  const sandbox = await Sandbox.open({
    dir,
    sourcePort: SOURCE_PORT,
    targetPort: TARGET_PORT,
    stopTimeoutMs: 15_000,
    clusters: {
      source: { ...saslPlainCustomization({ port: SOURCE_SASL_PORT, users: USERS }), heap: '384m' },
      target: { ...saslPlainCustomization({ port: TARGET_SASL_PORT, users: USERS }), heap: '384m' },
    },
  });
  t.after(async () => {
    await sandbox.down({ clean: true }).catch((e: unknown) => process.stderr.write(`stopping the sync test clusters failed: ${String(e)}\n`));
    await rm(dir, { recursive: true, force: true });
  });
  await sandbox.up();

  const sourceProps = saslPlainClientProperties(listenerAddress(SOURCE_SASL_PORT), 'admin', USERS.admin);
  const targetProps = saslPlainClientProperties(listenerAddress(TARGET_SASL_PORT), 'admin', USERS.admin);
  const source = new ConfigAdmin('source', sourceProps);
  const target = new ConfigAdmin('target', targetProps);
  const sourceTopics = new KafkaAdmin('source', sourceProps);
  const targetTopics = new KafkaAdmin('target', targetProps);
  t.after(async () => {
    sourceTopics.close();
    targetTopics.close();
    await source.close();
    await target.close();
  });

  // A wrong password: refused, the error names the cluster and never shows the password.
  const wrong = 'not-the-password-5d1e';
  const intruder = new ConfigAdmin('source', { ...sourceProps, 'sasl.password': wrong });
  await assert.rejects(intruder.describeTopicAcls(), (e: Error) => {
    assert.match(e.message, /cluster "source"/);
    assert.ok(!e.message.includes(wrong) && !String((e.cause as Error | undefined)?.message).includes(wrong), 'the password is not in the error');
    return true;
  });
  await intruder.close();

  const topic = 'orders';
  const remote = 'source.orders';
  const topics = [{ source: topic, remote }];
  await sourceTopics.createTopic(topic, 2, 1, { 'retention.ms': '3600000', 'cleanup.policy': 'compact', 'min.insync.replicas': '1' });
  await sourceTopics.createTopic('unreplicated', 1, 1);
  // The remote topic as the coordinator creates it, plus two overrides made by hand on the target:
  // one the source has at its default (MM2 resets it) and one of an excluded config (left alone).
  await targetTopics.createTopic(remote, 2, 1, { 'retention.bytes': '123456789', 'message.timestamp.type': 'LogAppendTime' });

  const alice = (operation: TopicAcl['operation'], permission: TopicAcl['permission'] = 'ALLOW', name = topic, pattern: TopicAcl['pattern'] = 'LITERAL'): TopicAcl => ({
    topic: name,
    pattern,
    principal: 'User:alice',
    host: '*',
    operation,
    permission,
  });
  const denyMallory: TopicAcl = { topic, pattern: 'LITERAL', principal: 'User:mallory', host: '*', operation: 'DESCRIBE', permission: 'DENY' };
  const sourceAcls = [alice('READ'), alice('WRITE'), alice('ALL'), denyMallory, alice('READ', 'ALLOW', 'ord', 'PREFIXED'), alice('READ', 'ALLOW', 'unreplicated')];
  await source.createAcls(sourceAcls);
  await until('ACLs visible on the source', () => source.describeTopicAcls(), (a) => (a ?? []).length === sourceAcls.length);
  assert.deepEqual(await target.describeTopicAcls(), [], 'the target starts without topic ACLs');

  // --- topic configs
  const configSync = new TopicConfigSync({ source, target });
  const first = await configSync.syncOnce(topics);
  assert.deepEqual(first.errors, []);
  assert.equal(first.set, 2, 'retention.ms and cleanup.policy are set');
  assert.equal(first.deleted, 1, 'retention.bytes (default on the source) is reset on the target');
  const expectedOverrides = { 'cleanup.policy': 'compact', 'retention.ms': '3600000', 'message.timestamp.type': 'LogAppendTime' };
  const overrides = await until('target topic configs', () => topicOverrides(target, remote), (o) => JSON.stringify(Object.entries(o).sort()) === JSON.stringify(Object.entries(expectedOverrides).sort()));
  assert.ok(!('min.insync.replicas' in overrides), 'min.insync.replicas is excluded by default');
  assert.equal((await configSync.configsForNewTopic(topic))['cleanup.policy'], 'compact', 'a new remote topic would be created compacted');

  // --- topic ACLs (MM2 mapping)
  const aclSync = new TopicAclSync({ source, target });
  const acls = await aclSync.syncOnce(topics);
  assert.deepEqual(acls.errors, []);
  assert.equal(acls.sourceAuthorizer, true);
  assert.equal(acls.created, 2, 'READ (from READ and from ALL) and the DENY');
  const expectedTarget = keys([
    { ...alice('READ'), topic: remote },
    { ...denyMallory, topic: remote },
  ]);
  await until('target ACLs', async () => keys((await target.describeTopicAcls()) ?? []), (k) => JSON.stringify(k) === JSON.stringify(expectedTarget));

  // --- a second pass changes nothing; a topic without its remote topic is an error of its own
  const second = await configSync.syncOnce([...topics, { source: 'unreplicated', remote: 'source.unreplicated' }]);
  assert.equal(second.changed, 0, 'configs: idempotent');
  assert.deepEqual(
    second.errors.map((e) => [e.cluster, e.topic]),
    [['target', 'source.unreplicated']],
  );
  assert.match(second.errors[0].message, /cluster "target" topic "source.unreplicated".*UNKNOWN_TOPIC_OR_PARTITION/);
  const again = await aclSync.syncOnce(topics);
  assert.deepEqual([again.changed, again.errors], [0, []], 'ACLs: idempotent');

  // --- removals: only with propagateRemovals, and only copies seen before
  const remover = new TopicAclSync({ source, target, propagateRemovals: true });
  assert.equal((await remover.syncOnce(topics)).changed, 0);
  await source.deleteAcls([denyMallory]);
  await until('DENY gone from the source', () => source.describeTopicAcls(), (a) => !(a ?? []).some((x) => aclKey(x) === aclKey(denyMallory)));
  assert.equal((await aclSync.syncOnce(topics)).changed, 0, 'without propagateRemovals nothing is deleted');
  assert.deepEqual(keys((await target.describeTopicAcls()) ?? []), expectedTarget);
  const removal = await remover.syncOnce(topics);
  assert.deepEqual([removal.deleted, removal.errors], [1, []]);
  await until('DENY gone from the target', async () => keys((await target.describeTopicAcls()) ?? []), (k) => JSON.stringify(k) === JSON.stringify(keys([{ ...alice('READ'), topic: remote }])));

  // --- the engine with a wrong SASL password: an error naming the cluster, retried, and the
  // password appears nowhere in the log.
  const badPassword = `wrong-${USERS.alice}-x`;
  const config = writeConfig(listenerAddress(SOURCE_SASL_PORT), listenerAddress(TARGET_SASL_PORT), {
    include: ['orders'],
    groupId: 'strait-auth-test',
    sourceProperties: { ...saslPlainClientProperties(listenerAddress(SOURCE_SASL_PORT), 'alice', badPassword), 'bootstrap.servers': listenerAddress(SOURCE_SASL_PORT) },
    targetProperties: saslPlainClientProperties(listenerAddress(TARGET_SASL_PORT), 'admin', USERS.admin),
  });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(/cluster \\"source\\".*(uthenticat|SASL)/, 60_000);
  strait.kill('SIGTERM');
  assert.equal((await strait.exited).code, 0, strait.tail());
  assert.ok(!strait.log().includes(badPassword), 'the wrong password is not in the log');
  assert.ok(!strait.log().includes(USERS.admin), 'the target password is not in the log');

  // --- strait failover with the same wrong password: the source answers, so it is not down and
  // may still replicate; failover refuses instead of going on as an unplanned failover, unless
  // told the source is out of service (--source-down).
  const failover = (...extra: string[]) => spawnSync(process.execPath, [CLI, 'failover', '--config', config, '--flow', 'source->target', '--dry-run', ...extra], { encoding: 'utf8', timeout: 90_000 });
  const refused = failover();
  assert.notEqual(refused.status, 0, refused.stdout);
  assert.match(refused.stderr, new RegExp(`source cluster "source" accepts connections \\(at 127\\.0\\.0\\.1:${SOURCE_SASL_PORT}\\) but strait cannot use it \\((authentication failure|[^)]*Broker transport failure)\\): it is not down`));
  assert.match(refused.stderr, /clusters\.source in the configuration.*pass --source-down/);
  t.diagnostic(`failover refused: ${/strait cannot use it \(([^)]*)\)/.exec(refused.stderr)?.[1] ?? '?'}`);
  const forced = failover('--source-down', '--json');
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /source cluster "source" accepts connections .* but strait cannot use it .*; --source-down was given: treating this as an unplanned failover/);
  assert.equal((JSON.parse(forced.stdout) as { sourceReachable: boolean }).sourceReachable, false);
  for (const out of [refused.stdout, refused.stderr, forced.stdout, forced.stderr]) {
    assert.ok(!out.includes(badPassword) && !out.includes(USERS.admin), 'no password in failover\'s output');
  }
});
