/**
 * Replication policies: how a topic is named on the target, and how a remote topic's name tells
 * where it came from. These follow MirrorMaker 2 (connect/mirror-client ReplicationPolicy,
 * DefaultReplicationPolicy, IdentityReplicationPolicy) rule for rule, because Java tooling such as
 * RemoteClusterUtils reads the names strait creates and must reach the same answers.
 *
 * - default:  "orders" from cluster "us-west" becomes "us-west.orders"; the prefix records the
 *             path a topic took, which is what lets two clusters replicate to each other without
 *             copying records back and forth forever (see isCycle).
 * - identity: names are kept. Nothing in the name says where a topic came from, so cycles cannot
 *             be detected; the configuration loader rejects identity flows that form a loop.
 *             Heartbeats are the exception: they are always prefixed, as in MM2, so the
 *             replication graph can still be traced.
 */
import type { FlowConfig, ReplicationPolicyConfig } from '../config/types.js';
import { nameFilter } from './filters.js';

export interface ReplicationPolicy {
  readonly kind: 'default' | 'identity';
  readonly separator: string;
  /** The target-side name of `topic` replicated from `sourceAlias`, e.g. "us-west.topic1". */
  formatRemoteTopic(sourceAlias: string, topic: string): string;
  /** The cluster a remote topic was replicated from, e.g. "us-west" for "us-west.topic1"; undefined if not a remote topic. */
  topicSource(topic: string): string | undefined;
  /** The topic's name one hop upstream (may itself be remote), e.g. "topic1" for "us-west.topic1"; undefined if not remote. */
  upstreamTopic(topic: string): string | undefined;
  /** The name at the very first hop; the topic itself if it is not a remote topic. */
  originalTopic(topic: string): string;
  heartbeatsTopic(): string;
  /** Where offset syncs for flows into `clusterAlias` live: "mm2-offset-syncs.<alias>.internal". */
  offsetSyncsTopic(clusterAlias: string): string;
  /** Where checkpoints from `clusterAlias` live on the target: "<alias>.checkpoints.internal". */
  checkpointsTopic(clusterAlias: string): string;
  /** "heartbeats", "us-west.heartbeats", "us-east.us-west.heartbeats", ... */
  isHeartbeatsTopic(topic: string): boolean;
  isCheckpointsTopic(topic: string): boolean;
  /** Topics MM2 (and strait) keep for themselves: anything ending in "<separator>internal". */
  isMM2InternalTopic(topic: string): boolean;
  /** Never replicated: MM2 internals, Kafka's own (`__consumer_offsets`, `.`-prefixed), Connect's (`*-internal`, `*.internal`). */
  isInternalTopic(topic: string): boolean;
}

const HEARTBEATS_TOPIC = 'heartbeats';

export class DefaultReplicationPolicy implements ReplicationPolicy {
  readonly kind: 'default' | 'identity' = 'default';
  readonly separator: string;
  /** MM2's replication.policy.internal.topic.separator.enabled: internal topic names use the separator too. */
  private readonly internalSeparator: string;

  constructor(separator = '.', internalTopicSeparatorEnabled = true) {
    if (separator.length === 0) throw new RangeError('replication policy separator must not be empty');
    this.separator = separator;
    this.internalSeparator = internalTopicSeparatorEnabled ? separator : '.';
  }

  formatRemoteTopic(sourceAlias: string, topic: string): string {
    return sourceAlias + this.separator + topic;
  }

  topicSource(topic: string): string | undefined {
    // MM2 uses Java's Pattern.split, which drops trailing empty strings: "us-west." is not a
    // remote topic, while ".orders" is one whose source alias is "" (it never matches a real
    // alias, so it is harmless, but we keep the answer identical).
    const parts = topic.split(this.separator);
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts.length < 2 ? undefined : parts[0];
  }

  upstreamTopic(topic: string): string | undefined {
    const source = this.topicSource(topic);
    return source === undefined ? undefined : topic.slice(source.length + this.separator.length);
  }

  originalTopic(topic: string): string {
    let current = topic;
    for (;;) {
      const upstream = this.upstreamTopic(current);
      // `upstream === current` is the identity policy's answer for an ordinary topic.
      if (upstream === undefined || upstream === current) return current;
      current = upstream;
    }
  }

  heartbeatsTopic(): string {
    return HEARTBEATS_TOPIC;
  }

  offsetSyncsTopic(clusterAlias: string): string {
    return `mm2-offset-syncs${this.internalSeparator}${clusterAlias}${this.internalSuffix()}`;
  }

  checkpointsTopic(clusterAlias: string): string {
    return clusterAlias + this.checkpointsSuffix();
  }

  isHeartbeatsTopic(topic: string): boolean {
    return this.originalTopic(topic) === this.heartbeatsTopic();
  }

  isCheckpointsTopic(topic: string): boolean {
    return topic.endsWith(this.checkpointsSuffix());
  }

  isMM2InternalTopic(topic: string): boolean {
    return topic.endsWith(this.internalSuffix());
  }

  isInternalTopic(topic: string): boolean {
    const kafkaInternal = topic.startsWith('__') || topic.startsWith('.');
    const connectInternal = topic.endsWith('-internal') || topic.endsWith('.internal');
    return this.isMM2InternalTopic(topic) || kafkaInternal || connectInternal;
  }

  private internalSuffix(): string {
    return `${this.internalSeparator}internal`;
  }

  private checkpointsSuffix(): string {
    return `${this.internalSeparator}checkpoints${this.internalSuffix()}`;
  }
}

export class IdentityReplicationPolicy extends DefaultReplicationPolicy {
  override readonly kind = 'identity';
  /**
   * MM2's `source.cluster.alias` for this policy: when set, every non-heartbeat topic is taken to
   * come from that cluster. MM2's connectors set it; clients such as RemoteClusterUtils do not.
   */
  private readonly sourceClusterAlias: string | undefined;

  constructor(separator = '.', internalTopicSeparatorEnabled = true, sourceClusterAlias?: string) {
    super(separator, internalTopicSeparatorEnabled);
    this.sourceClusterAlias = sourceClusterAlias;
  }

  override formatRemoteTopic(sourceAlias: string, topic: string): string {
    return this.looksLikeHeartbeat(topic) ? super.formatRemoteTopic(sourceAlias, topic) : topic;
  }

  override topicSource(topic: string): string | undefined {
    return this.looksLikeHeartbeat(topic) ? super.topicSource(topic) : this.sourceClusterAlias;
  }

  override upstreamTopic(topic: string): string | undefined {
    return this.looksLikeHeartbeat(topic) ? super.upstreamTopic(topic) : topic;
  }

  // MM2's test is a plain suffix check, so "my-heartbeats" is treated as a heartbeats topic
  // here too; kept for identical naming on both sides.
  private looksLikeHeartbeat(topic: string): boolean {
    return topic.endsWith(this.heartbeatsTopic());
  }
}

export interface PolicyOptions {
  /** See IdentityReplicationPolicy; ignored by the default policy. */
  sourceClusterAlias?: string;
}

/** Build the policy a flow's `replication` section describes. */
export function createReplicationPolicy(config: ReplicationPolicyConfig, options: PolicyOptions = {}): ReplicationPolicy {
  const internal = config.internalTopicSeparatorEnabled ?? true;
  return config.policy === 'identity'
    ? new IdentityReplicationPolicy(config.separator, internal, options.sourceClusterAlias)
    : new DefaultReplicationPolicy(config.separator, internal);
}

const flowPolicies = new WeakMap<ReplicationPolicyConfig, ReplicationPolicy>();

/** The (cached) policy of a flow. */
export function policyForFlow(flow: FlowConfig): ReplicationPolicy {
  let p = flowPolicies.get(flow.replication);
  if (p === undefined) {
    p = createReplicationPolicy(flow.replication);
    flowPolicies.set(flow.replication, p);
  }
  return p;
}

/**
 * MM2's MirrorSourceConnector.isCycle: would replicating `topic` into `targetAlias` send it back
 * to a cluster it already passed through? Walks the whole prefix chain, so with flows A->B and
 * B->C, "B.A.orders" on C is a cycle for a flow C->A as well as for C->B.
 */
export function isCycle(policy: ReplicationPolicy, topic: string, targetAlias: string): boolean {
  let current = topic;
  for (;;) {
    const source = policy.topicSource(current);
    if (source === undefined) return false;
    if (source === targetAlias) return true;
    const upstream = policy.upstreamTopic(current);
    // The identity policy answers "the same topic" for every hop: nothing more to learn.
    if (upstream === undefined || upstream === current) return false;
    current = upstream;
  }
}

/**
 * Whether `flow` replicates source topic `topic` (MirrorSourceConnector.shouldReplicateTopic):
 * it passes the flow's include/exclude patterns, or it is a heartbeats topic (replicated
 * regardless of the patterns so that the replication graph stays traceable); and it is not an
 * internal topic, and not a topic that came from the flow's target (a cycle).
 */
export function shouldReplicateTopic(topic: string, flow: FlowConfig): boolean {
  const policy = policyForFlow(flow);
  return (
    (nameFilter(flow.topics).matches(topic) || policy.isHeartbeatsTopic(topic)) &&
    !policy.isInternalTopic(topic) &&
    !isCycle(policy, topic, flow.target)
  );
}

/** Whether `flow` mirrors the offsets of consumer group `group` (MM2's DefaultGroupFilter). */
export function shouldReplicateGroup(group: string, flow: FlowConfig): boolean {
  return nameFilter(flow.groups).matches(group);
}

/** The target-side name of source topic `topic` for `flow`. */
export function remoteTopicName(flow: FlowConfig, topic: string): string {
  return policyForFlow(flow).formatRemoteTopic(flow.source, topic);
}
