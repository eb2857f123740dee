/**
 * A producer for MM2's internal records (heartbeats, checkpoints, offset syncs): small keyed
 * records to single-partition compacted topics, written from the main thread. Idempotent and
 * retried without a deadline like the relay producer, so a record is not dropped while a cluster
 * is briefly unreachable; a record the cluster refuses for good is reported to `onError`.
 */
import { rdkafka, type RdError, type RdProducer } from './binding.js';
import type { RdConfig } from './client-config.js';
import { KafkaAdmin } from './admin.js';
import { KafkaError } from '../util/errors.js';
import { type Access, RefusalWatch } from './refusals.js';

export interface InternalWriter {
  /** Creates the topic if missing: one partition, compacted, like MM2's internal topics. */
  ensureTopic(topic: string, replicationFactor: number): Promise<void>;
  /** Queues one record for partition 0; never throws (errors go to onError). */
  write(topic: string, key: Buffer, value: Buffer): void;
  /** Waits (at most `timeoutMs`) until every record written so far was delivered or failed. */
  flush?(timeoutMs: number): Promise<void>;
  /**
   * Delivers what was written for at most `timeoutMs` (default 5 s), then closes; records still
   * undelivered then are dropped (heartbeats, checkpoints and offset syncs are written anew by
   * the next run).
   */
  close(timeoutMs?: number): Promise<void>;
}

/** Records queued while the producer is not connected yet; beyond this they are refused (reported). */
const MAX_PENDING = 100_000;

class BindingInternalWriter implements InternalWriter {
  private readonly ensured = new Set<string>();
  private producer: RdProducer | undefined;
  private pending: [string, Buffer, Buffer][] = [];
  private closed = false;
  readonly connected: Promise<void>;
  private readonly refusals: RefusalWatch;

  constructor(
    private readonly cluster: string,
    private readonly config: RdConfig,
    private readonly admin: KafkaAdmin,
    private readonly onError: (err: KafkaError) => void,
  ) {
    this.refusals = new RefusalWatch(cluster, config, onError);
    this.connected = this.connectLoop();
  }

  /** Connects in the background, retrying with backoff: a cluster down at start is waited for. */
  private async connectLoop(): Promise<void> {
    for (let backoff = 1000; !this.closed; backoff = Math.min(backoff * 2, 30_000)) {
      const producer = new rdkafka.Producer({ ...this.config, 'enable.idempotence': true, acks: 'all', 'message.timeout.ms': 0, 'linger.ms': 20, dr_cb: true } as never);
      const writeAccess = (topic: string): Access[] => [
        { operation: 'Write', resource: 'topic', names: [topic] },
        { operation: 'IdempotentWrite', resource: 'cluster' },
      ];
      producer.on('delivery-report', (err: RdError | null, report: { topic: string }) => {
        if (err) {
          const message = this.refusals.describe(`writing to ${report.topic} failed: ${err.message}`, err.code, writeAccess(report.topic));
          this.onError(new KafkaError(`KAFKA_${err.code}`, message, { cluster: this.cluster, topic: report.topic }, false, { cause: err }));
        }
      });
      producer.on('event.error', (err: RdError) =>
        // An idempotent producer's first request (InitProducerId) needs Write on some topic or
        // IdempotentWrite on the cluster: the cluster-level refusal is the one it can get.
        this.onError(new KafkaError(`KAFKA_${err.code}`, this.refusals.describe(`internal-topic producer: ${err.message}`, err.code, [{ operation: 'IdempotentWrite', resource: 'cluster' }]), { cluster: this.cluster }, true, { cause: err })),
      );
      this.refusals.attach(producer);
      try {
        await new Promise<void>((resolve, reject) => producer.connect({ timeout: 30_000 }, (err: RdError | null) => (err ? reject(new Error(this.refusals.describe(err.message, err.code))) : resolve())));
      } catch (err) {
        this.onError(new KafkaError('CONNECT', `the internal-topic producer could not connect (${(err as Error).message}); retrying in ${backoff / 1000} s`, { cluster: this.cluster }, true));
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      producer.setPollInBackground(true);
      this.producer = producer;
      for (const [topic, key, value] of this.pending.splice(0)) this.write(topic, key, value);
      return;
    }
  }

  async ensureTopic(topic: string, replicationFactor: number): Promise<void> {
    if (this.ensured.has(topic)) return;
    // Reachable first: the producer's connect loop is the one place that waits for the cluster.
    await this.connected;
    await this.admin.createTopic(topic, 1, replicationFactor, { 'cleanup.policy': 'compact' });
    this.ensured.add(topic);
  }

  write(topic: string, key: Buffer, value: Buffer): void {
    if (!this.producer) {
      if (this.pending.length < MAX_PENDING) this.pending.push([topic, key, value]);
      else this.onError(new KafkaError('PENDING_FULL', `not connected yet: a record for ${topic} was not queued (${MAX_PENDING} waiting)`, { cluster: this.cluster, topic }, true));
      return;
    }
    try {
      this.producer.produce(topic, 0, value, key, Date.now());
    } catch (err) {
      const e = err as RdError;
      this.onError(new KafkaError(`KAFKA_${e.code}`, `writing to ${topic} failed: ${e.message}`, { cluster: this.cluster, topic }, true, { cause: err }));
    }
  }

  async flush(timeoutMs: number): Promise<void> {
    const producer = this.producer;
    if (!producer) return;
    await new Promise<void>((resolve) => producer.flush(timeoutMs, () => resolve()));
  }

  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    const producer = this.producer;
    if (producer) {
      await new Promise<void>((resolve) => producer.flush(timeoutMs, () => resolve()));
      // The binding's disconnect flushes again first (5 s by default), holding a thread-pool
      // thread that long; the flush above already took the time there was.
      await new Promise<void>((resolve) => producer.disconnect(0, () => resolve()));
    }
    this.admin.close();
  }
}

/** Returns at once; the producer connects in the background (see connectLoop). */
export function createInternalWriter(cluster: string, producerConfig: RdConfig, adminConfig: RdConfig, onError: (err: KafkaError) => void): InternalWriter {
  return new BindingInternalWriter(cluster, producerConfig, new KafkaAdmin(cluster, adminConfig), onError);
}
