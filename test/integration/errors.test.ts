/**
 * Errors a user meets, end to end through the CLI: bad configurations, an unreachable cluster
 * (with a password that must never show up), and a record larger than the target accepts
 * (that partition stops with an error naming it; the others go on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rdkafka, type RdError } from '../../src/kafka/binding.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { waitForCatchUp } from '../helpers/replication.js';

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'strait-bad-')), 'strait.yaml');
  writeFileSync(path, text);
  return path;
}

void test('a bad configuration is refused by validate and run, naming the key, the value and a fix', async () => {
  const path = configFile(
    ['clusters:', '  a: { bootstrap.server: 127.0.0.1:1 }', '  b: { bootstrap.servers: 127.0.0.1:2 }', 'flows:', '  - { source: a, target: c, mode: fastest }', 'engin: {}'].join('\n'),
  );
  for (const command of ['validate', 'run']) {
    const p = new StraitProcess(path, {}, command);
    const exit = await p.exited;
    assert.equal(exit.code, 1, `${command} exits 1`);
    const out = p.log();
    assert.match(out, /clusters\.a\.bootstrap\.server\b.*did you mean .?bootstrap\.servers/i, `${command}: librdkafka property typo named with a suggestion:\n${out}`);
    assert.match(out, /flows\[0\]\.target.*"c"/, `${command}: unknown cluster alias named:\n${out}`);
    assert.match(out, /flows\[0\]\.mode.*"fastest"/, `${command}: bad mode named:\n${out}`);
    assert.match(out, /engin\b.*did you mean .?engine/i, `${command}: unknown top-level key named with a suggestion:\n${out}`);
    assert.doesNotMatch(out, /^\s+at /m, `${command}: no stack trace`);
  }
});

void test('an unreachable source cluster is reported by name and retried; the password never appears', { timeout: 90_000 }, async (t) => {
  const clusters = await getClusters();
  const secret = `pw-${uniqueName('secret')}`;
  const config = writeConfig('127.0.0.1:1', clusters.target.bootstrap, {
    include: ['.*'],
    groupId: uniqueName('unreachable'),
    sourceProperties: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'strait', 'sasl.password': secret },
  });
  const p = new StraitProcess(config, { STRAIT_LOG_LEVEL: 'debug' });
  t.after(() => p.kill('SIGKILL'));
  await p.waitForLog(/cluster \\"source\\".*retrying in/, 60_000);
  p.kill('SIGTERM');
  const exit = await p.exited;
  assert.equal(exit.code, 0, `stops cleanly while waiting for the cluster:\n${p.tail()}`);
  assert.ok(!p.log().includes(secret), 'the SASL password does not appear in the log');
});

void test('a record larger than the target accepts stops its partition with an error naming it; other partitions continue', { timeout: 3 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const topic = uniqueName('big');
  const source = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  const target = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => {
    source.close();
    target.close();
  });
  await source.createTopic(topic, 2, 1);
  // The remote topic exists already and takes at most 100 KB batches.
  await target.createTopic(`source.${topic}`, 2, 1, { 'max.message.bytes': '100000' });
  await produceRecords(clusters.source.bootstrap, topic, 2, 0, 1_000, topic);
  // Offset 500 of partition 1: 300 KB (incompressible, so compression cannot save it).
  const producer = new rdkafka.Producer({ 'bootstrap.servers': clusters.source.bootstrap, dr_cb: true });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  const big = randomBytes(300_000);
  producer.produce(topic, 1, big, Buffer.from('big'), Date.now());
  await new Promise<void>((resolve) => producer.flush(10_000, () => resolve()));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  await produceRecords(clusters.source.bootstrap, topic, 2, 1_000, 1_000, topic);

  // Batches stay below the topic's limit, so only the big record is refused.
  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [topic], groupId: `${topic}-group`, targetProperties: { producer: { 'batch.size': '16384' } },
    // The remote topic's small max.message.bytes is the point of this test: keep the config sync off it.
    extraFlow: { sync: { topicConfigs: { enabled: false } } },
  });
  const p = new StraitProcess(config);
  t.after(() => p.kill('SIGKILL'));
  await p.waitForLog(new RegExp(`partition ${topic}-1 stopped at source offset 500`), 60_000);
  const line = p.log().split('\n').find((l) => l.includes(`partition ${topic}-1 stopped`))!;
  assert.match(line, /cluster \\?"target\\?" topic \\?"source\./, 'the error names the target cluster and topic');
  assert.match(line, /max\.message\.bytes/, 'the error says how to fix it');
  // Partition 0 is not affected: all of it arrives.
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, [{ source: topic, target: `source.${topic}`, partitions: 1 }], 60_000);
  p.kill('SIGTERM');
  assert.equal((await p.exited).code, 0);
});
