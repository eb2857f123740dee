/**
 * Planned versus measured: does `strait plan` predict what strait really does on this machine?
 *
 *   npm run bench:plan-check -- [--sizes 300,1024,4096] [--wan-size 4096] [--wan-delay 25]
 *       [--repetitions 3] [--scale 0.4] [--profile <profile.json|results.json>] [--note TEXT]
 *
 * 1. Runs `strait bench` for strait alone (its own pair of local clusters, as the benchmark does):
 *    a full-speed copy of a pre-loaded topic at each record size, `--repetitions` times, and the
 *    same copy at `--wan-size` through the latency proxy (`--wan-delay` ms each way).
 * 2. For each of those, plans a deployment of one process with the same worker count (the
 *    machine's cores) from the profile (the shipped one unless --profile): the capacity it
 *    predicts (records/s, the CPU or the link bound, whichever is lower) and the CPU per GB.
 * 3. Compares with the median of the measured copies, flags every figure off by more than 20 %,
 *    prints the table and appends one JSON line per case to bench/results/plan-check.jsonl
 *    (command, machine, date, figures). bench/README.md ("Planned versus measured") keeps them.
 *
 * Record sizes that the profile did not measure (300 B, 4 KiB) test its interpolation; the
 * proxy case tests the link model (near the target, the source a round trip away).
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, parseArgs, type FlagSpecs } from '../src/cli/args.js';
import { benchOptions } from '../src/cli/commands/bench.js';
import { runBench } from '../src/bench/harness.js';
import { KEY_BYTES, median, type BenchResults, type RunResult } from '../src/bench/results.js';
import { computePlan, type PlanSettings } from '../src/plan/model.js';
import { cpuSecPerRecord, loadProfile, type MachineProfile } from '../src/plan/profile.js';
import { defaultClientSettings } from '../src/plan/settings.js';
import { SHIPPED_PROFILE } from '../src/plan/shipped-profile.js';
import { statedWorkload } from '../src/plan/workload.js';
import { alignColumns } from '../src/cli/table.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/plan-check.jsonl', import.meta.url));
const TOLERANCE = 0.2;

const SPECS: FlagSpecs = {
  sizes: { value: true, description: 'value sizes to copy on loopback (default 300,1024,4096)' },
  'wan-size': { value: true, description: 'value size of the copy through the proxy (default 4096)' },
  'wan-delay': { value: true, description: 'ms the proxy adds each way (default 25)' },
  repetitions: { value: true, description: 'copies per case (default 3)' },
  scale: { value: true, description: 'multiply the bench\'s record counts (default 0.4: copies of 200-400 MB)' },
  profile: { value: true, description: 'machine profile to plan with (default the shipped one)' },
  note: { value: true, description: 'a remark stored with the results' },
  out: { value: true, description: 'results folder of the bench run (default bench/results/<date>_plan-check)' },
};

export interface CheckRow {
  scenario: 'loopback' | 'wan';
  size: number;
  wanDelayMs: number | undefined;
  runs: number;
  planned: { recordsPerSec: number; cpuPerGB: number; bound: 'cpu' | 'link'; basis: string };
  measured: { recordsPerSec: number; recordsPerSecMin: number; recordsPerSecMax: number; cpuPerGB: number; machineBusyShare: number | undefined };
  /** measured / planned. */
  ratio: { recordsPerSec: number; cpuPerGB: number };
  within: boolean;
}

/** Plans one process of `workers` workers for the bench's topic and reads off what it predicts at full speed. */
export function plannedCopy(profile: MachineProfile, size: number, partitions: number, workers: number, rttMs: number): CheckRow['planned'] {
  const recordBytes = size + KEY_BYTES;
  const settings: PlanSettings = {
    headroom: 1,
    rttMs,
    near: 'target',
    workersPerProcessMax: workers,
    backlogHours: 0,
    tcpWindowBytes: 6 * 1024 * 1024,
    mode: 'at-least-once',
    transactionIntervalMs: 0,
    clients: defaultClientSettings(),
  };
  // The bench's clusters have one broker each; any load will do, the curve is what is read.
  const plan = computePlan(statedWorkload({ recordsPerSec: 1, recordBytes, partitions, sourceBrokers: 1 }), profile, settings);
  const capacityBytes = plan.curve[Math.min(workers, plan.curve.length) - 1].bytesPerSec;
  const linkBound = plan.link !== undefined && plan.link.perWorkerBytesPerSec < plan.workerCapacity.bytesPerSec;
  return {
    recordsPerSec: capacityBytes / recordBytes,
    cpuPerGB: (cpuSecPerRecord(profile, recordBytes) / recordBytes) * 1e9,
    bound: linkBound ? 'link' : 'cpu',
    basis: linkBound ? `link: ${plan.link!.boundBy}` : plan.workerCapacity.basis,
  };
}

export function compare(results: BenchResults, profile: MachineProfile): CheckRow[] {
  const runs = results.runs.filter((r) => r.ok && r.system === 'strait' && (r.scenario === 'loopback' || r.scenario === 'wan') && r.profiled !== true && r.recordsPerSec !== undefined);
  const cases = new Map<string, RunResult[]>();
  for (const r of runs) cases.set(`${r.scenario}/${r.size}`, [...(cases.get(`${r.scenario}/${r.size}`) ?? []), r]);
  const workers = results.machine.cores;
  return [...cases.values()].map((rs) => {
    const { scenario, size } = rs[0];
    const wanDelayMs = scenario === 'wan' ? rs[0].wanDelayMs : undefined;
    const planned = plannedCopy(profile, size, results.options.partitions, workers, 2 * (wanDelayMs ?? 0));
    const rates = rs.map((r) => r.recordsPerSec!);
    const busy = rs.map((r) => r.context?.machineBusyShare).filter((x): x is number => x !== undefined);
    const measured = {
      recordsPerSec: median(rates),
      recordsPerSecMin: Math.min(...rates),
      recordsPerSecMax: Math.max(...rates),
      cpuPerGB: median(rs.filter((r) => r.cpu).map((r) => r.cpu!.perGB)),
      machineBusyShare: busy.length > 0 ? median(busy) : undefined,
    };
    const ratio = { recordsPerSec: measured.recordsPerSec / planned.recordsPerSec, cpuPerGB: measured.cpuPerGB / planned.cpuPerGB };
    const within = Math.abs(ratio.recordsPerSec - 1) <= TOLERANCE && Math.abs(ratio.cpuPerGB - 1) <= TOLERANCE;
    return { scenario: scenario as 'loopback' | 'wan', size, wanDelayMs, runs: rs.length, planned, measured, ratio, within };
  });
}

export function renderRows(rows: readonly CheckRow[]): string {
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(0)} %`;
  const table = [['case', 'runs', 'planned rec/s', 'measured rec/s (min-max)', 'diff', 'planned CPU s/GB', 'measured CPU s/GB', 'diff', 'within 20 %']];
  for (const r of rows) {
    table.push([
      `${r.scenario === 'wan' ? `proxy ${r.wanDelayMs} ms each way` : 'loopback'}, ${r.size} B`,
      String(r.runs),
      `${Math.round(r.planned.recordsPerSec)} (${r.planned.bound})`,
      `${Math.round(r.measured.recordsPerSec)} (${Math.round(r.measured.recordsPerSecMin)}-${Math.round(r.measured.recordsPerSecMax)})`,
      pct(r.ratio.recordsPerSec),
      r.planned.cpuPerGB.toFixed(2),
      r.measured.cpuPerGB.toFixed(2),
      pct(r.ratio.cpuPerGB),
      r.within ? 'yes' : 'NO',
    ]);
  }
  return alignColumns(table, new Set([1])).join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), SPECS);
  const sizes = flag(args, 'sizes') ?? '300,1024,4096';
  const wanSize = flag(args, 'wan-size') ?? '4096';
  const allSizes = [...new Set([...sizes.split(','), wanSize])].join(',');
  const reps = flag(args, 'repetitions') ?? '3';
  const stamp = new Date().toISOString().slice(0, 10);
  const benchArgv = [
    '--systems', 'strait',
    '--sizes', allSizes,
    '--repetitions', reps,
    '--scale', flag(args, 'scale') ?? '0.4',
    '--latency-rate', '0',
    '--wan-delay', flag(args, 'wan-delay') ?? '25',
    '--wan-size', wanSize,
    '--wan-repetitions', reps,
    '--out', flag(args, 'out') ?? path.join('bench', 'results', `${stamp}_plan-check`),
  ];
  const options = benchOptions(benchArgv);
  const profileFile = flag(args, 'profile');
  const profile = profileFile === undefined ? SHIPPED_PROFILE : loadProfile(profileFile);
  const results = await runBench(options);
  // Sizes copied only for the proxy case are not loopback cases of this check.
  const loopbackSizes = new Set(sizes.split(',').map(Number));
  results.runs = results.runs.filter((r) => r.scenario !== 'loopback' || loopbackSizes.has(r.size));
  const rows = compare(results, profile);
  console.log(renderRows(rows));
  const command = `npm run bench:plan-check${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  for (const row of rows) {
    appendFileSync(
      RESULTS,
      `${JSON.stringify({ date: results.startedAt, command, bench: path.basename(options.outDir), machine: { cpu: results.machine.cpuModel, cores: results.machine.cores, node: results.machine.node, librdkafka: results.machine.librdkafka, kafka: results.machine.kafka }, profile: profile.source, load: results.load, note: flag(args, 'note'), ...row })}\n`,
    );
  }
  console.error(`appended ${rows.length} rows to bench/results/plan-check.jsonl`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    console.error(`plan-check: ${(err as Error).message}`);
    process.exitCode = 1;
  });
}
