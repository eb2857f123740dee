/**
 * The machine profile `strait plan` is calibrated by: what strait costs on one kind of machine,
 * measured by `strait bench` (strait's own runs of a bench results.json, or `strait bench
 * --calibrate`, which runs only those). Kept small and readable, so an operator can diff two
 * machines' profiles.
 *
 * Costs are kept per measured record size, not as a fitted formula: CPU per record and the time a
 * worker thread spends per record are not linear in the record size (per-record work dominates
 * at 100 B, compression and copies at 10 KiB), so between two measured sizes the plan
 * interpolates on log-log axes (a power law through the neighbours), and beyond them it extends
 * the nearest segment. Every figure says where it came from (`basis`), which the plan repeats.
 */
import { readFileSync } from 'node:fs';
import type { LatencyPhase, RunResult, StoredResults } from '../bench/results.js';
import { KEY_BYTES, median, upgradeResults } from '../bench/results.js';
import { StraitError } from '../util/errors.js';

export const PROFILE_KIND = 'strait-machine-profile';

/** One measured record size. */
export interface SizePoint {
  /** Key + value bytes per record. */
  recordBytes: number;
  /** CPU seconds (all of strait's threads) per record copied, at full speed. */
  cpuSecPerRecord: number;
  /** Records per second one worker thread copied (the run's records/s over its workers). */
  recordsPerSecPerWorker: number;
  /** Repetitions the medians are over. */
  runs: number;
}

export interface MachineProfile {
  kind: typeof PROFILE_KIND;
  version: 1;
  createdAt: string;
  /** Where the figures come from: the bench run (date, command) they were derived from. */
  source: string;
  machine: { cpuModel: string; cores: number; memoryGiB: number; os: string };
  software: { strait: string; node: string; librdkafka: string; kafka: string };
  /** Worker threads in the measured runs. */
  workers: number;
  /** Partitions of the measured topics. */
  partitions: number;
  /** compression.type of the target batches in the measured runs. */
  compression: string;
  /** True when the brokers ran on the same machine (the bench's set-up): capacities are then low bounds. */
  brokersOnSameMachine: boolean;
  points: SizePoint[];
  memory: {
    /** Resident memory at a steady load far below capacity (buffers nearly empty). */
    baseBytes: number;
    /** What each worker added at its peak in a catch-up (buffers filling), over baseBytes. */
    perWorkerBytes: number;
    /** Resident memory per partition a process owns (client and bookkeeping state). */
    perPartitionBytes: number;
    basis: string;
  };
  /**
   * Replication latency at a steady load on loopback (append on the source to append on the
   * target), and the CPU (cores) strait used at that load: far below capacity, where what a
   * process costs whatever its load (polling, timers, metadata) shows. A bench offers several
   * rates (phases); the profile keeps the lowest, the one that load is about (see lowestPhase).
   */
  latency?: { p50Ms: number; p99Ms: number; ratePerSec: number; recordBytes: number; cpuCores?: number };
}

/**
 * Resident memory per owned partition, which the profile's runs cannot separate (the bench copies
 * 8 partitions): an assumption, said so in every plan that uses it. It covers librdkafka's
 * per-partition state on both clients (a fetch queue and a producer queue each, bounded
 * separately by the queue settings the plan counts per worker) and strait's offset bookkeeping.
 */
export const DEFAULT_PER_PARTITION_BYTES = 64 * 1024;

export class ProfileError extends StraitError {
  constructor(message: string) {
    super('PROFILE_INVALID', message);
  }
}

const ok = (r: RunResult): boolean => r.ok && r.system === 'strait' && r.profiled !== true;

/**
 * The lowest-rate phase of a latency run. The profile's latency figure is the lowest rate's: its
 * CPU is what a process spends at a load far below capacity (idleCoresPerProcess needs that),
 * and a plan sizes workers with headroom, so a planned process runs well below capacity too.
 */
function lowestPhase(r: RunResult): LatencyPhase | undefined {
  const phases = (r.latency?.phases ?? []).filter((p) => p.count > 0);
  return phases.sort((a, b) => a.ratePerSec - b.ratePerSec)[0];
}

/**
 * The profile of a bench run's strait figures (a results.json of any version: the single-rate
 * ones read as one phase). Throws a ProfileError when they are missing.
 */
export function profileFromBench(stored: StoredResults, origin: string, workers = stored.machine.cores): MachineProfile {
  const results = upgradeResults(stored);
  const loopback = results.runs.filter((r) => ok(r) && r.scenario === 'loopback' && r.cpu !== undefined && r.recordsPerSec !== undefined && r.copied !== undefined && r.copied > 0);
  if (loopback.length === 0) {
    throw new ProfileError(`${origin}: no successful strait copy on loopback in these results; run \`strait bench --calibrate\` (or a bench whose --systems include strait)`);
  }
  const sizes = [...new Set(loopback.map((r) => r.size))].sort((a, b) => a - b);
  const points = sizes.map((size): SizePoint => {
    const runs = loopback.filter((r) => r.size === size);
    const recordBytes = size + KEY_BYTES;
    return {
      recordBytes,
      cpuSecPerRecord: median(runs.map((r) => (r.cpu!.perGB * recordBytes) / 1e9)),
      recordsPerSecPerWorker: median(runs.map((r) => r.recordsPerSec!)) / workers,
      runs: runs.length,
    };
  });
  const latencyRuns = results.runs.filter((r) => ok(r) && r.scenario === 'latency' && lowestPhase(r) !== undefined);
  const peaks = loopback.map((r) => r.peakRssBytes).filter((x): x is number => x !== undefined);
  const steady = latencyRuns.map((r) => r.peakRssBytes).filter((x): x is number => x !== undefined);
  const peak = peaks.length > 0 ? median(peaks) : NaN;
  // Without a steady-load run the base cannot be told from the buffers: count it all as base.
  const base = steady.length > 0 ? median(steady) : peak;
  const memoryBasis =
    steady.length > 0
      ? `base: peak RSS at the steady latency load (${steady.length} runs); per worker: (median peak RSS of the copies - base) / ${workers} workers; per partition: assumed ${DEFAULT_PER_PARTITION_BYTES / 1024} KiB (not measured)`
      : `base: median peak RSS of the copies (no steady-load run to separate the buffers); per partition: assumed ${DEFAULT_PER_PARTITION_BYTES / 1024} KiB (not measured)`;
  const profile: MachineProfile = {
    kind: PROFILE_KIND,
    version: 1,
    createdAt: results.finishedAt,
    source: `${origin}: strait bench of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, \`${results.command}\``,
    machine: { cpuModel: results.machine.cpuModel, cores: results.machine.cores, memoryGiB: results.machine.memoryGiB, os: results.machine.os },
    software: { strait: results.machine.strait, node: results.machine.node, librdkafka: results.machine.librdkafka, kafka: results.machine.kafka },
    workers,
    partitions: results.options.partitions,
    compression: 'lz4',
    brokersOnSameMachine: true,
    points,
    memory: {
      baseBytes: Math.round(base),
      perWorkerBytes: Math.max(0, Math.round((peak - base) / workers)),
      perPartitionBytes: DEFAULT_PER_PARTITION_BYTES,
      basis: memoryBasis,
    },
  };
  const lowest = latencyRuns.map((r) => lowestPhase(r)!);
  if (lowest.length > 0) {
    // Runs of one bench share their rates; should they not, the lowest rate of all is the one kept.
    const ratePerSec = Math.min(...lowest.map((p) => p.ratePerSec));
    const atRate = lowest.filter((p) => p.ratePerSec === ratePerSec);
    const recordBytes = latencyRuns[0].latency!.size + KEY_BYTES;
    profile.latency = { p50Ms: median(atRate.map((x) => x.p50)), p99Ms: median(atRate.map((x) => x.p99)), ratePerSec, recordBytes };
    const cpu = atRate.filter((p) => p.cpu !== undefined).map((p) => p.cpu!.cores);
    if (cpu.length > 0) profile.latency.cpuCores = median(cpu);
  }
  return profile;
}

/**
 * Cores one process spends whatever its load: the CPU of the steady latency load less what its
 * records cost at the full-speed rate per record. At a low load this is most of strait's CPU
 * (a process polls its consumers and flushes its producers on timers); at full speed it is
 * inside the per-record figures, so the plan adds it per process, not on top of the headroom.
 */
export function idleCoresPerProcess(p: MachineProfile): number {
  const l = p.latency;
  if (l?.cpuCores === undefined) return 0;
  return Math.max(0, l.cpuCores - l.ratePerSec * cpuSecPerRecord(p, l.recordBytes));
}



function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks a parsed profile document; names the first field that is wrong. */
export function checkProfile(doc: unknown, origin: string): MachineProfile {
  const bad = (what: string) => new ProfileError(`${origin}: not a usable machine profile: ${what}; write one with \`strait bench --calibrate\``);
  if (!isObject(doc) || doc['kind'] !== PROFILE_KIND) throw bad(`"kind" must be "${PROFILE_KIND}"`);
  if (doc['version'] !== 1) throw bad(`"version" ${JSON.stringify(doc['version'])} is not supported (this strait reads version 1)`);
  const points = doc['points'];
  if (!Array.isArray(points) || points.length === 0) throw bad('"points" must list at least one measured record size');
  for (const [i, p] of points.entries()) {
    if (!isObject(p)) throw bad(`points[${i}] is not an object`);
    for (const k of ['recordBytes', 'cpuSecPerRecord', 'recordsPerSecPerWorker']) {
      const v = p[k];
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw bad(`points[${i}].${k} must be a positive number (got ${JSON.stringify(v)})`);
    }
  }
  const memory = doc['memory'];
  if (!isObject(memory)) throw bad('"memory" is missing');
  for (const k of ['baseBytes', 'perWorkerBytes', 'perPartitionBytes']) {
    const v = memory[k];
    if (typeof v !== 'number' || !(v >= 0)) throw bad(`memory.${k} must be a number >= 0 (got ${JSON.stringify(v)})`);
  }
  if (typeof doc['workers'] !== 'number' || !(doc['workers'] >= 1)) throw bad('"workers" must be a number >= 1');
  return doc as unknown as MachineProfile;
}

/**
 * A profile from a file: a profile JSON, or a bench results.json (its strait runs become the
 * profile). Errors name the file and what is wrong with it.
 */
export function loadProfile(file: string, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): MachineProfile {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw new ProfileError(`cannot read the machine profile ${file}: ${(err as Error).message}; pass --profile <profile.json or bench results.json>`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ProfileError(`${file} is not JSON (${(err as Error).message}); pass a profile written by \`strait bench --calibrate\` or a bench results.json`);
  }
  if (isObject(doc) && Array.isArray(doc['runs']) && isObject(doc['machine'])) return profileFromBench(doc as unknown as StoredResults, file);
  return checkProfile(doc, file);
}

/** Power-law interpolation through the two measured sizes around `bytes` (or the nearest two). */
function interpolate(points: readonly SizePoint[], bytes: number, pick: (p: SizePoint) => number): number {
  const sorted = [...points].sort((a, b) => a.recordBytes - b.recordBytes);
  if (sorted.length === 1) {
    // One size measured: assume the cost scales with the bytes (a conservative guess for larger records).
    const p = sorted[0];
    const v = pick(p);
    return bytes >= p.recordBytes ? v * (bytes / p.recordBytes) : v;
  }
  let i = sorted.findIndex((p) => p.recordBytes >= bytes);
  if (i <= 0) i = i === 0 ? 1 : sorted.length - 1;
  const a = sorted[i - 1];
  const b = sorted[i];
  const slope = Math.log(pick(b) / pick(a)) / Math.log(b.recordBytes / a.recordBytes);
  return pick(a) * (bytes / a.recordBytes) ** slope;
}

/** CPU seconds per record of `recordBytes` (key + value), from the profile. */
export function cpuSecPerRecord(p: MachineProfile, recordBytes: number): number {
  return interpolate(p.points, recordBytes, (x) => x.cpuSecPerRecord);
}

/** Records/s one worker thread copies at full speed, from the profile. Decreasing in size. */
export function recordsPerSecPerWorker(p: MachineProfile, recordBytes: number): number {
  // Interpolate the time per record (rising with size), not the rate.
  return 1 / interpolate(p.points, recordBytes, (x) => 1 / x.recordsPerSecPerWorker);
}

/** The measured sizes around `recordBytes`, for "which measurement" notes. */
export function describeBasis(p: MachineProfile, recordBytes: number): string {
  const sizes = p.points.map((x) => x.recordBytes).sort((a, b) => a - b);
  const exact = sizes.find((s) => Math.abs(s - recordBytes) / s < 0.02);
  if (exact !== undefined) return `measured at ${exact} B records`;
  const lo = [...sizes].reverse().find((s) => s < recordBytes);
  const hi = sizes.find((s) => s > recordBytes);
  if (lo !== undefined && hi !== undefined) return `interpolated between ${lo} B and ${hi} B records`;
  return `extrapolated from ${lo ?? hi} B records (outside the measured sizes)`;
}
