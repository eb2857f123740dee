/**
 * How long a `strait bench` run will take, printed before it starts so nobody waits blind. From
 * the rates of the recorded runs on a 2-core machine (bench/README.md) and fixed costs per step
 * measured there; a faster machine finishes sooner, a busy one later. An estimate, said so.
 */
import type { BenchOptions, SystemId } from './results.js';

/** Records/s of a full-speed copy, by system and value size (nearest recorded size). */
const RECORDED_RATES: Record<SystemId, Record<number, number>> = {
  strait: { 100: 600_000, 1024: 200_000, 10240: 18_000 },
  'mm2-default': { 100: 110_000, 1024: 50_000, 10240: 9_000 },
  'mm2-tuned': { 100: 130_000, 1024: 59_000, 10240: 11_000 },
  limit: { 100: 400_000, 1024: 150_000, 10240: 15_000 },
};
/** Start, readiness and stop of a replicator, and the topic clean-up after it. */
const PER_RUN_SEC = 15;
/** The pair of clusters, started and warmed up. */
const SANDBOX_SEC = 60;
/** Pre-loading, MB/s of key + value on the 2-core machine. */
const PRELOAD_MB_PER_SEC = 60;

function rateOf(system: SystemId, size: number): number {
  const table = RECORDED_RATES[system];
  const nearest = Object.keys(table)
    .map(Number)
    .sort((a, b) => Math.abs(Math.log(a / size)) - Math.abs(Math.log(b / size)))[0];
  // Above the recorded size, records/s fall with the bytes; below it, they are taken as equal (a low bound).
  return size > nearest ? (table[nearest] * nearest) / size : table[nearest];
}

/** How long one latency run offers load: a warm-up and a measured stretch per rate. */
export function latencyLoadSeconds(l: BenchOptions['latency']): number {
  return l ? l.rates.length * (l.warmupSeconds + l.seconds) : 0;
}

export interface PlannedStep {
  scenario: 'loopback' | 'wan' | 'latency';
  system: SystemId;
  size: number;
}

export function estimateSeconds(o: Pick<BenchOptions, 'sizes' | 'records' | 'latency' | 'wan'>, runs: readonly PlannedStep[]): number {
  let sec = SANDBOX_SEC;
  for (const size of o.sizes) sec += (o.records[size] * (size + 8)) / 1e6 / PRELOAD_MB_PER_SEC;
  for (const r of runs) {
    sec += PER_RUN_SEC;
    if (r.scenario === 'latency') sec += latencyLoadSeconds(o.latency);
    else sec += o.records[r.size] / rateOf(r.system, r.size) / (r.scenario === 'wan' ? 0.8 : 1);
  }
  return sec;
}
