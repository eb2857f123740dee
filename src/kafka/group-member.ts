/**
 * The process's membership in a flow's consumer group on the source cluster.
 *
 * One librdkafka consumer per flow per process joins the group with the cooperative-sticky
 * assignor; Kafka's group coordinator spreads partitions over every strait process of the flow.
 * This consumer never reads records: it pauses every partition it is given (the workers have
 * their own consumers) and is polled only so librdkafka serves rebalances and heartbeats.
 * Progress is committed through it, because only a member of the current generation may commit.
 *
 * Revocation is asynchronous: librdkafka waits until incrementalUnassign() is called, which
 * happens only after the handler resolved (workers drained, progress committed).
 */
import { rdkafka, extras, type RdConsumer, type RdError } from './binding.js';
import type { RdConfig } from './client-config.js';
import { KafkaError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';
import { type Access, RefusalWatch } from './refusals.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface GroupHandlers {
  assigned(parts: TopicPartition[]): void;
  /** Must resolve once the partitions' progress is committed (or given up when `lost`). */
  revoked(parts: TopicPartition[], lost: boolean): Promise<void>;
  error(err: KafkaError): void;
}

export interface GroupMember {
  subscribe(topics: string[]): void;
  /** Committed offsets (next offset to read) of the given partitions; absent = none committed. */
  committed(parts: TopicPartition[]): Promise<Map<string, number>>;
  /** Commits and resolves when the group coordinator acknowledged. */
  commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void>;
  close(): Promise<void>;
}

const ASSIGN = -175;
const REVOKE = -174;

/** The settings the membership consumer needs; the user's consumer properties go under them. */
export const GROUP_MEMBER_FIXED: RdConfig = {
  'partition.assignment.strategy': 'cooperative-sticky',
  'enable.auto.commit': false,
  'enable.auto.offset.store': false,
  // It never fetches for real: keep its buffers tiny.
  'queued.max.messages.kbytes': 1024,
  'fetch.max.bytes': 1_048_576,
};

export const GROUP_MEMBER_DEFAULTS: RdConfig = {
  'session.timeout.ms': 10_000,
  'heartbeat.interval.ms': 2_000,
};

class BindingGroupMember implements GroupMember {
  private closed = false;
  private polling = false;
  private commitWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly consumer: RdConsumer,
    private readonly cluster: string,
    private readonly groupId: string,
  ) {}

  startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    const poll = (): void => {
      if (this.closed) return;
      // Paused partitions return nothing; the call serves rebalance and commit callbacks.
      this.consumer.consume(1, () => setImmediate(poll));
    };
    poll();
  }

  subscribe(topics: string[]): void {
    if (topics.length === 0) this.consumer.unsubscribe();
    else this.consumer.subscribe(topics);
    this.startPolling();
  }

  committed(parts: TopicPartition[]): Promise<Map<string, number>> {
    return new Promise((resolve, reject) => {
      if (parts.length === 0) return resolve(new Map());
      this.consumer.committed(parts, 30_000, (err, result) => {
        if (err) return reject(new KafkaError(`KAFKA_${err.code}`, `reading committed offsets of group "${this.groupId}": ${err.message}`, { cluster: this.cluster }, true, { cause: err }));
        const out = new Map<string, number>();
        for (const r of result) if (r.offset !== undefined && r.offset >= 0) out.set(partitionKey(r.topic, r.partition), r.offset);
        resolve(out);
      });
    });
  }

  commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // Commit callbacks arrive in request order: one waiter per commit, resolved FIFO.
      this.commitWaiters.push({ resolve, reject });
      try {
        this.consumer.commit(offsets);
      } catch (err) {
        this.commitWaiters.pop();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  onCommitted(err: RdError | null | undefined): void {
    const w = this.commitWaiters.shift();
    if (!w) return;
    if (err && err.code !== 0) {
      w.reject(new KafkaError(`KAFKA_${err.code}`, `committing offsets of group "${this.groupId}": ${err.message}`, { cluster: this.cluster }, true, { cause: err }));
    } else w.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

export async function joinGroup(cluster: string, config: RdConfig, groupId: string, handlers: GroupHandlers): Promise<GroupMember> {
  // The callbacks below are created before the consumer and member they refer to.
  const ref: { consumer?: RdConsumer; member?: BindingGroupMember } = {};
  const conf: Record<string, unknown> = {
    ...GROUP_MEMBER_DEFAULTS,
    ...config,
    ...GROUP_MEMBER_FIXED,
    'group.id': groupId,
    rebalance_cb: (err: RdError | undefined, assignment: TopicPartition[]) => {
      const c = ref.consumer!;
      const parts = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
      try {
        if (err?.code === ASSIGN) {
          extras(c).incrementalAssign(parts);
          c.pause(parts);
          handlers.assigned(parts);
        } else if (err?.code === REVOKE) {
          const lost = extras(c).assignmentLost();
          handlers.revoked(parts, lost).then(
            () => extras(c).incrementalUnassign(parts),
            (e: unknown) => {
              handlers.error(new KafkaError('REVOKE', `giving up partitions failed: ${String(e)}`, { cluster }, true));
              extras(c).incrementalUnassign(parts);
            },
          );
        } else if (err) {
          handlers.error(new KafkaError(`KAFKA_${err.code}`, `group rebalance error: ${err.message}`, { cluster }, true, { cause: err }));
        }
      } catch (e) {
        // Calls fail only when the consumer is already closing; nothing is left to hand over.
        if (c.isConnected()) handlers.error(new KafkaError('REBALANCE', `rebalance handling failed: ${String(e)}`, { cluster }, true));
      }
    },
    offset_commit_cb: (err: RdError | null | undefined) => ref.member?.onCommitted(err),
  };
  const consumer = new rdkafka.KafkaConsumer(conf, {});
  ref.consumer = consumer;
  const refusals = new RefusalWatch(cluster, config, (e) => handlers.error(e));
  refusals.attach(consumer);
  // Joining needs Read on the group; subscribing needs Describe on the topics.
  const needed: Access[] = [
    { operation: 'Read', resource: 'group', names: [groupId] },
    { operation: 'Describe', resource: 'topic' },
  ];
  consumer.on('event.error', (err: RdError) =>
    handlers.error(new KafkaError(`KAFKA_${err.code}`, refusals.describe(`group member: ${err.message}`, err.code, needed), { cluster }, err.isRetriable === true || err.isFatal !== true, { cause: err })),
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 30_000 }, (err: RdError | null) =>
      err ? reject(new KafkaError(`KAFKA_${err.code}`, refusals.describe(`the group member could not connect: ${err.message}`, err.code, needed), { cluster }, true, { cause: err })) : resolve(),
    ),
  );
  consumer.setDefaultConsumeTimeout(500);
  ref.member = new BindingGroupMember(consumer, cluster, groupId);
  return ref.member;
}
