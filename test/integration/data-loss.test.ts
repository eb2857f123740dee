/**
 * Data loss at the source and the recovery point, end to end: strait copies part of a topic and
 * stops; more records arrive; DeleteRecords (what retention does) moves the log start of some
 * partitions past strait's committed position; strait starts again. It must name the exact
 * missing range per partition (log line, metrics, status) and then, per flows[].onDataLoss, go on
 * from the new log start (everything from there arrives exactly) or stop that partition only.
 * The recovery point is small for caught-up partitions and grows in real time for a stopped one.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { fetchStatus, formatStatus } from '../../src/cli/commands/status.js';
import type { StatusDocument } from '../../src/metrics/server.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { BASE_TIMESTAMP, produceRecords, readPartition } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { metricsUrl, sample, scrape } from '../helpers/metrics-scrape.js';
import { waitForCatchUp } from '../helpers/replication.js';

const PARTITIONS = 3;
const PER_PARTITION = 100;

interface LogLine {
  msg: string;
  level: number;
  topic?: string;
  partition?: number;
  from?: number;
  to?: number;
  records?: number;
  onDataLoss?: string;
}

function lossLines(p: StraitProcess): LogLine[] {
  return p
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg.includes('DATA LOSS'));
}

/** waitForCatchUp on a group, retried while the fresh group's coordinator is not ready yet. */
async function waitForCommitted(source: string, target: string, topic: string, group: string): Promise<void> {
  const until = Date.now() + 90_000;
  for (;;) {
    try {
      await waitForCatchUp(source, target, [{ source: topic, target: `source.${topic}`, partitions: PARTITIONS }], 60_000, group);
      return;
    } catch (err) {
      if (Date.now() > until || !/coordinator/i.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Copies the first PER_PARTITION records of each partition with a first strait run, stops it,
 * produces PER_PARTITION more per partition, and deletes the records below `deleteBefore` (per
 * partition). Returns the full source sequences as they were before the deletion.
 */
async function prepare(
  t: TestContext,
  onDataLoss: 'continue' | 'stop-partition',
  deleteBefore: Map<number, number>,
): Promise<{ topic: string; group: string; config: string; sequences: number[][]; source: string; target: string }> {
  const clusters = await getClusters();
  const topic = uniqueName('loss');
  const group = `${topic}-group`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  await admin.createTopic(topic, PARTITIONS, 1);
  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [topic], groupId: group, workers: 2, metricsPort: 0, extraFlow: { onDataLoss } });

  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, 0, PARTITIONS * PER_PARTITION, topic);
  const first = new StraitProcess(config);
  t.after(() => first.kill('SIGKILL'));
  await waitForCommitted(clusters.source.bootstrap, clusters.target.bootstrap, topic, group);
  first.kill('SIGTERM');
  assert.equal((await first.exited).code, 0, first.tail());
  assert.deepEqual(lossLines(first), [], 'no loss reported while nothing was deleted');

  // While strait is not running: more records, then retention takes some before they are copied.
  await produceRecords(clusters.source.bootstrap, topic, PARTITIONS, PARTITIONS * PER_PARTITION, PARTITIONS * PER_PARTITION, topic);
  const sequences: number[][] = [];
  for (let p = 0; p < PARTITIONS; p++) sequences.push((await readPartition(clusters.source.bootstrap, topic, p)).sequences);
  const starts = await admin.deleteRecordsBefore([...deleteBefore].map(([partition, offset]) => ({ topic, partition, offset })));
  assert.deepEqual(
    starts.map((s) => [s.partition, s.offset]).sort(),
    [...deleteBefore].sort(),
    'the source log starts moved',
  );
  return { topic, group, config, sequences, source: clusters.source.bootstrap, target: clusters.target.bootstrap };
}

void test('onDataLoss: continue reports the exact missing ranges and copies everything from the new log start', { timeout: 5 * 60_000 }, async (t) => {
  const deleteBefore = new Map([
    [0, 150],
    [1, 120],
  ]);
  const { topic, group, config, sequences, source, target } = await prepare(t, 'continue', deleteBefore);
  const second = new StraitProcess(config);
  t.after(() => second.kill('SIGKILL'));
  const base = await metricsUrl(second);
  await waitForCommitted(source, target, topic, group);

  const lines = lossLines(second);
  const ranges = lines.map((l) => [l.topic, l.partition, l.from, l.to, l.records, l.onDataLoss]).sort();
  assert.deepEqual(ranges, [
    [topic, 0, 100, 150, 50, 'continue'],
    [topic, 1, 100, 120, 20, 'continue'],
  ]);
  for (const l of lines) {
    assert.equal(l.level, 50, 'an error line');
    assert.match(l.msg, new RegExp(`source offsets ${l.from} to ${l.to! - 1} \\(${l.records} records\\) were deleted by retention before strait copied them`));
    assert.match(l.msg, new RegExp(`continuing from offset ${l.to}`));
    assert.ok(l.msg.includes(topic) && l.msg.includes(`partition ${l.partition}`), l.msg);
  }

  // Everything that still exists at the source arrived, once, in order, after what was copied before.
  for (let p = 0; p < PARTITIONS; p++) {
    const start = deleteBefore.get(p) ?? PER_PARTITION;
    const expected = [...sequences[p].slice(0, PER_PARTITION), ...sequences[p].slice(start)];
    const got = (await readPartition(target, `source.${topic}`, p)).sequences;
    assert.deepEqual(got, expected, `partition ${p}`);
  }

  const labels = { flow: 'source->target', topic };
  const text = await waitFor('the loss in the metrics', async () => {
    const m = await scrape(base);
    return sample(m, 'strait_records_lost_total', { flow: 'source->target' }) === 70 ? m : undefined;
  });
  assert.equal(sample(text, 'strait_partition_records_lost_total', { ...labels, partition: '0' }), 50);
  assert.equal(sample(text, 'strait_partition_records_lost_total', { ...labels, partition: '1' }), 20);
  assert.equal(sample(text, 'strait_partition_records_lost_total', { ...labels, partition: '2' }), 0);
  assert.equal(sample(text, 'strait_partition_error', { ...labels, partition: '0' }), 0, 'continue does not stop the partition');

  // Caught up everywhere: the recovery point is about a stats interval, on every partition.
  const caughtUp = await waitFor('a small flow RPO', async () => {
    const m = await scrape(base);
    const rpo = sample(m, 'strait_flow_rpo_seconds', { flow: 'source->target' });
    return rpo !== undefined && rpo < 5 ? m : undefined;
  });
  for (let p = 0; p < PARTITIONS; p++) {
    const rpo = sample(caughtUp, 'strait_partition_rpo_seconds', { ...labels, partition: String(p) });
    assert.ok(rpo !== undefined && rpo < 5, `partition ${p} RPO ${rpo}`);
  }
  const cut = sample(caughtUp, 'strait_flow_consistent_cut_timestamp_seconds', { flow: 'source->target' })!;
  assert.ok(Math.abs(Date.now() / 1000 - cut) < 10, `cut ${cut} is recent`);

  const url = new URL(`${base}/status`);
  const doc: StatusDocument = await fetchStatus(url, 5000);
  const parts = doc.flows[0].partitions.filter((p) => p.topic === topic); // not MM2's heartbeats topic
  assert.deepEqual(
    parts.map((p) => [p.partition, p.recordsLost ?? 0, p.lastLoss ? [p.lastLoss.from, p.lastLoss.to] : null]),
    [
      [0, 50, [100, 150]],
      [1, 20, [100, 120]],
      [2, 0, null],
    ],
  );
  const printed = formatStatus(doc, url);
  assert.match(printed, /recovery point [\d.]+ s: everything produced before \S+ is on the target, except 70 records the source deleted before they were copied/);
  assert.match(printed, new RegExp(`${topic} +0 +200 +200 +0 +[\\d.]+ s +50 \\(100\\.\\.149\\)`));

  second.kill('SIGTERM');
  assert.equal((await second.exited).code, 0, second.tail());
  // The position moved past the missing range: a restart has nothing to report.
  const third = new StraitProcess(config);
  t.after(() => third.kill('SIGKILL'));
  await third.waitForLog(/assigned \d+ partition/);
  await new Promise((r) => setTimeout(r, 5000));
  third.kill('SIGTERM');
  assert.equal((await third.exited).code, 0, third.tail());
  assert.deepEqual(lossLines(third), [], 'the same loss is not reported again');
});

void test('onDataLoss: stop-partition stops only the partition that lost records; its RPO grows', { timeout: 5 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const { bootstrap: source } = clusters.source;
  const { bootstrap: target } = clusters.target;
  const topic = uniqueName('loss-stop');
  const group = `${topic}-group`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': source });
  t.after(() => admin.close());
  await admin.createTopic(topic, PARTITIONS, 1);
  const config = writeConfig(source, target, { include: [topic], groupId: group, workers: 2, metricsPort: 0, extraFlow: { onDataLoss: 'stop-partition' } });
  await produceRecords(source, topic, PARTITIONS, 0, PARTITIONS * PER_PARTITION, topic);
  const strait = new StraitProcess(config);
  t.after(() => {
    strait.child.kill('SIGCONT');
    strait.kill('SIGKILL');
  });
  const base = await metricsUrl(strait);
  await waitForCommitted(source, target, topic, group);
  const labels = { flow: 'source->target', topic };
  const rpo = (m: string, p: number) => sample(m, 'strait_partition_rpo_seconds', { ...labels, partition: String(p) });
  await waitFor('every partition caught up in the metrics', async () => {
    const m = await scrape(base);
    return [0, 1, 2].every((p) => (rpo(m, p) ?? Infinity) < 5) ? m : undefined;
  });

  // strait is paused (SIGSTOP) while records arrive and retention takes some of partition 0.
  // Its consumer's fetch request, sent before the pause, waits at the broker for new records and
  // is answered (into the paused process's socket) by the first append: whatever that answer holds
  // reaches strait before the deletion matters. So one record per partition goes first, and the
  // rest only once the broker has answered; the missing range then starts at 100 or 101 (101 when
  // the request was in flight), and the test reads which from what strait copied.
  strait.kill('SIGSTOP');
  const firstNew = PARTITIONS * PER_PARTITION;
  await produceRecords(source, topic, PARTITIONS, firstNew, PARTITIONS, topic);
  await new Promise((r) => setTimeout(r, 1000));
  await produceRecords(source, topic, PARTITIONS, firstNew + PARTITIONS, firstNew - PARTITIONS, topic);
  const sequences: number[][] = [];
  for (let p = 0; p < PARTITIONS; p++) sequences.push((await readPartition(source, topic, p)).sequences);
  await admin.deleteRecordsBefore([{ topic, partition: 0, offset: 130 }]);
  strait.kill('SIGCONT');

  await strait.waitForLog(/DATA LOSS/);
  const [line, ...more] = lossLines(strait);
  assert.deepEqual(more, []);
  const from = line.from!;
  assert.ok(from === PER_PARTITION || from === PER_PARTITION + 1, `the missing range starts at ${from}`);
  t.diagnostic(`the missing range starts at ${from}`);
  assert.deepEqual([line.topic, line.partition, line.from, line.to, line.records, line.onDataLoss], [topic, 0, from, 130, 130 - from, 'stop-partition']);
  assert.equal(line.level, 50, 'an error line');
  assert.match(line.msg, new RegExp(`source offsets ${from} to 129 \\(${130 - from} records\\) were deleted by retention before strait copied them`));
  assert.match(line.msg, /the partition is stopped \(onDataLoss: stop-partition\); the other partitions go on\. To resume, set onDataLoss: continue/);

  // The other partitions go on to the end; partition 0 keeps its committed position.
  const committed = await waitFor('partitions 1 and 2 committed to the end', async () => {
    const c = new Map((await admin.groupOffsets(group).catch(() => [])).filter((o) => o.topic === topic).map((o) => [o.partition, o.offset]));
    return c.get(1) === 2 * PER_PARTITION && c.get(2) === 2 * PER_PARTITION ? c : undefined;
  });
  assert.equal(committed.get(0), from, 'partition 0 stays at the missing range');
  for (const p of [1, 2]) assert.deepEqual((await readPartition(target, `source.${topic}`, p)).sequences, sequences[p], `partition ${p}`);
  const copied0 = (await readPartition(target, `source.${topic}`, 0)).sequences;
  assert.deepEqual(copied0, sequences[0].slice(0, from), 'partition 0: everything before the missing range, nothing after');

  const m1 = await waitFor('the stopped partition in the metrics', async () => {
    const m = await scrape(base);
    return sample(m, 'strait_partition_error', { ...labels, partition: '0' }) === 1 ? m : undefined;
  });
  assert.equal(sample(m1, 'strait_partition_records_lost_total', { ...labels, partition: '0' }), 130 - from);
  assert.equal(sample(m1, 'strait_records_lost_total', { flow: 'source->target' }), 130 - from);
  const doc = await fetchStatus(new URL(`${base}/status`), 5000);
  const p0 = doc.flows[0].partitions.find((p) => p.topic === topic && p.partition === 0);
  assert.match(p0?.error ?? '', new RegExp(`source offsets ${from} to 129 \\(${130 - from} records\\) were deleted by retention.*set onDataLoss: continue and restart to go on from offset 130`));

  // Recovery point: small on the caught-up partitions, and growing in real time on the stopped
  // one (behind: its newest copied record is its replicated-through time), which is the flow's.
  const before = await waitFor('partitions 1 and 2 caught up again in the metrics', async () => {
    const m = await scrape(base);
    return (rpo(m, 1) ?? Infinity) < 5 && (rpo(m, 2) ?? Infinity) < 5 ? m : undefined;
  });
  await new Promise((r) => setTimeout(r, 4500));
  const after = await scrape(base);
  const grew = rpo(after, 0)! - rpo(before, 0)!;
  assert.ok(grew >= 2 && grew <= 7, `the stopped partition's RPO grew by ${grew} s over about 4.5 s`);
  // Its newest copied record (sequence 297, or 300 when the paused fetch brought it) is stamped
  // BASE_TIMESTAMP + its sequence.
  const newest = BASE_TIMESTAMP + copied0[copied0.length - 1];
  assert.ok(Math.abs(rpo(after, 0)! - (Date.now() - newest) / 1000) < 5, `RPO ${rpo(after, 0)}`);
  assert.ok(rpo(after, 1)! < 5 && rpo(after, 2)! < 5, 'caught-up partitions stay small');
  assert.equal(sample(after, 'strait_flow_rpo_seconds', { flow: 'source->target' }), rpo(after, 0));
  assert.equal(sample(after, 'strait_flow_consistent_cut_timestamp_seconds', { flow: 'source->target' }), newest / 1000);

  strait.kill('SIGTERM');
  assert.equal((await strait.exited).code, 0, strait.tail());
});
