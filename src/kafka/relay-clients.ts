/**
 * The binding-backed SourceConsumer and TargetProducer of the relay loop (src/worker/relay.ts).
 * Thin on purpose: configuration comes from client-config.ts, policy lives in the relay.
 */
import { rdkafka, extras, type RdError, type RdConsumer, type RdProducer, type RdDeliveryReport } from './binding.js';
import type { RdConfig } from './client-config.js';
import type { DeliveryHandler, HeaderList, PartitionStart, SourceConsumer, SourceRecord, TargetProducer } from '../worker/relay.js';
import type { TransactionalClient } from '../worker/transactions.js';
import { KafkaError } from '../util/errors.js';

export type ClientErrorHandler = (err: KafkaError) => void;

function connect(client: RdConsumer | RdProducer, cluster: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Short: a task retries with backoff, and must be able to end soon after a stop request.
    client.connect({ timeout: 10_000 }, (err: RdError | null) => {
      if (err) reject(new KafkaError(`KAFKA_${err.code}`, `${what} could not connect: ${err.message}`, { cluster }, true, { cause: err }));
      else resolve();
    });
  });
}

function toKafkaError(err: RdError, cluster: string, what: string): KafkaError {
  return new KafkaError(`KAFKA_${err.code}`, `${what}: ${err.message}`, { cluster }, err.isRetriable === true || err.isFatal !== true, { cause: err });
}

/**
 * librdkafka's ERR__AUTO_OFFSET_RESET: a partition's position is out of range and
 * auto.offset.reset=error forbids jumping. The binding turns the error message into a plain error
 * of consume() (without the partition), or drops it when records came first in the same batch.
 */
const ERR_AUTO_OFFSET_RESET = -140;

class BindingSourceConsumer implements SourceConsumer {
  private outOfRange: () => void = () => undefined;

  constructor(
    private readonly consumer: RdConsumer,
    private readonly cluster: string,
  ) {}

  assign(parts: PartitionStart[]): void {
    extras(this.consumer).incrementalAssign(parts.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
  }

  unassign(parts: { topic: string; partition: number }[]): void {
    extras(this.consumer).incrementalUnassign(parts);
  }

  consume(max: number): Promise<SourceRecord[]> {
    return new Promise((resolve, reject) => {
      this.consumer.consume(max, (err, messages) => {
        if (err?.code === ERR_AUTO_OFFSET_RESET) {
          // Not fatal: librdkafka stopped that partition only; the relay finds which and decides.
          this.outOfRange();
          resolve([]);
        } else if (err) reject(new KafkaError(`KAFKA_${err.code}`, `consuming failed: ${err.message}`, { cluster: this.cluster }, true, { cause: err }));
        else resolve(messages);
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
    return new Promise((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

export async function createSourceConsumer(cluster: string, config: RdConfig, onError: ClientErrorHandler, pollTimeoutMs = 100): Promise<SourceConsumer> {
  const consumer = new rdkafka.KafkaConsumer(config, {});
  consumer.on('event.error', (err: RdError) => onError(toKafkaError(err, cluster, 'source consumer')));
  await connect(consumer, cluster, 'the source consumer');
  consumer.setDefaultConsumeTimeout(pollTimeoutMs);
  // Return what is queued once the first record arrived instead of waiting for `max` records
  // (private in the binding's typings).
  extras(consumer).setDefaultIsTimeoutOnlyForFirstMessage(true);
  return new BindingSourceConsumer(consumer, cluster);
}

class BindingTargetProducer implements TargetProducer {
  private handler: DeliveryHandler = () => undefined;

  constructor(
    private readonly producer: RdProducer,
    private readonly cluster: string,
  ) {
    producer.on('delivery-report', (err: RdError | null, report: RdDeliveryReport) => {
      if (err) this.handler(err.code, err.message, report.topic, report.partition, report.offset);
      else this.handler(0, undefined, report.topic, report.partition, report.offset);
    });
  }

  produce(topic: string, partition: number, value: Buffer | null, key: Buffer | string | null | undefined, timestamp: number | undefined, headers: HeaderList | undefined): number {
    try {
      this.producer.produce(topic, partition, value, key, timestamp, undefined, headers as never);
      return 0;
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

  flush(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.producer.flush(timeoutMs, (err) => (err ? reject(new KafkaError(`KAFKA_${err.code}`, `flush failed: ${err.message}`, { cluster: this.cluster }, true, { cause: err })) : resolve())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.producer.disconnect(() => resolve()));
  }
}

export async function createTargetProducer(cluster: string, config: RdConfig, onError: ClientErrorHandler): Promise<TargetProducer> {
  const producer = new rdkafka.Producer({ ...config, dr_cb: true });
  producer.on('event.error', (err: RdError) => onError(toKafkaError(err, cluster, 'target producer')));
  await connect(producer, cluster, 'the target producer');
  // Delivery reports are polled by librdkafka's background thread and handed to this thread's
  // event loop, instead of a JS timer calling poll().
  producer.setPollInBackground(true);
  return new BindingTargetProducer(producer, cluster);
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
  ) {
    super(txProducer, txCluster);
  }

  private call(what: string, run: (cb: (err: RdError | null) => void) => void): Promise<void> {
    return new Promise((resolve, reject) =>
      run((err) => {
        if (!err) return resolve();
        // Keep librdkafka's flags (isFatal, isTxnRequiresAbort, isRetriable) on the cause.
        reject(new KafkaError(`KAFKA_${err.code}`, `${what} (transactional.id "${this.transactionalId}") failed: ${err.message}`, { cluster: this.txCluster }, err.isRetriable === true, { cause: err }));
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
  const offsetsConsumer = new rdkafka.KafkaConsumer(offsetsConsumerConfig, {});
  await connect(offsetsConsumer, cluster, 'the consumer of the exactly-once offsets group');
  const producer = new rdkafka.Producer({ ...config, dr_cb: true });
  producer.on('event.error', (err: RdError) => onError(toKafkaError(err, cluster, 'target producer')));
  try {
    await connect(producer, cluster, 'the transactional target producer');
  } catch (err) {
    await new Promise<void>((resolve) => offsetsConsumer.disconnect(() => resolve()));
    throw err;
  }
  producer.setPollInBackground(true);
  return new BindingTransactionalProducer(producer, offsetsConsumer, cluster, transactionalId);
}
