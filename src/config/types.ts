/**
 * The validated, defaulted configuration strait runs on. The YAML file (src/config/load.ts) and
 * MM2 properties files (src/config/mm2.ts) are parsed and checked into this shape; nothing
 * downstream re-validates.
 */

/** librdkafka client properties, passed through untouched (values as strings). */
export type ClientProperties = Record<string, string>;

export interface ClusterConfig {
  alias: string;
  /** Properties for every client of this cluster (bootstrap.servers, security.*, sasl.*, ssl.*). */
  properties: ClientProperties;
  /** Extra properties merged over `properties` for consumers / producers / admin clients. */
  consumer: ClientProperties;
  producer: ClientProperties;
  admin: ClientProperties;
}

export type FlowMode = 'at-least-once' | 'exactly-once' | 'offset-preserving';

export interface PatternList {
  include: string[];
  /** Effective excludes: the user's, then MM2's defaults (unless `excludeDefaults: false`). */
  exclude: string[];
  /** Whether MM2's default excludes were added to `exclude` (default true). */
  excludeDefaults?: boolean;
}

export interface ReplicationPolicyConfig {
  /** `default`: `<source alias><separator><topic>` like MM2's DefaultReplicationPolicy; `identity`: same name. */
  policy: 'default' | 'identity';
  separator: string;
  /**
   * MM2's `replication.policy.internal.topic.separator.enabled` (default true): whether the
   * internal topics (offset syncs, checkpoints) use `separator` too, or always `.`.
   */
  internalTopicSeparatorEnabled?: boolean;
}

export interface FlowConfig {
  /** Unique name, default `<source>-><target>`. */
  name: string;
  source: string;
  target: string;
  enabled: boolean;
  mode: FlowMode;
  topics: PatternList;
  groups: PatternList;
  replication: ReplicationPolicyConfig;
  /** Replication factor of topics strait creates on the target; -1 = the broker's default. */
  replicationFactor: number;
  /** How often the source's topic list and partition counts are re-read. */
  refreshTopicsIntervalMs: number;
  /** The consumer group strait uses on the source cluster for this flow. */
  groupId: string;
  /** What to do with a record the target refuses for good (e.g. too large). */
  onRecordError: 'stop-partition' | 'stop-flow';
  /** MM2 checkpoints (exact translated group offsets); default enabled, every 5 s. */
  checkpoints?: EmitSettings;
  /** MM2 heartbeats for this pair and its reverse; default enabled, every 1 s. */
  heartbeats?: EmitSettings;
  /** Commit translated offsets to the target's groups (opt-in, like MM2's sync.group.offsets). */
  syncGroupOffsets?: EmitSettings;
  /**
   * MM2's per-flow switches, present only when the configuration came from an MM2 properties
   * file (`--mm2-config`; see docs/mm2-config.md). The YAML format has no such keys: without
   * this section the engine uses its own defaults.
   */
  mm2?: FlowMm2Config;
}

/**
 * The MM2 settings of one flow that have no key in strait's YAML format, with MM2's defaults
 * filled in for keys the file does not set. Intervals are milliseconds; replication factors of
 * internal topics are MM2's (-1 = the broker's default).
 */
export interface FlowMm2Config {
  /** `emit.checkpoints.enabled` (MM2 default true): write `<source>.checkpoints.internal` on the target. */
  emitCheckpoints: boolean;
  /** `emit.checkpoints.interval.seconds` (default 60 s). */
  emitCheckpointsIntervalMs: number;
  /** `checkpoints.topic.replication.factor` (default 3). */
  checkpointsTopicReplicationFactor: number;
  /** `sync.group.offsets.enabled` (default false): commit translated offsets to the target's groups. */
  syncGroupOffsets: boolean;
  /** `sync.group.offsets.interval.seconds` (default 60 s). */
  syncGroupOffsetsIntervalMs: number;
  /** `emit.offset-syncs.enabled` (default true): write the offset-syncs topic. */
  emitOffsetSyncs: boolean;
  /** `offset-syncs.topic.location` (default `source`): the cluster holding `mm2-offset-syncs.<other>.internal`. */
  offsetSyncsTopicLocation: 'source' | 'target';
  /** `offset-syncs.topic.replication.factor` (default 3). */
  offsetSyncsTopicReplicationFactor: number;
  /**
   * `refresh.topics.enabled` (default true). false: MM2 never looks for new topics or
   * partitions; strait cannot stop looking, so it then refreshes at its longest interval.
   */
  refreshTopics: boolean;
  /** `refresh.groups.enabled` (default true): look for new consumer groups to checkpoint. */
  refreshGroups: boolean;
  /** `refresh.groups.interval.seconds` (default 600 s). */
  refreshGroupsIntervalMs: number;
  /** `sync.topic.configs.enabled` (default true): copy topic configurations to remote topics. */
  syncTopicConfigs: boolean;
  /** `sync.topic.configs.interval.seconds` (default 600 s). */
  syncTopicConfigsIntervalMs: number;
  /** `sync.topic.acls.enabled` (default true): copy topic ACLs to remote topics. */
  syncTopicAcls: boolean;
  /** `sync.topic.acls.interval.seconds` (default 600 s). */
  syncTopicAclsIntervalMs: number;
}

/**
 * One (source, target) pair MM2 emits heartbeats for: a record in the target's `heartbeats`
 * topic every interval naming both clusters. MM2's dedicated mode does this for every ordered
 * pair of clusters, flow or not, unless `emit.heartbeats.enabled` turns it off.
 */
export interface HeartbeatPairConfig {
  source: string;
  target: string;
  /** `emit.heartbeats.interval.seconds` (MM2 default 1 s). */
  intervalMs: number;
  /** `heartbeats.topic.replication.factor` (MM2 default 3; -1 = the broker's default). */
  topicReplicationFactor: number;
}

export interface EmitSettings {
  enabled: boolean;
  intervalMs: number;
}

export interface EngineConfig {
  /** Worker threads; default the number of cores. */
  workers: number;
  metrics: { host: string; port: number; enabled: boolean };
  /** One-line summary in the log every N ms; 0 disables. */
  summaryIntervalMs: number;
  /** Ordered shutdown must finish within this. */
  shutdownTimeoutMs: number;
  /** How often acknowledged progress is committed to the source group. */
  commitIntervalMs: number;
  /** Upper bound for records waiting in one worker's producer queue before partitions pause. */
  maxInFlightRecordsPerWorker: number;
}

export interface StraitConfig {
  clusters: Map<string, ClusterConfig>;
  flows: FlowConfig[];
  engine: EngineConfig;
  /**
   * The pairs to emit heartbeats for, present only when the configuration came from an MM2
   * properties file (which can switch heartbeats off or tune them per pair). Absent: the
   * engine's default, every ordered pair of clusters.
   */
  heartbeats?: HeartbeatPairConfig[];
}
