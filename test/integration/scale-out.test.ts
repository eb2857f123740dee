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

/**
 * Partitions of `topic` a process holds now, replayed from its "assigned" / "gave up" log lines
 * (the flow also replicates heartbeats topics, which do not count here).
 */
function held(p: StraitProcess, topic: string): number {
  const mine = new Set<string>();
  for (const line of p.log().split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as { msg?: string; partitions?: unknown };
    if (!Array.isArray(rec.partitions) || typeof rec.msg !== 'string') continue;
    for (const part of rec.partitions as string[]) {
      if (!part.startsWith(`${topic}-`)) continue;
      if (/: assigned /.test(rec.msg)) mine.add(part);
      else if (/: gave up /.test(rec.msg)) mine.delete(part);
    }
  }
  return mine.size;
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
  await until(() => held(a, topic) > 0 && held(b, topic) > 0 && held(a, topic) + held(b, topic) === PARTITIONS, 60_000, `both processes to hold partitions (a=${held(a, topic)}, b=${held(b, topic)})`);
  t.diagnostic(`before the kill: a holds ${held(a, topic)}, b holds ${held(b, topic)}`);

  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, 0, 100_000, topic);
  a.kill('SIGKILL');
  await a.exited;
  // More records while A's partitions have no owner; B gets them once the session times out.
  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, 100_000, 100_000, topic);
  await until(() => held(b, topic) === PARTITIONS, 90_000, `b to take over every partition (b=${held(b, topic)})`);
  const pairs = [{ source: topic, target: `source.${topic}`, partitions: PARTITIONS }];
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 3 * 60_000, `${topic}-group`);
  b.kill('SIGTERM');
  assert.equal((await b.exited).code, 0);
  const cmp = await comparePartitions(clusters.source.bootstrap, clusters.target.bootstrap, pairs, false);
  assert.equal(cmp.records, 200_000);
  t.diagnostic(`200000 records, ${cmp.duplicates} duplicates after the kill`);
});
