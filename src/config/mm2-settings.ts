/**
 * The MM2 keys strait reads, in tables: the settings of a flow (given once for every flow, or as
 * `<source>-><target>.<setting>`) with their types, the classes MM2 ships that strait implements,
 * and the keys of Kafka Connect and MM2 internals that strait has no use for. docs/mm2-config.md
 * describes what becomes of each.
 */
import { FLOW_KEYS } from './schema.js';

// ---------------------------------------------------------------------------------------------
// The MM2 settings of a flow (given once for all flows, or as `<source>-><target>.<setting>`)

export type Kind =
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'seconds' }
  | { kind: 'patterns' }
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[]; caseInsensitive?: boolean }
  | { kind: 'class' };

export interface Setting {
  type: Kind;
  /** A value for the corrected example line (properties syntax: regex backslashes doubled). */
  example: string;
  /** Only per flow (`a->b.<key>`), never once for all flows. */
  flowOnly?: boolean;
}

const bool: Kind = { kind: 'boolean' };
const seconds: Kind = { kind: 'seconds' };
const patterns: Kind = { kind: 'patterns' };
const replicationFactor: Kind = { kind: 'integer', min: -32768, max: 32767 };

export const DEFAULT_POLICY = 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy';
export const IDENTITY_POLICY = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy';

export const MM2_FLOW_SETTINGS: Readonly<Record<string, Setting>> = {
  enabled: { type: bool, example: 'true' },
  topics: { type: patterns, example: 'orders\\\\..*, payments' },
  'topics.exclude': { type: patterns, example: '.*[\\\\-\\\\.]internal, .*\\\\.replica, __.*' },
  'topics.blacklist': { type: patterns, example: '.*[\\\\-\\\\.]internal, .*\\\\.replica, __.*' },
  groups: { type: patterns, example: 'billing-.*' },
  'groups.exclude': { type: patterns, example: 'console-consumer-.*, connect-.*, __.*' },
  'groups.blacklist': { type: patterns, example: 'console-consumer-.*, connect-.*, __.*' },
  'replication.policy.class': { type: { kind: 'class' }, example: DEFAULT_POLICY },
  'replication.policy.separator': { type: { kind: 'string' }, example: '.' },
  'replication.policy.internal.topic.separator.enabled': { type: bool, example: 'true' },
  'replication.factor': { type: replicationFactor, example: '3' },
  'refresh.topics.enabled': { type: bool, example: 'true' },
  'refresh.topics.interval.seconds': { type: seconds, example: '60' },
  'refresh.groups.enabled': { type: bool, example: 'true' },
  'refresh.groups.interval.seconds': { type: seconds, example: '600' },
  'emit.checkpoints.enabled': { type: bool, example: 'true' },
  'emit.checkpoints.interval.seconds': { type: seconds, example: '60' },
  'checkpoints.topic.replication.factor': { type: replicationFactor, example: '3' },
  'sync.group.offsets.enabled': { type: bool, example: 'true' },
  'sync.group.offsets.interval.seconds': { type: seconds, example: '60' },
  'emit.heartbeats.enabled': { type: bool, example: 'true' },
  'emit.heartbeats.interval.seconds': { type: seconds, example: '1' },
  'heartbeats.topic.replication.factor': { type: replicationFactor, example: '3' },
  'heartbeats.replication.enabled': { type: bool, example: 'true' },
  'emit.offset-syncs.enabled': { type: bool, example: 'true' },
  'offset-syncs.topic.location': { type: { kind: 'enum', values: ['source', 'target'] }, example: 'source' },
  'offset-syncs.topic.replication.factor': { type: replicationFactor, example: '3' },
  'offset.lag.max': { type: { kind: 'integer', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }, example: '100' },
  'sync.topic.configs.enabled': { type: bool, example: 'true' },
  'sync.topic.configs.interval.seconds': { type: seconds, example: '600' },
  'config.properties.exclude': { type: patterns, example: 'min\\\\.insync\\\\.replicas' },
  'config.properties.blacklist': { type: patterns, example: 'min\\\\.insync\\\\.replicas' },
  'use.defaults.from': { type: { kind: 'enum', values: ['target', 'source'] }, example: 'target' },
  'sync.topic.acls.enabled': { type: bool, example: 'false' },
  'sync.topic.acls.interval.seconds': { type: seconds, example: '600' },
  'tasks.max': { type: { kind: 'integer', min: 1, max: 1_000_000 }, example: '4' },
  'topic.filter.class': { type: { kind: 'class' }, example: 'org.apache.kafka.connect.mirror.DefaultTopicFilter' },
  'group.filter.class': { type: { kind: 'class' }, example: 'org.apache.kafka.connect.mirror.DefaultGroupFilter' },
  'config.property.filter.class': { type: { kind: 'class' }, example: 'org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter' },
  'forwarding.admin.class': { type: { kind: 'class' }, example: 'org.apache.kafka.clients.admin.ForwardingAdmin' },
  'consumer.poll.timeout.ms': { type: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER }, example: '1000' },
  'admin.timeout.ms': { type: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER }, example: '60000' },
  // strait's own flow settings, which MM2 ignores: the same file still works with MM2.
  'strait.mode': { type: { kind: 'enum', values: (FLOW_KEYS.mode.type as { values: readonly string[] }).values }, example: 'at-least-once' },
  'strait.onRecordError': { type: { kind: 'enum', values: (FLOW_KEYS.onRecordError.type as { values: readonly string[] }).values }, example: 'stop-flow' },
  'strait.onDataLoss': { type: { kind: 'enum', values: (FLOW_KEYS.onDataLoss.type as { values: readonly string[] }).values }, example: 'stop-partition' },
  'strait.groupId': { type: { kind: 'string' }, example: 'strait.east.west', flowOnly: true },
  'strait.name': { type: { kind: 'string' }, example: 'east->west', flowOnly: true },
};

/** Classes MM2 ships that strait implements; any other class is Java code strait cannot run. */
export const DEFAULT_CLASSES: Readonly<Record<string, readonly string[]>> = {
  'topic.filter.class': ['org.apache.kafka.connect.mirror.DefaultTopicFilter'],
  'group.filter.class': ['org.apache.kafka.connect.mirror.DefaultGroupFilter'],
  'config.property.filter.class': ['org.apache.kafka.connect.mirror.DefaultConfigPropertyFilter'],
  'forwarding.admin.class': ['org.apache.kafka.clients.admin.ForwardingAdmin'],
};

/** Replication policy classes strait has, by full and simple class name. */
export const POLICIES: Readonly<Record<string, 'default' | 'identity'>> = {
  [DEFAULT_POLICY]: 'default',
  DefaultReplicationPolicy: 'default',
  [IDENTITY_POLICY]: 'identity',
  IdentityReplicationPolicy: 'identity',
  // Strimzi's identity policy from before Kafka 3.0 had one: same names.
  'io.strimzi.kafka.connect.mirror.IdentityReplicationPolicy': 'identity',
};

/** The settings MM2 reads only as a deprecated name of another (the other wins when both are given). */
export const DEPRECATED: Readonly<Record<string, string>> = {
  'topics.blacklist': 'topics.exclude',
  'groups.blacklist': 'groups.exclude',
  'config.properties.blacklist': 'config.properties.exclude',
};

// ---------------------------------------------------------------------------------------------
// Keys strait has nothing to do with

const WORKER = 'is a Kafka Connect worker setting: strait runs no Connect worker and keeps no Connect internal topics, so it is not needed';
const PER_FLOW_BY_MM2 = 'is set by MM2 itself for each flow in dedicated mode, so strait ignores it';
const NO_TRANSFORMS = 'Kafka Connect transformations and error handling do not exist in strait, which copies every record byte for byte';

const IGNORED_KEYS: readonly [RegExp, string][] = [
  [/^(offset|config|status)\.storage\./, WORKER],
  [/^offsets?\.storage\.topic$/, WORKER],
  [/^(key|value|header)\.converter(\..+)?$/, `${WORKER}: strait copies keys, values and headers as bytes`],
  [/^(task\.|worker\.|offset\.flush\.|inter\.worker\.|access\.control\.|topic\.tracking\.|plugin\.|rest\.|listeners\.)/, WORKER],
  [/^(listeners|admin\.listeners|plugin\.path|group\.id|client\.id|connect\.protocol|scheduled\.rebalance\.max\.delay\.ms|response\.http\.headers\.config|config\.reload\.action|connector\.client\.config\.override\.policy|topic\.creation\.enable|dedicated\.mode\.enable\.internal\.rest)$/, WORKER],
  [/^(heartbeat\.interval|session\.timeout|rebalance\.timeout)\.ms$/, WORKER],
  [/^(name|connector\.class|source\.cluster\.alias|target\.cluster\.alias)$/, PER_FLOW_BY_MM2],
  [/^(source|target)\.cluster\./, PER_FLOW_BY_MM2],
  [/^(source|target)\.(consumer|producer|admin)\./, PER_FLOW_BY_MM2],
  [/^(errors\.|transforms(\.|$)|predicates(\.|$))/, NO_TRANSFORMS],
  [/^(metric\.reporters|auto\.include\.jmx\.reporter)$|^metrics\./, "strait's metrics are Prometheus metrics on its own endpoint (strait.engine.metrics.port)"],
  [/^exactly\.once\.support$|^transaction\.boundary(\.|$)/, "strait's delivery guarantee follows <target>.exactly.once.source.support (or strait.mode), not per-connector settings"],
];

export function ignoredReason(name: string): string | undefined {
  return IGNORED_KEYS.find(([re]) => re.test(name))?.[1];
}
