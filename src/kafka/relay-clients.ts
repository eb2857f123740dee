/**
 * The binding-backed SourceConsumer and TargetProducer of the relay loop (src/worker/relay.ts).
 * Thin on purpose: configuration comes from client-config.ts, policy lives in the relay.
 */
import { rdkafka, extras, nativeConsumer, nativeProducer, type RdError, type RdConsumer, type RdProducer, type NativeRelayConsumer, type NativeRelayProducer } from './binding.js';
import type { RdConfig } from './client-config.js';
import type { DeliveryHandler, PartitionStart, SourceConsumer, TargetProducer } from '../worker/relay.js';
import { META_STRIDE, type SourceBatch } from '../worker/source-batch.js';
import type { TransactionalClient } from '../worker/transactions.js';
import { KafkaError } from '../util/errors.js';
import { authorizationCode, type Access, RefusalWatch } from './refusals.js';

export type ClientErrorHandler = (err: KafkaError) => void;

/**
 * Connects the client with its log watched for refused logins and handshakes. librdkafka makes
 * the client here, so TLS material it cannot load (a key whose passphrase is wrong) fails here,
 * with a message the watch explains.
 */
function connect(client: RdConsumer | RdProducer, cluster: string, what: string, refusals: RefusalWatch): Promise<void> {
  refusals.attach(client);
  return new Promise((resolve, reject) => {
    // Short: a task retries with backoff, and must be able to end soon after a stop request.
    client.connect({ timeout: 10_000 }, (err: RdError | null) => {
      if (err) reject(new KafkaError(`KAFKA_${err.code}`, refusals.describe(`${what} could not connect: ${err.message}`, err.code), { cluster }, true, { cause: err }));
      else resolve();
    });
  });
}

function toKafkaError(err: RdError, cluster: string, what: string, refusals: RefusalWatch): KafkaError {
  return new KafkaError(`KAFKA_${err.code}`, refusals.describe(`${what}: ${err.message}`, err.code), { cluster }, err.isRetriable === true || err.isFatal !== true, { cause: err });
}

/**
 * librdkafka's ERR__AUTO_OFFSET_RESET: a partition's position is out of range and
 * auto.offset.reset=error forbids jumping. The binding turns the error message into a plain error
 * of consume() (without the partition), or drops it when records came first in the same batch.
 */
const ERR_AUTO_OFFSET_RESET = -140;

/**
 * The consumer's current batch: the records stay in librdkafka's memory (the binding's relay
 * batch, native-notes/relay-fast-path.md); `native` lets the producer copy them from there.
 */
class NativeBatch implements SourceBatch {
  count = 0;
  topics: string[] = [];
  constructor(
    readonly meta: Float64Array,
    readonly native: NativeRelayConsumer,
  ) {}
}

class BindingSourceConsumer implements SourceConsumer {
  private outOfRange: () => void = () => undefined;
  private batch: NativeBatch | undefined;
  private readonly native: NativeRelayConsumer;
  /** Assigned partitions per topic: a refused fetch does not say which topic it was for. */
  private readonly assigned = new Map<string, number>();

  constructor(
    private readonly consumer: RdConsumer,
    private readonly cluster: string,
    private readonly pollTimeoutMs: number,
    private readonly refusals: RefusalWatch,
    private readonly onError: ClientErrorHandler,
    private readonly groupId: string,
  ) {
    this.native = nativeConsumer(consumer);
  }

  assign(parts: PartitionStart[]): void {
    extras(this.consumer).incrementalAssign(parts.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
    for (const p of parts) this.assigned.set(p.topic, (this.assigned.get(p.topic) ?? 0) + 1);
  }

  unassign(parts: { topic: string; partition: number }[]): void {
    extras(this.consumer).incrementalUnassign(parts);
    for (const p of parts) {
      const n = (this.assigned.get(p.topic) ?? 1) - 1;
      if (n > 0) this.assigned.set(p.topic, n);
      else this.assigned.delete(p.topic);
    }
  }

  consume(max: number): Promise<SourceBatch> {
    // One metadata array per consumer, sized for the largest batch asked for: no allocation per batch.
    let batch = this.batch;
    if (!batch || batch.meta.length < max * META_STRIDE) batch = this.batch = new NativeBatch(new Float64Array(max * META_STRIDE), this.native);
    const b = batch;
    return new Promise((resolve, reject) => {
      this.native.consumeRelayBatch(max, this.pollTimeoutMs, b.meta, (err, count, topics) => {
        if (err?.code === ERR_AUTO_OFFSET_RESET) {
          // Not fatal: librdkafka stopped that partition only; the relay finds which and decides.
          this.outOfRange();
          b.count = 0;
          resolve(b);
        } else if (err && authorizationCode(err.code) !== undefined) {
          // A missing ACL (Read on a topic or the group): librdkafka backs off and fetches again,
          // so the records follow as soon as it is granted. Reported, never a reason to stop.
          const needed: Access[] = [
            { operation: 'Read', resource: 'topic', names: [...this.assigned.keys()] },
            { operation: 'Read', resource: 'group', names: [this.groupId] },
          ];
          this.onError(new KafkaError(`KAFKA_${err.code}`, `${this.refusals.describe(`consuming failed: ${err.message}`, err.code, needed)}; strait keeps fetching and goes on once it is granted`, { cluster: this.cluster }, true, { cause: err }));
          b.count = 0;
          resolve(b);
        } else if (err) reject(new KafkaError(`KAFKA_${err.code}`, this.refusals.describe(`consuming failed: ${err.message}`, err.code), { cluster: this.cluster }, true, { cause: err }));
        else {
          if (topics) b.topics = topics;
          b.count = count ?? 0;
          resolve(b);
        }
      });
    });
  }

  highWatermark(topic: string, partition: number): number {
    try {
      return this.consumer.getWatermarkOffsets(topic, partition).highOffset;
    } catch {
      return -1; // not known yet: no fetch response for this partition so far
    }
  }

  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    return new Promise((resolve, reject) => {
      this.consumer.queryWatermarkOffsets(topic, partition, 5_000, (err, offsets) => {
        if (err) reject(new KafkaError(`KAFKA_${err.code}`, `reading the log start and end failed: ${err.message}`, { cluster: this.cluster, topic, partition }, true, { cause: err }));
        else resolve({ low: offsets.lowOffset, high: offsets.highOffset });
      });
    });
  }

  onOffsetOutOfRange(handler: () => void): void {
    this.outOfRange = handler;
  }

  close(): Promise<void> {
    // The batch's records must be freed before librdkafka's handle (the binding also does it
    // on disconnect; this keeps the order explicit).
    this.native.releaseRelayBatch();
    this.batch = undefined;
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

export async function createSourceConsumer(cluster: string, config: RdConfig, onError: ClientErrorHandler, pollTimeoutMs = 100): Promise<SourceConsumer> {
  const refusals = new RefusalWatch(cluster, config, onError);
  const consumer = new rdkafka.KafkaConsumer(config, {});
  consumer.on('event.error', (err: RdError) => onError(toKafkaError(err, cluster, 'source consumer', refusals)));
  await connect(consumer, cluster, 'the source consumer', refusals);
  return new BindingSourceConsumer(consumer, cluster, pollTimeoutMs, refusals, onError, String(config['group.id'] ?? ''));
}

/** Delivery reports in the binding's compact form: 4 numbers per report (see relay-fast-path.md). */
const DR_STRIDE = 4;

class BindingTargetProducer implements TargetProducer {
  private handler: DeliveryHandler = () => undefined;
  private readonly native: NativeRelayProducer;
  /** Topic handles the binding keeps for produceRelayed(), by name. */
  private readonly topicIds = new Map<string, number>();
  private lastTopic = '';
  private lastTopicId = -1;
  /** The binding's table of topic names of delivery reports (sent when it grows). */
  private reportTopics: string[] = [];

  constructor(
    private readonly producer: RdProducer,
    private readonly cluster: string,
    protected readonly refusals: RefusalWatch,
  ) {
    this.native = nativeProducer(producer);
  }

  /** The binding's compact delivery reports: one call per burst instead of one event per record. */
  readonly onReports = (reports: Float64Array, topics: string[] | undefined, errors: Record<number, string> | undefined): void => {
    if (topics) this.reportTopics = topics;
    const names = this.reportTopics;
    const handler = this.handler;
    for (let i = 0, b = 0; b < reports.length; i++, b += DR_STRIDE) {
      const code = reports[b + 3];
      handler(code, code === 0 ? undefined : this.failure(code, errors?.[i], names[reports[b]]), names[reports[b]], reports[b + 1], reports[b + 2]);
    }
  };

  /** A refused record's message; a missing Write permission says which ACL to grant. */
  private failure(code: number, message: string | undefined, topic: string): string | undefined {
    if (authorizationCode(code) === undefined) return message;
    return this.refusals.describe(message ?? `delivery failed (librdkafka error ${code})`, code, [
      { operation: 'Write', resource: 'topic', names: [topic] },
      { operation: 'IdempotentWrite', resource: 'cluster' },
    ]);
  }

  produce(topic: string, partition: number, batch: SourceBatch, index: number): number {
    try {
      // Consecutive records mostly go to one topic: the map is asked only when it changes.
      if (topic !== this.lastTopic) {
        let id = this.topicIds.get(topic);
        if (id === undefined) this.topicIds.set(topic, (id = this.native.relayTopic(topic)));
        this.lastTopic = topic;
        this.lastTopicId = id;
      }
      return this.native.produceRelayed((batch as NativeBatch).native, index, this.lastTopicId, partition);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return typeof code === 'number' && code !== 0 ? code : -1;
    }
  }

  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  refreshMetadata(topic: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.producer.getMetadata({ topic, timeout: 5_000 }, (err) => {
        if (err) reject(new KafkaError(`KAFKA_${err.code}`, `reading metadata of ${topic} failed: ${err.message}`, { cluster: this.cluster, topic }, true, { cause: err }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.producer.disconnect(() => resolve()));
  }
}

/**
 * Registers the adapter's compact delivery-report callback before the producer connects (the
 * binding installs callbacks at connect). The binding's own `dr_cb` option is left out: it would
 * build an object and emit an event per report.
 */
function withCompactReports<T extends BindingTargetProducer>(producer: RdProducer, adapter: T): T {
  const callback = Object.assign(adapter.onReports.bind(adapter), { straitCompact: true });
  (producer as unknown as { _cb_configs: { event: Record<string, unknown> } })._cb_configs.event.delivery_cb = callback;
  return adapter;
}

export async function createTargetProducer(cluster: string, config: RdConfig, onError: ClientErrorHandler): Promise<TargetProducer> {
  const refusals = new RefusalWatch(cluster, config, onError);
  const producer = new rdkafka.Producer({ ...config });
  const adapter = withCompactReports(producer, new BindingTargetProducer(producer, cluster, refusals));
  producer.on('event.error', (err: RdError) => onError(toKafkaError(err, cluster, 'target producer', refusals)));
  await connect(producer, cluster, 'the target producer', refusals);
  // Delivery reports are polled by librdkafka's background thread and handed to this thread's
  // event loop, instead of a JS timer calling poll().
  producer.setPollInBackground(true);
  return adapter;
}

/**
 * exactly-once: the relay producer with a transactional.id, plus the consumer on the target
 * whose group the source offsets are committed to (sendOffsetsToTransaction takes the group
 * metadata from a consumer; this one never joins, see client-config.ts).
 */
class BindingTransactionalProducer extends BindingTargetProducer implements TransactionalClient {
  constructor(
    private readonly txProducer: RdProducer,
    private readonly offsetsConsumer: RdConsumer,
    private readonly txCluster: string,
    readonly transactionalId: string,
    private readonly offsetsGroup: string,
    refusals: RefusalWatch,
  ) {
    super(txProducer, txCluster, refusals);
  }

  private call(what: string, run: (cb: (err: RdError | null) => void) => void): Promise<void> {
    const needed: Access[] = [
      { operation: 'Write', resource: 'transactional-id', names: [this.transactionalId] },
      { operation: 'Describe', resource: 'transactional-id', names: [this.transactionalId] },
      { operation: 'Read', resource: 'group', names: [this.offsetsGroup] },
    ];
    return new Promise((resolve, reject) =>
      run((err) => {
        if (!err) return resolve();
        const message = this.refusals.describe(`${what} (transactional.id "${this.transactionalId}") failed: ${err.message}`, err.code, needed);
        // Keep librdkafka's flags (isFatal, isTxnRequiresAbort, isRetriable) on the cause.
        reject(new KafkaError(`KAFKA_${err.code}`, message, { cluster: this.txCluster }, err.isRetriable === true, { cause: err }));
      }),
    );
  }

  initTransactions(timeoutMs: number): Promise<void> {
    return this.call('initTransactions', (cb) => this.txProducer.initTransactions(timeoutMs, cb));
  }

  beginTransaction(): Promise<void> {
    return this.call('beginTransaction', (cb) => this.txProducer.beginTransaction(cb));
  }

  sendOffsets(offsets: { topic: string; partition: number; offset: number }[], timeoutMs: number): Promise<void> {
    return this.call('sendOffsetsToTransaction', (cb) => this.txProducer.sendOffsetsToTransaction(offsets, this.offsetsConsumer, timeoutMs, cb));
  }

  commitTransaction(timeoutMs: number): Promise<void> {
    return this.call('commitTransaction', (cb) => this.txProducer.commitTransaction(timeoutMs, cb));
  }

  abortTransaction(timeoutMs: number): Promise<void> {
    return this.call('abortTransaction', (cb) => this.txProducer.abortTransaction(timeoutMs, cb));
  }

  override async close(): Promise<void> {
    await super.close();
    await new Promise<void>((resolve) => this.offsetsConsumer.disconnect(() => resolve()));
  }
}

export async function createTransactionalProducer(
  cluster: string,
  config: RdConfig,
  offsetsConsumerConfig: RdConfig,
  onError: ClientErrorHandler,
): Promise<TargetProducer & TransactionalClient> {
  const transactionalId = String(config['transactional.id']);
  const offsetsGroup = String(offsetsConsumerConfig['group.id']);
  const offsetsConsumer = new rdkafka.KafkaConsumer(offsetsConsumerConfig, {});
  await connect(offsetsConsumer, cluster, 'the consumer of the exactly-once offsets group', new RefusalWatch(cluster, offsetsConsumerConfig));
  const refusals = new RefusalWatch(cluster, config, onError);
  const producer = new rdkafka.Producer({ ...config });
  const adapter = withCompactReports(producer, new BindingTransactionalProducer(producer, offsetsConsumer, cluster, transactionalId, offsetsGroup, refusals));
  producer.on('event.error', (err: RdError) => onError(toKafkaError(err, cluster, 'target producer', refusals)));
  try {
    await connect(producer, cluster, 'the transactional target producer', refusals);
  } catch (err) {
    await new Promise<void>((resolve) => offsetsConsumer.disconnect(() => resolve()));
    throw err;
  }
  producer.setPollInBackground(true);
  return adapter;
}
