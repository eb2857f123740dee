/**
 * mode: offset-preserving on real clusters.
 *
 * 1. kill -9 three times during replication, one source partition starting above offset 0
 *    (DeleteRecords on the source first): afterwards every target partition has the source's log
 *    start and end offsets and the same record (key, value, headers, timestamp) at every offset,
 *    so no duplicates either; a consumer group's source position is copied 1:1 to the target and
 *    a consumer switching clusters there reads exactly the rest.
 * 2. A foreign record on the target stops that partition with an error naming the offset; with
 *    onDivergence: translate the partition goes on (translated) and says so.
 * 3. A hole in the source (a transaction marker) found while copying does the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { rdkafka, type RdError } from '../../src/kafka/binding.js';
import { partitionRanges, recordId, scanPartitions, type PartitionRange } from '../../src/demo/digest.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { runWithKills, StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { waitForCatchUp } from '../helpers/replication.js';

const PARTITIONS = 4;
const RECORDS = 400_000;
/** Source partition whose log start is moved above zero before strait starts. */
const TRIMMED = 1;

/** Record ids by offset of each range (offset -> id). */
async function idsByOffset(bootstrap: string, ranges: PartitionRange[]): Promise<Map<number, string>[]> {
  const out = ranges.map(() => new Map<number, string>());
  await scanPartitions(bootstrap, ranges, (i, m) => out[i].set(m.offset, recordId(m)));
  return out;
}

async function bounds(bootstrap: string, topic: string, partitions: number): Promise<PartitionRange[]> {
  return partitionRanges('test', bootstrap, Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

void test('offset-preserving: kill -9 three times; identical offsets and records; a group switches clusters with the same offsets', { timeout: 10 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const topic = uniqueName('preserve');
  const remote = `source.${topic}`;
  const appGroup = `${topic}-app`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  const targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => {
    admin.close();
    targetAdmin.close();
  });
  await admin.createTopic(topic, PARTITIONS, 1);
  const bursts = 4;
  const perBurst = RECORDS / bursts;
  // The first burst is on the source before strait starts; part of one partition is deleted.
  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, 0, perBurst, topic);
  const logStart = Math.floor(perBurst / PARTITIONS / 2);
  assert.equal(await admin.deleteRecords(topic, TRIMMED, logStart), logStart);

  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, {
    include: [topic],
    groupId: `${topic}-group`,
    workers: 2,
    engine: { maxInFlightRecordsPerWorker: 20_000 },
    extraFlow: { mode: 'offset-preserving', groups: { include: [appGroup] }, checkpoints: { interval: '1s' }, syncGroupOffsets: { enabled: true, interval: '1s' } },
  });
  let running: StraitProcess | undefined;
  t.after(() => running?.kill('SIGKILL'));
  const { last, killedLogs: logs } = await runWithKills(
    config,
    bursts,
    (k) => (k === 0 ? Promise.resolve() : produceRecords(clusters.source.bootstrap, topic, PARTITIONS, k * perBurst, perBurst, topic)),
    (k) => 700 + k * 300,
    (p) => (running = p),
  );
  assert.match(logs[0], new RegExp(`aligned ${remote}-${TRIMMED} with the source log start ${logStart}`), 'the first run aligned the trimmed partition');
  const pairs = [{ source: topic, target: remote, partitions: PARTITIONS }];
  // No duplicates in this mode, so the target's end offsets are the measure.
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 5 * 60_000);

  // A consumer group of the application, at a position on the source; for the trimmed
  // partition one just above the log start (below anything the last process replicated).
  const srcRanges = await bounds(clusters.source.bootstrap, topic, PARTITIONS);
  const positions = srcRanges.map((r) => ({ topic, partition: r.partition, offset: r.partition === TRIMMED ? r.start + 3 : Math.floor(r.end / 3) }));
  await admin.commitGroupOffsets(appGroup, positions, { 'bootstrap.servers': clusters.source.bootstrap });
  // strait copies them 1:1 to the same group on the target.
  await until('group offsets copied to the target', 60_000, async () => {
    const now = new Map((await targetAdmin.groupOffsets(appGroup)).map((o) => [o.partition, o.offset]));
    return positions.every((p) => now.get(p.partition) === p.offset);
  });
  last.kill('SIGTERM');
  assert.equal((await last.exited).code, 0, last.tail());
  assert.doesNotMatch(last.log() + logs.join(''), /stopped \(offset-preserving mode\)|no longer preserves offsets|DATA LOSS/);

  const tgtRanges = await bounds(clusters.target.bootstrap, remote, PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(tgtRanges[p].start, srcRanges[p].start, `${remote}-${p}: target log start ${tgtRanges[p].start}, source ${srcRanges[p].start}`);
    assert.equal(tgtRanges[p].end, srcRanges[p].end, `${remote}-${p}: target end ${tgtRanges[p].end}, source ${srcRanges[p].end}`);
  }
  assert.equal(srcRanges[TRIMMED].start, logStart);
  const src = await idsByOffset(clusters.source.bootstrap, srcRanges);
  const tgt = await idsByOffset(clusters.target.bootstrap, tgtRanges);
  let compared = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(tgt[p].size, src[p].size, `${remote}-${p}: ${tgt[p].size} records on the target, ${src[p].size} on the source`);
    for (const [offset, id] of src[p]) {
      assert.equal(tgt[p].get(offset), id, `${remote}-${p} offset ${offset}: the target record differs from the source's (or is missing)`);
      compared++;
    }
  }
  assert.equal(compared, RECORDS - logStart);
  t.diagnostic(`${compared} records identical at identical offsets after ${bursts - 1} kills; ${remote}-${TRIMMED} starts at ${logStart}`);

  // The application switches clusters: the same group on the target, from its committed
  // offsets there, reads exactly the source's records from P on.
  const committed = new Map((await targetAdmin.groupOffsets(appGroup)).map((o) => [o.partition, o.offset]));
  const fromP = (ranges: PartitionRange[]) => ranges.map((r) => ({ ...r, start: committed.get(r.partition)! }));
  const rest = async (bootstrap: string, ranges: PartitionRange[]) => {
    const lists = ranges.map(() => [] as string[]);
    await scanPartitions(bootstrap, ranges, (i, m) => lists[i].push(`${m.offset}:${recordId(m)}`));
    return lists;
  };
  const restTarget = await rest(clusters.target.bootstrap, fromP(tgtRanges));
  const restSource = await rest(clusters.source.bootstrap, fromP(srcRanges));
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(committed.get(p), positions[p].offset);
    assert.equal(restTarget[p].length, srcRanges[p].end - positions[p].offset, `partition ${p}: the switched consumer reads every remaining record once`);
    assert.deepEqual(restTarget[p], restSource[p], `partition ${p}: the switched consumer reads exactly the source's records from ${positions[p].offset}`);
  }
});

void test('offset-preserving: a foreign record on the target stops that partition naming the offset; onDivergence: translate goes on', { timeout: 5 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const topic = uniqueName('preserve-div');
  const remote = `source.${topic}`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  await admin.createTopic(topic, 2, 1);
  await produceRecords(clusters.source.bootstrap, topic, 2, 0, 1000, topic);
  const spec = { include: [topic], groupId: `${topic}-group`, workers: 1, extraFlow: { mode: 'offset-preserving' } };
  const pairs = [{ source: topic, target: remote, partitions: 2 }];
  let running: StraitProcess | undefined;
  t.after(() => running?.kill('SIGKILL'));

  running = new StraitProcess(writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, spec));
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, pairs, 60_000);
  running.kill('SIGTERM');
  assert.equal((await running.exited).code, 0, running.tail());

  // Someone else writes one record to partition 0 of the remote topic (at offset 500).
  await produceRecords(clusters.target.bootstrap, remote, 2, 0, 1, 'foreign');
  await produceRecords(clusters.source.bootstrap, topic, 2, 1000, 1000, topic);

  running = new StraitProcess(writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, spec));
  await running.waitForLog(new RegExp(`partition ${topic}-0 stopped \\(offset-preserving mode\\) at offset 500 of ${remote}: the target's record at offset 500 differs from the source's`));
  // Partition 1 goes on with offsets preserved; partition 0 is not written to.
  await until('partition 1 caught up', 60_000, async () => {
    const [s] = await bounds(clusters.source.bootstrap, topic, 2).then((r) => r.slice(1));
    const [g] = await bounds(clusters.target.bootstrap, remote, 2).then((r) => r.slice(1));
    return g.end === s.end;
  });
  const held = await bounds(clusters.target.bootstrap, remote, 2);
  assert.equal(held[0].end, 501, 'nothing was written after the foreign record');
  running.kill('SIGTERM');
  assert.equal((await running.exited).code, 0, running.tail());

  running = new StraitProcess(writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { ...spec, extraFlow: { mode: 'offset-preserving', onDivergence: 'translate' } }));
  await running.waitForLog(new RegExp(`partition ${topic}-0 continues WITHOUT preserving offsets \\(onDivergence: translate\\) from the flow's committed position 500: at offset 500`));
  // Translated: the source's 1000 records of partition 0 plus the foreign one.
  await until('partition 0 replicated with translation', 60_000, async () => (await bounds(clusters.target.bootstrap, remote, 2))[0].end === 1001);
  running.kill('SIGTERM');
  assert.equal((await running.exited).code, 0, running.tail());
  const [src] = await idsByOffset(clusters.source.bootstrap, (await bounds(clusters.source.bootstrap, topic, 2)).slice(0, 1));
  const [tgt] = await idsByOffset(clusters.target.bootstrap, (await bounds(clusters.target.bootstrap, remote, 2)).slice(0, 1));
  for (let o = 0; o < 1000; o++) assert.equal(tgt.get(o < 500 ? o : o + 1), src.get(o), `source offset ${o}`);
});

/** One committed transaction of `count` records on partition 0: offsets 0..count-1, its marker at `count`. */
async function produceTransaction(bootstrap: string, topic: string, count: number): Promise<void> {
  const p = new rdkafka.Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': uniqueName('tx'), dr_cb: true });
  await new Promise<void>((resolve, reject) => p.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  p.setPollInterval(10);
  await new Promise<void>((resolve, reject) => p.initTransactions(30_000, (err) => (err ? reject(new Error(err.message)) : resolve())));
  await new Promise<void>((resolve, reject) => p.beginTransaction((err) => (err ? reject(new Error(err.message)) : resolve())));
  for (let i = 0; i < count; i++) p.produce(topic, 0, Buffer.from(`tx${i}`), Buffer.from(`k${i}`), Date.now());
  await new Promise<void>((resolve, reject) => p.commitTransaction(30_000, (err) => (err ? reject(new Error(err.message)) : resolve())));
  await new Promise<void>((resolve) => p.disconnect(() => resolve()));
}

void test('offset-preserving: a transaction marker in the source stops the partition at that offset while copying; translate goes on', { timeout: 5 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const topic = uniqueName('preserve-hole');
  const remote = `source.${topic}`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  await admin.createTopic(topic, 1, 1);
  await produceTransaction(clusters.source.bootstrap, topic, 10);
  await produceRecords(clusters.source.bootstrap, topic, 1, 0, 100, topic);
  const [src] = await bounds(clusters.source.bootstrap, topic, 1);
  assert.equal(src.end, 111, '10 records, a marker, 100 records');
  const spec = { include: [topic], groupId: `${topic}-group`, workers: 1, extraFlow: { mode: 'offset-preserving' } };
  let running: StraitProcess | undefined;
  t.after(() => running?.kill('SIGKILL'));

  running = new StraitProcess(writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, spec));
  await running.waitForLog(new RegExp(`partition ${topic}-0 stopped at offset 10 \\(offset-preserving mode\\): .*has no record at offset 10 \\(the next record is at 11\\)`));
  await until('the records before the hole are on the target', 30_000, async () => (await bounds(clusters.target.bootstrap, remote, 1))[0].end === 10);
  running.kill('SIGTERM');
  assert.equal((await running.exited).code, 0, running.tail());
  assert.equal((await bounds(clusters.target.bootstrap, remote, 1))[0].end, 10, 'nothing after the hole was written');

  running = new StraitProcess(writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { ...spec, extraFlow: { mode: 'offset-preserving', onDivergence: 'translate' } }));
  await running.waitForLog(new RegExp(`partition ${topic}-0 no longer preserves offsets from offset 10 on \\(onDivergence: translate\\)`));
  await until('the rest replicated with translation', 60_000, async () => (await bounds(clusters.target.bootstrap, remote, 1))[0].end === 110);
  running.kill('SIGTERM');
  assert.equal((await running.exited).code, 0, running.tail());
});
