/**
 * Recovery point objective: how much of the source a failover to the target would lose right
 * now, as a time. One definition, shared by the Prometheus endpoint, the log summary and
 * `strait status`.
 *
 * Replicated-through time of a partition: a time T such that every record produced to the source
 * partition before T is on the target.
 * - Caught up (the replicated position has reached the source high watermark the worker last
 *   saw): T = when the worker sampled that high watermark. Everything produced before then was
 *   below it (the sample is at most one fetch response old, so T can be early by about
 *   fetch.wait.max.ms, never late by more).
 * - Behind: T = the newest source timestamp among the records copied. Exact while the producers'
 *   timestamps rise with the offsets; with out-of-order or skewed timestamps it is an estimate.
 * - A stopped partition (it has an error) counts as behind, whatever its last high watermark.
 * - Unknown (absent) when neither applies: no high watermark seen yet and nothing copied yet.
 *
 * RPO of a partition = snapshot time − T, in seconds (never below 0). Per flow, the consistent
 * cut is the oldest T over the flow's partitions in this process: everything produced before it,
 * on every partition, is on the target. It is unknown when any partition's T is, or when the
 * process has no partitions of the flow. Flow RPO = snapshot time − cut.
 *
 * Records that retention deleted before they were copied (onDataLoss) are not covered: they are
 * counted by strait_records_lost_total instead.
 */
import type { FlowSnapshot, PartitionSnapshot } from '../coordinator/snapshot.js';
import { partitionLagRecords } from './lag.js';

/** The replicated-through time of a partition (ms), or undefined while unknown. */
export function partitionReplicatedThrough(p: PartitionSnapshot): number | undefined {
  const sampledAt = p.highWatermarkAt ?? -1;
  // Caught up = no lag (lag.ts: no position yet counts from 0, so an empty partition with no
  // position is caught up). A stopped partition (an error) is never caught up: its consumer no
  // longer fetches, so the high watermark it last saw is stale while the source goes on.
  if (p.error === undefined && sampledAt >= 0 && partitionLagRecords(p) === 0) return sampledAt;
  return p.replicatedTimestamp >= 0 ? p.replicatedTimestamp : undefined;
}

/** Seconds between the snapshot and the partition's replicated-through time; undefined while unknown. */
export function partitionRpoSeconds(p: PartitionSnapshot, takenAt: number): number | undefined {
  const t = partitionReplicatedThrough(p);
  return t === undefined ? undefined : Math.max(0, (takenAt - t) / 1000);
}

/** The flow's consistent cut (ms): the oldest replicated-through time of its partitions. */
export function flowConsistentCut(flow: Pick<FlowSnapshot, 'partitions'>): number | undefined {
  if (flow.partitions.length === 0) return undefined;
  let cut = Infinity;
  for (const p of flow.partitions) {
    const t = partitionReplicatedThrough(p);
    if (t === undefined) return undefined;
    if (t < cut) cut = t;
  }
  return cut;
}

/** Seconds between the snapshot and the flow's consistent cut; undefined while the cut is unknown. */
export function flowRpoSeconds(flow: Pick<FlowSnapshot, 'partitions'>, takenAt: number): number | undefined {
  const cut = flowConsistentCut(flow);
  return cut === undefined ? undefined : Math.max(0, (takenAt - cut) / 1000);
}
