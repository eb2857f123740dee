/**
 * What the harness reads back from the clusters after (and while) a replicator runs. Every figure
 * comes from the clusters, never from the replicator's own metrics, so MM2 and strait are measured
 * the same way:
 *
 * - progress: the sum of the target partitions' end offsets (the target topics are fresh, so this
 *   is the number of records copied), polled once a second for the live status and to see the
 *   copy finish;
 * - throughput: the target topics use LogAppendTime, so each copied record carries the time the
 *   target broker appended it. The copy's duration is from the earliest first record to the
 *   latest last record over the partitions: the replicator's start-up (a JVM, a Connect worker, a
 *   group join) is not part of it, and nothing depends on how often the harness polled;
 * - latency: the live topics use LogAppendTime on BOTH clusters; a record's latency is its append
 *   time on the target minus its append time on the source, matched by key. A run offers one
 *   rate after another (phases); a record counts for the phase its source append time falls in. That is the time the
 *   replicator took from the moment the record could first be read to the moment it was stored in
 *   the target: the producer's own batching delay is not in it. Both brokers run on one machine,
 *   so both times come from one clock.
 */
import { KafkaAdmin } from '../kafka/admin.js';
import { partitionRanges, scanPartitions, type PartitionRange } from '../demo/digest.js';
import { createLatencyHistogram, encodeHistogram, latencyQuantiles, recordLatency, type LatencyHistogram } from '../metrics/histogram.js';

export const LOG_APPEND_TIME: Record<string, string> = { 'message.timestamp.type': 'LogAppendTime' };

export function partitionsOf(topic: string, partitions: number): { topic: string; partition: number }[] {
  return Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
}

/** Records in a set of fresh topics: the sum of their partitions' end offsets. */
export class TopicCounter {
  private readonly admin: KafkaAdmin;

  constructor(cluster: string, bootstrap: string) {
    this.admin = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
  }

  async count(parts: { topic: string; partition: number }[]): Promise<number> {
    const ends = await this.admin.listOffsets(parts, 'latest');
    return ends.reduce((a, o) => a + Math.max(0, o.offset), 0);
  }

  close(): void {
    this.admin.close();
  }
}

export interface AppendSpan {
  records: number;
  /** Append time of the earliest first record over the partitions, ms since the epoch. */
  firstMs: number;
  /** Append time of the latest last record. */
  lastMs: number;
}

/** The span of append times of a (LogAppendTime) topic: its first and last record per partition. */
export async function appendSpan(bootstrap: string, topic: string, partitions: number): Promise<AppendSpan> {
  const ranges = await partitionRanges('target', bootstrap, partitionsOf(topic, partitions));
  const records = ranges.reduce((a, r) => a + (r.end - r.start), 0);
  const filled = ranges.filter((r) => r.end > r.start);
  if (filled.length === 0) return { records: 0, firstMs: 0, lastMs: 0 };
  let firstMs = Infinity;
  let lastMs = -Infinity;
  const firsts: PartitionRange[] = filled.map((r) => ({ ...r, end: r.start + 1 }));
  const lasts: PartitionRange[] = filled.map((r) => ({ ...r, start: r.end - 1 }));
  await scanPartitions(bootstrap, firsts, (_, m) => (firstMs = Math.min(firstMs, m.timestamp ?? Infinity)));
  await scanPartitions(bootstrap, lasts, (_, m) => (lastMs = Math.max(lastMs, m.timestamp ?? -Infinity)));
  return { records, firstMs, lastMs };
}

/** Percentiles the report draws latency curves through. */
export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100] as const;

export interface LatencyFigures {
  /** Records measured (those appended to the source inside the measured window). */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** [percentile, ms] points for the report's curves. */
  curve: [number, number][];
  /** The HDR histogram, sparse-encoded (src/metrics/histogram.ts), base64. */
  histogram: string;
}

export function latencyFigures(h: LatencyHistogram): LatencyFigures {
  const q = latencyQuantiles(h);
  return {
    count: q.count,
    p50: q.p50,
    p90: q.p90,
    p99: q.p99,
    p999: q.p999,
    max: q.max,
    mean: Math.round(q.mean * 100) / 100,
    curve: CURVE_PERCENTILES.map((p): [number, number] => [p, q.count === 0 ? 0 : p === 100 ? q.max : h.getValueAtPercentile(p)]),
    histogram: Buffer.from(encodeHistogram(h)).toString('base64'),
  };
}

/**
 * One rate of the fixed load: the producer switches to `ratePerSec` at `startMs`; records the
 * source appended from `fromMs` (after the warm-up) until before `toMs` are this phase's.
 */
export interface PhaseWindow {
  ratePerSec: number;
  startMs: number;
  fromMs: number;
  toMs: number;
}

/**
 * The phases of one latency run, back to back from `startMs` (the first record copied), lowest
 * rate first: each a warm-up, then the measured stretch. Lowest first, so a backlog a higher
 * rate may leave cannot spill into a lower rate's measurement.
 */
export function phaseSchedule(rates: readonly number[], seconds: number, warmupSeconds: number, startMs: number): PhaseWindow[] {
  let t = startMs;
  return [...rates]
    .sort((a, b) => a - b)
    .map((ratePerSec) => {
      const w = { ratePerSec, startMs: t, fromMs: t + warmupSeconds * 1000, toMs: t + (warmupSeconds + seconds) * 1000 };
      t = w.toMs;
      return w;
    });
}

/** The phase whose measured window holds a source append time, or -1 (a warm-up, or after the load). */
export function phaseIndex(windows: readonly PhaseWindow[], appendMs: number): number {
  return windows.findIndex((w) => appendMs >= w.fromMs && appendMs < w.toMs);
}

export interface PhaseFigures extends LatencyFigures {
  /** Records the source appended inside the phase's measured window, copied or not. */
  sourceRecords: number;
}

export interface PhasedLatency {
  phases: PhaseFigures[];
  /** Source records (any phase, warm-ups included) never found on the target. */
  missing: number;
  /** Target records seen more than once (the first copy counts). */
  duplicates: number;
}

/**
 * Latency per phase from the two clusters' append times, matched by key: feed every source
 * record, then every target record. A record belongs to the phase its source append time falls
 * in, so a record produced at one rate and copied during the next still counts for its own.
 */
export class PhaseLatencies {
  private readonly sourceTimes = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly histograms: LatencyHistogram[];
  private readonly sourceCounts: number[];
  private duplicates = 0;

  constructor(private readonly windows: readonly PhaseWindow[]) {
    this.histograms = windows.map(() => createLatencyHistogram('accumulator'));
    this.sourceCounts = windows.map(() => 0);
  }

  source(key: string, appendMs: number): void {
    this.sourceTimes.set(key, appendMs);
    const i = phaseIndex(this.windows, appendMs);
    if (i >= 0) this.sourceCounts[i]++;
  }

  target(key: string, appendMs: number): void {
    const appended = this.sourceTimes.get(key);
    if (appended === undefined) return;
    if (this.seen.has(key)) {
      this.duplicates++;
      return;
    }
    this.seen.add(key);
    const i = phaseIndex(this.windows, appended);
    if (i >= 0) recordLatency(this.histograms[i], appendMs - appended);
  }

  result(): PhasedLatency {
    return {
      phases: this.histograms.map((h, i) => ({ ...latencyFigures(h), sourceRecords: this.sourceCounts[i] })),
      missing: this.sourceTimes.size - this.seen.size,
      duplicates: this.duplicates,
    };
  }
}

export interface LatencyRequest {
  sourceBootstrap: string;
  sourceTopic: string;
  targetBootstrap: string;
  targetTopic: string;
  partitions: number;
  /** The phases: records appended to the source outside every measured window are not measured. */
  windows: readonly PhaseWindow[];
}

/** Target append time minus source append time of every live record, matched by key, per phase. */
export async function measureLatency(r: LatencyRequest): Promise<PhasedLatency> {
  const acc = new PhaseLatencies(r.windows);
  const sourceRanges = await partitionRanges('source', r.sourceBootstrap, partitionsOf(r.sourceTopic, r.partitions));
  await scanPartitions(r.sourceBootstrap, sourceRanges, (_, m) => {
    if (m.key != null) acc.source(m.key.toString(), m.timestamp ?? 0);
  });
  const targetRanges = await partitionRanges('target', r.targetBootstrap, partitionsOf(r.targetTopic, r.partitions));
  await scanPartitions(r.targetBootstrap, targetRanges, (_, m) => {
    if (m.key != null) acc.target(m.key.toString(), m.timestamp ?? 0);
  });
  return acc.result();
}
