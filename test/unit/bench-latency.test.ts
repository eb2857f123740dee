// The latency runs' phases: the schedule of rates, each record counted for the phase its source
// append time falls in, the achieved rate against the offered one, and each phase's CPU.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyLoadSeconds } from '../../src/bench/estimate.js';
import { brokerGcIn, describeRun, latencyPhases, offeredRecords } from '../../src/bench/harness.js';
import { parseGcLog } from '../../src/bench/gc-log.js';
import { PhaseLatencies, phaseIndex, phaseSchedule } from '../../src/bench/measure.js';
import { rateReached } from '../../src/bench/results.js';

test('the phases run back to back, lowest rate first, each a warm-up then the measured stretch', () => {
  const w = phaseSchedule([20_000, 2_000], 30, 10, 1_000);
  assert.deepEqual(w, [
    { ratePerSec: 2_000, startMs: 1_000, fromMs: 11_000, toMs: 41_000 },
    { ratePerSec: 20_000, startMs: 41_000, fromMs: 51_000, toMs: 81_000 },
  ]);
  assert.equal(phaseIndex(w, 10_999), -1, 'the first warm-up');
  assert.equal(phaseIndex(w, 11_000), 0);
  assert.equal(phaseIndex(w, 40_999), 0);
  assert.equal(phaseIndex(w, 41_000), -1, 'the second warm-up');
  assert.equal(phaseIndex(w, 51_000), 1);
  assert.equal(phaseIndex(w, 81_000), -1, 'after the load');
  assert.equal(latencyLoadSeconds({ size: 1024, rates: [2_000, 20_000], seconds: 30, warmupSeconds: 10 }), 80);
  assert.equal(latencyLoadSeconds(undefined), 0);
});

test('each record counts for the phase its source append time falls in, wherever it was copied', () => {
  const w = phaseSchedule([10, 100], 10, 2, 0); // phase 1 measures [2 s, 12 s), phase 2 [14 s, 24 s)
  const acc = new PhaseLatencies(w);
  // [key, source append ms, target append ms]
  const records: [string, number, number][] = [
    ['warm', 1_000, 1_500], // first warm-up: not measured
    ['a', 2_000, 2_005],
    ['b', 11_990, 14_500], // appended in phase 1, copied during phase 2: phase 1's, 2,510 ms
    ['c', 12_500, 12_501], // the second warm-up
    ['d', 14_000, 14_020],
    ['e', 23_999, 24_040],
    ['late', 24_000, 24_001], // after the last stretch (the producer's last records)
    ['lost', 15_000, -1], // never reached the target
  ];
  for (const [key, src] of records) acc.source(key, src);
  for (const [key, , dst] of records) if (dst >= 0) acc.target(key, dst);
  acc.target('d', 14_030); // a duplicate: the first copy counts
  acc.target('stranger', 5); // not a live record
  const r = acc.result();
  assert.equal(r.missing, 1);
  assert.equal(r.duplicates, 1);
  assert.deepEqual(r.phases.map((p) => p.count), [2, 2]);
  assert.deepEqual(r.phases.map((p) => p.sourceRecords), [2, 3], 'the lost record was offered in phase 2');
  assert.equal(r.phases[0].p50, 5);
  assert.ok(r.phases[0].max >= 2_500 && r.phases[0].max <= 2_520, `phase 1 max ${r.phases[0].max}`);
  assert.equal(r.phases[1].max, 41);
});

test('phase results: achieved rate from the source, the shortfall flagged, CPU per window', () => {
  const w = phaseSchedule([1_000, 10_000], 10, 5, 0);
  const figures = (count: number, sourceRecords: number) => ({ count, p50: 1, p90: 2, p99: 3, p999: 4, max: 5, mean: 1, curve: [], histogram: '', sourceRecords });
  // CPU seconds grow by 0.1 per second in phase 1's window and by 0.5 in phase 2's.
  const cpuSec = (from: number, to: number): number => ((to - from) / 1000) * (from < w[1].startMs ? 0.1 : 0.5);
  const phases = latencyPhases(w, [figures(10_000, 10_000), figures(80_000, 80_000)], 1032, cpuSec, () => 0.5);
  assert.deepEqual(
    phases.map((p) => [p.ratePerSec, p.achievedPerSec, rateReached(p), p.seconds]),
    [
      [1_000, 1_000, true, 10],
      [10_000, 8_000, false, 10],
    ],
  );
  assert.deepEqual(phases[0].cpu, { windowSec: 1, cores: 0.1, perGB: 96.9 });
  assert.deepEqual(phases[1].cpu, { windowSec: 5, cores: 0.5, perGB: 48.45 });
  assert.equal(phases[1].machineBusyShare, 0.5);
  assert.deepEqual([phases[1].fromMs, phases[1].toMs], [20_000, 30_000]);
  assert.equal(latencyPhases(w, [figures(1, 1), figures(1, 1)], 1032, undefined, () => undefined)[0].cpu, undefined, 'no samples, no CPU');
  // The run's own span: phase 1's stretch, phase 2's warm-up and stretch.
  assert.equal(offeredRecords(w, w[0].fromMs, w[1].toMs), 10 * 1_000 + 15 * 10_000);
  assert.equal(rateReached({ ...phases[1], achievedPerSec: undefined }), true, 'old results: nothing to say it fell short');
});

test("phase results carry the brokers' GC pauses of their window; a broker without a log is left out", () => {
  const w = phaseSchedule([1_000, 10_000], 10, 5, 0);
  const figures = { count: 10, p50: 1, p90: 2, p99: 3, p999: 4, max: 5, mean: 1, curve: [], histogram: '', sourceRecords: 10_000 };
  // Source pauses at 3 s (phase 1's warm-up), 12 s (phase 1), 17 s (phase 2's warm-up), 25 s (phase 2) and 30 s (phase 2's end, outside it).
  const line = (sec: number, ms: number): string => `[${new Date(sec * 1000).toISOString().replace('Z', '+0000')}][${sec}.000s][info][gc          ] GC(1) Pause Young (Normal) (G1 Evacuation Pause) 300M->100M(1024M) ${ms}ms`;
  const source = parseGcLog([line(3, 50), line(12, 5), line(17, 70), line(25, 8), line(30, 90)].join('\n'));
  const phases = latencyPhases(w, [figures, figures], 1032, undefined, () => undefined, (from, to) => brokerGcIn({ source }, from, to));
  assert.deepEqual(phases[0].brokerGc, { source: { pauses: 1, totalMs: 5, maxMs: 5, maxKind: 'Young (Normal) (G1 Evacuation Pause)' } });
  assert.deepEqual(phases[1].brokerGc, { source: { pauses: 1, totalMs: 8, maxMs: 8, maxKind: 'Young (Normal) (G1 Evacuation Pause)' } });
  assert.equal(brokerGcIn({}, 0, 1), undefined, 'no log at all: no field');
  assert.ok(!('brokerGc' in latencyPhases(w, [figures, figures], 1032, undefined, () => undefined)[0]), 'no reader: no field');
  assert.deepEqual(brokerGcIn({ source: [], target: source }, w[0].fromMs, w[0].toMs), { source: { pauses: 0, totalMs: 0, maxMs: 0 }, target: phases[0].brokerGc.source });

  const run = {
    index: 1, rep: 1, scenario: 'latency' as const, system: 'strait' as const, size: 1024, partitions: 8, records: 0, ok: true, startedAt: '', dir: 'runs/1',
    latency: { size: 1024, produced: 20, missing: 0, duplicates: 0, phases: [{ ...phases[0], brokerGc: { ...phases[0].brokerGc, target: { pauses: 1, totalMs: 12.3, maxMs: 12.3, maxKind: 'Remark' } } }, { ...phases[1], brokerGc: undefined }] },
  };
  assert.equal(
    describeRun(run),
    "latency at 1,000 records/s: p50 1 ms, p99 3 ms, p99.9 4 ms over 10 records, brokers' GC: source max 5 ms (1 pause, 5 ms), target max 12 ms (1 pause, 12 ms); " +
      'at 10,000 records/s (NOT reached: 1,000 records/s): p50 1 ms, p99 3 ms, p99.9 4 ms over 10 records; peak RSS 0 MiB',
  );
});
