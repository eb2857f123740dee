/**
 * The benchmark's outputs, in its results folder:
 *   results.json   every raw figure: each run with its /proc samples, latency histogram and
 *                  logs' location, the machine, the options, the command
 *   summary.md     the tables: targets, throughput/CPU/memory per size, latency, ratios,
 *                  cross-region, profile (what bench/README.md shows)
 *   report.html    the same tables with charts (inline SVG, no script, one file)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLatencyHistogram, mergeEncodedHistogram } from '../metrics/histogram.js';
import { sizeLabel, SOURCE_COMPRESSION } from './data.js';
import type { BenchResults, StoredResults } from './results.js';
import { CURVE_PERCENTILES } from './measure.js';
import { mm2TunedSettings } from './mm2.js';
import { LIMIT_PRODUCER_PROPS } from './perf-tools.js';
import { checkTargets, halfRates, latencyPhase, measured, median, RATE_REACHED_SHARE, rateSeries, REPLICATORS, summarize, SYSTEM_LABELS, SYSTEMS, upgradeResults, wanRatio, type Ratio, type Spread, type SystemId, type SystemSummary, type TargetCheck } from './results.js';
import { barChart, CHART_CSS, escapeXml, latencyChart, lineChart, type BarGroup, type Curve } from './svg.js';

export const SYSTEM_COLORS: Record<SystemId, string> = {
  'mm2-default': '#9aa5b1',
  'mm2-tuned': '#52606d',
  strait: '#0b7285',
  limit: '#e8590c',
};

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const fixed = (d: number) => (v: number): string => v.toFixed(d);

/** `12,345 (11,900–12,800)`; a single run shows its value alone. */
export function formatSpread(s: Spread | undefined, fmt: (v: number) => string = int): string {
  if (!s) return '–';
  return s.n > 1 && s.min !== s.max ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

function ratioText(s: Spread | undefined): string {
  if (!s) return 'not measured';
  const f = (v: number): string => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return s.n > 1 && s.min !== s.max ? `${f(s.median)}x (${f(s.min)}–${f(s.max)})` : `${f(s.median)}x`;
}

function metText(c: TargetCheck): string {
  const met = c.met === undefined ? '–' : c.met ? 'yes' : '**no**';
  return c.note ? `${met} (${c.note})` : met;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export interface ReportModel {
  results: BenchResults;
  summaries: SystemSummary[];
  checks: TargetCheck[];
  ratios: Ratio[];
  /** One set of curves per offered rate, lowest first. */
  latencyCurves: { ratePerSec: number; curves: Curve[] }[];
}

/** The latency curves at one offered rate: every repetition's histogram of that phase merged, one curve per system. */
function curvesAt(results: BenchResults, ratePerSec: number): Curve[] {
  const curves: Curve[] = [];
  for (const system of REPLICATORS) {
    const h = createLatencyHistogram('accumulator');
    for (const r of measured(results.runs)) {
      const phase = r.ok && r.system === system ? latencyPhase(r, ratePerSec) : undefined;
      if (phase) mergeEncodedHistogram(h, Buffer.from(phase.histogram, 'base64'));
    }
    if (h.totalCount === 0) continue;
    curves.push({
      label: SYSTEM_LABELS[system],
      color: SYSTEM_COLORS[system],
      points: CURVE_PERCENTILES.map((p): [number, number] => [p, p === 100 ? h.maxValue : h.getValueAtPercentile(p)]),
    });
  }
  return curves;
}

/** Everything the two reports show, computed once. Results of any version (single-rate ones read as one phase). */
export function reportModel(stored: StoredResults): ReportModel {
  const results = upgradeResults(stored);
  const o = results.options;
  const summaries = summarize(results.runs);
  const latencyRates = o.latency?.rates ?? [];
  const { checks, ratios } = checkTargets(results.runs, { sizes: o.sizes, latencySize: o.latency?.size ?? 1024, latencyRates, wanSize: o.wan?.size ?? 1024 }, sizeLabel);
  const latencyCurves = latencyRates.map((ratePerSec) => ({ ratePerSec, curves: curvesAt(results, ratePerSec) })).filter((c) => c.curves.length > 0);
  return { results, summaries, checks, ratios, latencyCurves };
}

/** "2,000 and 20,000 records/s". */
function ratesText(rates: readonly number[]): string {
  const r = rates.map(int);
  return `${r.length > 1 ? `${r.slice(0, -1).join(', ')} and ${r[r.length - 1]}` : r[0]} records/s`;
}

function setupLines(r: BenchResults): string[] {
  const o = r.options;
  const m = r.machine;
  const lines = [
    `- Date: ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}, ${Math.round(r.durationSec / 60)} min`,
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os} (kernel ${m.kernel}, ${m.arch})`,
    `- Software: strait ${m.strait}, Node ${m.node}, librdkafka ${m.librdkafka}; Apache Kafka ${m.kafka} brokers and MM2 (connect-mirror-client ${m.mirrorClient}); ${m.java}`,
    `- Command: \`${r.command}\``,
    `- Clusters: two single-node KRaft brokers on this machine (loopback), brokers and replicator sharing its ${m.cores} cores${r.brokers ? `; broker heap ${r.brokers.heap} (as kafka-server-start.sh)${r.brokers.gcLog ? ', GC logs in brokers/' : ''}` : ''}`,
    `- Data: one source topic per size, ${o.partitions} partitions, records of an 8-byte key and a value of the size shown (half text, half random characters), ${SOURCE_COMPRESSION}-compressed on the source; ${o.sizes.map((s) => `${sizeLabel(s)}: ${int(o.records[s])} records`).join(', ')}`,
    `- Repetitions: ${o.repetitions}; figures are medians with the range over the repetitions in parentheses; the systems took turns within each repetition`,
  ];
  if (o.latency) {
    const l = o.latency;
    const phases =
      l.rates.length > 1
        ? `at ${ratesText(l.rates)} of ${sizeLabel(l.size)}, one rate after the other in the same run (lowest first); once the first record was copied, each rate ran for a ${l.warmupSeconds} s warm-up and then ${l.seconds} s whose records were measured (a record counts for the rate whose measured stretch its source append time falls in)`
        : `at ${ratesText(l.rates)} of ${sizeLabel(l.size)}; once the first record was copied and ${l.warmupSeconds} s more had passed, ${l.seconds} s of records were measured`;
    lines.push(
      `- Latency: in separate runs, each replicator copied a fresh topic that a steady producer wrote ${phases}: append time on the target minus append time on the source (LogAppendTime on both), in HDR histograms. Achieved records/s: what the source appended in the measured stretch; below ${Math.round(RATE_REACHED_SHARE * 100)} % of the offered rate it counts as not reached`,
    );
  }
  if (o.wan) lines.push(`- Cross-region: the replicator reached the source through a proxy adding ${o.wan.delayMs} ms each way (${2 * o.wan.delayMs} ms round trip), ${o.wan.repetitions} repetition(s), ${sizeLabel(o.wan.size)} records`);
  const load = `load average ${r.load.start?.toFixed(2) ?? '?'} at start, ${r.load.end?.toFixed(2) ?? '?'} at the end`;
  if (r.idleWait.requested) {
    lines.push(
      r.idleWait.gaveUp
        ? `- Quiet machine: NOT reached — the 1-minute load average did not stay below ${r.idleWait.threshold} for ${r.idleWait.holdSec} s within ${r.idleWait.waitedSec} s, so the run started anyway (${load})`
        : `- Quiet machine: waited ${r.idleWait.waitedSec} s for the 1-minute load average to stay below ${r.idleWait.threshold} for ${r.idleWait.holdSec} s (${load})`,
    );
  } else lines.push(`- Machine load: ${load} (no wait for a quiet machine was asked for)`);
  if (r.note) lines.push(`- Note: ${r.note}`);
  return lines;
}

export function targetsTable(model: ReportModel): string {
  return table(
    ['Target for strait', 'Goal', 'Measured (median, range)', 'Against', 'Met'],
    model.checks.map((c) => [c.what, c.target, ratioText(c.measured), c.versus ? SYSTEM_LABELS[c.versus as SystemId] : c.what.includes('limit') ? 'limit' : c.what.includes('proxy') ? 'strait on loopback' : '–', metText(c)]),
  );
}

export function throughputTable(model: ReportModel): string {
  const rows: string[][] = [];
  for (const s of model.summaries.filter((x) => x.scenario === 'loopback')) {
    rows.push([
      sizeLabel(s.size),
      SYSTEM_LABELS[s.system],
      formatSpread(s.recordsPerSec),
      formatSpread(s.mbPerSec, fixed(1)),
      s.system === 'limit' ? '–' : formatSpread(s.cpuPerGB, fixed(1)),
      s.system.startsWith('mm2') ? formatSpread(s.cpuPerGBNoJit, fixed(1)) : '–',
      s.system === 'limit' ? '–' : formatSpread(s.peakRssMB),
      s.system === 'limit' ? '–' : formatSpread(s.startupSec, fixed(1)),
      s.failed > 0 ? `${s.failed} of ${s.runs} failed` : '',
    ]);
  }
  return table(['Size', 'System', 'records/s', 'MB/s', 'CPU s per GB', 'without JIT threads', 'peak RSS MiB', 'start-up s', ''], rows);
}

/**
 * Warm-up: records/s over the first and the second half of each copy (halfRates), median over the
 * repetitions. A second half much faster than the first means the copy ended before that system
 * warmed up, and its figures understate it: copies long enough for both halves to agree are what
 * "steady state" means here.
 */
export function warmupTable(model: ReportModel): string | undefined {
  const rows: string[][] = [];
  const runs = measured(model.results.runs).filter((r) => r.scenario === 'loopback' && r.ok && r.system !== 'limit');
  for (const size of model.results.options.sizes) {
    for (const system of REPLICATORS) {
      const halves = runs.filter((r) => r.size === size && r.system === system).map((r) => halfRates(r.progress, r.records)).filter((h): h is { first: number; second: number } => h !== undefined);
      if (halves.length === 0) continue;
      const first = median(halves.map((h) => h.first));
      const second = median(halves.map((h) => h.second));
      rows.push([sizeLabel(size), SYSTEM_LABELS[system], int(first), int(second), `${(second / first).toFixed(2)}x`, String(halves.length)]);
    }
  }
  if (rows.length === 0) return undefined;
  return table(['Size', 'System', 'first half records/s', 'second half records/s', 'second / first', 'runs'], rows);
}

/** Throughput over time of each replicator's first repetition at each size: warm-up made visible. */
function overTimeCharts(model: ReportModel): string[] {
  const runs = measured(model.results.runs).filter((r) => r.scenario === 'loopback' && r.ok && r.system !== 'limit');
  const out: string[] = [];
  for (const size of model.results.options.sizes) {
    const series = REPLICATORS.flatMap((system) => {
      const first = runs.filter((r) => r.size === size && r.system === system).sort((a, b) => a.rep - b.rep)[0];
      const points = rateSeries(first?.progress);
      return points.length >= 2 ? [{ label: SYSTEM_LABELS[system], color: SYSTEM_COLORS[system], points }] : [];
    });
    if (series.length > 0) out.push(lineChart({ title: `Throughput over time at ${sizeLabel(size)} (first repetition)`, xLabel: 'seconds since the first record', yLabel: 'records/s', series, width: 640, height: 300 }));
  }
  return out;
}

/** A GC pause in ms: whole ms from 10 on, one decimal below. */
const pauseMs = (v: number): string => (v >= 10 ? int(v) : v.toFixed(1));

/**
 * Latency per offered rate and system. The achieved rate is the source's own count in the
 * measured stretch: a producer that fell short (a busy machine) is shown, not hidden, since its
 * figures are then at a lower load than the heading says. With the brokers' GC logs, the longest
 * pause of each broker in the phase too: a broker that stood still stalls every replicator alike,
 * so a tail that matches it is the broker's, not the replicator's.
 */
export function latencyTable(model: ReportModel): string | undefined {
  const o = model.results.options;
  if (!o.latency) return undefined;
  const summaries = model.summaries.filter((s) => s.scenario === 'latency' && s.size === o.latency!.size && s.ratePerSec !== undefined && s.p99);
  const gc = summaries.some((s) => s.sourceGcMaxMs || s.targetGcMaxMs);
  const rows = summaries.map((s) => {
    const short = s.rateNotReached ? ` — **not reached** in ${s.rateNotReached} of ${s.runs - s.failed} runs` : '';
    const row = [int(s.ratePerSec!), SYSTEM_LABELS[s.system], `${formatSpread(s.achievedPerSec)}${short}`, formatSpread(s.p50), formatSpread(s.p99), formatSpread(s.p999), formatSpread(s.latencyCores, fixed(2)), formatSpread(s.peakRssMB)];
    if (gc) row.push(`${formatSpread(s.sourceGcMaxMs, pauseMs)} / ${formatSpread(s.targetGcMaxMs, pauseMs)}`);
    return row;
  });
  if (rows.length === 0) return undefined;
  const header = ['Offered records/s', 'System', 'achieved records/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU cores busy', 'peak RSS MiB (whole run)'];
  if (gc) header.push("brokers' longest GC pause ms (source / target)");
  return table(header, rows);
}

/** A sentence under the latency table when some producer fell short of its rate. */
function latencyShortfall(model: ReportModel): string | undefined {
  const short = model.summaries.filter((s) => s.scenario === 'latency' && (s.rateNotReached ?? 0) > 0);
  if (short.length === 0) return undefined;
  const which = short.map((s) => `${int(s.ratePerSec!)} records/s with ${SYSTEM_LABELS[s.system]} (${s.rateNotReached} of ${s.runs - s.failed} runs)`).join(', ');
  return `The producer did not reach the offered rate at ${which}: those figures are at the lower achieved rate, not at equal offered load.`;
}

const FIGURE_LABELS: Record<string, string> = {
  recordsPerSec: 'records/s',
  mbPerSec: 'MB/s',
  cpuPerGB: 'CPU per GB',
  cpuPerGBNoJit: 'CPU per GB, MM2 without JIT threads',
  peakRssMB: 'peak RSS',
  p99: 'p99 latency',
  startupSec: 'start-up',
  p50: 'p50 latency',
  p999: 'p99.9 latency',
};

export function ratiosTable(model: ReportModel): string {
  const rows = model.ratios
    .filter((r) => r.spread)
    .map((r) => [
      `${FIGURE_LABELS[r.figure] ?? r.figure}${r.ratePerSec === undefined ? '' : ` at ${int(r.ratePerSec)} records/s`}`,
      sizeLabel(r.size),
      r.versus === 'strait-loopback' ? 'strait through the proxy / strait on loopback' : `strait / ${SYSTEM_LABELS[r.versus]}`,
      ratioText(r.spread),
      r.perRep.map((p) => `${p.value.toFixed(2)}`).join(', '),
    ]);
  return table(['Figure', 'Size', 'Ratio', 'Median (range)', 'Per repetition'], rows);
}

export function wanTable(model: ReportModel): string | undefined {
  const o = model.results.options;
  if (!o.wan) return undefined;
  const rows: string[][] = [];
  for (const system of REPLICATORS) {
    const loop = model.summaries.find((s) => s.scenario === 'loopback' && s.size === o.wan!.size && s.system === system);
    const wan = model.summaries.find((s) => s.scenario === 'wan' && s.size === o.wan!.size && s.system === system);
    if (!wan) continue;
    rows.push([SYSTEM_LABELS[system], formatSpread(loop?.recordsPerSec), formatSpread(wan.recordsPerSec), ratioText(wanRatio(model.results.runs, o.wan.size, system).spread)]);
  }
  return rows.length > 0 ? table(['System', 'loopback records/s', `through ${2 * o.wan.delayMs} ms RTT records/s`, 'ratio'], rows) : undefined;
}

/**
 * Where each replicator's CPU went during the copy, by thread name, in its median run (by
 * records/s) at each size: e.g. librdkafka's broker threads, libuv's pool, the JVM's compiler
 * and GC threads, Connect's task threads.
 */
export function threadTable(model: ReportModel): string | undefined {
  const rows: string[][] = [];
  const runs = model.results.runs.filter((r) => r.ok && !r.profiled && r.cpu?.byThread);
  for (const size of model.results.options.sizes) {
    for (const system of REPLICATORS) {
      const list = runs.filter((r) => r.scenario === 'loopback' && r.size === size && r.system === system).sort((a, b) => (a.recordsPerSec ?? 0) - (b.recordsPerSec ?? 0));
      const r = list[Math.floor((list.length - 1) / 2)];
      if (!r?.cpu?.byThread || !r.copySec) continue;
      const cores = (sec: number): string => (sec / r.copySec!).toFixed(2);
      const top = Object.entries(r.cpu.byThread)
        .slice(0, 6)
        .map(([name, sec]) => `${name} ${cores(sec)}`)
        .join('; ');
      rows.push([sizeLabel(size), SYSTEM_LABELS[system], `run ${r.index}`, cores(r.cpu.windowSec), top]);
    }
  }
  return rows.length > 0 ? table(['Size', 'System', 'Run', 'cores busy', 'by thread name (cores)'], rows) : undefined;
}

export function profileSection(model: ReportModel): string | undefined {
  const profiles = model.results.profiles;
  if (profiles.length === 0) return undefined;
  const out: string[] = [
    'Separate strait runs under `node --cpu-prof` with librdkafka statistics on, not counted in the figures above (the profiler costs CPU). Shares are of sampled time between the first and the last record copied.',
    '',
  ];
  for (const p of profiles) {
    const run = model.results.runs.find((r) => r.index === p.runIndex);
    const figures = run?.ok ? `: ${int(run.recordsPerSec ?? 0)} records/s, ${(run.cpu?.perGB ?? 0).toFixed(1)} CPU s/GB under the profiler` : '';
    out.push(`Run ${p.runIndex} (${run ? `${run.scenario === 'wan' ? 'through the proxy' : 'loopback'}, ${sizeLabel(run.size)}` : '?'})${figures}:`, '');
    out.push(
      table(
        ['Thread', 'sampled ms', 'idle', 'GC', 'binding', 'strait', 'deps', 'node', 'program', 'top self time'],
        p.threads.map((t) => [
          t.thread === 0 ? 'main' : `worker ${t.thread}`,
          int(t.totalMs),
          ...(['idle', 'gc', 'binding', 'strait', 'dependencies', 'node', 'program'] as const).map((k) => `${Math.round(t.categories[k] * 100)}%`),
          t.top
            .filter((f) => !f.fn.startsWith('('))
            .slice(0, 3)
            .map((f) => `${f.fn} ${Math.round(f.share * 100)}%`)
            .join('; '),
        ]),
      ),
      '',
    );
    if (p.rdkafka.length > 0) {
      out.push(
        table(
          ['librdkafka client', 'clients', 'queued in producer (avg)', 'pre-fetched in consumer (avg)', 'requests awaiting response (avg)', 'broker RTT ms (avg)', 'batch bytes (avg)', 'records per batch (avg)'],
          p.rdkafka.map((c) => [
            c.type,
            String(c.clients),
            int(c.msgCntAvg),
            int(c.fetchqCntAvg),
            c.waitrespAvg.toFixed(2),
            c.rttAvgMs.toFixed(2),
            c.type === 'producer' ? int(c.batchSizeAvg) : '–',
            c.type === 'producer' ? c.batchCntAvg.toFixed(1) : '–',
          ]),
        ),
        '',
      );
    }
  }
  return out.join('\n');
}

function failedRuns(model: ReportModel): string | undefined {
  const failed = model.results.runs.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  return failed.map((r) => `- run ${r.index} (${r.scenario}, ${sizeLabel(r.size)}, ${SYSTEM_LABELS[r.system]}, rep ${r.rep}): ${(r.error ?? '').split('\n')[0]}`).join('\n');
}

function configNotes(model: ReportModel): string[] {
  const p = model.results.options.partitions;
  return [
    `- MM2 (defaults): dedicated mode, \`--clusters <target>\`, replication factors 1, everything else default (tasks.max 1, no compression). Heap -Xms256m -Xmx2g as in connect-mirror-maker.sh.`,
    `- MM2 (tuned): ${mm2TunedSettings(p)
      .map((s) => `${s.key}=${s.value}`)
      .join(', ')}.`,
    '- strait: `strait run` with its defaults (workers = cores, lz4, linger.ms 1, batch.size 1 MB); only the metrics endpoint is off.',
    `- limit: ProducerPerformance (${Object.entries(LIMIT_PRODUCER_PROPS)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}) into the target while ConsumerPerformance reads the source topic, at the same time; the slower one's records/s.`,
    '- CPU per GB: user+system CPU seconds of the replicator process (all threads; JVM included) between the first and the last record appended to the target, per 10^9 bytes of key+value copied. "without JIT threads": the same minus the JVM\'s C1/C2 compiler threads, which a long-running MM2 would no longer need (strait\'s compilers cannot be told apart, so its figure stays whole). Peak RSS: the process\'s VmHWM.',
  ];
}

export function renderMarkdown(model: ReportModel): string {
  const r = model.results;
  const out: string[] = [`# strait bench — ${r.startedAt.slice(0, 10)}`, '', ...setupLines(r), '', '## Targets', '', targetsTable(model), '', '## Throughput, CPU and memory', '', throughputTable(model), ''];
  const warm = warmupTable(model);
  if (warm) out.push('## Warm-up: first and second half of each copy', '', warm, '');
  const lat = latencyTable(model);
  if (lat) {
    out.push(`## Replication latency at ${ratesText(r.options.latency!.rates)} of ${sizeLabel(r.options.latency!.size)}`, '', lat, '');
    const short = latencyShortfall(model);
    if (short) out.push(short, '');
  }
  const wan = wanTable(model);
  if (wan) out.push('## Cross-region (through the latency proxy)', '', wan, '');
  out.push('## Ratios, run by run', '', ratiosTable(model), '');
  const threads = threadTable(model);
  if (threads) out.push('## Where the CPU went (median run, copy window)', '', threads, '');
  const prof = profileSection(model);
  if (prof) out.push('## Profile of strait', '', prof);
  out.push('## Configurations', '', ...configNotes(model), '');
  const failed = failedRuns(model);
  if (failed) out.push('## Failed runs', '', failed, '');
  return `${out.join('\n')}\n`;
}

/** Markdown tables to HTML (the report's tables are simple: no pipes inside cells). */
export function markdownTableToHtml(md: string): string {
  const lines = md.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string): string[] => l.slice(1, -1).split(' | ').map((c) => c.trim());
  const inline = (c: string): string => escapeXml(c).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');
  const [head, , ...body] = lines;
  return `<table><thead><tr>${cells(head).map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((l) => `<tr>${cells(l).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function charts(model: ReportModel): string[] {
  const o = model.results.options;
  const loop = model.summaries.filter((s) => s.scenario === 'loopback');
  const out: string[] = [];
  for (const size of o.sizes) {
    const groups: BarGroup[] = [
      {
        label: sizeLabel(size),
        bars: SYSTEMS.flatMap((system) => {
          const s = loop.find((x) => x.size === size && x.system === system)?.recordsPerSec;
          return s ? [{ label: SYSTEM_LABELS[system], value: s.median, min: s.min, max: s.max, color: SYSTEM_COLORS[system] }] : [];
        }),
      },
    ];
    out.push(barChart({ title: `Throughput at ${sizeLabel(size)}, records/s`, yLabel: 'records/s', groups, width: 420, height: 300 }));
  }
  const bySize = (get: (s: SystemSummary) => Spread | undefined, systems: readonly SystemId[]): BarGroup[] =>
    o.sizes.map((size) => ({
      label: sizeLabel(size),
      bars: systems.flatMap((system) => {
        const s = loop.find((x) => x.size === size && x.system === system);
        const v = s ? get(s) : undefined;
        return v ? [{ label: SYSTEM_LABELS[system], value: v.median, min: v.min, max: v.max, color: SYSTEM_COLORS[system] }] : [];
      }),
    }));
  out.push(barChart({ title: 'Throughput, MB/s (key + value)', yLabel: 'MB/s', groups: bySize((s) => s.mbPerSec, SYSTEMS) }));
  out.push(barChart({ title: 'CPU seconds per GB copied (lower is better)', yLabel: 'CPU s / GB', groups: bySize((s) => s.cpuPerGB, REPLICATORS) }));
  out.push(barChart({ title: 'Peak resident memory, MiB (lower is better)', yLabel: 'MiB', groups: bySize((s) => s.peakRssMB, REPLICATORS) }));
  out.push(...overTimeCharts(model));
  for (const c of model.latencyCurves) out.push(latencyChart({ title: `Replication latency at ${int(c.ratePerSec)} records/s of ${sizeLabel(o.latency?.size ?? 1024)}`, curves: c.curves }));
  if (o.wan) {
    const groups: BarGroup[] = REPLICATORS.map((system) => {
      const l = model.summaries.find((s) => s.scenario === 'loopback' && s.size === o.wan!.size && s.system === system)?.recordsPerSec;
      const w = model.summaries.find((s) => s.scenario === 'wan' && s.size === o.wan!.size && s.system === system)?.recordsPerSec;
      return {
        label: SYSTEM_LABELS[system],
        bars: [
          ...(l ? [{ label: 'loopback', value: l.median, min: l.min, max: l.max, color: '#9fb3c8' }] : []),
          ...(w ? [{ label: `${2 * o.wan!.delayMs} ms RTT`, value: w.median, min: w.min, max: w.max, color: '#0b7285' }] : []),
        ],
      };
    }).filter((g) => g.bars.length > 0);
    if (groups.length > 0) out.push(barChart({ title: `Cross-region at ${sizeLabel(o.wan.size)}: records/s`, yLabel: 'records/s', groups }));
  }
  return out;
}

export function renderHtml(model: ReportModel): string {
  const md = renderMarkdown(model);
  // Sections of the markdown, rendered: headings, bullet lists, tables.
  const body: string[] = [];
  let list: string[] = [];
  let tableLines: string[] = [];
  const flush = (): void => {
    if (list.length > 0) body.push(`<ul>${list.map((l) => `<li>${escapeXml(l).replace(/`(.+?)`/g, '<code>$1</code>')}</li>`).join('')}</ul>`);
    if (tableLines.length > 0) body.push(markdownTableToHtml(tableLines.join('\n')));
    list = [];
    tableLines = [];
  };
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      if (list.length > 0) flush();
      tableLines.push(line);
      continue;
    }
    if (tableLines.length > 0) flush();
    if (line.startsWith('# ')) body.push(`<h1>${escapeXml(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) {
      flush();
      const title = line.slice(3);
      if (title === 'Throughput, CPU and memory') body.push(`<h2>Charts</h2><div class="charts">${charts(model).join('')}</div>`);
      body.push(`<h2>${escapeXml(title)}</h2>`);
    } else if (line.startsWith('- ')) list.push(line.slice(2));
    else if (line.trim() !== '') {
      flush();
      body.push(`<p>${escapeXml(line)}</p>`);
    }
  }
  flush();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strait bench ${escapeXml(model.results.startedAt.slice(0, 10))}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #1f2933; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #d9e2ec; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f0f4f8; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
code { background: #f0f4f8; padding: 0 0.2rem; }
${CHART_CSS}
</style></head><body>
${body.join('\n')}
<p>Raw figures: results.json in this folder (every run, its /proc samples and latency histogram).</p>
</body></html>
`;
}

export async function writeReports(outDir: string, results: BenchResults): Promise<void> {
  await writeFile(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const model = reportModel(results);
  await writeFile(path.join(outDir, 'summary.md'), renderMarkdown(model));
  await writeFile(path.join(outDir, 'report.html'), renderHtml(model));
}
