/**
 * Latency histograms in milliseconds, over hdr-histogram-js.
 *
 * Workers record into a local histogram (one per latency kind), and once per stats interval
 * encode it, reset it and send the bytes to the coordinator, which merges them into long-lived
 * accumulators and reports quantiles.
 *
 * Range and precision: 1 ms .. 1 hour with 3 significant digits, so every value up to 2047 ms is
 * kept to the millisecond and larger ones to within 0.1%. Values are rounded to whole ms; values
 * below 0 (a source timestamp ahead of the local clock) count as 0 and values above an hour count
 * as an hour, so record() never throws on the hot path. A max of exactly 3,600,000 therefore
 * reads "an hour or more".
 *
 * Implementation: the pure-JS histograms (Int32Histogram in workers, Float64Histogram for the
 * accumulators), not the WebAssembly build. 32-bit counts are ample for one interval; the
 * accumulators use 64-bit float counts (exact to 2^53) because they add up intervals for the life
 * of the process.
 *
 * Recording shortcut: the library's recordValue() finds the bucket with Math.log2 and Math.pow.
 * Our values are integers below 2^22, so the bucket index is a count-leading-zeros and two shifts;
 * recordLatency() computes it that way and bumps the count, total, min and max itself. On a quiet
 * machine bench/micro.ts measured, per value and including the loop that reads the sample:
 * library recordValue() ~20 ns, WASM build ~20 ns, this shortcut ~15 ns; merging an encoded
 * interval benefits the same way. The shortcut writes the library's own fields, so at load time we
 * check that its layout is the one assumed (unit magnitude 0, 1024 half sub-buckets, same index
 * for probe values) and otherwise use recordValue(); every call also checks the histogram's own
 * layout, and a unit test compares both paths for every value in range. The pure-JS build is thus
 * at least as fast as WASM here, without WASM's costs: a module instance to compile in every
 * worker thread, and memory that only an explicit destroy() gives back.
 *
 * Wire form: hdr-histogram-js only offers its standard encoding deflated and base64'd, which costs
 * a zlib round trip and a string per histogram. We send a small sparse form instead (measured in
 * bench/micro.ts): only non-empty buckets, as (value delta, count) pairs in LEB128 varints, so it
 * is byte-order free and usually a few hundred bytes. Its layout:
 *
 * ```
 *   varint  FORMAT_VERSION (1)
 *   varint  lowest discernible value   (LATENCY_LOWEST_MS)
 *   varint  highest trackable value    (LATENCY_HIGHEST_MS)
 *   varint  significant digits         (LATENCY_SIGNIFICANT_DIGITS)
 *   varint  total count                (checked against the sum of the pairs on decode)
 *   varint  max value recorded         (exact; lies in the last pair's bucket)
 *   varint  pair count
 *   pairs:  varint value delta, varint count
 *           value = previous value + delta (first from 0); a value is the lowest value of its
 *           bucket, so the receiver puts the count in the same bucket
 * ```
 */
import hdr from 'hdr-histogram-js';
import type { JsHistogram } from 'hdr-histogram-js';

export const LATENCY_LOWEST_MS = 1;
export const LATENCY_HIGHEST_MS = 3_600_000;
export const LATENCY_SIGNIFICANT_DIGITS = 3;
/** Version of the sparse wire form described above. */
export const HISTOGRAM_FORMAT_VERSION = 1;

export type LatencyHistogram = JsHistogram;

// Bucket layout for lowest = 1 and 3 significant digits: 2048 sub-buckets, the top half of
// each bucket past the first (see HdrHistogram's countsArrayIndex).
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;
// 31 - clz32(v | mask) is floor(log2) of max(v, mask); minus the magnitude gives the bucket.
const BUCKET_BASE = 31 - SUB_BUCKET_HALF_COUNT_MAGNITUDE;

/**
 * Index into the counts array of an integer value in 0 .. LATENCY_HIGHEST_MS, identical to the
 * library's countsArrayIndex() for our configuration (32-bit arithmetic is enough below 2^31).
 */
export function latencyBucketIndex(value: number): number {
  const bucket = BUCKET_BASE - Math.clz32(value | SUB_BUCKET_MASK);
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (value >>> bucket) - SUB_BUCKET_HALF_COUNT;
}

/** Whether the installed hdr-histogram-js lays out buckets the way latencyBucketIndex assumes. */
function probeFastPath(): boolean {
  try {
    const h = new hdr.Int32Histogram(LATENCY_LOWEST_MS, LATENCY_HIGHEST_MS, LATENCY_SIGNIFICANT_DIGITS);
    if (h.unitMagnitude !== 0 || h.subBucketHalfCountMagnitude !== SUB_BUCKET_HALF_COUNT_MAGNITUDE) return false;
    if (h.lowestDiscernibleValueRounded !== 1 || h.unitMagnitudeMask !== 0) return false;
    for (const v of [0, 1, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 65_537, 1_000_000, LATENCY_HIGHEST_MS]) {
      if (h.countsArrayIndex(v) !== latencyBucketIndex(v)) return false;
    }
    return latencyBucketIndex(LATENCY_HIGHEST_MS) < h.countsArrayLength;
  } catch {
    return false;
  }
}

/** True when recordLatency uses the shortcut (exported for tests and the benchmark). */
export const FAST_RECORD_PATH = probeFastPath();

/**
 * The shortcut is only right for histograms laid out like createLatencyHistogram's; anything else
 * (a histogram built with other settings) takes the library's path. Three field loads per value.
 */
function fastLayout(h: LatencyHistogram): boolean {
  return (
    FAST_RECORD_PATH &&
    h.subBucketHalfCountMagnitude === SUB_BUCKET_HALF_COUNT_MAGNITUDE &&
    h.unitMagnitude === 0 &&
    h.highestTrackableValue >= LATENCY_HIGHEST_MS
  );
}

export interface LatencyQuantiles {
  /** Number of values recorded. */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  /** Largest value recorded (exact, in whole ms, after clamping). */
  max: number;
  mean: number;
}

/**
 * A histogram for 1 ms .. 1 h at 3 significant digits. `kind: 'interval'` (default) has 32-bit
 * counts, for a worker's per-interval recording; `kind: 'accumulator'` has 64-bit float counts,
 * for the coordinator's totals.
 */
export function createLatencyHistogram(kind: 'interval' | 'accumulator' = 'interval'): LatencyHistogram {
  const Ctor = kind === 'accumulator' ? hdr.Float64Histogram : hdr.Int32Histogram;
  const h = new Ctor(LATENCY_LOWEST_MS, LATENCY_HIGHEST_MS, LATENCY_SIGNIFICANT_DIGITS);
  // A fixed range: record() clamps instead, so the counts array never reallocates.
  h.autoResize = false;
  return h;
}

/** Record one latency in ms (rounded, clamped to 0 .. 1 h). Allocation-free. */
export function recordLatency(h: LatencyHistogram, ms: number): void {
  const v = clampMs(ms);
  if (fastLayout(h)) {
    // What recordValue() does, minus the floating-point bucket search. With unit magnitude 0
    // the library stores max and min-non-zero as the plain value.
    h.incrementCountAtIndex(latencyBucketIndex(v));
    h.incrementTotalCount();
    if (v > h.maxValue) h.maxValue = v;
    if (v !== 0 && v < h.minNonZeroValue) h.minNonZeroValue = v;
  } else {
    h.recordValue(v);
  }
}

/** Record `count` occurrences of one latency in ms (rounded, clamped). Allocation-free. */
export function recordLatencies(h: LatencyHistogram, ms: number, count: number): void {
  if (count > 0) addAtValue(h, clampMs(ms), count);
}

/** Add `count` at integer value `v` (already clamped). */
function addAtValue(h: LatencyHistogram, v: number, count: number): void {
  if (fastLayout(h)) {
    h.addToCountAtIndex(latencyBucketIndex(v), count);
    h.addToTotalCount(count);
    if (v > h.maxValue) h.maxValue = v;
    if (v !== 0 && v < h.minNonZeroValue) h.minNonZeroValue = v;
  } else {
    h.recordValueWithCount(v, count);
  }
}

function clampMs(ms: number): number {
  // `!(ms > 0)` also sends NaN to 0 rather than letting it corrupt the counts.
  if (!(ms > 0)) return 0;
  if (ms >= LATENCY_HIGHEST_MS) return LATENCY_HIGHEST_MS;
  return Math.round(ms);
}

/** Empty the histogram, keeping its storage. */
export function resetHistogram(h: LatencyHistogram): void {
  h.reset();
}

/** Quantiles of everything recorded so far (zeros for an empty histogram). */
export function latencyQuantiles(h: LatencyHistogram): LatencyQuantiles {
  const count = h.totalCount;
  if (count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    count,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.mean,
  };
}

// Scratch space for encoding, reused across calls (each thread has its own module instance).
let scratch = new Uint8Array(4096);

/** Encode into the sparse wire form (an exact-size Uint8Array with its own, transferable buffer). */
export function encodeHistogram(h: LatencyHistogram): Uint8Array<ArrayBuffer> {
  const total = h.totalCount;
  // Only indexes up to the max value's can hold counts.
  const limit = total === 0 ? 0 : Math.min(h.countsArrayIndex(h.maxValue) + 1, h.countsArrayLength);
  let pairs = 0;
  for (let i = 0; i < limit; i++) if (h.getCountAtIndex(i) > 0) pairs++;
  // Worst case 8 bytes per varint (values < 2^53 need at most 8 groups of 7 bits).
  const bound = 8 * (7 + 2 * pairs);
  if (scratch.length < bound) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  let p = 0;
  p = putVarint(scratch, p, HISTOGRAM_FORMAT_VERSION);
  p = putVarint(scratch, p, h.lowestDiscernibleValue);
  p = putVarint(scratch, p, h.highestTrackableValue);
  p = putVarint(scratch, p, h.numberOfSignificantValueDigits);
  p = putVarint(scratch, p, total);
  p = putVarint(scratch, p, total === 0 ? 0 : h.maxValue);
  p = putVarint(scratch, p, pairs);
  let previous = 0;
  for (let i = 0; i < limit; i++) {
    const count = h.getCountAtIndex(i);
    if (count > 0) {
      const value = h.valueFromIndex(i);
      p = putVarint(scratch, p, value - previous);
      p = putVarint(scratch, p, count);
      previous = value;
    }
  }
  return scratch.slice(0, p);
}

/**
 * Add an encoded histogram into `into` (normally an accumulator). Returns the number of values
 * added. Throws on a malformed or truncated encoding, leaving `into` unchanged in that case.
 */
export function mergeEncodedHistogram(into: LatencyHistogram, data: Uint8Array): number {
  const r = { data, p: 0 };
  const version = getVarint(r);
  if (version !== HISTOGRAM_FORMAT_VERSION) {
    throw new Error(`encoded histogram has format version ${version}, this build reads version ${HISTOGRAM_FORMAT_VERSION}`);
  }
  getVarint(r); // lowest: values are merged by value, so a different range still merges sensibly
  getVarint(r); // highest
  getVarint(r); // significant digits
  const total = getVarint(r);
  const max = getVarint(r);
  const pairs = getVarint(r);
  // Validate the whole payload before touching `into`, so a bad message changes nothing.
  const start = r.p;
  let sum = 0;
  let lastValue = 0;
  for (let k = 0; k < pairs; k++) {
    lastValue += getVarint(r);
    sum += getVarint(r);
  }
  if (r.p !== data.length) throw new Error(`encoded histogram has ${data.length - r.p} unexpected trailing bytes`);
  if (sum !== total) throw new Error(`encoded histogram is inconsistent: total count ${total}, pairs add up to ${sum}`);
  if (pairs > 0 && (max < lastValue || into.lowestEquivalentValue(max) !== into.lowestEquivalentValue(lastValue))) {
    throw new Error(`encoded histogram is inconsistent: max ${max} is not in the last bucket (${lastValue})`);
  }
  r.p = start;
  let value = 0;
  for (let k = 0; k < pairs; k++) {
    value += getVarint(r);
    const count = getVarint(r);
    // The last bucket is recorded at the exact max (same bucket) so `into` learns the true max.
    // Values above our range can only come from a differently configured sender; clamp them.
    addAtValue(into, Math.min(k === pairs - 1 ? max : value, LATENCY_HIGHEST_MS), count);
  }
  return total;
}

/** Decode into a new accumulator histogram. */
export function decodeHistogram(data: Uint8Array): LatencyHistogram {
  const h = createLatencyHistogram('accumulator');
  mergeEncodedHistogram(h, data);
  return h;
}

/** Encode, then reset: what a worker does at the end of each stats interval. */
export function takeEncodedHistogram(h: LatencyHistogram): Uint8Array<ArrayBuffer> {
  const data = encodeHistogram(h);
  h.reset();
  return data;
}

// Unsigned LEB128 for integers up to 2^53; division instead of shifts so values above 2^32 work.
function putVarint(out: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    out[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[p++] = v;
  return p;
}

function getVarint(r: { data: Uint8Array; p: number }): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (r.p >= r.data.length) throw new Error('encoded histogram is truncated');
    const b = r.data[r.p++];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 0x80;
  }
  throw new Error('encoded histogram has a varint longer than 8 bytes');
}
