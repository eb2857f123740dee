/**
 * The relay loop (src/worker/relay.ts) alone, for the micro-benchmarks: the real Relay with the
 * real progress ring and latency histograms, fed by a consumer that hands out prepared batches
 * and a producer that acknowledges everything, so what is timed is strait's own per-record work:
 * slot lookup, produce call, in-flight bookkeeping, delivery handling, run building, ring writes
 * and latency recording. The binding's costs (turning librdkafka messages into JS objects,
 * crossing into C++ per produce) are not in it: compare with the end-to-end figures to see them.
 *
 * One operation = one batch of BATCH records over PARTITIONS partitions, relayed and
 * acknowledged: the consumer hands the batch to the loop, the loop produces every record and
 * asks for the next batch, and at that point (as librdkafka's delivery reports arrive between
 * consume calls) the producer acknowledges the whole batch.
 */
import { ProgressRing } from '../src/ring/progress-ring.js';
import { createLatencyHistogram, recordLatency } from '../src/metrics/histogram.js';
import { Relay, type DeliveryHandler, type SourceConsumer, type TargetProducer } from '../src/worker/relay.js';
import { META_STRIDE, M_OFFSET, M_PARTITION, M_SIZE, M_TIMESTAMP, M_TOPIC, type SourceBatch } from '../src/worker/source-batch.js';

export const RELAY_BATCH = 1024;
const PARTITIONS = 16;

class BatchConsumer implements SourceConsumer {
  private waiter: ((batch: SourceBatch) => void) | undefined;
  private ready: SourceBatch | undefined;
  /** Called at each consume(): the previous batch's acknowledgements arrive then. */
  beforeConsume: () => void = () => undefined;

  assign(): void {}
  unassign(): void {}

  consume(): Promise<SourceBatch> {
    this.beforeConsume();
    if (this.ready) {
      const b = this.ready;
      this.ready = undefined;
      return Promise.resolve(b);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  offer(batch: SourceBatch): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(batch);
    } else this.ready = batch;
  }

  highWatermark(): number {
    return 0;
  }

  async close(): Promise<void> {}
}

class AckingProducer implements TargetProducer {
  private handler: DeliveryHandler = () => undefined;
  private readonly topics: string[] = [];
  private readonly partitions: number[] = [];
  private readonly nextOffset = new Float64Array(PARTITIONS);

  produce(topic: string, partition: number): number {
    this.topics.push(topic);
    this.partitions.push(partition);
    return 0;
  }

  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  /** Acknowledges everything produced so far, in order. */
  deliverAll(): number {
    const n = this.topics.length;
    for (let i = 0; i < n; i++) {
      const p = this.partitions[i];
      this.handler(0, undefined, this.topics[i], p, this.nextOffset[p]++);
    }
    this.topics.length = 0;
    this.partitions.length = 0;
    return n;
  }

  async refreshMetadata(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface RelayLoopBench {
  /** Renumbers the batch for the next operation (outside the timed window). */
  prepare(): void;
  /** One operation: relay and acknowledge one batch. */
  relayBatch(): Promise<void>;
  stop(): Promise<void>;
  /** Records acknowledged so far (to check the loop did the work). */
  readonly acked: number;
}

export function createRelayLoopBench(): RelayLoopBench {
  const consumer = new BatchConsumer();
  const producer = new AckingProducer();
  const ring = ProgressRing.create(65_536);
  const reader = ring.reader();
  const replication = createLatencyHistogram();
  const relayLatency = createLatencyHistogram();
  const relay = new Relay(
    consumer,
    producer,
    ring.writer(),
    { replication: (ms) => recordLatency(replication, ms), relay: (ms) => recordLatency(relayLatency, ms) },
    { slotFailed: () => undefined, slotsDrained: () => undefined },
    { maxInFlight: 100_000, batchSize: RELAY_BATCH },
  );
  for (let p = 0; p < PARTITIONS; p++) relay.assign(p, 'orders', p, 'source.orders', 0);
  // What the binding's consumer hands over: numbers per record (the records stay native).
  const meta = new Float64Array(RELAY_BATCH * META_STRIDE);
  for (let i = 0; i < RELAY_BATCH; i++) {
    meta[i * META_STRIDE + M_TOPIC] = 0;
    meta[i * META_STRIDE + M_PARTITION] = i % PARTITIONS;
    meta[i * META_STRIDE + M_SIZE] = 111;
  }
  const batch: SourceBatch = { count: RELAY_BATCH, meta, topics: ['orders'] };
  const empty: SourceBatch = { count: 0, meta, topics: ['orders'] };
  let base = 0;
  let acked = 0;
  let done: (() => void) | undefined;
  consumer.beforeConsume = () => {
    acked += producer.deliverAll();
    const d = done;
    done = undefined;
    d?.();
  };
  const running = relay.run();
  let sink = 0;
  const onRun = (slot: number, count: number): void => {
    sink += slot + count;
  };
  return {
    prepare() {
      const now = Date.now();
      for (let i = 0; i < RELAY_BATCH; i++) {
        meta[i * META_STRIDE + M_OFFSET] = base + Math.floor(i / PARTITIONS);
        meta[i * META_STRIDE + M_TIMESTAMP] = now - 5;
      }
      base += RELAY_BATCH / PARTITIONS;
      reader.drain(onRun);
    },
    relayBatch() {
      return new Promise<void>((resolve) => {
        done = resolve;
        consumer.offer(batch);
      });
    },
    async stop() {
      relay.stop();
      consumer.offer(empty);
      await running;
      if (sink === -1) console.log('');
    },
    get acked() {
      return acked;
    },
  };
}
