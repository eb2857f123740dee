/**
 * mode: exactly-once across kill -9: strait is killed three times while records are being
 * produced and replicated; after the last restart catches up, a read_committed consumer of the
 * target sees every source record exactly once, in source order (the records of the
 * transactions the killed processes left open are aborted, and sent again from the offsets
 * committed in the target).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { exactlyOnceOffsetsGroup } from '../../src/coordinator/exactly-once.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import type { StraitProcess} from '../helpers/strait-process.js';
import { runWithKills, writeConfig } from '../helpers/strait-process.js';
import { comparePartitions, waitForCatchUp } from '../helpers/replication.js';

const PARTITIONS = 6;
const RECORDS = 300_000;

void test('exactly-once: kill -9 three times during a run; a read_committed reader of the target sees every record once, in order', { timeout: 10 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const topic = uniqueName('eos');
  const groupId = `${topic}-group`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  await admin.createTopic(topic, PARTITIONS, 1);
  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, {
    include: [topic],
    groupId,
    workers: 2,
    extraFlow: { mode: 'exactly-once', transactionInterval: '300ms' },
    engine: { instanceId: 'eos-test' },
  });

  const bursts = 4;
  const perBurst = RECORDS / bursts;
  let running: StraitProcess | undefined;
  t.after(() => running?.kill('SIGKILL'));
  // Killed while a burst is being replicated: transactions are open.
  const { last } = await runWithKills(config, bursts, (k) => produceRecords(clusters.source.bootstrap, topic, PARTITIONS, k * perBurst, perBurst, topic), (k) => 900 + k * 300, (p) => (running = p));
  const pairs = [{ source: topic, target: `source.${topic}`, partitions: PARTITIONS }];
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 5 * 60_000, groupId);
  last.kill('SIGTERM');
  assert.equal((await last.exited).code, 0, last.log().slice(-3000));

  // The source offsets live in the target, committed with the records: at the source's end.
  const targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => targetAdmin.close());
  const committed = await targetAdmin.groupOffsets(exactlyOnceOffsetsGroup({ groupId }));
  const ends = await admin.listOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })), 'latest');
  assert.deepEqual(
    committed.filter((o) => o.topic === `source.${topic}`).map((o) => [o.topic, o.partition, o.offset]).sort(),
    ends.map((o) => [`source.${topic}`, o.partition, o.offset]).sort(),
    'the offsets group on the target holds the source end offsets',
  );
  // Aborted transactions left records in the target log that read_committed readers skip: the
  // target log is longer than the source, and yet the visible records are exactly the source's.
  const targetEnds = await targetAdmin.listOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: `source.${topic}`, partition })), 'latest');
  const aborted = targetEnds.reduce((a, o) => a + o.offset, 0) - RECORDS;
  const cmp = await comparePartitions(clusters.source.bootstrap, clusters.target.bootstrap, pairs, true);
  t.diagnostic(`${cmp.records} records, exactly once after ${bursts - 1} kills; target log offsets beyond the records (aborted records and transaction markers): ${aborted}`);
  assert.equal(cmp.records, RECORDS);
  assert.equal(cmp.duplicates, 0);
});
