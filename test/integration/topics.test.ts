/**
 * Topic handling while running: a topic created on the source later is picked up within the
 * refresh interval, and a partition count increase is followed on the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { comparePartitions, waitForCatchUp } from '../helpers/replication.js';

void test('a new topic and new partitions are followed while running; internal topics are not copied', { timeout: 5 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const prefix = uniqueName('topics');
  const first = `${prefix}.first`;
  const later = `${prefix}.later`;
  const internal = `${prefix}.offsets-internal`;
  const source = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  const target = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => {
    source.close();
    target.close();
  });
  await source.createTopic(first, 2, 1);
  await source.createTopic(internal, 1, 1);
  await produceRecords(clusters.source.bootstrap, first, 2, 0, 10_000, first);
  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [`${prefix}\\..*`], groupId: `${prefix}-group`, refreshTopicsInterval: '2s' });
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(/assigned \d+ partition/);
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, [{ source: first, target: `source.${first}`, partitions: 2 }], 60_000);

  // A topic created while running.
  await source.createTopic(later, 3, 1);
  await produceRecords(clusters.source.bootstrap, later, 3, 0, 9_000, later);
  // More partitions for an existing topic, and records in the new ones.
  await source.createPartitions(first, 4);
  await produceRecords(clusters.source.bootstrap, first, 4, 10_000, 8_000, first);

  const pairs = [
    { source: first, target: `source.${first}`, partitions: 4 },
    { source: later, target: `source.${later}`, partitions: 3 },
  ];
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 90_000);
  const remote = await target.describeTopics([`source.${first}`, `source.${later}`]);
  assert.deepEqual(remote.map((r) => r.partitions).sort(), [3, 4]);
  assert.ok(!(await target.listTopics()).includes(`source.${internal}`), 'topics matching MM2 internal patterns are not replicated');
  strait.kill('SIGTERM');
  assert.equal((await strait.exited).code, 0);
  const cmp = await comparePartitions(clusters.source.bootstrap, clusters.target.bootstrap, pairs, true);
  assert.equal(cmp.records, 27_000);
});
