// The benchmark's arithmetic: medians and spread, ratios taken run by run, the better MM2
// configuration, the targets, and the reports rendered from a made-up result set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sizeLabel } from '../../src/bench/data.js';
import type { BenchResults, LatencyPhase, StoredResults } from '../../src/bench/results.js';
import { latencyFigures } from '../../src/bench/measure.js';
import { renderHtml, renderMarkdown, reportModel } from '../../src/bench/report.js';
import { betterMm2, checkTargets, cpuPerGBWithoutJit, median, ratio, spread, summarize, upgradeResults, wanRatio, type RunResult, type SystemId } from '../../src/bench/results.js';
import { createLatencyHistogram, recordLatency } from '../../src/metrics/histogram.js';

test('median and spread ignore missing values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(spread([5, undefined, 1, 3, NaN]), { n: 3, median: 3, min: 1, max: 5 });
  assert.equal(spread([undefined]), undefined);
});

let index = 0;
function run(system: SystemId, size: number, rep: number, recordsPerSec: number, extra: Partial<RunResult> = {}): RunResult {
  index++;
  return {
    index,
    rep,
    scenario: 'loopback',
    system,
    size,
    partitions: 8,
    records: 1000,
    ok: true,
    startedAt: new Date(0).toISOString(),
    dir: `runs/${index}`,
    recordsPerSec,
    mbPerSec: (recordsPerSec * (size + 8)) / 1e6,
    cpu: { windowSec: 1, totalSec: 2, perGB: system === 'strait' ? 10 : system === 'mm2-tuned' ? 30 : 40 },
    peakRssBytes: (system === 'strait' ? 200 : 1200) * 2 ** 20,
    ...extra,
  };
}

function latency(ms: number[]): ReturnType<typeof latencyFigures> {
  const h = createLatencyHistogram('accumulator');
  for (const v of ms) recordLatency(h, v);
  return latencyFigures(h);
}

/** A latency phase at `ratePerSec` over made-up latencies; `achievedPerSec` defaults to the rate. */
function phase(ratePerSec: number, ms: number[], achievedPerSec = ratePerSec, cores = 0.1): LatencyPhase {
  return { ...latency(ms), ratePerSec, achievedPerSec, seconds: 5, sourceRecords: achievedPerSec * 5, cpu: { windowSec: cores * 5, cores, perGB: 1 } };
}

function sampleRuns(): RunResult[] {
  index = 0;
  const runs: RunResult[] = [];
  // strait is 3x MM2-tuned in rep 1, 4x in rep 2; MM2-default is slower but has the lower p99.
  runs.push(run('mm2-default', 100, 1, 50), run('mm2-tuned', 100, 1, 100), run('strait', 100, 1, 300), run('limit', 100, 1, 500));
  runs.push(run('mm2-tuned', 100, 2, 100), run('strait', 100, 2, 400), run('limit', 100, 2, 400), run('mm2-default', 100, 2, 60));
  runs.push(run('mm2-default', 1024, 1, 20), run('mm2-tuned', 1024, 1, 30), run('strait', 1024, 1, 70), run('limit', 1024, 1, 80));
  // Two phases per latency run: at 100 records/s strait's p99 is 0.1x MM2's best, at 1,000 0.4x,
  // and strait's producer reached only 800 of the 1,000.
  const fixed = (...phases: LatencyPhase[]): Partial<RunResult> => ({ scenario: 'latency', latency: { size: 1024, produced: 3, missing: 0, duplicates: 0, phases } });
  runs.push(
    run('mm2-default', 1024, 1, 0, fixed(phase(100, [10, 20, 100]), phase(1000, [10, 20, 100]))),
    run('mm2-tuned', 1024, 1, 0, fixed(phase(100, [30, 40, 300]), phase(1000, [30, 40, 300]))),
    run('strait', 1024, 1, 0, fixed(phase(100, [2, 3, 10]), phase(1000, [2, 3, 40], 800, 0.3))),
  );
  runs.push(run('strait', 1024, 1, 63, { scenario: 'wan' }), run('mm2-tuned', 1024, 1, 15, { scenario: 'wan' }));
  // A profiled run (slow, under the profiler) must count nowhere.
  runs.push(run('strait', 100, 1, 1, { profiled: true }));
  runs.push(run('strait', 100, 3, 0, { ok: false, error: 'copied only 5 of 1000 records' }));
  return runs;
}

test('summaries: medians per scenario, size and system; failures counted; profiled runs left out', () => {
  const s = summarize(sampleRuns());
  const strait100 = s.find((x) => x.scenario === 'loopback' && x.size === 100 && x.system === 'strait')!;
  assert.deepEqual(strait100.recordsPerSec, { n: 2, median: 350, min: 300, max: 400 });
  assert.equal(strait100.runs, 3);
  assert.equal(strait100.failed, 1);
  assert.ok(s.find((x) => x.scenario === 'wan' && x.system === 'strait'));
  assert.deepEqual(
    s.map((x) => `${x.scenario}/${x.size}/${x.system}`).slice(0, 4),
    ['loopback/100/mm2-default', 'loopback/100/mm2-tuned', 'loopback/100/strait', 'loopback/100/limit'],
  );
});

test('ratios pair the runs of one repetition', () => {
  const runs = sampleRuns();
  const r = ratio(runs, 'recordsPerSec', 'loopback', 100, 'mm2-tuned');
  assert.deepEqual(r.perRep, [{ rep: 1, value: 3 }, { rep: 2, value: 4 }]);
  assert.deepEqual(r.spread, { n: 2, median: 3.5, min: 3, max: 4 });
  assert.equal(betterMm2(runs, 'loopback', 100, 'recordsPerSec'), 'mm2-tuned');
  assert.equal(betterMm2(runs, 'latency', 1024, 'p99', 100), 'mm2-default', 'lower is better for latency');
  assert.equal(betterMm2(runs, 'latency', 1024, 'p99'), undefined, 'latency figures are per rate');
  assert.deepEqual(ratio(runs, 'p99', 'latency', 1024, 'mm2-default', 1000).perRep, [{ rep: 1, value: 0.4 }]);
  assert.equal(betterMm2(runs, 'loopback', 100, 'cpuPerGB'), 'mm2-tuned');
  assert.equal(wanRatio(runs, 1024).spread?.median, 0.9);
});

test("CPU per GB without the JVM's compiler threads", () => {
  const r = run('mm2-default', 100, 1, 10, { bytes: 2e9, cpu: { windowSec: 10, totalSec: 20, perGB: 5, byThread: { 'C# CompilerThre': 3, 'task-thread-Mir': 6, 'GC Thread##': 1 } } });
  assert.equal(cpuPerGBWithoutJit(r), 3.5);
  assert.equal(cpuPerGBWithoutJit(run('strait', 100, 1, 10, { bytes: 1e9 })), 1, 'nothing to take away without thread names');
  assert.equal(cpuPerGBWithoutJit(run('strait', 100, 1, 10)), undefined, 'no bytes, no figure');
});

test('targets are held against the better MM2 configuration', () => {
  const { checks } = checkTargets(sampleRuns(), { sizes: [100, 1024], latencySize: 1024, latencyRates: [100, 1000], wanSize: 1024 }, sizeLabel);
  const byWhat = new Map(checks.map((c) => [c.what, c]));
  const t100 = byWhat.get('records/s vs MM2 at 100 B')!;
  assert.equal(t100.versus, 'mm2-tuned');
  assert.equal(t100.measured?.median, 3.5);
  assert.equal(t100.met, true);
  const t1k = byWhat.get('records/s vs MM2 at 1 KiB')!;
  assert.equal(t1k.met, true, '70 / 30 = 2.33 >= 2');
  // One p99 row per offered rate.
  assert.deepEqual(checks.filter((c) => c.what.startsWith('p99')).map((c) => c.what), ['p99 latency vs MM2 at 1 KiB, 100 records/s', 'p99 latency vs MM2 at 1 KiB, 1,000 records/s']);
  const p99 = byWhat.get('p99 latency vs MM2 at 1 KiB, 100 records/s')!;
  assert.equal(p99.versus, 'mm2-default');
  assert.equal(p99.met, true, '10 / 100 = 0.1 <= 0.2');
  assert.equal(p99.note, undefined);
  const p99high = byWhat.get('p99 latency vs MM2 at 1 KiB, 1,000 records/s')!;
  assert.equal(p99high.measured?.median, 0.4);
  assert.equal(p99high.met, false, '40 / 100 = 0.4 > 0.2');
  assert.equal(p99high.note, 'offered rate not reached in strait rep 1 (800 records/s)');
  assert.equal(byWhat.get('records/s vs the limit at 1 KiB')!.met, true, '70 / 80 >= 0.8');
  assert.equal(byWhat.get('records/s through the proxy vs own loopback at 1 KiB')!.met, true);
  assert.equal(byWhat.get('peak RSS vs MM2 at 100 B')!.met, true, '200 / 1200 <= 0.25');
  assert.equal(byWhat.get('CPU per GB vs MM2 at 100 B')!.met, true, '10 / 30 <= 1/3');
});

function sampleResults(): BenchResults {
  return {
    version: 2,
    startedAt: '2025-01-14T15:30:12.000Z',
    finishedAt: '2025-01-14T15:45:12.000Z',
    durationSec: 900,
    command: 'strait bench --repetitions 2',
    note: undefined,
    machine: {
      cpuModel: 'Test CPU',
      cores: 2,
      memoryGiB: 8,
      os: 'Test OS',
      kernel: '6.1',
      arch: 'x64',
      node: 'v20.19.0',
      java: 'openjdk 17',
      kafka: '4.2.1',
      mirrorClient: '4.2.0',
      librdkafka: '2.12.0',
      strait: '0.1.0',
    },
    idleWait: { requested: true, waitedSec: 600, gaveUp: true, threshold: 1, holdSec: 30, checks: [] },
    options: {
      sizes: [100, 1024],
      records: { 100: 1000, 1024: 1000 },
      partitions: 8,
      repetitions: 2,
      systems: ['mm2-default', 'mm2-tuned', 'strait', 'limit'],
      latency: { size: 1024, rates: [100, 1000], seconds: 5, warmupSeconds: 1 },
      wan: { size: 1024, delayMs: 25, repetitions: 1, systems: ['mm2-default', 'mm2-tuned', 'strait'] },
      sourcePort: 1,
      targetPort: 3,
      keepSandbox: false,
      profile: false,
      idleWait: undefined,
      runTimeoutSec: 60,
    },
    load: { start: 2.5, end: 1.5 },
    preload: [],
    runs: sampleRuns(),
    profiles: [],
  };
}

test('the reports render every section from a result set', () => {
  const model = reportModel(sampleResults());
  assert.deepEqual(model.latencyCurves.map((c) => [c.ratePerSec, c.curves.length]), [[100, 3], [1000, 3]], 'one chart per rate, a curve per replicator');
  const md = renderMarkdown(model);
  for (const heading of ['## Targets', '## Throughput, CPU and memory', '## Replication latency', '## Cross-region', '## Ratios, run by run', '## Configurations', '## Failed runs']) {
    assert.ok(md.includes(heading), `markdown has ${heading}`);
  }
  assert.match(md, /NOT reached/, 'a machine that never got quiet is said so');
  assert.match(md, /\| records\/s vs MM2 at 100 B \| >= 3x \| 3\.50x \(3\.00–4\.00\) \| MM2 \(tuned\) \| yes \|/);
  assert.match(md, /## Replication latency at 100 and 1,000 records\/s of 1 KiB/);
  assert.match(md, /\| p99 latency vs MM2 at 1 KiB, 100 records\/s \| <= 1\/5 \(0\.2x\) \| 0\.10x \| MM2 \(defaults\) \| yes \|/);
  assert.match(md, /\| p99 latency vs MM2 at 1 KiB, 1,000 records\/s \| <= 1\/5 \(0\.2x\) \| 0\.40x \| MM2 \(defaults\) \| \*\*no\*\* \(offered rate not reached in strait rep 1 \(800 records\/s\)\) \|/);
  // The latency table: a row per rate and system, the achieved rate and its shortfall shown.
  assert.match(md, /\| 100 \| strait \| 100 \| 3 \| 10 \| 10 \| 0\.10 \| 200 \|/);
  assert.match(md, /\| 1,000 \| strait \| 800 — \*\*not reached\*\* in 1 of 1 runs \| 3 \| 40 \| 40 \| 0\.30 \| 200 \|/);
  assert.match(md, /did not reach the offered rate at 1,000 records\/s with strait \(1 of 1 runs\)/);
  assert.match(md, /p99 latency at 1,000 records\/s \| 1 KiB \| strait \/ MM2 \(defaults\)/, 'ratios name the rate');
  const html = renderHtml(model);
  assert.equal((html.match(/<svg /g) ?? []).length, (html.match(/<\/svg>/g) ?? []).length);
  assert.ok((html.match(/<svg /g) ?? []).length >= 7, 'throughput per size, MB/s, CPU, memory, latency per rate, cross-region');
  assert.match(html, /Replication latency at 1,000 records\/s of 1 KiB/);
  assert.ok(!html.includes('undefined') && !html.includes('NaN'));
});

test("the latency table shows the brokers' longest GC pauses when the runs have them, and the setup their heap", () => {
  const base = sampleResults();
  const gc = (source: number, target: number) => ({
    source: { pauses: 3, totalMs: source * 2, maxMs: source, maxKind: 'Young (Normal) (G1 Evacuation Pause)' },
    target: { pauses: 1, totalMs: target, maxMs: target, maxKind: 'Remark' },
  });
  const results: BenchResults = {
    ...base,
    brokers: { heap: '-Xms1g -Xmx1g', gcLog: true },
    runs: base.runs.map((r, i) => (r.latency ? { ...r, latency: { ...r.latency, phases: r.latency.phases.map((p) => ({ ...p, brokerGc: gc(10 + i, 4.25) })) } } : r)),
  };
  const md = renderMarkdown(reportModel(results));
  assert.match(md, /\| p99\.9 ms \| CPU cores busy \| peak RSS MiB \(whole run\) \| brokers' longest GC pause ms \(source \/ target\) \|/);
  const strait = results.runs.findIndex((r) => r.scenario === 'latency' && r.system === 'strait');
  assert.match(md, new RegExp(`\\| 100 \\| strait \\| 100 \\| 3 \\| 10 \\| 10 \\| 0\\.10 \\| 200 \\| ${10 + strait} / 4\\.3 \\|`));
  assert.match(md, /broker heap -Xms1g -Xmx1g \(as kafka-server-start\.sh\), GC logs in brokers\//);
  const html = renderHtml(reportModel(results));
  assert.match(html, /<th>brokers' longest GC pause ms \(source \/ target\)<\/th>/);
  // Without GC figures (results written before) the table keeps its columns and the setup says nothing of the heap.
  const old = renderMarkdown(reportModel(base));
  assert.ok(!old.includes('GC pause') && !old.includes('broker heap'));
});

test('results.json written before the phases (one rate per run) read as one phase each', () => {
  const current = sampleResults();
  // The old shape: one rate in the options, the figures straight on each run's latency.
  const legacy = {
    ...current,
    version: 1,
    options: { ...current.options, latency: { size: 1024, ratePerSec: 100, seconds: 5, warmupSeconds: 1 } },
    runs: current.runs.map((r) => {
      if (!r.latency) return r;
      const { phases, ...rest } = r.latency;
      const { ratePerSec, seconds, count, p50, p90, p99, p999, max, mean, curve, histogram } = phases[0];
      return { ...r, latency: { ...rest, ratePerSec, seconds, count, p50, p90, p99, p999, max, mean, curve, histogram } };
    }),
  } as unknown as StoredResults;
  const upgraded = upgradeResults(legacy);
  assert.equal(upgraded.version, 2);
  assert.deepEqual(upgraded.options.latency, { size: 1024, rates: [100], seconds: 5, warmupSeconds: 1 });
  const strait = upgraded.runs.find((r) => r.scenario === 'latency' && r.system === 'strait')!;
  assert.equal(strait.latency!.phases.length, 1);
  assert.equal(strait.latency!.phases[0].ratePerSec, 100);
  assert.equal(strait.latency!.phases[0].p99, 10);
  assert.equal(strait.latency!.missing, 0);
  // CPU: the run's one window was the phase's; cores from CPU per GB x the offered bytes/s.
  assert.deepEqual(strait.latency!.phases[0].cpu, { windowSec: 1, cores: (10 * 100 * 1032) / 1e9, perGB: 10 });
  assert.deepEqual(upgradeResults(upgraded), upgraded, 'the current shape passes through');
  const model = reportModel(legacy);
  const md = renderMarkdown(model);
  assert.match(md, /\| p99 latency vs MM2 at 1 KiB, 100 records\/s \| <= 1\/5 \(0\.2x\) \| 0\.10x \| MM2 \(defaults\) \| yes \|/);
  assert.match(md, /## Replication latency at 100 records\/s of 1 KiB/);
  assert.ok(!md.includes('**not reached**') && !md.includes('did not reach the offered rate'), 'an old run without an achieved rate is not flagged');
  assert.ok(!md.includes('undefined') && !md.includes('NaN'));
});
