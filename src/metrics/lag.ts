/**
 * How far a partition is behind its source, in offsets and in seconds. One definition, shared by
 * the Prometheus endpoint, the log summary and `strait status`, so the three never disagree.
 */
import type { PartitionSnapshot } from '../coordinator/snapshot.js';

/**
 * Offsets between the source high watermark and the next offset to replicate; never negative
 * (the high watermark is sampled by the worker and can trail the acknowledgements a little).
 * Undefined while the high watermark is unknown.
 *
 * A partition with no position yet (replicatedOffset -1: nothing committed, nothing replicated,
 * start at the log start) counts from offset 0. That is an upper bound, since the log may start
 * later, but it is exact for an empty partition (0) and keeps a partition that never got going
 * visible to lag alerts instead of silently absent.
 *
 * These are offsets, not records: transaction markers and compacted-away offsets count too, so on
 * such topics the value can stay a little above zero when everything has been copied.
 */
export function partitionLagRecords(p: PartitionSnapshot): number | undefined {
  if (p.highWatermark < 0) return undefined;
  return Math.max(0, p.highWatermark - Math.max(0, p.replicatedOffset));
}

/**
 * Seconds behind: ideally the age of the oldest source record not yet replicated. strait does not
 * know that record's timestamp, but every pending record was written no earlier than the newest
 * replicated one, so `takenAt - replicatedTimestamp` is an upper bound (exact while records flow
 * steadily, and it grows in real time when the partition is stuck). 0 when nothing is pending.
 *
 * Undefined when the lag in offsets is unknown, or when records are pending but none has been
 * replicated yet (no timestamp to measure from). Never negative (clock skew between the producer
 * and this host).
 */
export function partitionLagSeconds(p: PartitionSnapshot, takenAt: number): number | undefined {
  const lag = partitionLagRecords(p);
  if (lag === undefined) return undefined;
  if (lag === 0) return 0;
  if (p.replicatedTimestamp < 0) return undefined;
  return Math.max(0, (takenAt - p.replicatedTimestamp) / 1000);
}
