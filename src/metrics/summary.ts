/**
 * The periodic one-line progress summary: a plain object per flow for the JSON log, and the same
 * facts as one human line for a terminal, e.g.
 *
 *   east->west  52,310 rec/s  49.9 MB/s  lag 1,204 rec (0.8 s)  p50 12 ms  p99 41 ms  24 partitions
 *
 * Rates come from a RateSource (src/metrics/rates.ts) fed with the same snapshots; latency
 * quantiles are those of the snapshot's recent interval; lag uses the definitions in lag.ts.
 * MB is 10^6 bytes, as in network and disk throughput figures.
 */
import type { EngineSnapshot, FlowSnapshot } from '../coordinator/snapshot.js';
import { partitionLagRecords, partitionLagSeconds } from './lag.js';
import { flowRpoSeconds } from './rpo.js';
import type { RateSource } from './rates.js';

export interface FlowSummary {
  flow: string;
  source: string;
  target: string;
  /** Over the rate window; 0 until a rate is known. */
  recordsPerSecond: number;
  megabytesPerSecond: number;
  /** Sum over partitions whose high watermark is known; null when none is. */
  lagRecords: number | null;
  /** Largest lag in seconds over the partitions; null when no partition's is known. */
  lagSeconds: number | null;
  /** Replication latency over the recent interval; null when nothing was replicated in it. */
  p50Ms: number | null;
  p99Ms: number | null;
  partitions: number;
  /** Partitions stopped on an error. */
  errors: number;
  /** Records the target refused for good, since start. */
  recordsFailed: number;
  /** Recovery point of the flow in this process (rpo.ts); null while unknown. */
  rpoSeconds?: number | null;
  /** Source offsets deleted by retention before they were copied, since start; absent = 0. */
  recordsLost?: number;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function summarizeFlow(flow: FlowSnapshot, takenAt: number, rates?: RateSource): FlowSummary {
  let lagRecords: number | null = null;
  let lagSeconds: number | null = null;
  let errors = 0;
  for (const p of flow.partitions) {
    const lag = partitionLagRecords(p);
    if (lag !== undefined) lagRecords = (lagRecords ?? 0) + lag;
    const secs = partitionLagSeconds(p, takenAt);
    if (secs !== undefined) lagSeconds = Math.max(lagSeconds ?? 0, secs);
    if (p.error !== undefined) errors++;
  }
  const rate = rates?.rate(flow.name);
  const recent = flow.recentReplicationLatency;
  const rpo = flowRpoSeconds(flow, takenAt);
  return {
    flow: flow.name,
    source: flow.source,
    target: flow.target,
    recordsPerSecond: round(rate?.recordsPerSecond ?? 0, 1),
    megabytesPerSecond: round((rate?.bytesPerSecond ?? 0) / 1e6, 2),
    lagRecords,
    lagSeconds: lagSeconds === null ? null : round(lagSeconds, 3),
    p50Ms: recent.count > 0 ? recent.p50 : null,
    p99Ms: recent.count > 0 ? recent.p99 : null,
    partitions: flow.partitions.length,
    errors,
    recordsFailed: flow.recordsFailed,
    rpoSeconds: rpo === undefined ? null : round(rpo, 3),
    recordsLost: flow.recordsLost ?? 0,
  };
}

/** One summary per flow, in snapshot order. Feed `rates` the same snapshot first. */
export function summarizeSnapshot(snapshot: EngineSnapshot, rates?: RateSource): FlowSummary[] {
  return snapshot.flows.map((f) => summarizeFlow(f, snapshot.takenAt, rates));
}

// Fixed locale: the line must read the same on every machine (and in tests).
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatInteger(n: number): string {
  return INTEGER.format(n);
}

/** Seconds for people: one decimal below 10 s, whole seconds above. */
export function formatSeconds(s: number): string {
  return s < 10 ? `${ONE_DECIMAL.format(s)} s` : `${INTEGER.format(s)} s`;
}

function plural(n: number, one: string, many: string): string {
  return `${formatInteger(n)} ${n === 1 ? one : many}`;
}

/** The flow as people name it: its name, plus the cluster pair when the name does not say it. */
export function flowLabel(s: Pick<FlowSummary, 'flow' | 'source' | 'target'>): string {
  const pair = `${s.source}->${s.target}`;
  return s.flow === pair ? pair : `${s.flow} (${pair})`;
}

export function formatSummaryLine(s: FlowSummary): string {
  let lag = 'lag ?';
  if (s.lagRecords !== null) lag = `lag ${formatInteger(s.lagRecords)} rec${s.lagSeconds === null ? '' : ` (${formatSeconds(s.lagSeconds)})`}`;
  const ms = (v: number | null): string => (v === null ? '-' : `${formatInteger(v)} ms`);
  const parts = [
    flowLabel(s),
    `${formatInteger(s.recordsPerSecond)} rec/s`,
    `${ONE_DECIMAL.format(s.megabytesPerSecond)} MB/s`,
    lag,
    ...(s.rpoSeconds === null || s.rpoSeconds === undefined ? [] : [`RPO ${formatSeconds(s.rpoSeconds)}`]),
    `p50 ${ms(s.p50Ms)}`,
    `p99 ${ms(s.p99Ms)}`,
    plural(s.partitions, 'partition', 'partitions'),
  ];
  if (s.errors > 0) parts.push(`${plural(s.errors, 'partition', 'partitions')} stopped`);
  if (s.recordsFailed > 0) parts.push(`${plural(s.recordsFailed, 'record', 'records')} failed`);
  if (s.recordsLost !== undefined && s.recordsLost > 0) parts.push(`${plural(s.recordsLost, 'record', 'records')} lost at the source`);
  return parts.join('  ');
}
