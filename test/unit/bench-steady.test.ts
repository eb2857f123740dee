// Steady-state benchmarking: the first and second half of a copy from its progress samples, the
// throughput-over-time series, --quick against the default copy lengths, and the time estimate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchOptions, BENCH_DEFAULTS, QUICK_DIVISOR } from '../../src/cli/commands/bench.js';
import { estimateSeconds, latencyLoadSeconds } from '../../src/bench/estimate.js';
import { planRuns } from '../../src/bench/harness.js';
import { halfRates, rateSeries } from '../../src/bench/results.js';

/** Samples once a second of a copy that starts at `startMs` and copies `rate(t)` records/s. */
function samples(total: number, startMs: number, rate: (sec: number) => number): [number, number][] {
  const out: [number, number][] = [];
  let count = 0;
  for (let ms = 0; count < total; ms += 1000) {
    if (ms > startMs) for (let t = Math.max(ms - 1000, startMs); t < ms; t += 10) count = Math.min(total, count + rate((t - startMs) / 1000) / 100);
    out.push([ms, Math.round(count)]);
  }
  return out;
}

test('a steady copy has equal halves; a warming one a faster second half', () => {
  const steady = halfRates(samples(100_000, 3000, () => 10_000), 100_000)!;
  assert.ok(Math.abs(steady.first - 10_000) / 10_000 < 0.05, JSON.stringify(steady));
  assert.ok(Math.abs(steady.second / steady.first - 1) < 0.05);
  // Ramps from 2,000 to 20,000 records/s over 10 s, then stays there.
  const warming = halfRates(samples(150_000, 3000, (s) => Math.min(20_000, 2_000 + 1_800 * s)), 150_000)!;
  assert.ok(warming.second / warming.first > 1.3, JSON.stringify(warming));
});

test('a copy too short for the samples gives no halves', () => {
  assert.equal(halfRates([[0, 0], [1000, 100_000]], 100_000), undefined);
  assert.equal(halfRates(undefined, 10), undefined);
  assert.equal(halfRates([[0, 0], [1000, 10], [2000, 20]], 0), undefined);
});

test('throughput over time: records/s between samples from the first record on', () => {
  assert.deepEqual(rateSeries([[0, 0], [1000, 0], [2000, 500], [3000, 1500], [3500, 1500]]), [[1, 500], [2, 1000], [2.5, 0]]);
  assert.deepEqual(rateSeries([[0, 5]]), []);
});

test('steady state by default, a tenth of the copying with --quick, and an estimate of about 30 and 15 minutes', () => {
  const steady = benchOptions([]);
  const quick = benchOptions(['--quick']);
  for (const size of BENCH_DEFAULTS.sizes) assert.equal(quick.records[size] * QUICK_DIVISOR, steady.records[size]);
  assert.ok(steady.latency && quick.latency && steady.latency.seconds > quick.latency.seconds);
  // Two rates in one latency run per replicator: 2 x (10 s warm-up + 30 s), 2 x (2 + 6) with --quick.
  assert.equal(latencyLoadSeconds(steady.latency), 80);
  assert.equal(latencyLoadSeconds(quick.latency), 16);
  assert.equal(planRuns(steady).filter((r) => r.scenario === 'latency').length, 3 * 3, 'no extra runs for the second rate');
  const oneRate = benchOptions(['--latency-rate', '2000']);
  assert.equal(estimateSeconds(steady, planRuns(steady)) - estimateSeconds(oneRate, planRuns(oneRate)), 9 * 40, 'each latency run offers the second rate for its warm-up and stretch');
  const minutes = (o: ReturnType<typeof benchOptions>) => estimateSeconds(o, planRuns(o)) / 60;
  assert.ok(minutes(steady) > 20 && minutes(steady) < 40, `steady ${minutes(steady)} min`);
  assert.ok(minutes(quick) < 0.6 * minutes(steady) && minutes(quick) > 10, `quick ${minutes(quick)} min, steady ${minutes(steady)} min`);
});
