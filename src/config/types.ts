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

/** flows[].onDataLoss: go on from the new log start, or stop the partition that lost records. */
export type OnDataLoss = 'continue' | 'stop-partition';
/** flows[].onDivergence (offset-preserving): stop the partition, or go on with offset translation. */
export type OnDivergence = 'stop-partition' | 'translate';

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
  /** exactly-once: how long a transaction collects records before it is committed (default DEFAULT_TRANSACTION_INTERVAL_MS). */
  transactionIntervalMs?: number;
  /** What to do with a record the target refuses for good (e.g. too large). */
  onRecordError: 'stop-partition' | 'stop-flow';
  /** What to do when source retention deleted records before they were copied (see schema.ts). */
  onDataLoss: OnDataLoss;
  /** Offset-preserving mode: what a partition that cannot keep its offsets does (see schema.ts). */
  onDivergence: OnDivergence;
  /** MM2 checkpoints (exact translated group offsets); default enabled, every 5 s. */
  checkpoints?: EmitSettings;
  /** MM2 heartbeats for this pair and its reverse; default enabled, every 1 s. */
  heartbeats?: EmitSettings;
  /** Commit translated offsets to the target's groups (opt-in, like MM2's sync.group.offsets). */
  syncGroupOffsets?: EmitSettings;
  /** Where MM2's offset-syncs topic is written (MM2's offset-syncs.topic.location); default source. */
  offsetSyncsTopicLocation?: 'source' | 'target';
  /** Topic configuration and ACL sync onto the target (MM2's sync.topic.configs / sync.topic.acls). */
  sync?: SyncSettings;
}

export interface SyncSettings {
  topicConfigs: EmitSettings & {
    /** Effective exclude patterns (the user's plus MM2's defaults unless excludeDefaults is false). */
    exclude: string[];
    excludeDefaults?: boolean;
    useDefaultsFrom: 'target' | 'source';
  };
  acls: EmitSettings & { propagateRemovals: boolean; copyDeny: boolean };
}

export interface EmitSettings {
  enabled: boolean;
  intervalMs: number;
}

export interface EngineConfig {
  /** Worker threads; default the number of cores. */
  workers: number;
  metrics: { host: string; port: number; enabled: boolean; remoteStop: boolean };
  /** One-line summary in the log every N ms; 0 disables. */
  summaryIntervalMs: number;
  /** Ordered shutdown must finish within this. */
  shutdownTimeoutMs: number;
  /** How often acknowledged progress is committed to the source group. */
  commitIntervalMs: number;
  /** This process's name in exactly-once transactional ids; default the host name. */
  instanceId: string;
  /** Upper bound for records waiting in one worker's producer queue before partitions pause. */
  maxInFlightRecordsPerWorker: number;
}

export interface StraitConfig {
  clusters: Map<string, ClusterConfig>;
  flows: FlowConfig[];
  engine: EngineConfig;
}

/** flows[].transactionInterval when unset: records become visible on the target about this often. */
export const DEFAULT_TRANSACTION_INTERVAL_MS = 1_000;
