/**
 * A point-in-time view of the engine, taken by the coordinator and rendered by the metrics
 * endpoint, the periodic log summary and `strait status`. Plain data: no live objects.
 */
import type { LatencyQuantiles } from '../metrics/histogram.js';

export interface PartitionSnapshot {
  topic: string;
  partition: number;
  targetTopic: string;
  /** Next source offset not yet acknowledged by the target (everything below is replicated). */
  replicatedOffset: number;
  /** Next offset committed to the flow's group on the source cluster. */
  committedOffset: number;
  /** Source high watermark as last seen by the worker; -1 if unknown. */
  highWatermark: number;
  /** When the worker sampled that high watermark (ms, Date.now clock); absent or -1 if unknown. */
  highWatermarkAt?: number;
  /** Newest source timestamp among acknowledged records, ms; -1 if none yet. */
  replicatedTimestamp: number;
  /** Records and key+value bytes acknowledged since this process got the partition. */
  records: number;
  bytes: number;
  /** Set when the partition stopped for good. */
  error?: string;
  /**
   * Offsets the source deleted before they were copied (onDataLoss), since the engine started;
   * absent = none. Kept across rebalances while the process runs.
   */
  recordsLost?: number;
  /** The latest such range, [from, to) in source offsets, and when it was found (ms). */
  lastLoss?: { from: number; to: number; at: number };
  /** Offset-preserving mode: records land at their source offsets. */
  offsetsPreserved?: boolean;
  /** Offset-preserving mode: why this partition replicates with offset translation instead. */
  translating?: string;
  worker: number;
  /** Runs in the source->target offset map kept for this partition. */
  offsetRuns: number;
}

export interface FlowSnapshot {
  name: string;
  source: string;
  target: string;
  mode: string;
  /** Totals since start. */
  records: number;
  bytes: number;
  recordsFailed: number;
  /** Offsets the source deleted before they were copied, since start (all partitions); absent = 0. */
  recordsLost?: number;
  partitions: PartitionSnapshot[];
  /** Latency since start (accumulated HDR histograms), ms. */
  replicationLatency: LatencyQuantiles;
  relayLatency: LatencyQuantiles;
  /** Latency over the last summary interval, ms. */
  recentReplicationLatency: LatencyQuantiles;
  /**
   * Relay latency over the same recent interval, ms. Optional: when absent, the Prometheus
   * summary strait_relay_latency_ms reports the since-start quantiles instead.
   */
  recentRelayLatency?: LatencyQuantiles;
  commits: number;
  commitErrors: number;
  /** MM2 internal records written by this process since start. */
  offsetSyncs?: number;
  /** Topic configs set or removed, ACL bindings created or deleted on the target, sync problems. */
  topicConfigsChanged?: number;
  aclsChanged?: number;
  syncErrors?: number;
  /** Partition offsets committed to the target's consumer groups (sync.group.offsets). */
  groupOffsetsSynced?: number;
  checkpoints?: number;
  /** Consumer groups that got a checkpoint in the last round. */
  groupsCheckpointed?: number;
  /** When checkpoints were last emitted (ms); -1 = never. */
  lastCheckpointAt?: number;
  /** Runs in the flow's source->target offset maps (all partitions). */
  offsetRuns?: number;
  /** When a heartbeat for this flow's pair was last written (ms); -1 = never. */
  lastHeartbeatAt?: number;
  topics: number;
}

export interface EngineSnapshot {
  takenAt: number;
  startedAt: number;
  flows: FlowSnapshot[];
}
