/**
 * The replication engine against the two real sandbox clusters, through the `strait run`
 * command in a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { comparePartitions, waitForCatchUp, type TopicPair } from '../helpers/replication.js';

const PARTITIONS_PER_TOPIC = 4;

void test('3 topics, 12 partitions, 1,000,000 records with keys, headers, tombstones and timestamps arrive identical, in order, under the remote names', { timeout: 10 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const prefix = uniqueName('rep');
  const topics = [`${prefix}.a`, `${prefix}.b`, `${prefix}.c`];
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  for (const topic of topics) await admin.createTopic(topic, PARTITIONS_PER_TOPIC, 1);
  const perTopic = [333_334, 333_333, 333_333];
  await Promise.all(topics.map((topic, i) => produceRecords(clusters.source.bootstrap, topic, PARTITIONS_PER_TOPIC, 0, perTopic[i], topic)));

  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [`${prefix}\\..*`], groupId: `${prefix}-group` });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(/strait running/);
  const pairs: TopicPair[] = topics.map((topic) => ({ source: topic, target: `source.${topic}`, partitions: PARTITIONS_PER_TOPIC }));
  const started = Date.now();
  const total = await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 5 * 60_000);
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`replicated ${total} records in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} records/s, includes startup)`);
  assert.equal(total, 1_000_000);

  strait.kill('SIGTERM');
  const exit = await strait.exited;
  assert.equal(exit.code, 0, `strait stops cleanly on SIGTERM:\n${strait.tail()}`);
  assert.match(strait.log(), /strait stopped/);

  const cmp = await comparePartitions(clusters.source.bootstrap, clusters.target.bootstrap, pairs, true);
  assert.equal(cmp.records, 1_000_000);
});
