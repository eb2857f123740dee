/**
 * The benchmark's result model and the arithmetic over it: one RunResult per replicator run, then
 * per (scenario, record size, system) medians and spread over the repetitions, then the ratios
 * strait/MM2 and strait/limit and the targets they are held against.
 *
 * Ratios are taken run by run, not median over median: repetition r of every system at one size
 * runs back to back (the systems take turns), so strait's run r and MM2's run r saw the same
 * machine; the ratio's median and range over r is what the report shows.
 *
 * "MM2" in a ratio is the better of its two configurations for that figure (higher records/s,
 * lower CPU per GB, lower peak memory, lower p99), chosen by median: the stricter comparison.
 */
import type { BrokerGc } from './gc-log.js';
import type { IdleWait, MachineInfo } from './machine.js';
import type { LatencyFigures } from './measure.js';
import type { ProfileSummary } from './profile.js';
import type { LimitResult } from './perf-tools.js';
import type { ProcSample } from './procstat.js';

/** Key bytes of every benchmark record (`k` + 7 digits); a run's `size` is the value's bytes. */
export const KEY_BYTES = 8;

export const SYSTEMS = ['mm2-default', 'mm2-tuned', 'strait', 'limit'] as const;
export type SystemId = (typeof SYSTEMS)[number];
export const REPLICATORS = ['mm2-default', 'mm2-tuned', 'strait'] as const;
export type ReplicatorId = (typeof REPLICATORS)[number];
/** A copy of the pre-loaded topic on loopback or through the proxy, or a fixed load for latency. */
export type Scenario = 'loopback' | 'wan' | 'latency';

export const SYSTEM_LABELS: Record<SystemId, string> = {
  'mm2-default': 'MM2 (defaults)',
  'mm2-tuned': 'MM2 (tuned)',
  strait: 'strait',
  limit: 'limit (Kafka perf tools)',
};

export function isSystemId(s: string): s is SystemId {
  return (SYSTEMS as readonly string[]).includes(s);
}

export interface CpuFigures {
  /** CPU seconds of the replicator's processes while it copied (first to last append). */
  windowSec: number;
  /** CPU seconds over its whole life, start-up and shutdown included. */
  totalSec: number;
  /** windowSec per GB (10^9 bytes of key + value) copied. */
  perGB: number;
  /** windowSec per thread name of the process (see procstat.ts threadGroups), largest first. */
  byThread?: Record<string, number>;
}

/**
 * The producer counts as having reached a phase's rate when the source appended at least this
 * share of the offered records inside the measured window (the pacer drops records rather than
 * queue them when the cluster falls behind, and 5 % covers the window's edges).
 */
export const RATE_REACHED_SHARE = 0.95;

/** One rate of a latency run: its figures over the records the source appended in its measured window. */
export interface LatencyPhase extends LatencyFigures {
  /** The offered rate, records/s. */
  ratePerSec: number;
  /** Records/s the source appended in the measured window (undefined in results written before phases). */
  achievedPerSec?: number;
  /** Length of the measured window. */
  seconds: number;
  /** The measured window, source append times, ms since the epoch. */
  fromMs?: number;
  toMs?: number;
  /** Records the source appended in the window, copied or not. */
  sourceRecords?: number;
  /** The replicator's CPU in the window: seconds, cores busy (seconds / window), per GB offered. */
  cpu?: { windowSec: number; cores: number; perGB: number };
  /** Busy share of all the machine's cores in the window. */
  machineBusyShare?: number;
  /**
   * Each broker's stop-the-world GC pauses logged in the window (from its GC log, see gc-log.ts).
   * The brokers share the machine with the replicator, so a pause of either stalls every
   * replicator alike and shows in its tail. Absent when no GC log could be read, and in results
   * written before the brokers kept one.
   */
  brokerGc?: BrokerGc;
}

/** A latency run: one phase per offered rate, lowest first, in one run of the replicator. */
export interface RunLatency {
  size: number;
  /** Every record the producer wrote, warm-ups included. */
  produced: number;
  /** Source records never found on the target. */
  missing: number;
  /** Target records seen more than once. */
  duplicates: number;
  phases: LatencyPhase[];
}

/** Whether the producer reached a phase's offered rate (results without the achieved rate count as reached). */
export function rateReached(p: LatencyPhase): boolean {
  return p.achievedPerSec === undefined || p.achievedPerSec >= RATE_REACHED_SHARE * p.ratePerSec;
}

/** A run's phase at an offered rate. */
export function latencyPhase(r: RunResult, ratePerSec: number | undefined): LatencyPhase | undefined {
  return ratePerSec === undefined ? undefined : r.latency?.phases.find((p) => p.ratePerSec === ratePerSec);
}

export interface RunResult {
  index: number;
  rep: number;
  scenario: Scenario;
  system: SystemId;
  /** Value bytes per record. */
  size: number;
  partitions: number;
  /** Records in the source topic, i.e. to be copied. */
  records: number;
  ok: boolean;
  error?: string;
  startedAt: string;
  /** Where this run's files are, relative to the results folder. */
  dir: string;
  /** Records found on the target afterwards. */
  copied?: number;
  /** Key + value bytes copied. */
  bytes?: number;
  firstAppendMs?: number;
  lastAppendMs?: number;
  copySec?: number;
  recordsPerSec?: number;
  /** MB = 10^6 bytes of key + value. */
  mbPerSec?: number;
  /** Records on the target as polled about once a second: [ms since the process started, records]. */
  progress?: [number, number][];
  /** When the replicator's process was started, ms since the epoch. */
  processStartMs?: number;
  /** From process start to its readiness line. */
  readySec?: number;
  /** From process start to the first record on the target. */
  startupSec?: number;
  cpu?: CpuFigures;
  peakRssBytes?: number;
  latency?: RunLatency;
  limit?: LimitResult;
  exit?: string;
  killedAtStop?: boolean;
  samples?: ProcSample[];
  /**
   * A run under `--profile` (node --cpu-prof and librdkafka statistics): its figures carry the
   * profiler's cost, so it is reported apart and never enters medians or ratios.
   */
  profiled?: boolean;
  /** Through the latency proxy: its one-way delay. */
  wanDelayMs?: number;
  /** Seconds the page cache's dirty data took to reach the disk before a latency run (`sync`). */
  syncSec?: number;
  /** 1-minute load average when the run started (other work on the machine shows here). */
  loadAvg1AtStart?: number;
  /**
   * Where the machine's CPU went during the copy: each broker's CPU seconds in the copy window,
   * and the busy share of all cores in that window (1 = every core busy).
   */
  context?: { sourceBrokerCpuSec?: number; targetBrokerCpuSec?: number; machineBusyShare?: number };
}

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (v.length === 0) return undefined;
  return { n: v.length, median: median(v), min: Math.min(...v), max: Math.max(...v) };
}

export interface SystemSummary {
  scenario: Scenario;
  system: SystemId;
  size: number;
  runs: number;
  failed: number;
  recordsPerSec?: Spread;
  mbPerSec?: Spread;
  cpuPerGB?: Spread;
  cpuPerGBNoJit?: Spread;
  peakRssMB?: Spread;
  startupSec?: Spread;
  p50?: Spread;
  p99?: Spread;
  p999?: Spread;
  /** Latency runs: the phase's offered rate (one summary per rate). */
  ratePerSec?: number;
  achievedPerSec?: Spread;
  latencyCores?: Spread;
  /** Latency runs: each broker's longest GC pause in the phase, ms. */
  sourceGcMaxMs?: Spread;
  targetGcMaxMs?: Spread;
  /** Latency runs whose producer fell short of this phase's rate. */
  rateNotReached?: number;
}

/**
 * CPU per GB without the JVM's JIT compiler threads ("C1 CompilerThre", "C2 CompilerThre"): a
 * short copy is also the JVM's warm-up, and a long-running MM2 would have compiled its hot code
 * long ago, so this is closer to MM2's cost in steady state. Node's compilers run on threads
 * that cannot be told apart from its other threads, so strait's figure stays whole (this favours
 * MM2).
 */
export function cpuPerGBWithoutJit(r: RunResult): number | undefined {
  if (!r.cpu || r.bytes === undefined || r.bytes === 0) return undefined;
  let jit = 0;
  for (const [name, sec] of Object.entries(r.cpu.byThread ?? {})) if (/CompilerThre/.test(name)) jit += sec;
  return Math.round(((r.cpu.windowSec - jit) / (r.bytes / 1e9)) * 100) / 100;
}

/**
 * Figures of one run that summaries and ratios are taken over. Latency figures are per phase:
 * they take the phase's offered rate (the others ignore it).
 */
export const FIGURES = {
  recordsPerSec: (r) => r.recordsPerSec,
  mbPerSec: (r) => r.mbPerSec,
  cpuPerGB: (r) => r.cpu?.perGB,
  cpuPerGBNoJit: (r) => cpuPerGBWithoutJit(r),
  peakRssMB: (r) => (r.peakRssBytes === undefined ? undefined : r.peakRssBytes / 2 ** 20),
  startupSec: (r) => r.startupSec,
  p50: (r, rate) => latencyPhase(r, rate)?.p50,
  p99: (r, rate) => latencyPhase(r, rate)?.p99,
  p999: (r, rate) => latencyPhase(r, rate)?.p999,
  achievedPerSec: (r, rate) => latencyPhase(r, rate)?.achievedPerSec,
  latencyCores: (r, rate) => latencyPhase(r, rate)?.cpu?.cores,
  sourceGcMaxMs: (r, rate) => latencyPhase(r, rate)?.brokerGc?.source?.maxMs,
  targetGcMaxMs: (r, rate) => latencyPhase(r, rate)?.brokerGc?.target?.maxMs,
} satisfies Record<string, (r: RunResult, ratePerSec?: number) => number | undefined>;
export type FigureName = keyof typeof FIGURES;
/** Whether more is better (throughput) or less (CPU, memory, latency). */
export const HIGHER_IS_BETTER: Record<FigureName, boolean> = {
  recordsPerSec: true,
  mbPerSec: true,
  cpuPerGB: false,
  cpuPerGBNoJit: false,
  peakRssMB: false,
  startupSec: false,
  p50: false,
  p99: false,
  p999: false,
  achievedPerSec: true,
  latencyCores: false,
  sourceGcMaxMs: false,
  targetGcMaxMs: false,
};

/** The runs that count: everything but profiled runs. */
export function measured(runs: readonly RunResult[]): RunResult[] {
  return runs.filter((r) => !r.profiled);
}

/** The offered rates a run's figures are summarised under: one per latency phase, else none. */
function ratesOf(r: RunResult): (number | undefined)[] {
  return r.scenario === 'latency' && r.latency && r.latency.phases.length > 0 ? r.latency.phases.map((p) => p.ratePerSec) : [undefined];
}

export function summarize(all: readonly RunResult[]): SystemSummary[] {
  const runs = measured(all);
  const groups = new Map<string, { rate: number | undefined; list: RunResult[] }>();
  for (const r of runs) {
    for (const rate of ratesOf(r)) {
      const k = `${r.scenario}|${r.size}|${r.system}|${rate ?? ''}`;
      const g = groups.get(k) ?? { rate, list: [] };
      g.list.push(r);
      groups.set(k, g);
    }
  }
  const out: SystemSummary[] = [];
  for (const { rate, list } of groups.values()) {
    const ok = list.filter((r) => r.ok);
    const s: SystemSummary = { scenario: list[0].scenario, system: list[0].system, size: list[0].size, runs: list.length, failed: list.length - ok.length };
    for (const [name, get] of Object.entries(FIGURES) as [FigureName, (r: RunResult, rate?: number) => number | undefined][]) {
      const sp = spread(ok.map((r) => get(r, rate)));
      if (sp) s[name] = sp;
    }
    if (rate !== undefined) {
      s.ratePerSec = rate;
      s.rateNotReached = ok.filter((r) => { const p = latencyPhase(r, rate); return p !== undefined && !rateReached(p); }).length;
    }
    out.push(s);
  }
  const order = (x: SystemSummary): string => `${['loopback', 'latency', 'wan'].indexOf(x.scenario)}|${String(x.size).padStart(8, '0')}|${String(x.ratePerSec ?? 0).padStart(10, '0')}|${SYSTEMS.indexOf(x.system)}`;
  return out.sort((a, b) => order(a).localeCompare(order(b)));
}

/** The MM2 configuration with the better median of a figure at one size (and, for latency, rate); undefined without MM2 runs. */
export function betterMm2(all: readonly RunResult[], scenario: Scenario, size: number, figure: FigureName, ratePerSec?: number): ReplicatorId | undefined {
  const runs = measured(all);
  let best: { id: ReplicatorId; value: number } | undefined;
  for (const id of ['mm2-default', 'mm2-tuned'] as const) {
    const m = spread(runs.filter((r) => r.ok && r.scenario === scenario && r.size === size && r.system === id).map((r) => FIGURES[figure](r, ratePerSec)));
    if (!m) continue;
    const better = !best || (HIGHER_IS_BETTER[figure] ? m.median > best.value : m.median < best.value);
    if (better) best = { id, value: m.median };
  }
  return best?.id;
}

export interface Ratio {
  figure: FigureName;
  scenario: Scenario;
  size: number;
  /** What strait is divided by. */
  versus: SystemId | 'strait-loopback';
  /** Latency ratios: the phase's offered rate. */
  ratePerSec?: number;
  /** Ratio per repetition (runs made side by side). */
  perRep: { rep: number; value: number }[];
  spread?: Spread;
}

/** strait's figure over `versus`'s, repetition by repetition (latency figures: at one offered rate). */
export function ratio(all: readonly RunResult[], figure: FigureName, scenario: Scenario, size: number, versus: SystemId, ratePerSec?: number): Ratio {
  const runs = measured(all);
  const get = FIGURES[figure];
  const pick = (system: SystemId, rep: number): number | undefined => {
    const r = runs.find((x) => x.ok && x.scenario === scenario && x.size === size && x.system === system && x.rep === rep);
    return r ? get(r, ratePerSec) : undefined;
  };
  const reps = [...new Set(runs.filter((r) => r.scenario === scenario && r.size === size).map((r) => r.rep))].sort((a, b) => a - b);
  const perRep: { rep: number; value: number }[] = [];
  for (const rep of reps) {
    const a = pick('strait', rep);
    const b = pick(versus, rep);
    if (a !== undefined && b !== undefined && b > 0) perRep.push({ rep, value: a / b });
  }
  const sp = spread(perRep.map((p) => p.value));
  return { figure, scenario, size, versus, perRep, ...(ratePerSec === undefined ? {} : { ratePerSec }), ...(sp ? { spread: sp } : {}) };
}

/**
 * A replicator's throughput through the proxy over its own loopback throughput at the same size:
 * each cross-region run over the median of the loopback runs. (The cross-region runs come after
 * all loopback repetitions, so no loopback run was made beside them; the median is the fairest
 * partner.)
 */
export function wanRatio(all: readonly RunResult[], size: number, system: ReplicatorId = 'strait'): Ratio {
  const runs = measured(all);
  const wan = runs.filter((r) => r.ok && r.scenario === 'wan' && r.size === size && r.system === system);
  const loop = spread(runs.filter((r) => r.ok && r.scenario === 'loopback' && r.size === size && r.system === system).map((r) => r.recordsPerSec));
  const perRep: { rep: number; value: number }[] = [];
  for (const w of wan) if (loop && loop.median > 0 && w.recordsPerSec !== undefined) perRep.push({ rep: w.rep, value: w.recordsPerSec / loop.median });
  const sp = spread(perRep.map((p) => p.value));
  return { figure: 'recordsPerSec', scenario: 'wan', size, versus: 'strait-loopback', perRep, ...(sp ? { spread: sp } : {}) };
}

export interface TargetCheck {
  /** What is held to the target, e.g. "records/s vs MM2 at 100 B". */
  what: string;
  /** e.g. ">= 3x". */
  target: string;
  /** Median ratio and its range, undefined when not measured. */
  measured?: Spread;
  /** Against which configuration (for MM2 ratios). */
  versus?: string;
  met?: boolean;
  /** What qualifies the figure, e.g. runs whose producer fell short of the offered rate. */
  note?: string;
}

export interface TargetSpec {
  latencySize: number;
  /** The latency phases' offered rates: one p99 target per rate. */
  latencyRates: readonly number[];
  wanSize: number;
  sizes: readonly number[];
}

const THROUGHPUT_TARGETS: Record<number, number> = { 100: 3, 1024: 2, 10240: 1.2 };

/** Latency runs of these systems whose producer fell short of a phase's rate, e.g. "strait rep 2 (14,100 records/s)". */
export function shortOfRate(all: readonly RunResult[], size: number, ratePerSec: number, systems: readonly SystemId[]): string[] {
  const out: string[] = [];
  for (const r of measured(all)) {
    if (!r.ok || r.scenario !== 'latency' || r.size !== size || !systems.includes(r.system)) continue;
    const p = latencyPhase(r, ratePerSec);
    if (p && !rateReached(p)) out.push(`${SYSTEM_LABELS[r.system]} rep ${r.rep} (${Math.round(p.achievedPerSec ?? 0).toLocaleString('en-US')} records/s)`);
  }
  return out;
}

/** The targets for strait, each with the measured ratio. */
export function checkTargets(runs: readonly RunResult[], spec: TargetSpec, label: (size: number) => string): { checks: TargetCheck[]; ratios: Ratio[] } {
  const checks: TargetCheck[] = [];
  const ratios: Ratio[] = [];
  const atLeast = (x: Spread | undefined, t: number): boolean | undefined => (x ? x.median >= t : undefined);
  const atMost = (x: Spread | undefined, t: number): boolean | undefined => (x ? x.median <= t : undefined);
  const push = (what: string, target: string, r: Ratio | undefined, met: boolean | undefined, versus?: string, note?: string): void => {
    if (r) ratios.push(r);
    checks.push({ what, target, ...(r?.spread ? { measured: r.spread } : {}), ...(versus ? { versus } : {}), ...(met === undefined ? {} : { met }), ...(note ? { note } : {}) });
  };
  for (const size of spec.sizes) {
    const t = THROUGHPUT_TARGETS[size];
    const mm2 = betterMm2(runs, 'loopback', size, 'recordsPerSec');
    const r = mm2 ? ratio(runs, 'recordsPerSec', 'loopback', size, mm2) : undefined;
    if (t !== undefined) push(`records/s vs MM2 at ${label(size)}`, `>= ${t}x`, r, atLeast(r?.spread, t), mm2);
    else if (r) ratios.push(r);
  }
  for (const size of spec.sizes) {
    const mm2 = betterMm2(runs, 'loopback', size, 'cpuPerGB');
    const r = mm2 ? ratio(runs, 'cpuPerGB', 'loopback', size, mm2) : undefined;
    push(`CPU per GB vs MM2 at ${label(size)}`, '<= 1/3 (0.33x)', r, atMost(r?.spread, 1 / 3), mm2);
  }
  for (const size of spec.sizes) {
    const mm2 = betterMm2(runs, 'loopback', size, 'cpuPerGBNoJit');
    const r = mm2 ? ratio(runs, 'cpuPerGBNoJit', 'loopback', size, mm2) : undefined;
    if (r?.spread) ratios.push(r);
  }
  for (const size of spec.sizes) {
    const mm2 = betterMm2(runs, 'loopback', size, 'peakRssMB');
    const r = mm2 ? ratio(runs, 'peakRssMB', 'loopback', size, mm2) : undefined;
    push(`peak RSS vs MM2 at ${label(size)}`, '<= 1/4 (0.25x)', r, atMost(r?.spread, 1 / 4), mm2);
  }
  for (const rate of spec.latencyRates) {
    const mm2 = betterMm2(runs, 'latency', spec.latencySize, 'p99', rate);
    const r = mm2 ? ratio(runs, 'p99', 'latency', spec.latencySize, mm2, rate) : undefined;
    const short = mm2 ? shortOfRate(runs, spec.latencySize, rate, ['strait', mm2]) : [];
    const note = short.length > 0 ? `offered rate not reached in ${short.join(', ')}` : undefined;
    push(`p99 latency vs MM2 at ${label(spec.latencySize)}, ${rate.toLocaleString('en-US')} records/s`, '<= 1/5 (0.2x)', r, atMost(r?.spread, 1 / 5), mm2, note);
  }
  for (const size of spec.sizes) {
    const r = ratio(runs, 'recordsPerSec', 'loopback', size, 'limit');
    if (size === 1024) push(`records/s vs the limit at ${label(size)}`, '>= 0.8x', r.spread ? r : undefined, atLeast(r.spread, 0.8));
    else if (r.spread) ratios.push(r);
  }
  {
    const r = wanRatio(runs, spec.wanSize);
    push(`records/s through the proxy vs own loopback at ${label(spec.wanSize)}`, '>= 0.8x', r.spread ? r : undefined, atLeast(r.spread, 0.8));
  }
  return { checks, ratios };
}

/** The options of one `strait bench` run (bench/harness.ts) and the results it writes (results.json). */
export interface LatencyOptions {
  size: number;
  /** Offered rates, records/s, lowest first: consecutive phases of one run per replicator. */
  rates: number[];
  /** Measured seconds of each phase. */
  seconds: number;
  /** Seconds before each phase's measured stretch (after the rate switched) that are not measured. */
  warmupSeconds: number;
}

export interface WanOptions {
  size: number;
  /** One-way delay, ms. */
  delayMs: number;
  repetitions: number;
  systems: ReplicatorId[];
}

export interface BenchOptions {
  sizes: number[];
  /** Records to pre-load per size. */
  records: Record<number, number>;
  partitions: number;
  repetitions: number;
  systems: SystemId[];
  latency: LatencyOptions | undefined;
  wan: WanOptions | undefined;
  sourcePort: number;
  targetPort: number;
  /** Sandbox folder; default a fresh temporary folder. */
  sandboxDir: string | undefined;
  keepSandbox: boolean;
  outDir: string;
  profile: boolean;
  idleWait: { threshold: number; holdSec: number; checkSec: number; maxSec: number } | undefined;
  /** Per run: how long a copy may take before the run counts as failed. */
  runTimeoutSec: number;
  note: string | undefined;
  /** The command as typed, for the report. */
  command: string;
}

export interface BenchResults {
  /** 2: latency per phase (offered rate); 1 had one rate (see upgradeResults). */
  version: 2;
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  command: string;
  note: string | undefined;
  machine: MachineInfo;
  idleWait: IdleWait;
  options: Omit<BenchOptions, 'outDir' | 'sandboxDir' | 'command' | 'note'>;
  /** Load average at start and end. */
  load: { start: number | undefined; end: number | undefined };
  preload: { size: number; topic: string; records: number; seconds: number; recordsPerSec: number }[];
  runs: RunResult[];
  profiles: ProfileSummary[];
  /**
   * How the benchmark started the brokers' JVMs: the heap flags (e.g. `-Xms1g -Xmx1g`) and whether
   * each kept a GC log. Absent in results written before it was recorded (their brokers ran with
   * -Xmx512m and no GC log), and when the benchmark used brokers that were already running.
   */
  brokers?: { heap: string; gcLog: boolean };
}

/**
 * Records/s over the first and the second half of a copy's records, from its progress samples
 * (ms since the process started, records on the target, about once a second): the times at which
 * the target held none, half and all of the records are interpolated between samples. A copy past
 * its warm-up copies both halves at about the same rate; one still warming up (a JIT compiler, a
 * growing batch size) copies the second half faster. Undefined when the copy was too short for
 * the samples to tell (fewer than two samples inside each half): `--quick` copies often are.
 */
export function halfRates(progress: readonly (readonly [number, number])[] | undefined, total: number): { first: number; second: number } | undefined {
  if (!progress || total <= 0) return undefined;
  const at = (count: number): number | undefined => {
    for (let i = 0; i < progress.length; i++) {
      const [t, c] = progress[i];
      if (c >= count) {
        if (i === 0) return undefined;
        const [t0, c0] = progress[i - 1];
        return t0 + ((t - t0) * (count - c0)) / Math.max(1, c - c0);
      }
    }
    return undefined;
  };
  const inside = (lo: number, hi: number) => progress.filter(([, c]) => c > lo && c < hi).length;
  if (inside(0, total / 2) < 2 || inside(total / 2, total) < 2) return undefined;
  // The start: where the first record arrived, interpolated between the samples around it.
  const start = at(1);
  const half = at(total / 2);
  const end = at(total);
  if (start === undefined || half === undefined || end === undefined || !(half > start) || !(end > half)) return undefined;
  return { first: (total / 2 / (half - start)) * 1000, second: (total / 2 / (end - half)) * 1000 };
}

/** Records/s between consecutive progress samples, against seconds since the first record: the throughput-over-time plot. */
export function rateSeries(progress: readonly (readonly [number, number])[] | undefined): [number, number][] {
  if (!progress) return [];
  const first = progress.findIndex(([, c]) => c > 0);
  if (first < 1) return [];
  const t0 = progress[first - 1][0];
  const out: [number, number][] = [];
  for (let i = first; i < progress.length; i++) {
    const [t, c] = progress[i];
    const [tp, cp] = progress[i - 1];
    if (t > tp) out.push([(t - t0) / 1000, ((c - cp) * 1000) / (t - tp)]);
  }
  return out;
}

/** The single-rate latency of results.json files written before the phases (version 1). */
interface LegacyRunLatency extends LatencyFigures {
  ratePerSec: number;
  seconds: number;
  size: number;
  produced: number;
  missing: number;
  duplicates: number;
}

interface LegacyLatencyOptions {
  size: number;
  ratePerSec: number;
  seconds: number;
  warmupSeconds: number;
}

export type StoredRun = Omit<RunResult, 'latency'> & { latency?: RunLatency | LegacyRunLatency };

/** A results.json as read back: this version's shape, or the single-rate one before it. */
export type StoredResults = Omit<BenchResults, 'version' | 'options' | 'runs'> & {
  version: number;
  options: Omit<BenchResults['options'], 'latency'> & { latency: LatencyOptions | LegacyLatencyOptions | undefined };
  runs: StoredRun[];
};

function upgradeLatency(r: StoredRun): RunResult {
  const l = r.latency;
  if (l === undefined || 'phases' in l) return r as RunResult;
  const { ratePerSec, seconds, size, produced, missing, duplicates, ...figures } = l;
  const recordBytes = size + KEY_BYTES;
  // The run's CPU was over its one measured window: that window is the phase's.
  const cpu = r.cpu ? { windowSec: r.cpu.windowSec, cores: (r.cpu.perGB * ratePerSec * recordBytes) / 1e9, perGB: r.cpu.perGB } : undefined;
  const phase: LatencyPhase = { ...figures, ratePerSec, seconds, ...(cpu ? { cpu } : {}) };
  return { ...r, latency: { size, produced, missing, duplicates, phases: [phase] } };
}

/**
 * Results in this version's shape. Files written before the latency phases (one rate per run)
 * read as runs of one phase each, so their reports and the machine profile derived from them
 * (the shipped one included) stay as they were. The achieved rate was not recorded then: such a
 * phase counts as having reached its rate.
 */
export function upgradeResults(doc: StoredResults): BenchResults {
  const lat = doc.options.latency;
  const latency: LatencyOptions | undefined = lat === undefined ? undefined : 'rates' in lat ? lat : { size: lat.size, rates: [lat.ratePerSec], seconds: lat.seconds, warmupSeconds: lat.warmupSeconds };
  return { ...doc, version: 2, options: { ...doc.options, latency }, runs: doc.runs.map(upgradeLatency) };
}
