// Sampling a source cluster for strait plan, over a fake SourceProbe: rates from end offsets,
// sizes from the records read back, compression from log sizes, skew, idle topics, errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopicInfo } from '../../src/kafka/admin.js';
import type { RawRecord, ReadStart } from '../../src/kafka/reader.js';
import { localFlowConfig } from '../../src/demo/config.js';
import { recordsToRead, SampleError, sampleCluster, type SourceProbe } from '../../src/plan/sample.js';
import { silentProgress } from '../../src/sandbox/progress.js';
import { partitionKey } from '../../src/util/partition-key.js';

/** A cluster whose partitions grow by `perSec[p]` records/s of `value` bytes (8-byte keys, 10 header bytes), on a fake clock. */
function fakeCluster(topics: TopicInfo[], perSec: Record<string, number[]>, valueBytes: Record<string, number>, wire = 0.5) {
  let clock = 0;
  const ends = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const t of topics) for (let p = 0; p < t.partitions; p++) m.set(partitionKey(t.name, p), 1000 + Math.floor(((perSec[t.name]?.[p] ?? 0) * clock) / 1000));
    return m;
  };
  const reads: ReadStart[][] = [];
  const probe: SourceProbe = {
    cluster: 'east',
    topics: () => Promise.resolve(topics),
    ends: () => Promise.resolve(ends()),
    logSizes: () => {
      const sizes = new Map<string, number>();
      for (const [k, end] of ends()) {
        const topic = k.slice(0, k.lastIndexOf('\u0000'));
        sizes.set(k, end * (8 + (valueBytes[topic] ?? 0) + 10) * wire);
      }
      return Promise.resolve({ sizes, brokers: 3 });
    },
    records: (starts) => {
      reads.push([...starts]);
      const out = new Map<string, RawRecord[]>();
      for (const s of starts) {
        const end = ends().get(partitionKey(s.topic, s.partition))!;
        const n = Math.min(s.max, end - s.offset);
        out.set(partitionKey(s.topic, s.partition), Array.from({ length: n }, (_, i) => ({ offset: s.offset + i, key: Buffer.alloc(8), value: Buffer.alloc(valueBytes[s.topic]), timestamp: 0, headerBytes: 10 })));
      }
      return Promise.resolve(out);
    },
    close: () => Promise.resolve(),
  };
  return { probe, reads, now: () => clock, sleep: (ms: number) => ((clock += ms), Promise.resolve()) };
}

const flows = localFlowConfig({ sourceBootstrap: 'x:1', targetBootstrap: 'y:1', topics: ['orders', 'clicks', 'quiet'], groupId: 'g' }).flows;

test('rates, sizes, split, compression and skew per topic; idle topics are reported as idle', async () => {
  const topics = [
    { name: 'orders', partitions: 4 },
    { name: 'clicks', partitions: 2 },
    { name: 'quiet', partitions: 3 },
    { name: 'not-selected', partitions: 1 },
  ];
  const c = fakeCluster(topics, { orders: [400, 100, 100, 100], clicks: [50, 50], 'not-selected': [999] }, { orders: 982, clicks: 82, quiet: 1, 'not-selected': 5 });
  const w = await sampleCluster(c.probe, flows, { durationMs: 10_000, progress: silentProgress, now: c.now, sleep: c.sleep });
  assert.deepEqual(w.topics.map((t) => t.topic).sort(), ['clicks', 'orders', 'quiet']);
  assert.equal(w.sourceBrokers, 3);
  const orders = w.topics.find((t) => t.topic === 'orders')!;
  assert.equal(orders.recordsPerSec, 700);
  assert.equal(orders.meanRecordBytes, 1000);
  assert.equal(orders.p99RecordBytes, 1000);
  assert.equal(orders.bytesPerSec, 700_000);
  assert.ok(Math.abs(orders.wireBytesPerByte! - 0.5) < 1e-9);
  assert.deepEqual(orders.split, { key: 0.008, value: 0.982, headers: 0.01 });
  assert.deepEqual(orders.partitionRecordsPerSec, [400, 100, 100, 100]);
  assert.equal(orders.hottest.partition, 0);
  assert.ok(Math.abs(orders.hottest.share - 4 / 7) < 1e-9);
  assert.equal(orders.idle, false);
  const quiet = w.topics.find((t) => t.topic === 'quiet')!;
  assert.equal(quiet.idle, true);
  assert.equal(quiet.recordsPerSec, 0);
  assert.equal(quiet.meanRecordBytes, undefined);
  // Records are read back from where the sample started, bounded per partition.
  assert.equal(c.reads.length, 1);
  assert.ok(c.reads[0].every((s) => s.offset === 1000 && s.max === 2000));
  assert.equal(c.reads[0].length, 6); // the busy partitions only
});

test('the records read back stay bounded however many partitions are busy', () => {
  assert.equal(recordsToRead(10, 2000, 200_000), 2000);
  assert.equal(recordsToRead(10_000, 2000, 200_000), 20);
  assert.equal(recordsToRead(1_000_000, 2000, 200_000), 10);
  assert.equal(recordsToRead(0, 2000, 200_000), 0);
});

test('an unreachable cluster is named, with what to check, and sampling stops', async () => {
  const c = fakeCluster([{ name: 'orders', partitions: 1 }], {}, { orders: 1 });
  c.probe.topics = () => Promise.reject(new Error('Local: Broker transport failure'));
  await assert.rejects(
    sampleCluster(c.probe, flows, { durationMs: 1000, progress: silentProgress, now: c.now, sleep: c.sleep }),
    (e: unknown) => e instanceof SampleError && /source cluster "east"/.test(e.message) && /Broker transport failure/.test(e.message) && /clusters\.east/.test(e.message),
  );
});

test('a cluster without any selected topic says so', async () => {
  const c = fakeCluster([{ name: 'other', partitions: 1 }], {}, { other: 1 });
  await assert.rejects(sampleCluster(c.probe, flows, { durationMs: 1000, progress: silentProgress, now: c.now, sleep: c.sleep }), (e: unknown) => e instanceof SampleError && /no topic that the flows/.test(e.message));
});

test('log sizes that shrank (retention meanwhile) leave the compression unmeasured', async () => {
  const c = fakeCluster([{ name: 'orders', partitions: 1 }], { orders: [100] }, { orders: 92 });
  let calls = 0;
  c.probe.logSizes = () => Promise.resolve({ sizes: new Map([[partitionKey('orders', 0), calls++ === 0 ? 1e9 : 10]]), brokers: 1 });
  const w = await sampleCluster(c.probe, flows, { durationMs: 5000, progress: silentProgress, now: c.now, sleep: c.sleep });
  assert.equal(w.topics[0].wireBytesPerByte, undefined);
  assert.equal(w.topics[0].recordsPerSec, 100);
});

test('the progress line is live while sampling', async () => {
  const c = fakeCluster([{ name: 'orders', partitions: 1 }], { orders: [100] }, { orders: 92 });
  const lines: string[] = [];
  await sampleCluster(c.probe, flows, { durationMs: 12_000, progress: { update: (l) => lines.push(l), info: (l) => lines.push(l) }, now: c.now, sleep: c.sleep });
  assert.ok(lines.some((l) => /sampling 1 topic\(s\), 1 partition\(s\): 6 s of 12 s, 500 records appended so far/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /sampled 1 topic\(s\) for 12 s: 1 with traffic, 0 idle/.test(l)));
});
