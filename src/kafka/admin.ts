/**
 * A thin promise adapter over the binding's admin client: the calls strait needs, each error
 * wrapped in a KafkaError that names the cluster (and topic/partition). No policy lives here.
 */
import { rdkafka, type RdAdminClient, type RdError, ErrorCodes } from './binding.js';
import type { RdConfig } from './client-config.js';
import { KafkaError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';
import { type Access, explainClientCreation, RefusalWatch } from './refusals.js';

export interface TopicInfo {
  name: string;
  partitions: number;
}

export interface PartitionOffsets {
  topic: string;
  partition: number;
  offset: number;
}

/** A partition's log as a cluster reports it now. */
export interface LogBounds {
  /** Log start offset (earliest): records below it are deleted. */
  logStart: number;
  /** Next offset to be written (latest, the high watermark). */
  end: number;
}

/** Every partition of the described topics. */
export function partitionsOfTopics(infos: TopicInfo[]): { topic: string; partition: number }[] {
  return infos.flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })));
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** How many of the client's connection-level errors KafkaAdmin keeps (recentClientErrors). */
const KEPT_CLIENT_ERRORS = 5;

export class KafkaAdmin {
  private readonly client: RdAdminClient;
  private readonly clientErrors: string[] = [];
  private readonly refusals: RefusalWatch;

  constructor(
    readonly cluster: string,
    config: RdConfig,
  ) {
    this.refusals = new RefusalWatch(cluster, config);
    try {
      this.client = rdkafka.AdminClient.create(config, {
        'event.error': (err: RdError) => {
          this.clientErrors.push(err.message);
          if (this.clientErrors.length > KEPT_CLIENT_ERRORS) this.clientErrors.shift();
        },
        'event.log': (e: { severity: number; message: string }) => {
          if (e.severity <= 4) this.refusals.observe(e.message);
        },
      });
    } catch (err) {
      // librdkafka checks the TLS files when the client is made (a key it cannot decrypt, say).
      const message = err instanceof Error ? err.message : String(err);
      const why = explainClientCreation(message, cluster, config);
      throw new KafkaError('CLIENT_CONFIG', `cannot create an admin client: ${message}${why === undefined ? '' : `: ${why}`}`, { cluster }, false, { cause: err });
    }
  }

  /**
   * The client's latest connection-level errors, oldest first (librdkafka's texts, e.g.
   * "authentication failure"; they carry no credentials). A failed call reports only its own
   * outcome: a cluster that refuses the credentials fails a call with the same "broker transport
   * failure" as a cluster that cannot be reached, and only these tell the two apart.
   */
  recentClientErrors(): readonly string[] {
    return this.clientErrors;
  }

  /**
   * `needed`: the permissions the call needs, so that a refusal says which ACL is missing; a
   * call that failed for want of a connection says why the cluster refused it, if its log told.
   */
  private fail(err: RdError, what: string, needed: readonly Access[], topic?: string, partition?: number): KafkaError {
    const ctx: { cluster: string; topic?: string; partition?: number } = { cluster: this.cluster };
    if (topic !== undefined) ctx.topic = topic;
    if (partition !== undefined) ctx.partition = partition;
    return new KafkaError(`KAFKA_${err.code}`, this.refusals.describe(`${what} failed: ${err.message}`, err.code, needed), ctx, err.isRetriable === true, { cause: err });
  }

  /** Creates a topic; resolves false (not an error) when it already exists. */
  createTopic(topic: string, partitions: number, replicationFactor: number, config: Record<string, string> = {}): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.client.createTopic({ topic, num_partitions: partitions, replication_factor: replicationFactor, config }, DEFAULT_TIMEOUT_MS, (err) => {
        if (!err) resolve(true);
        else if (err.code === ErrorCodes.TOPIC_ALREADY_EXISTS) resolve(false);
        else reject(this.fail(err, `creating topic with ${partitions} partitions`, [{ operation: 'Create', resource: 'topic', names: [topic] }], topic));
      });
    });
  }

  createPartitions(topic: string, total: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.createPartitions(topic, total, DEFAULT_TIMEOUT_MS, (err) => {
        if (err) reject(this.fail(err, `increasing the partition count to ${total}`, [{ operation: 'Alter', resource: 'topic', names: [topic] }], topic));
        else resolve();
      });
    });
  }

  deleteTopic(topic: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.deleteTopic(topic, DEFAULT_TIMEOUT_MS, (err) => (err ? reject(this.fail(err, 'deleting the topic', [{ operation: 'Delete', resource: 'topic', names: [topic] }], topic)) : resolve()));
    });
  }

  listTopics(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      // Shorter than the other calls: this is the first call of a flow, and an unreachable
      // cluster should be reported soon.
      this.client.listTopics({ timeout: 10_000 }, (err, topics) => (err ? reject(this.fail(err, 'listing topics', [{ operation: 'Describe', resource: 'topic' }])) : resolve(topics)));
    });
  }

  /**
   * One metadata round trip to the cluster, for timing: describes one topic and resolves once a
   * broker answered, whatever it answered (the topic need not exist, nor may the credentials
   * describe it: a refusal is an answer too). Rejects when no broker answered in `timeoutMs`.
   */
  ping(topic: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // librdkafka's own codes are negative (timed out, no connection); a broker's are positive.
      this.client.describeTopics([topic], { timeout: timeoutMs }, (err) => (err && err.code < 0 ? reject(this.fail(err, 'a metadata request', [])) : resolve()));
    });
  }

  describeTopics(topics: string[]): Promise<TopicInfo[]> {
    if (topics.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.client.describeTopics(topics, { timeout: DEFAULT_TIMEOUT_MS }, (err, result) => {
        if (err) return reject(this.fail(err, `describing ${topics.length} topic(s)`, [{ operation: 'Describe', resource: 'topic', names: topics }]));
        const out: TopicInfo[] = [];
        for (const t of result) {
          if (t.error) {
            if (t.error.code === ErrorCodes.UNKNOWN_TOPIC_OR_PART) continue; // deleted meanwhile
            return reject(this.fail(t.error, 'describing the topic', [{ operation: 'Describe', resource: 'topic', names: [t.name] }], t.name));
          }
          out.push({ name: t.name, partitions: t.partitions.length });
        }
        resolve(out);
      });
    });
  }

  /** Earliest (log start) or latest (end) offsets of the given partitions. */
  listOffsets(partitions: { topic: string; partition: number }[], which: 'earliest' | 'latest', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PartitionOffsets[]> {
    if (partitions.length === 0) return Promise.resolve([]);
    const spec = which === 'earliest' ? rdkafka.OffsetSpec.EARLIEST : rdkafka.OffsetSpec.LATEST;
    return new Promise((resolve, reject) => {
      this.client.listOffsets(partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: spec })), { timeout: timeoutMs }, (err, result) => {
        if (err) return reject(this.fail(err, `listing ${which} offsets`, [{ operation: 'Describe', resource: 'topic', names: [...new Set(partitions.map((p) => p.topic))] }]));
        for (const r of result) if (r.error) return reject(this.fail(r.error, `listing ${which} offsets`, [{ operation: 'Describe', resource: 'topic', names: [r.topic] }], r.topic, r.partition));
        resolve(result.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset })));
      });
    });
  }

  /**
   * Log start and end of each partition, by partitionKey (src/util/partition-key.ts); a partition
   * the cluster did not answer both for is absent.
   */
  async logBounds(partitions: { topic: string; partition: number }[]): Promise<Map<string, LogBounds>> {
    const [starts, ends] = await Promise.all([this.listOffsets(partitions, 'earliest'), this.listOffsets(partitions, 'latest')]);
    const endOf = new Map(ends.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
    const out = new Map<string, LogBounds>();
    for (const s of starts) {
      const key = partitionKey(s.topic, s.partition);
      const end = endOf.get(key);
      if (end !== undefined) out.set(key, { logStart: s.offset, end });
    }
    return out;
  }

  /**
   * DeleteRecords: moves the partition's log start offset up to `before` (records below it are
   * gone for every reader). Resolves with the new log start offset the broker reports.
   */
  deleteRecords(topic: string, partition: number, before: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.client.deleteRecords([{ topic, partition, offset: before }], { timeout: DEFAULT_TIMEOUT_MS, operationTimeout: DEFAULT_TIMEOUT_MS }, (err, result) => {
        if (err) return reject(this.fail(err, `deleting records before offset ${before}`, [{ operation: 'Delete', resource: 'topic', names: [topic] }], topic, partition));
        const r = result.find((x) => x.topic === topic && x.partition === partition);
        if (r?.error) return reject(this.fail(r.error, `deleting records before offset ${before}`, [{ operation: 'Delete', resource: 'topic', names: [topic] }], topic, partition));
        resolve(r?.lowWatermark ?? before);
      });
    });
  }

  /**
   * Deletes the records below `offset` in each partition (what retention does), several at once:
   * the partition's log start becomes `offset`. Returns the new log starts.
   */
  async deleteRecordsBefore(partitions: { topic: string; partition: number; offset: number }[]): Promise<PartitionOffsets[]> {
    const starts = await Promise.all(partitions.map((p) => this.deleteRecords(p.topic, p.partition, p.offset)));
    return partitions.map((p, i) => ({ topic: p.topic, partition: p.partition, offset: starts[i] }));
  }

  /**
   * Active members of each group (0 for an empty or unknown group). Offsets may be committed
   * from outside only to a group with none: a live consumer owns its group's offsets.
   */
  groupMembers(groupIds: string[]): Promise<Map<string, number>> {
    if (groupIds.length === 0) return Promise.resolve(new Map<string, number>());
    return new Promise((resolve, reject) => {
      this.client.describeGroups(groupIds, { timeout: DEFAULT_TIMEOUT_MS }, (err, result) => {
        if (err) return reject(this.fail(err, `describing ${groupIds.length} consumer group(s)`, [{ operation: 'Describe', resource: 'group', names: groupIds }]));
        resolve(new Map(result.groups.map((g) => [g.groupId, g.error ? 0 : g.members.length])));
      });
    });
  }

  /**
   * Commits offsets for a group that has no active member, as a consumer of that group would
   * (a consumer that never joins commits with no generation, which the coordinator accepts only
   * for an empty group).
   */
  async commitGroupOffsets(groupId: string, offsets: { topic: string; partition: number; offset: number }[], config: RdConfig): Promise<void> {
    if (offsets.length === 0) return;
    const consumer = new rdkafka.KafkaConsumer({ ...config, 'group.id': groupId, 'enable.auto.commit': false }, {});
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: DEFAULT_TIMEOUT_MS }, (err: RdError | null) => (err ? reject(this.fail(err, `connecting to commit offsets of group "${groupId}"`, [{ operation: 'Read', resource: 'group', names: [groupId] }])) : resolve())),
    );
    try {
      consumer.commitSync(offsets);
    } catch (err) {
      throw new KafkaError('COMMIT', `committing offsets of group "${groupId}" failed: ${(err as Error).message}`, { cluster: this.cluster }, true, { cause: err });
    } finally {
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    }
  }

  /** Consumer group ids on the cluster. */
  listGroups(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.client.listGroups({ timeout: DEFAULT_TIMEOUT_MS }, (err, result) => {
        if (err) return reject(this.fail(err, 'listing consumer groups', [{ operation: 'Describe', resource: 'cluster' }]));
        resolve(result.groups.map((g) => g.groupId));
      });
    });
  }

  /** Committed offsets of a consumer group (all its partitions, or the ones given). */
  groupOffsets(groupId: string, partitions?: { topic: string; partition: number }[], options: { requireStable?: boolean } = {}): Promise<PartitionOffsets[]> {
    return new Promise((resolve, reject) => {
      const req = partitions ? [{ groupId, partitions }] : [{ groupId }];
      // requireStable: offsets committed by a transaction still open are not returned as the old
      // value; the broker answers UNSTABLE_OFFSET_COMMIT (retriable) until the transaction ends.
      this.client.listConsumerGroupOffsets(req, { timeout: DEFAULT_TIMEOUT_MS, requireStableOffsets: options.requireStable === true }, (err, result) => {
        if (err) return reject(this.fail(err, `reading committed offsets of group "${groupId}"`, [{ operation: 'Describe', resource: 'group', names: [groupId] }, { operation: 'Describe', resource: 'topic' }]));
        const g = result[0];
        if (!g) return resolve([]);
        if (g.error) return reject(this.fail(g.error, `reading committed offsets of group "${groupId}"`, [{ operation: 'Describe', resource: 'group', names: [groupId] }, { operation: 'Describe', resource: 'topic' }]));
        resolve(g.partitions.filter((p) => p.offset >= 0).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
      });
    });
  }

  close(): void {
    this.client.disconnect();
  }
}
