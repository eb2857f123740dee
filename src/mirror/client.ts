/**
 * What MM2's RemoteClusterUtils / MirrorClient (connect/mirror-client) give Java users, for
 * TypeScript: read a cluster's MM2 internal topics and answer the same questions the same way.
 *
 * - heartbeatTopics / checkpointTopics: topic names the replication policy classifies as such.
 * - upstreamClusters: every alias named in the prefix chain of a heartbeats topic. Heartbeats
 *   are replicated like any topic, so "B.A.heartbeats" on C says A -> B -> C exists.
 * - replicationHops(alias): the shortest such chain that reaches `alias` (1 for "alias.heartbeats"),
 *   -1 when no heartbeats topic leads there.
 * - translateOffsets(remote alias, group): the group's checkpoints in "<alias>.checkpoints.internal",
 *   the last one in log order per partition (MM2 may rewind a checkpoint, so the latest record
 *   wins, not the highest offset), giving the offsets to resume at on this cluster.
 *
 * The logic is MirrorClient's rule for rule (countHopsForTopic, allSources,
 * remoteConsumerOffsets) so both give the same answers on the same cluster. Differences:
 * results are sorted arrays instead of sets and maps; a missing checkpoints topic is an error
 * right away (the Java consumer waits for it until its timeout); and records that cannot be
 * decoded, tombstones included, are skipped and reported through `onSkippedRecord` (Java skips
 * undecodable ones with a log line and fails on tombstones).
 */
import { KafkaAdmin } from '../kafka/admin.js';
import type { RdConfig } from '../kafka/client-config.js';
import { readPartitionToEnd, type RawRecord } from '../kafka/reader.js';
import { KafkaError } from '../util/errors.js';
import { log } from '../util/log.js';
import { decodeCheckpoint } from './formats.js';
import { DefaultReplicationPolicy, type ReplicationPolicy } from './policy.js';

/** What the client needs from a cluster; fakes stand in for it in unit tests. */
export interface MirrorClientSource {
  /** The cluster's alias, for error messages. */
  readonly cluster: string;
  listTopics(): Promise<string[]>;
  /** Partition 0 of `topic`, from the log start to its current end, in offset order. */
  readTopic(topic: string): Promise<RawRecord[]>;
  close?(): void;
}

/** One partition of a translated group: resume at `offset` of `topic` on this cluster. */
export interface TranslatedOffset {
  /** The topic's name on this cluster, e.g. "us-west.orders". */
  topic: string;
  partition: number;
  /** The downstream offset: where the group resumes here. */
  offset: number;
  metadata: string;
  /** The committed offset on the remote cluster this was translated from. */
  upstreamOffset: number;
}

export interface MirrorClientOptions {
  /** Default: MM2's DefaultReplicationPolicy with separator ".". */
  policy?: ReplicationPolicy;
  /** Called for each checkpoint record that cannot be decoded; default: a warning in the log. */
  onSkippedRecord?: (problem: Error, topic: string, record: RawRecord) => void;
}

/**
 * MirrorClient.countHopsForTopic: how many hops `topic`'s prefix chain needs to reach
 * `sourceClusterAlias`; -1 when it never does (or loops, which the identity policy allows).
 */
export function countHopsForTopic(policy: ReplicationPolicy, topic: string, sourceClusterAlias: string): number {
  const visited = new Set<string>();
  let current = topic;
  for (let hops = 1; ; hops++) {
    const source = policy.topicSource(current);
    if (source === undefined) return -1;
    if (source === sourceClusterAlias) return hops;
    // The identity policy cannot tell a cycle from a chain: a repeated alias means a loop.
    if (visited.has(source)) return -1;
    visited.add(source);
    const upstream = policy.upstreamTopic(current);
    if (upstream === undefined) return -1;
    current = upstream;
  }
}

/** MirrorClient.allSources: every cluster alias in `topic`'s prefix chain, nearest first. */
export function allSources(policy: ReplicationPolicy, topic: string): string[] {
  const sources: string[] = [];
  let current = topic;
  let source = policy.topicSource(current);
  // The includes() check stops the loops the identity policy cannot rule out.
  while (source !== undefined && !sources.includes(source)) {
    sources.push(source);
    const upstream = policy.upstreamTopic(current);
    if (upstream === undefined) break;
    current = upstream;
    source = policy.topicSource(current);
  }
  return sources;
}

export function heartbeatTopicsIn(policy: ReplicationPolicy, topics: Iterable<string>): string[] {
  return [...new Set([...topics].filter((t) => policy.isHeartbeatsTopic(t)))].sort();
}

export function checkpointTopicsIn(policy: ReplicationPolicy, topics: Iterable<string>): string[] {
  return [...new Set([...topics].filter((t) => policy.isCheckpointsTopic(t)))].sort();
}

/** MirrorClient.upstreamClusters over a list of topic names. */
export function upstreamClustersIn(policy: ReplicationPolicy, topics: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const t of heartbeatTopicsIn(policy, topics)) for (const s of allSources(policy, t)) out.add(s);
  return [...out].sort();
}

/** MirrorClient.replicationHops over a list of topic names: the fewest hops from `upstreamClusterAlias`, or -1. */
export function replicationHopsIn(policy: ReplicationPolicy, topics: Iterable<string>, upstreamClusterAlias: string): number {
  let best = -1;
  for (const t of heartbeatTopicsIn(policy, topics)) {
    const hops = countHopsForTopic(policy, t, upstreamClusterAlias);
    if (hops !== -1 && (best === -1 || hops < best)) best = hops;
  }
  return best;
}

/**
 * MirrorClient.remoteConsumerOffsets over the records of a checkpoints topic: per partition,
 * the last checkpoint of `consumerGroupId` in log order. `onSkipped` gets records that cannot
 * be decoded.
 */
export function latestCheckpoints(
  records: Iterable<RawRecord>,
  consumerGroupId: string,
  topic: string,
  onSkipped: (problem: Error, record: RawRecord) => void = () => undefined,
): TranslatedOffset[] {
  return latestCheckpointsByGroup(records, topic, onSkipped, consumerGroupId).get(consumerGroupId) ?? [];
}

/**
 * latestCheckpoints for every group in one pass over the records (each record is decoded once),
 * by consumer group; only `onlyGroup` when given. `strait failover` reads them all.
 */
export function latestCheckpointsByGroup(
  records: Iterable<RawRecord>,
  topic: string,
  onSkipped: (problem: Error, record: RawRecord) => void = () => undefined,
  onlyGroup?: string,
): Map<string, TranslatedOffset[]> {
  const byGroup = new Map<string, Map<string, TranslatedOffset>>();
  for (const r of records) {
    if (r.key === null || r.value === null) {
      onSkipped(new Error(`topic "${topic}" offset ${r.offset}: a record with a null ${r.key === null ? 'key' : 'value'} is not a checkpoint`), r);
      continue;
    }
    let c;
    try {
      c = decodeCheckpoint({ key: r.key, value: r.value }, { topic, partition: 0, offset: r.offset });
    } catch (err) {
      onSkipped(err as Error, r);
      continue;
    }
    if (onlyGroup !== undefined && c.consumerGroupId !== onlyGroup) continue;
    let byPartition = byGroup.get(c.consumerGroupId);
    if (!byPartition) byGroup.set(c.consumerGroupId, (byPartition = new Map<string, TranslatedOffset>()));
    // JSON of the pair: topic names may contain any character, so no separator is safe.
    byPartition.set(JSON.stringify([c.topic, c.partition]), {
      topic: c.topic,
      partition: c.partition,
      offset: c.downstreamOffset,
      metadata: c.metadata,
      upstreamOffset: c.upstreamOffset,
    });
  }
  const out = new Map<string, TranslatedOffset[]>();
  for (const [group, byPartition] of byGroup) {
    out.set(group, [...byPartition.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)));
  }
  return out;
}

export class MirrorClient {
  readonly policy: ReplicationPolicy;
  private readonly onSkippedRecord: (problem: Error, topic: string, record: RawRecord) => void;

  constructor(
    private readonly source: MirrorClientSource,
    options: MirrorClientOptions = {},
  ) {
    this.policy = options.policy ?? new DefaultReplicationPolicy();
    this.onSkippedRecord =
      options.onSkippedRecord ??
      ((problem, topic, record) => log.warn({ cluster: source.cluster, topic, offset: record.offset, err: problem.message }, 'skipping a checkpoint record that cannot be decoded'));
  }

  /** Heartbeats topics on the cluster ("heartbeats", "us-west.heartbeats", ...), sorted. */
  async heartbeatTopics(): Promise<string[]> {
    return heartbeatTopicsIn(this.policy, await this.source.listTopics());
  }

  /** Checkpoints topics on the cluster ("us-west.checkpoints.internal", ...), sorted. */
  async checkpointTopics(): Promise<string[]> {
    return checkpointTopicsIn(this.policy, await this.source.listTopics());
  }

  /** Clusters that replicate into this one, directly or through others, sorted. */
  async upstreamClusters(): Promise<string[]> {
    return upstreamClustersIn(this.policy, await this.source.listTopics());
  }

  /** Fewest hops from `upstreamClusterAlias` to this cluster (A->B->C: 2 from A to C); -1 if unreachable. */
  async replicationHops(upstreamClusterAlias: string): Promise<number> {
    return replicationHopsIn(this.policy, await this.source.listTopics(), upstreamClusterAlias);
  }

  /**
   * Where consumer group `consumerGroupId` of cluster `remoteClusterAlias` resumes on this
   * cluster, per partition (topic names as they are here), sorted by topic and partition.
   */
  async translateOffsets(remoteClusterAlias: string, consumerGroupId: string): Promise<TranslatedOffset[]> {
    const topic = this.policy.checkpointsTopic(remoteClusterAlias);
    const topics = await this.source.listTopics();
    if (!topics.includes(topic)) {
      const present = checkpointTopicsIn(this.policy, topics);
      throw new KafkaError(
        'CHECKPOINTS_TOPIC_MISSING',
        `no checkpoints from cluster "${remoteClusterAlias}" here: the topic does not exist ` +
          `(checkpoint topics on this cluster: ${present.length === 0 ? 'none' : present.join(', ')}). ` +
          `Check the remote cluster alias, and that a flow from it to this cluster has checkpoints enabled.`,
        { cluster: this.source.cluster, topic },
        false,
      );
    }
    const records = await this.source.readTopic(topic);
    return latestCheckpoints(records, consumerGroupId, topic, (problem, record) => this.onSkippedRecord(problem, topic, record));
  }

  close(): void {
    this.source.close?.();
  }
}

/** A MirrorClientSource reading a real cluster through strait's admin and reader adapters. */
export class KafkaMirrorClientSource implements MirrorClientSource {
  private readonly admin: KafkaAdmin;

  constructor(
    readonly cluster: string,
    private readonly config: RdConfig,
    private readonly readTimeoutMs?: number,
  ) {
    this.admin = new KafkaAdmin(cluster, config);
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  readTopic(topic: string): Promise<RawRecord[]> {
    return readPartitionToEnd(this.cluster, this.config, topic, 0, this.readTimeoutMs === undefined ? {} : { timeoutMs: this.readTimeoutMs });
  }

  close(): void {
    this.admin.close();
  }
}

/**
 * A MirrorClient for cluster `cluster` (an alias, for messages), e.g.
 * `openMirrorClient('target', { 'bootstrap.servers': 'host:9092' })`. Close it when done.
 */
export function openMirrorClient(cluster: string, config: RdConfig, options: MirrorClientOptions & { readTimeoutMs?: number } = {}): MirrorClient {
  return new MirrorClient(new KafkaMirrorClientSource(cluster, config, options.readTimeoutMs), options);
}
