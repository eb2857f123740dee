/**
 * Offset-preserving start decisions (src/coordinator/preserve.ts): every case of where a
 * partition resumes, and PreserveStarter carrying them out over fake adapters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { decideStart, isFiller, PreserveStarter, recordDifference, recordsToRead, type LogBounds, type PreserveAdapters, type StartInput } from '../../src/coordinator/preserve.js';
import { FILLER_HEADER } from '../../src/kafka/filler.js';
import type { FullRecord } from '../../src/kafka/record-at.js';
import { partitionKey } from '../../src/util/partition-key.js';

function r(offset: number, extra: Partial<FullRecord> = {}): FullRecord {
  return { offset, key: Buffer.from(`k${offset}`), value: Buffer.from(`v${offset}`), timestamp: 1000 + offset, headers: [['h', Buffer.from('x')]], ...extra };
}
const filler = (offset: number): FullRecord => ({ offset, key: null, value: Buffer.alloc(0), timestamp: 5, headers: [[FILLER_HEADER, Buffer.alloc(0)]] });
const b = (logStart: number, end: number): LogBounds => ({ logStart, end });
const decide = (i: Partial<StartInput> & Pick<StartInput, 'source' | 'target'>) => decideStart({ onDivergence: 'stop-partition', ...i });

test('empty target, source from 0: start at 0', () => {
  assert.deepEqual(decide({ source: b(0, 100), target: b(0, 0) }), { action: 'start', offset: 0 });
  assert.deepEqual(decide({ source: b(0, 0), target: b(0, 0) }), { action: 'start', offset: 0 });
});

test('empty target, source log start L > 0: align with L fillers, then start at L', () => {
  assert.deepEqual(decide({ source: b(5_000_000, 5_000_100), target: b(0, 0) }), { action: 'align', from: 0, to: 5_000_000 });
});

test('target end E > 0 whose last record equals the source record E-1: resume at E', () => {
  assert.deepEqual(decide({ source: b(0, 100), target: b(0, 40), targetLast: r(39), sourceAtLast: r(39) }), { action: 'start', offset: 40 });
  // Aligned partitions too: target log start L, records L..E-1.
  assert.deepEqual(decide({ source: b(1000, 2000), target: b(1000, 1500), targetLast: r(1499), sourceAtLast: r(1499) }), { action: 'start', offset: 1500 });
  // Caught up.
  assert.deepEqual(decide({ source: b(0, 40), target: b(0, 40), targetLast: r(39), sourceAtLast: r(39) }), { action: 'start', offset: 40 });
});

test('a last record that differs is a foreign writer: stop naming the offset and the field, or translate', () => {
  for (const [other, field] of [
    [r(39, { key: Buffer.from('other') }), /key/],
    [r(39, { value: null }), /value/],
    [r(39, { timestamp: 7 }), /timestamp \(7 vs 1039\)/],
    [r(39, { headers: [] }), /headers \(0 vs 1\)/],
    [r(39, { headers: [['h', Buffer.from('y')]] }), /header 1 \("h"\)/],
  ] as const) {
    const d = decide({ source: b(0, 100), target: b(0, 40), targetLast: other, sourceAtLast: r(39) });
    assert.equal(d.action, 'stop');
    assert.ok(d.action === 'stop');
    assert.equal(d.offset, 39);
    assert.match(d.reason, field);
    assert.match(d.reason, /another producer wrote to the target/);
  }
  const t = decideStart({ source: b(0, 100), target: b(0, 40), targetLast: r(39, { key: null }), sourceAtLast: r(39), onDivergence: 'translate' });
  assert.equal(t.action, 'translate');
});

test('a target longer than the source diverges at the source end', () => {
  const d = decide({ source: b(0, 10), target: b(0, 12), targetLast: r(11), sourceAtLast: undefined });
  assert.ok(d.action === 'stop');
  assert.equal(d.offset, 10);
  assert.match(d.reason, /beyond the source's end 10/);
});

test('a hole in the source at E-1 diverges', () => {
  const d = decide({ source: b(0, 100), target: b(0, 40), targetLast: r(39), sourceAtLast: r(41) });
  assert.ok(d.action === 'stop');
  assert.equal(d.offset, 39);
  assert.match(d.reason, /source has no record at offset 39/);
});

test('the target ends with a marker, not a record: diverged', () => {
  const d = decide({ source: b(0, 100), target: b(0, 40), targetLast: undefined });
  assert.ok(d.action === 'stop');
  assert.match(d.reason, /holds no record/);
});

test('E < source log start: data loss; stop by default, fill and continue with translate', () => {
  const d = decide({ source: b(500, 900), target: b(0, 300), targetLast: r(299) });
  assert.ok(d.action === 'stop');
  assert.equal(d.offset, 300);
  assert.match(d.reason, /deleted offsets 300\.\.499/);
  assert.match(d.reason, /lost/);
  assert.deepEqual(decideStart({ source: b(500, 900), target: b(0, 300), targetLast: r(299), onDivergence: 'translate' }), { action: 'align', from: 300, to: 500, lost: { from: 300, to: 500 } });
  // Same with an emptied target (its log start == end).
  assert.ok(decide({ source: b(500, 900), target: b(300, 300) }).action === 'stop');
});

test('E == source log start: nothing lost, resume at E without a record to compare', () => {
  const d = decide({ source: b(300, 900), target: b(0, 300), targetLast: r(299) });
  assert.equal(d.action, 'start');
  assert.ok(d.action === 'start');
  assert.equal(d.offset, 300);
  assert.match(d.note ?? '', /no longer holds offset 299/);
});

test('an interrupted alignment (fillers at the end) is continued; fillers past the source log start are foreign', () => {
  assert.deepEqual(decide({ source: b(1000, 1200), target: b(0, 400), targetLast: filler(399) }), { action: 'align', from: 400, to: 1000 });
  // All fillers written, DeleteRecords not done yet.
  assert.deepEqual(decide({ source: b(1000, 1200), target: b(0, 1000), targetLast: filler(999) }), { action: 'align', from: 1000, to: 1000 });
  const d = decide({ source: b(100, 1200), target: b(0, 400), targetLast: filler(399), sourceAtLast: r(399) });
  assert.ok(d.action === 'stop');
  assert.match(d.reason, /strait filler/);
});

test('an aligned target with nothing copied yet (log start == end == L) resumes at L', () => {
  assert.deepEqual(decide({ source: b(1000, 1200), target: b(1000, 1000) }), { action: 'start', offset: 1000, note: undefined });
});

test('recordsToRead asks only for records that exist', () => {
  assert.deepEqual(recordsToRead(b(0, 10), b(0, 0)), {});
  assert.deepEqual(recordsToRead(b(0, 10), b(0, 5)), { target: 4, source: 4 });
  assert.deepEqual(recordsToRead(b(5, 10), b(0, 5)), { target: 4 });
  assert.deepEqual(recordsToRead(b(0, 10), b(5, 5)), { source: 4 });
  assert.deepEqual(recordsToRead(b(0, 3), b(0, 5)), { target: 4 });
});

test('isFiller and recordDifference', () => {
  assert.equal(isFiller(filler(3)), true);
  assert.equal(isFiller(r(3)), false);
  assert.equal(isFiller({ ...filler(3), key: Buffer.from('k') }), false);
  assert.equal(recordDifference(r(3), r(3)), undefined);
  assert.equal(recordDifference(r(3, { key: null }), r(3, { key: null })), undefined);
});

class FakeAdapters implements PreserveAdapters {
  calls: string[] = [];
  constructor(
    private readonly src: Map<string, LogBounds>,
    private readonly tgt: Map<string, LogBounds>,
    private readonly records: Map<string, FullRecord> = new Map(),
  ) {}
  bounds(side: 'source' | 'target'): Promise<Map<string, LogBounds>> {
    return Promise.resolve(side === 'source' ? this.src : this.tgt);
  }
  readRecord(side: 'source' | 'target', topic: string, partition: number, offset: number): Promise<FullRecord | undefined> {
    this.calls.push(`read ${side} ${topic}-${partition}@${offset}`);
    return Promise.resolve(this.records.get(`${side}/${topic}/${partition}/${offset}`));
  }
  writeFillers(topic: string, partition: number, from: number, to: number): Promise<void> {
    this.calls.push(`fill ${topic}-${partition} ${from}..${to}`);
    const b = this.tgt.get(partitionKey(topic, partition))!;
    b.end = to;
    return Promise.resolve();
  }
  deleteRecords(topic: string, partition: number, before: number): Promise<number> {
    this.calls.push(`delete ${topic}-${partition} <${before}`);
    return Promise.resolve(before);
  }
}

const silent = pino({ level: 'silent' });

test('PreserveStarter: aligns, resumes, stops and falls back to the committed offset for translation', async () => {
  const src = new Map([
    [partitionKey('t', 0), b(0, 10)],
    [partitionKey('t', 1), b(1000, 1010)],
    [partitionKey('t', 2), b(0, 10)],
  ]);
  const tgt = new Map([
    [partitionKey('s.t', 0), b(0, 4)],
    [partitionKey('s.t', 1), b(0, 0)],
    [partitionKey('s.t', 2), b(0, 4)],
  ]);
  const recs = new Map([
    ['target/s.t/0/3', r(3)],
    ['source/t/0/3', r(3)],
    ['target/s.t/2/3', r(3, { value: Buffer.from('foreign') })],
    ['source/t/2/3', r(3)],
  ]);
  const parts = [0, 1, 2].map((partition) => ({ topic: 't', partition, targetTopic: 's.t', committed: 2 }));
  const a = new FakeAdapters(src, tgt, recs);
  const stop = await new PreserveStarter(a, 'stop-partition', silent, 'f').starts(parts);
  assert.deepEqual(stop.get(partitionKey('t', 0)), { offset: 4, preserve: true });
  assert.deepEqual(stop.get(partitionKey('t', 1)), { offset: 1000, preserve: true });
  const stopped = stop.get(partitionKey('t', 2));
  assert.ok(stopped && 'stopped' in stopped);
  assert.equal(stopped.offset, 3);
  assert.match(stopped.reason, /offset 3: .*differs from the source's in its value/);
  assert.equal(stopped.retry, undefined, 'a divergence is not tried again');
  assert.ok(a.calls.includes('fill s.t-1 0..1000'));
  assert.ok(a.calls.indexOf('delete s.t-1 <1000') > a.calls.indexOf('fill s.t-1 0..1000'), 'fillers are acknowledged before DeleteRecords');

  tgt.set(partitionKey('s.t', 1), b(1000, 1000));
  const tr = await new PreserveStarter(new FakeAdapters(src, tgt, recs), 'translate', silent, 'f').starts(parts);
  const p2 = tr.get(partitionKey('t', 2));
  assert.ok(p2 && !('stopped' in p2));
  assert.equal(p2.offset, 2, 'translation resumes from the flow group commit');
  assert.equal(p2.preserve, false);
  assert.deepEqual(tr.get(partitionKey('t', 1)), { offset: 1000, preserve: true });
});

test('PreserveStarter: a failing adapter holds that partition with the reason, others go on', async () => {
  const src = new Map([[partitionKey('t', 0), b(5, 10)], [partitionKey('t', 1), b(0, 10)]]);
  const tgt = new Map([[partitionKey('s.t', 0), b(0, 0)], [partitionKey('s.t', 1), b(0, 0)]]);
  const a = new FakeAdapters(src, tgt);
  a.writeFillers = () => Promise.reject(new Error('after writing filler records up to offset 4 the partition ends at offset 6 instead of 5'));
  const out = await new PreserveStarter(a, 'stop-partition', silent, 'f').starts(
    [0, 1].map((partition) => ({ topic: 't', partition, targetTopic: 's.t', committed: undefined })),
  );
  const p0 = out.get(partitionKey('t', 0));
  assert.ok(p0 && 'stopped' in p0);
  assert.match(p0.reason, /ends at offset 6 instead of 5.*; trying again every 5 s/);
  assert.equal(p0.retry, true, 'a failed alignment is tried again');
  assert.deepEqual(out.get(partitionKey('t', 1)), { offset: 0, preserve: true });
});

test('PreserveStarter: log offsets are retried (a just-created remote topic), then the partitions are held with the reason', async () => {
  const src = new Map([[partitionKey('t', 0), b(0, 10)]]);
  const tgt = new Map([[partitionKey('s.t', 0), b(0, 0)]]);
  const parts = [{ topic: 't', partition: 0, targetTopic: 's.t', committed: undefined }];
  let failures = 2;
  const flaky = new FakeAdapters(src, tgt);
  const real = flaky.bounds.bind(flaky);
  flaky.bounds = (side) => (side === 'target' && failures-- > 0 ? Promise.reject(new Error('Broker: Unknown topic or partition')) : real(side));
  assert.deepEqual((await new PreserveStarter(flaky, 'stop-partition', silent, 'f', 3).starts(parts)).get(partitionKey('t', 0)), { offset: 0, preserve: true });
  const down = new FakeAdapters(src, tgt);
  down.bounds = () => Promise.reject(new Error('Broker: Unknown topic or partition'));
  const held = (await new PreserveStarter(down, 'stop-partition', silent, 'f', 2).starts(parts)).get(partitionKey('t', 0));
  assert.ok(held && 'stopped' in held);
  assert.match(held.reason, /cannot read the log offsets.*Unknown topic or partition; trying again every 5 s/);
  assert.equal(held.retry, true, 'a cluster that did not answer is asked again later');
});

test('PreserveStarter: a DeleteRecords that leaves the target log start elsewhere holds the partition, naming both offsets', async () => {
  const src = new Map([[partitionKey('t', 0), b(700, 710)]]);
  const tgt = new Map([[partitionKey('s.t', 0), b(0, 0)]]);
  const a = new FakeAdapters(src, tgt);
  // A broker that answers with another low watermark (e.g. a concurrent DeleteRecords by someone else).
  a.deleteRecords = (topic, partition, before) => (a.calls.push(`delete ${topic}-${partition} <${before}`), Promise.resolve(before - 1));
  const held = (await new PreserveStarter(a, 'stop-partition', silent, 'f').starts([{ topic: 't', partition: 0, targetTopic: 's.t', committed: undefined }])).get(partitionKey('t', 0));
  assert.ok(held && 'stopped' in held, 'not started');
  assert.match(held.reason, /DeleteRecords before 700 left the log start of s\.t-0 at 699/);
  assert.equal(held.retry, true);
  assert.deepEqual(a.calls, ['fill s.t-0 0..700', 'delete s.t-0 <700']);
});
