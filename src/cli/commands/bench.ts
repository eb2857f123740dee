/**
 * `strait bench`: measure strait against Apache Kafka's MirrorMaker 2 and against the clusters'
 * own limit on a private pair of local clusters, and write the results (JSON, markdown, HTML).
 * See src/bench/harness.ts for the steps and bench/README.md for how to read the results.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { flag, flagBool, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { numberOption } from './demo.js';
import { describeRun, planRuns, resultsStamp, runBench } from '../../bench/harness.js';
import { estimateSeconds } from '../../bench/estimate.js';
import type { BenchOptions } from '../../bench/results.js';
import { isSystemId, REPLICATORS, SYSTEMS, type ReplicatorId, type SystemId } from '../../bench/results.js';
import { reportModel, targetsTable } from '../../bench/report.js';
import { displayPath } from '../../sandbox/paths.js';
import { profileFromBench } from '../../plan/profile.js';

/**
 * Steady state by default: copies several times longer than MirrorMaker 2's JIT warm-up, about
 * 35 minutes in all on a 2-core machine. The report's warm-up table compares each copy's halves,
 * because MM2 still speeds up within them (its second half 1.3-1.7x its first in the run of
 * 2026-12-08; bench/README.md). `--quick` keeps the short copies (a tenth of the records,
 * about a quarter of an hour), where MM2 is still warming up and strait's lead looks larger.
 */
export const BENCH_DEFAULTS = {
  sizes: [100, 1024, 10240],
  records: { 100: 3_000_000, 1024: 1_000_000, 10240: 100_000 } as Record<number, number>,
  partitions: 8,
  repetitions: 3,
  /** Offered rates of the latency load, records/s: phases of one run, lowest first. */
  latencyRates: [2_000, 20_000],
  /**
   * Measured seconds per phase: 30 s gives the p99.9 of the lower rate 60,000 records, and the two
   * default phases with their warm-ups load each latency run for 80 s.
   */
  latencySeconds: 30,
  /** Warm-up seconds before each phase's measured stretch. */
  latencyWarmup: 10,
  latencySize: 1024,
  wanDelayMs: 25,
  wanRepetitions: 1,
  wanSize: 1024,
  sourcePort: 19192,
  targetPort: 19194,
  runTimeoutSec: 600,
} as const;

const SUMMARY = `Measure strait against Apache Kafka's MirrorMaker 2 (dedicated mode, same Kafka version) and against
the clusters' own limit (Kafka's ProducerPerformance and ConsumerPerformance), on two local clusters
that this command starts for itself (its own folder and ports; stopped and deleted at the end).

For each record size, a source topic is pre-loaded, then each system copies it in turn, several
times: MM2 with its defaults, MM2 tuned as public guides advise, strait with its defaults, and the
limit. Figures: records/s and MB/s of the copy, CPU seconds per GB and peak memory of the
replicator's process, replication latency at fixed loads (one run per replicator offering each
rate of --latency-rate in turn, lowest first), and the same copy through a proxy that adds a
cross-region delay. Results: results.json, summary.md and report.html in the results folder.

The defaults (steady state) take about 35 minutes on 2 cores, --quick about 15; the estimate is printed first. Close other work first (or use --wait-idle): the
brokers and the replicator share the machine, and anything else running skews the comparison.

options:`;

/** --quick divides the record counts by this and measures each latency phase for QUICK_LATENCY.seconds. */
export const QUICK_DIVISOR = 10;
const QUICK_LATENCY = { seconds: 6, warmup: 2 };

const SPECS: FlagSpecs = {
  sizes: { value: true, description: `record (value) sizes in bytes, comma-separated (default ${BENCH_DEFAULTS.sizes.join(',')})` },
  records: { value: true, description: 'records per size, as size:count pairs (default 100:3000000,1024:1000000,10240:100000; a tenth with --quick)' },
  quick: { value: false, description: 'short copies (a tenth of the records, 6 s measured per latency rate): about a quarter of an hour, before MM2 has warmed up' },
  scale: { value: true, description: 'multiply every record count by this factor (e.g. 0.1 for a quick try, 4 for steadier figures)' },
  partitions: { value: true, description: `partitions of each topic (default ${BENCH_DEFAULTS.partitions})` },
  repetitions: { value: true, description: `runs of each system at each size (default ${BENCH_DEFAULTS.repetitions})` },
  systems: { value: true, description: `systems to run, comma-separated (default all: ${SYSTEMS.join(',')})` },
  'latency-rate': {
    value: true,
    description: `records/s of the fixed loads for latency, comma-separated: one phase per rate in each latency run, lowest first (default ${BENCH_DEFAULTS.latencyRates.join(',')}; 0 skips latency)`,
  },
  'latency-seconds': {
    value: true,
    description: `measured seconds of each latency rate, after a warm-up of a third of that, at most ${BENCH_DEFAULTS.latencyWarmup} s (default ${BENCH_DEFAULTS.latencySeconds}, ${QUICK_LATENCY.seconds} with --quick)`,
  },
  'latency-size': { value: true, description: `record size of the fixed load, one of --sizes (default ${BENCH_DEFAULTS.latencySize})` },
  'wan-delay': { value: true, description: `cross-region case: ms added each way by the proxy (default ${BENCH_DEFAULTS.wanDelayMs}; 0 skips the case)` },
  'wan-repetitions': { value: true, description: `runs of each replicator through the proxy (default ${BENCH_DEFAULTS.wanRepetitions})` },
  'wan-size': { value: true, description: `record size of the cross-region case (default ${BENCH_DEFAULTS.wanSize})` },
  calibrate: { value: false, description: 'measure only strait (no MM2, no limit, no proxy) and write profile.json, the machine profile `strait plan --profile` reads' },
  profile: { value: false, description: 'profile strait (node --cpu-prof per thread, librdkafka statistics) and summarise it in the report' },
  'wait-idle': { value: true, description: 'first wait up to this many minutes for the 1-minute load average to stay below 1.0 for 30 s' },
  'source-port': { value: true, description: `client port of the benchmark's source cluster (default ${BENCH_DEFAULTS.sourcePort}; uses N and N+1)` },
  'target-port': { value: true, description: `client port of the benchmark's target cluster (default ${BENCH_DEFAULTS.targetPort}; uses N and N+1)` },
  dir: { value: true, description: 'folder for the benchmark\'s clusters (default a fresh temporary folder)' },
  keep: { value: false, description: 'leave the benchmark\'s clusters running at the end' },
  out: { value: true, description: 'results folder (default bench/results/<date>_<time> under the current folder)' },
  'run-timeout': { value: true, description: `seconds one copy may take before it counts as failed (default ${BENCH_DEFAULTS.runTimeoutSec})` },
  note: { value: true, description: 'a remark stored with the results (e.g. what else ran on the machine)' },
  help: { value: false, description: 'show this help' },
};

function sizeList(value: string | undefined): number[] {
  if (value === undefined) return [...BENCH_DEFAULTS.sizes];
  const sizes = value.split(',').map((s) => s.trim());
  const out = sizes.map((s) => numberOption(s, 'sizes', undefined, 1, 1_000_000, true)!);
  if (new Set(out).size !== out.length) throw new UsageError('option --sizes lists a size twice');
  return out;
}


/** Records per size: the defaults (or 50,000 records of a size without a default), then --records, then --scale. */
export function recordCounts(sizes: readonly number[], recordsFlag: string | undefined, scale: number, quick = false): Record<number, number> {
  const counts: Record<number, number> = {};
  // Sizes without a default: about 500 MB of records (50 MB with --quick).
  const base = (s: number) => BENCH_DEFAULTS.records[s] ?? Math.max(1_000, Math.round(500_000_000 / (s + 8) / 1_000) * 1_000);
  for (const s of sizes) counts[s] = quick ? Math.max(1, Math.round(base(s) / QUICK_DIVISOR)) : base(s);
  if (recordsFlag !== undefined) {
    for (const pair of recordsFlag.split(',')) {
      const m = /^\s*(\d+)\s*:\s*([\d_]+)\s*$/.exec(pair);
      if (!m) throw new UsageError(`option --records takes size:count pairs, e.g. 100:400000,1024:120000 (got ${JSON.stringify(pair)})`);
      const size = Number(m[1]);
      if (!sizes.includes(size)) throw new UsageError(`option --records names size ${size}, which is not in --sizes (${sizes.join(',')})`);
      counts[size] = numberOption(m[2], 'records', undefined, 1, 1e9, true)!;
    }
  }
  for (const s of sizes) counts[s] = Math.max(1, Math.round(counts[s] * scale));
  return counts;
}

const MAX_LATENCY_RATE = 1_000_000;

/**
 * --latency-rate: offered rates, records/s, sorted lowest first (the order the phases run in);
 * [] for 0, which skips latency. Errors name the flag and what it was given.
 */
export function latencyRates(value: string | undefined): number[] {
  if (value === undefined) return [...BENCH_DEFAULTS.latencyRates];
  const bad = (why: string): UsageError => new UsageError(`--latency-rate ${value}: ${why}`);
  const parts = value.split(',').map((s) => s.trim());
  const rates = parts.map((s) => {
    const n = Number(s.replace(/_/g, ''));
    if (s === '' || !Number.isFinite(n) || !(n === 0 || (n >= 1 && n <= MAX_LATENCY_RATE))) throw bad(`each rate must be a number of records/s from 1 to ${MAX_LATENCY_RATE.toLocaleString('en-US')} (got ${JSON.stringify(s)})`);
    return n;
  });
  if (rates.includes(0)) {
    if (rates.length > 1) throw bad('0 skips latency and cannot be listed with other rates');
    return [];
  }
  if (new Set(rates).size !== rates.length) throw bad('a rate is listed twice');
  return rates.sort((a, b) => a - b);
}

function systemList(value: string | undefined): SystemId[] {
  if (value === undefined) return [...SYSTEMS];
  const out = value.split(',').map((s) => s.trim());
  for (const s of out) if (!isSystemId(s)) throw new UsageError(`unknown system "${s}" in --systems (known: ${SYSTEMS.join(', ')})`);
  return out as SystemId[];
}

/** Options whose values are folders of this machine: the report shows `<path>` instead. */
const PATH_OPTIONS = new Set(['--out', '--dir']);

/** The command as a person would type it, for the report, without this machine's folders. */
export function commandLine(argv: readonly string[]): string {
  const shown = argv.map((a, i) => {
    if (i > 0 && PATH_OPTIONS.has(argv[i - 1])) return '<path>';
    const eq = a.indexOf('=');
    if (eq > 0 && PATH_OPTIONS.has(a.slice(0, eq))) return `${a.slice(0, eq)}=<path>`;
    return a;
  });
  const args = shown.map((a) => (/^[\w.,:=/<>+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const viaNpm = process.env['npm_lifecycle_event'] === 'bench';
  return viaNpm ? `npm run bench${args ? ` -- ${args}` : ''}` : `strait bench${args ? ` ${args}` : ''}`;
}

export function benchOptions(argv: readonly string[], now = new Date()): BenchOptions {
  const args = parseArgs(argv, SPECS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}" for bench (see strait bench --help)`);
  const sizes = sizeList(flag(args, 'sizes'));
  const scale = numberOption(flag(args, 'scale'), 'scale', 1, 0.0001, 1000, false)!;
  const num = (name: string, fallback: number, min: number, max: number, integer = true): number => numberOption(flag(args, name), name, fallback, min, max, integer)!;
  const calibrate = flagBool(args, 'calibrate');
  if (calibrate && flag(args, 'systems') !== undefined) throw new UsageError('--calibrate measures strait only: leave out --systems');
  const systems = calibrate ? (['strait'] as SystemId[]) : systemList(flag(args, 'systems'));
  const rates = latencyRates(flag(args, 'latency-rate'));
  const latencySize = num('latency-size', BENCH_DEFAULTS.latencySize, 1, 1_000_000);
  // A profile is of the machine, not of a link: --calibrate skips the proxy unless asked for.
  const wanDelay = num('wan-delay', calibrate ? 0 : BENCH_DEFAULTS.wanDelayMs, 0, 10_000, false);
  const wanSize = num('wan-size', BENCH_DEFAULTS.wanSize, 1, 1_000_000);
  if (rates.length > 0 && !sizes.includes(latencySize)) throw new UsageError(`--latency-size ${latencySize} must be one of --sizes (${sizes.join(',')})`);
  if (wanDelay > 0 && !sizes.includes(wanSize)) throw new UsageError(`--wan-size ${wanSize} must be one of --sizes (${sizes.join(',')})`);
  const replicators = systems.filter((s): s is ReplicatorId => (REPLICATORS as readonly string[]).includes(s));
  const quick = flagBool(args, 'quick');
  const latencySeconds = num('latency-seconds', quick ? QUICK_LATENCY.seconds : BENCH_DEFAULTS.latencySeconds, 3, 3600);
  const waitIdle = flag(args, 'wait-idle');
  const sourcePort = num('source-port', BENCH_DEFAULTS.sourcePort, 1, 65534);
  const targetPort = num('target-port', BENCH_DEFAULTS.targetPort, 1, 65534);
  if (Math.abs(sourcePort - targetPort) < 2) throw new UsageError('--source-port and --target-port each take two ports (N and N+1): they overlap');
  const dir = flag(args, 'dir');
  const note = flag(args, 'note');
  return {
    sizes,
    records: recordCounts(sizes, flag(args, 'records'), scale, quick),
    partitions: num('partitions', BENCH_DEFAULTS.partitions, 1, 256),
    repetitions: num('repetitions', BENCH_DEFAULTS.repetitions, 1, 100),
    systems,
    latency:
      rates.length > 0 && replicators.length > 0
        ? { size: latencySize, rates, seconds: latencySeconds, warmupSeconds: Math.min(latencySeconds / 3, quick ? QUICK_LATENCY.warmup : BENCH_DEFAULTS.latencyWarmup) }
        : undefined,
    wan:
      wanDelay > 0 && replicators.length > 0
        ? { size: wanSize, delayMs: wanDelay, repetitions: num('wan-repetitions', BENCH_DEFAULTS.wanRepetitions, 1, 100), systems: replicators }
        : undefined,
    sourcePort,
    targetPort,
    sandboxDir: dir === undefined ? undefined : path.resolve(dir),
    keepSandbox: flagBool(args, 'keep'),
    outDir: path.resolve(flag(args, 'out') ?? path.join('bench', 'results', resultsStamp(now))),
    profile: flagBool(args, 'profile'),
    idleWait: waitIdle === undefined ? undefined : { threshold: 1.0, holdSec: 30, checkSec: 15, maxSec: numberOption(waitIdle, 'wait-idle', 10, 0, 24 * 60, false)! * 60 },
    runTimeoutSec: num('run-timeout', BENCH_DEFAULTS.runTimeoutSec, 10, 24 * 3600),
    note,
    command: commandLine(argv),
  };
}

export const command: Command = {
  name: 'bench',
  summary: 'measure strait against MirrorMaker 2 and the clusters\' limit on local clusters',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(usage('bench [options]', SUMMARY, SPECS));
      return 0;
    }
    const options = benchOptions(argv);
    const runs = planRuns(options);
    console.error(`strait bench: ${runs.length} runs, about ${Math.round(estimateSeconds(options, runs) / 60)} minutes on a 2-core machine (an estimate from the recorded runs; --quick for about a tenth of the copying)`);
    const results = await runBench(options);
    if (flagBool(args, 'calibrate')) {
      const file = path.join(options.outDir, 'profile.json');
      const profile = profileFromBench(results, path.join(displayPath(options.outDir), 'results.json'));
      writeFileSync(file, `${JSON.stringify(profile, null, 1)}\n`);
      console.log(`machine profile: ${displayPath(file)} (use it with strait plan --profile ${displayPath(file)})`);
    } else {
      console.log(targetsTable(reportModel(results)));
    }
    const failed = results.runs.filter((r) => !r.ok);
    for (const r of failed) console.error(`run ${r.index} failed: ${describeRun(r)}`);
    console.error(`results: ${displayPath(options.outDir)}/ (summary.md, report.html, results.json)`);
    return failed.length > 0 ? 1 : 0;
  },
};
