/** The pure parts of `strait demo`: pacing, sample records, the verdict, the status line, the built-in config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TokenBucket } from '../../src/demo/pacer.js';
import { mix, partitionForKey, sampleRecord, topicKind, TOPIC_KINDS } from '../../src/demo/records.js';
import { diffRecordIds, formatVerdict, MAX_LISTED, type PartitionComparison } from '../../src/demo/verdict.js';
import { formatDemoStatus, formatElapsed, StatusLine, topicsView } from '../../src/demo/status.js';
import type { FlowSnapshot, PartitionSnapshot } from '../../src/coordinator/snapshot.js';
import { localFlowConfig } from '../../src/demo/config.js';
import { hashRecord, recordId } from '../../src/demo/digest.js';
import { newRunId } from '../../src/demo/demo.js';
import { numberOption } from '../../src/cli/commands/demo.js';
import { remoteTopicName, shouldReplicateTopic } from '../../src/mirror/policy.js';
import type { FlowSummary } from '../../src/metrics/summary.js';

/** Drives a bucket with ticks of `tickMs` for `ms`, taking everything available; returns the total taken. */
function drive(bucket: TokenBucket, start: number, ms: number, tickMs: number): number {
  let taken = 0;
  for (let t = start + tickMs; t <= start + ms; t += tickMs) {
    const n = bucket.available(t);
    bucket.take(n);
    taken += n;
  }
  return taken;
}

void test('token bucket: a steady rate whatever the tick, fractions carried over', () => {
  assert.equal(drive(new TokenBucket(1000, 0), 0, 10_000, 10), 10_000);
  assert.equal(drive(new TokenBucket(1000, 0), 0, 10_003, 7), 10_003 - (10_003 % 7));
  assert.equal(drive(new TokenBucket(0.5, 0), 0, 10_000, 100), 5, 'one record every two seconds');
  assert.equal(drive(new TokenBucket(333, 0), 0, 3_000, 10), 999);
});

void test('token bucket: nothing is owed at the start, and a pause does not turn into a burst', () => {
  const b = new TokenBucket(1000, 0);
  assert.equal(b.available(0), 0);
  assert.equal(b.burst, 200, 'default burst: 0.2 s worth');
  // A 5 s stall: only the burst is available afterwards, the rest is counted as skipped.
  assert.equal(b.available(5_000), 200);
  assert.equal(b.skipped, 4_800);
  b.take(200);
  assert.equal(b.available(5_010), 10, 'then back to the steady rate');
  // Tokens left untaken stay, up to the burst.
  assert.equal(b.available(5_100), 100);
  assert.equal(new TokenBucket(1, 0, 0.2).burst, 1, 'the burst is at least one record');
});

void test('token bucket: refuses a rate or burst that is not positive', () => {
  assert.throws(() => new TokenBucket(0, 0), /rate must be a positive number/);
  assert.throws(() => new TokenBucket(Number.NaN, 0), /rate must be a positive number/);
  assert.throws(() => new TokenBucket(10, 0, 0), /burst must be a positive/);
});

void test('sample records: deterministic, with keys, null keys, tombstones, headers and the given timestamp', () => {
  const a = sampleRecord('orders', 42, 4, 1_700_000_000_000);
  assert.deepEqual(a, sampleRecord('orders', 42, 4, 1_700_000_000_000));
  assert.equal(a.timestamp, 1_700_000_000_000);
  assert.match(a.key!.toString(), /^customer-\d+$/);
  assert.equal(a.partition, partitionForKey(a.key!, 4));
  assert.ok(a.value!.length >= 80);
  assert.equal((JSON.parse(a.value!.toString()) as { seq: number }).seq, 42);
  assert.deepEqual(a.headers![0], { 'demo-seq': Buffer.from('42') });

  const records = Array.from({ length: 1000 }, (_, i) => sampleRecord('clicks', i, 3, 1_000 + i));
  const nullKeys = records.filter((r) => r.key === null);
  const tombstones = records.filter((r) => r.key !== null && r.value === null);
  assert.equal(nullKeys.length, 40, 'every 25th record has no key');
  assert.ok(nullKeys.every((r) => r.value !== null));
  assert.equal(tombstones.length, 40, 'every 20th record is a tombstone, unless it has no key');
  assert.equal(records.filter((r) => r.headers!.some((h) => 'trace-id' in h)).length, 334);
  assert.equal(records.filter((r) => r.headers!.some((h) => h['retry'] === null)).length, 100);
  for (const p of [0, 1, 2]) assert.ok(records.filter((r) => r.partition === p).length > 250, `partition ${p} gets its share`);
  assert.ok(records.every((r) => r.partition >= 0 && r.partition < 3));
  const keys = new Set(records.map((r) => r.key?.toString()));
  assert.ok(keys.size < 1000, 'keys repeat, as in compacted topics');
  // The same key always goes to the same partition.
  const byKey = new Map<string, number>();
  for (const r of records) {
    if (!r.key) continue;
    const k = r.key.toString();
    assert.equal(byKey.get(k) ?? r.partition, r.partition, `key ${k}`);
    byKey.set(k, r.partition);
  }
});

void test('sample records: a fixed value size for the benchmark', () => {
  for (const seq of [1, 2, 3, 77]) assert.equal(sampleRecord('orders', seq, 1, 0, 1024).value!.length, 1024);
  assert.throws(() => sampleRecord('orders', 1, 0, 0), /partitions must be a positive integer/);
});

void test('topic kinds and helpers', () => {
  assert.deepEqual([0, 1, 2].map(topicKind), ['orders', 'payments', 'clicks']);
  assert.equal(topicKind(TOPIC_KINDS.length), `events-${TOPIC_KINDS.length + 1}`);
  assert.notEqual(mix(1), mix(2));
  assert.equal(mix(7), mix(7));
});

void test('record digest: every field counts, and field boundaries cannot shift', () => {
  const base = { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 5, headers: [{ h: Buffer.from('x') }] };
  const id = recordId(base);
  assert.equal(id.length, 20);
  assert.equal(recordId({ ...base }), id);
  assert.notEqual(recordId({ ...base, key: null }), id);
  assert.notEqual(recordId({ ...base, value: null }), id);
  assert.notEqual(recordId({ ...base, timestamp: 6 }), id);
  assert.notEqual(recordId({ ...base, headers: [{ h: Buffer.from('y') }] }), id);
  assert.notEqual(recordId({ ...base, headers: [] }), id);
  assert.notEqual(recordId({ ...base, key: Buffer.from('kv'), value: Buffer.from('') }), id);
  const h1 = createHash('sha256');
  const h2 = createHash('sha256');
  hashRecord(h1, { key: Buffer.from('ab'), value: Buffer.from('c'), timestamp: 1, headers: undefined });
  hashRecord(h2, { key: Buffer.from('a'), value: Buffer.from('bc'), timestamp: 1, headers: undefined });
  assert.notEqual(h1.digest('hex'), h2.digest('hex'));
});

void test('diff of record ids: missing, duplicates, unexpected, order', () => {
  const src = ['a', 'b', 'c', 'd'];
  assert.deepEqual(diffRecordIds(src, src), { missing: 0, duplicates: 0, unexpected: 0, outOfOrder: false });
  assert.deepEqual(diffRecordIds(src, ['a', 'b']), { missing: 2, duplicates: 0, unexpected: 0, outOfOrder: false });
  // At-least-once after a crash: a run re-sent after later records.
  assert.deepEqual(diffRecordIds(src, ['a', 'b', 'c', 'b', 'c', 'd']), { missing: 0, duplicates: 2, unexpected: 0, outOfOrder: false });
  assert.deepEqual(diffRecordIds(src, ['a', 'c', 'b', 'd']), { missing: 0, duplicates: 0, unexpected: 0, outOfOrder: true });
  assert.deepEqual(diffRecordIds(src, ['a', 'b', 'x', 'd']), { missing: 1, duplicates: 0, unexpected: 1, outOfOrder: false });
  // Two identical records on the source are not duplicates when both arrive.
  assert.deepEqual(diffRecordIds(['a', 'a', 'b'], ['a', 'a', 'b']), { missing: 0, duplicates: 0, unexpected: 0, outOfOrder: false });
  assert.deepEqual(diffRecordIds(['a', 'a', 'b'], ['a', 'b']), { missing: 1, duplicates: 0, unexpected: 0, outOfOrder: false });
});

function comparison(partition: number, sourceCount: number, extra: Partial<PartitionComparison> = {}): PartitionComparison {
  return { sourceTopic: 'demo.r.orders', targetTopic: 'source.demo.r.orders', partition, sourceCount, targetCount: sourceCount, identical: true, ...extra };
}

void test('verdict: identical partitions', () => {
  const v = formatVerdict(Array.from({ length: 12 }, (_, i) => comparison(i, i === 0 ? 123_456 - 11_000 : 1_000)));
  assert.equal(v.ok, true);
  assert.deepEqual(v.lines, ['verified: 123,456 records in 12 partitions, identical on target']);
  assert.deepEqual(formatVerdict([comparison(0, 1)]).lines, ['verified: 1 record in 1 partition, identical on target']);
});

void test('verdict: says what differs where', () => {
  const v = formatVerdict([
    comparison(0, 1_000),
    comparison(1, 1_000, { identical: false, targetCount: 800, diff: { missing: 200, duplicates: 0, unexpected: 0, outOfOrder: false } }),
    comparison(2, 1_000, { identical: false, targetCount: 1_003, diff: { missing: 0, duplicates: 3, unexpected: 0, outOfOrder: false } }),
    comparison(3, 10, { identical: false, targetCount: 0, problem: 'the remote topic does not exist on the target' }),
  ]);
  assert.equal(v.ok, false);
  assert.deepEqual(v.lines, [
    'NOT verified: 3 of 4 partitions differ (3,010 records on the source, 2,803 on the target; 210 missing, 3 duplicates)',
    '  demo.r.orders-1 -> source.demo.r.orders-1: 200 records missing on the target (source 1,000, target 800)',
    '  demo.r.orders-2 -> source.demo.r.orders-2: 3 duplicates (source 1,000, target 1,003)',
    '  demo.r.orders-3 -> source.demo.r.orders-3: the remote topic does not exist on the target (source 10, target 0)',
  ]);
  const order = formatVerdict([comparison(0, 5, { identical: false, diff: { missing: 0, duplicates: 0, unexpected: 0, outOfOrder: true } })]);
  assert.match(order.lines[1], /records out of source order/);
  const changed = formatVerdict([comparison(0, 5, { identical: false })]);
  assert.match(changed.lines[1], /content differs \(source 5, target 5\)/);
});

void test('verdict: long lists are cut, and no partitions is not a success', () => {
  const many = Array.from({ length: MAX_LISTED + 5 }, (_, i) => comparison(i, 1, { identical: false, targetCount: 0 }));
  const v = formatVerdict(many);
  assert.equal(v.lines.length, 1 + MAX_LISTED + 1);
  assert.equal(v.lines.at(-1), '  … and 5 more partitions');
  assert.equal(formatVerdict([]).ok, false);
});

const summary: FlowSummary = {
  flow: 'source->target',
  source: 'source',
  target: 'target',
  recordsPerSecond: 5001.4,
  megabytesPerSecond: 1.06,
  lagRecords: 212,
  lagSeconds: 0.1,
  p50Ms: 4,
  p99Ms: 18,
  partitions: 12,
  errors: 0,
  recordsFailed: 0,
};

void test('status line', () => {
  assert.equal(
    formatDemoStatus({ elapsedMs: 12_400, produced: 60_012, replicated: 59_800, summary, produceFailed: 0, behind: 0 }),
    '0:12  produced 60,012  replicated 59,800  5,001 rec/s  1.1 MB/s  lag 212 rec (0.1 s)  p50 4 ms  p99 18 ms',
  );
  assert.equal(formatDemoStatus({ elapsedMs: 0, produced: 0, replicated: 0, summary: undefined, produceFailed: 0, behind: 0, phase: 'catching up' }), '0:00  catching up  produced 0  replicated 0');
  const trouble = formatDemoStatus({
    elapsedMs: 3_725_000,
    produced: 1,
    replicated: 0,
    summary: { ...summary, lagRecords: null, p50Ms: null, p99Ms: null, errors: 2, recordsFailed: 7 },
    produceFailed: 3,
    behind: 1_500,
  });
  assert.equal(trouble, '1:02:05  produced 1  replicated 0  5,001 rec/s  1.1 MB/s  lag ?  p50 -  p99 -  2 partition(s) stopped  7 refused by target  3 refused by source  producer 1,500 behind');
  assert.equal(formatElapsed(59_999), '0:59');
  assert.equal(formatElapsed(600_000), '10:00');
});

function fakeStream(isTTY: boolean, columns = 40): { stream: NodeJS.WritableStream & { isTTY: boolean; columns: number }; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number };
  return { stream, written };
}

void test('status line output: redrawn in place on a terminal, plain lines elsewhere', () => {
  const tty = fakeStream(true, 20);
  const line = new StatusLine(tty.stream);
  line.show('short');
  line.show('a line longer than the terminal is wide');
  line.done();
  line.done();
  assert.deepEqual(tty.written, ['\r\x1b[Kshort', '\r\x1b[Ka line longer than…', '\n']);
  const pipe = fakeStream(false);
  const plain = new StatusLine(pipe.stream);
  plain.show('one');
  plain.show('two');
  plain.done();
  assert.deepEqual(pipe.written, ['one\n', 'two\n']);
});

void test('built-in configuration: only the run topics, its own group, no metrics port', () => {
  const topics = ['demo.20250101-000000-abcd.orders', 'demo.20250101-000000-abcd.payments'];
  const config = localFlowConfig({ sourceBootstrap: '127.0.0.1:1', targetBootstrap: '127.0.0.1:2', topics, groupId: 'strait-demo-x', engine: { workers: 1 } });
  const flow = config.flows[0];
  assert.equal(config.flows.length, 1);
  assert.equal(flow.groupId, 'strait-demo-x');
  assert.equal(config.engine.metrics.enabled, false);
  assert.equal(config.engine.workers, 1);
  assert.equal(config.engine.summaryIntervalMs, 1000);
  assert.equal(config.clusters.get('source')!.properties['bootstrap.servers'], '127.0.0.1:1');
  for (const t of topics) assert.ok(shouldReplicateTopic(t, flow), t);
  assert.ok(!shouldReplicateTopic('demo.20250101-000000-abcd.clicks', flow));
  assert.ok(!shouldReplicateTopic('demoX20250101-000000-abcd.orders', flow), 'dots are literal');
  assert.equal(remoteTopicName(flow, topics[0]), `source.${topics[0]}`);
});

void test('run ids are valid in topic names and differ', () => {
  const a = newRunId(new Date(2025, 0, 2, 3, 4, 5));
  assert.match(a, /^20250102-030405-[0-9a-f]{4}$/);
  assert.notEqual(newRunId(), newRunId());
});

void test('demo options: numbers within their range', () => {
  assert.equal(numberOption(undefined, 'rate', 5000, 1, 10, false), 5000);
  assert.equal(numberOption('2_000', 'rate', 5000, 1, 10_000, false), 2000);
  assert.equal(numberOption('0.5', 'rate', 1, 0.1, 10, false), 0.5);
  assert.throws(() => numberOption('0', 'topics', 3, 1, 20, true), /option --topics must be a whole number from 1 to 20 \(got "0"\)/);
  assert.throws(() => numberOption('2.5', 'topics', 3, 1, 20, true), /whole number/);
  assert.throws(() => numberOption('fast', 'rate', 3, 1, 20, false), /option --rate must be a number from 1 to 20/);
  assert.throws(() => numberOption('', 'duration', undefined, 1, 20, false), /option --duration/);
});

void test('status figures count the demo topics only (not heartbeats the flow also copies)', () => {
  const part = (topic: string, partition: number, records: number): PartitionSnapshot => ({
    topic,
    partition,
    targetTopic: `source.${topic}`,
    replicatedOffset: records,
    committedOffset: records,
    highWatermark: records,
    replicatedTimestamp: 1,
    records,
    bytes: records * 10,
    worker: 0,
    offsetRuns: 1,
  });
  const latency = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  const flow: FlowSnapshot = {
    name: 'source->target',
    source: 'source',
    target: 'target',
    mode: 'at-least-once',
    records: 1_111,
    bytes: 11_110,
    recordsFailed: 0,
    partitions: [part('demo.r.orders', 0, 100), part('demo.r.orders', 1, 10), part('heartbeats', 0, 1_000), part('demo.r.clicks', 0, 1)],
    replicationLatency: latency,
    relayLatency: latency,
    recentReplicationLatency: latency,
    commits: 0,
    commitErrors: 0,
    topics: 3,
  };
  const view = topicsView(flow, new Set(['demo.r.orders', 'demo.r.clicks']));
  assert.equal(view.records, 111);
  assert.equal(view.bytes, 1_110);
  assert.deepEqual(
    view.partitions.map((p) => `${p.topic}-${p.partition}`),
    ['demo.r.orders-0', 'demo.r.orders-1', 'demo.r.clicks-0'],
  );
  assert.equal(flow.records, 1_111, 'the snapshot itself is left alone');
});
