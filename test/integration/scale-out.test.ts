/**
 * Scale-out through Kafka's group protocol: two strait processes share one flow; when one is
 * killed with SIGKILL the other takes over its partitions and nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { comparePartitions, waitForCatchUp } from '../helpers/replication.js';

const PARTITIONS = 8;

/** Partitions a process holds now, from its last "now N" log line. */
function held(p: StraitProcess): number {
  const all = [...p.log().matchAll(/partition\(s\)[^"]*; now (\d+)/g)];
  return all.length === 0 ? 0 : Number(all[all.length - 1]![1]);
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

void test('two processes share a flow; one is killed; the other takes over with zero loss', { timeout: 6 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const topic = uniqueName('scale');
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  await admin.createTopic(topic, PARTITIONS, 1);
  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [topic], groupId: `${topic}-group`, workers: 1 });

  const a = new StraitProcess(config);
  t.after(() => a.kill('SIGKILL'));
  await a.waitForLog(/assigned \d+ partition/);
  const b = new StraitProcess(config);
  t.after(() => b.kill('SIGKILL'));
  // Cooperative rebalancing moves part of A's partitions to B.
  await until(() => held(a) > 0 && held(b) > 0 && held(a) + held(b) === PARTITIONS, 60_000, `both processes to hold partitions (a=${held(a)}, b=${held(b)})`);
  t.diagnostic(`before the kill: a holds ${held(a)}, b holds ${held(b)}`);

  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, 0, 100_000, topic);
  a.kill('SIGKILL');
  await a.exited;
  // More records while A's partitions have no owner; B gets them once the session times out.
  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, 100_000, 100_000, topic);
  await until(() => held(b) === PARTITIONS, 90_000, `b to take over every partition (b=${held(b)})`);
  const pairs = [{ source: topic, target: `source.${topic}`, partitions: PARTITIONS }];
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 3 * 60_000);
  b.kill('SIGTERM');
  assert.equal((await b.exited).code, 0);
  const cmp = await comparePartitions(clusters.source.bootstrap, clusters.target.bootstrap, pairs, false);
  assert.equal(cmp.records, 200_000);
  t.diagnostic(`200000 records, ${cmp.duplicates} duplicates after the kill`);
});
