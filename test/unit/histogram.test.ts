import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import hdr from 'hdr-histogram-js';
import {
  FAST_RECORD_PATH,
  LATENCY_HIGHEST_MS,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  latencyBucketIndex,
  latencyQuantiles,
  mergeEncodedHistogram,
  recordLatencies,
  recordLatency,
  resetHistogram,
  takeEncodedHistogram,
} from '../../src/metrics/histogram.js';

void describe('latency histogram: quantiles of known distributions', () => {
  void it('uniform 1..1000 ms is exact below 2048 ms', () => {
    const h = createLatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) recordLatency(h, ms);
    assert.deepEqual(latencyQuantiles(h), { count: 1000, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000, mean: 500.5 });
  });

  void it('bimodal: 90% fast, 10% slow', () => {
    const h = createLatencyHistogram();
    recordLatencies(h, 5, 900);
    recordLatencies(h, 2000, 99);
    recordLatency(h, 2047);
    const q = latencyQuantiles(h);
    assert.equal(q.count, 1000);
    assert.equal(q.p50, 5);
    assert.equal(q.p90, 5);
    assert.equal(q.p99, 2000);
    assert.equal(q.p999, 2000);
    assert.equal(q.max, 2047);
  });

  void it('keeps 3 significant digits for large values and the exact max', () => {
    const h = createLatencyHistogram();
    for (let i = 0; i < 100; i++) recordLatency(h, 1_000_000 + i * 7);
    const q = latencyQuantiles(h);
    assert.ok(Math.abs(q.p50 - 1_000_350) <= 1_000_350 * 0.001, `p50 ${q.p50}`);
    assert.equal(q.max, 1_000_693);
  });

  void it('rounds to whole ms and clamps instead of throwing', () => {
    const h = createLatencyHistogram();
    recordLatency(h, -5); // source clock ahead of ours
    recordLatency(h, Number.NaN);
    recordLatency(h, 0.4);
    recordLatency(h, 1.6); // -> 2
    recordLatency(h, 4 * 3_600_000); // -> 1 h
    recordLatencies(h, 7, 0); // no-op
    assert.equal(h.totalCount, 5);
    assert.equal(latencyQuantiles(h).max, LATENCY_HIGHEST_MS);
    assert.equal(h.getValueAtPercentile(60), 0);
    assert.equal(h.getValueAtPercentile(80), 2);
  });

  void it('reports zeros when empty and after a reset', () => {
    const h = createLatencyHistogram();
    assert.deepEqual(latencyQuantiles(h), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    recordLatency(h, 10);
    resetHistogram(h);
    assert.equal(latencyQuantiles(h).count, 0);
    assert.equal(h.maxValue, 0);
  });
});

void describe('latency histogram: encode, decode, merge', () => {
  function sample(seed: number, n: number): number[] {
    // Log-normal-ish latencies, deterministic.
    let a = seed;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      const u = (a + 1) / 4294967297;
      out.push(Math.exp(2 + 3 * u * u));
    }
    return out;
  }

  void it('round-trips counts per bucket, quantiles and the exact max', () => {
    const h = createLatencyHistogram();
    for (const v of sample(7, 10_000)) recordLatency(h, v);
    recordLatency(h, 123_457); // an exact max in a coarse bucket
    const decoded = decodeHistogram(encodeHistogram(h));
    assert.deepEqual(latencyQuantiles(decoded), latencyQuantiles(h));
    assert.equal(decoded.maxValue, 123_457);
    for (let i = 0; i < h.countsArrayLength; i++) assert.equal(decoded.getCountAtIndex(i), h.getCountAtIndex(i), `bucket ${i}`);
  });

  void it('merging workers equals recording everything in one histogram', () => {
    const all = createLatencyHistogram('accumulator');
    const acc = createLatencyHistogram('accumulator');
    for (const seed of [1, 2, 3, 4]) {
      const worker = createLatencyHistogram();
      for (const v of sample(seed, 5000)) {
        recordLatency(worker, v * seed);
        recordLatency(all, v * seed);
      }
      assert.equal(mergeEncodedHistogram(acc, takeEncodedHistogram(worker)), 5000);
      assert.equal(worker.totalCount, 0, 'take resets the interval histogram');
    }
    assert.deepEqual(latencyQuantiles(acc), latencyQuantiles(all));
  });

  void it('is compact for a typical distribution and comes in its own transferable buffer', () => {
    const h = createLatencyHistogram();
    for (let i = 0; i < 100_000; i++) recordLatency(h, 3 + (i % 40) + (i % 1000 === 0 ? 500 : 0));
    const data = encodeHistogram(h);
    assert.ok(data.length < 200, `${data.length} bytes`);
    assert.equal(data.byteOffset, 0);
    assert.equal(data.buffer.byteLength, data.length);
    const empty = encodeHistogram(createLatencyHistogram());
    assert.equal(decodeHistogram(empty).totalCount, 0);
  });

  void it('carries counts above 2^32 exactly in accumulators', () => {
    const acc = createLatencyHistogram('accumulator');
    recordLatencies(acc, 10, 2 ** 33 + 1);
    recordLatencies(acc, 20, 5);
    const back = decodeHistogram(encodeHistogram(acc));
    assert.equal(back.totalCount, 2 ** 33 + 6);
    assert.equal(back.getValueAtPercentile(100), 20);
  });

  void it('refuses malformed input and leaves the accumulator unchanged', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i < 300; i++) recordLatency(h, i);
    const good = encodeHistogram(h);
    const acc = createLatencyHistogram('accumulator');
    assert.throws(() => mergeEncodedHistogram(acc, good.subarray(0, good.length - 1)), /truncated/);
    const badVersion = good.slice();
    badVersion[0] = 9;
    assert.throws(() => mergeEncodedHistogram(acc, badVersion), /format version 9/);
    const badTotal = good.slice();
    badTotal[7] ^= 1; // first byte of the total count (after version, lowest, 4-byte highest, digits)
    assert.throws(() => mergeEncodedHistogram(acc, badTotal), /total count 298, pairs add up to 299/);
    assert.throws(() => mergeEncodedHistogram(acc, Uint8Array.of(...good, 0)), /trailing/);
    assert.equal(acc.totalCount, 0);
  });
});

void describe('latency histogram: recording shortcut', () => {
  void it('is enabled for the installed hdr-histogram-js', () => {
    assert.equal(FAST_RECORD_PATH, true);
  });

  void it('computes the same bucket index as the library for every value in range', () => {
    const h = createLatencyHistogram();
    for (let v = 0; v <= LATENCY_HIGHEST_MS; v++) {
      if (latencyBucketIndex(v) !== h.countsArrayIndex(v)) assert.fail(`value ${v}: ${latencyBucketIndex(v)} vs ${h.countsArrayIndex(v)}`);
    }
    assert.ok(latencyBucketIndex(LATENCY_HIGHEST_MS) < h.countsArrayLength);
  });

  void it('leaves the histogram exactly as recordValue would', () => {
    const fast = createLatencyHistogram();
    const slow = createLatencyHistogram();
    let a = 99;
    for (let i = 0; i < 50_000; i++) {
      a = (Math.imul(a, 1103515245) + 12345) >>> 0;
      const v = i % 3 === 0 ? a % 3000 : a % (LATENCY_HIGHEST_MS + 1);
      recordLatency(fast, v);
      slow.recordValue(v);
    }
    recordLatencies(fast, 17, 5);
    slow.recordValueWithCount(17, 5);
    assert.equal(fast.totalCount, slow.totalCount);
    assert.equal(fast.maxValue, slow.maxValue);
    assert.equal(fast.minNonZeroValue, slow.minNonZeroValue);
    for (let i = 0; i < slow.countsArrayLength; i++) assert.equal(fast.getCountAtIndex(i), slow.getCountAtIndex(i));
    assert.equal(fast.mean, slow.mean);
  });

  void it('falls back to the library for histograms with other settings', () => {
    const other = new hdr.Int32Histogram(1, 100_000_000, 2);
    const reference = new hdr.Int32Histogram(1, 100_000_000, 2);
    for (const v of [0, 5, 999, 5000, 70_000, 3_000_000]) {
      recordLatency(other, v);
      reference.recordValue(v);
    }
    for (let i = 0; i < reference.countsArrayLength; i++) assert.equal(other.getCountAtIndex(i), reference.getCountAtIndex(i));
    assert.equal(other.maxValue, reference.maxValue);
  });
});
