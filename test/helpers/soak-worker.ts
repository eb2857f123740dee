/**
 * Worker-thread body for the binding soak test (test/integration/binding-soak.test.ts).
 * Each worker owns one consumer and one idempotent producer of the patched binding.
 *
 * relay: copy partition P of the source topic to partition P of the target topic until
 *        `expected` delivery reports arrived; report counts and any offset gap.
 * churn: relay as fast as possible until told to stop (or terminated), then flush and report
 *        produced vs delivered, so a lost delivery report shows up as a difference.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { rdkafka, type RdMessage, type RdDeliveryReport, type RdError } from '../../src/kafka/binding.js';
import { createSourceConsumer, createTargetProducer } from '../../src/kafka/relay-clients.js';
import { META_STRIDE, M_OFFSET } from '../../src/worker/source-batch.js';
import type { SourceConsumer, TargetProducer } from '../../src/worker/relay.js';

export interface SoakWorkerData {
  mode: 'relay' | 'churn';
  /**
   * Use strait's relay adapters (the binding's relay fast path: records stay native, compact
   * delivery reports, background polling; native-notes/relay-fast-path.md) instead of the
   * binding's ordinary consume(), produce() and delivery-report events.
   */
  fast: boolean;
  source: string;
  target: string;
  srcTopic: string;
  dstTopic: string;
  partition: number;
  expected: number;
}

export interface SoakResult {
  consumed: number;
  produced: number;
  delivered: number;
  deliveryErrors: number;
  gaps: number;
  lastOffset: number;
}

const data = workerData as SoakWorkerData;
const port = parentPort!;

const producerConfig = {
  'bootstrap.servers': data.target,
  'enable.idempotence': true,
  'linger.ms': 5,
  'queue.buffering.max.messages': 200_000,
};
const consumerConfig = {
  'bootstrap.servers': data.source,
  'group.id': `soak-${data.srcTopic}`,
  'enable.auto.commit': false,
  'enable.partition.eof': false,
};

const result: SoakResult = { consumed: 0, produced: 0, delivered: 0, deliveryErrors: 0, gaps: 0, lastOffset: -1 };
let stopping = false;

function onDelivery(failed: boolean): void {
  if (failed) result.deliveryErrors++;
  else result.delivered++;
  if (data.mode === 'relay' && result.delivered + result.deliveryErrors === data.expected) void finish();
}

function connect(client: { connect(o: object, cb: (err: RdError | null) => void): unknown }): Promise<void> {
  return new Promise((resolve, reject) => client.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())));
}

/** How a worker relays: one consumed batch per step. */
interface Path {
  step(): Promise<void>;
  /** Resolves when librdkafka's queue is empty (the reports themselves may come later). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The binding's ordinary calls: a JavaScript object per record and per delivery report. */
async function ordinaryPath(): Promise<Path> {
  const producer = new rdkafka.Producer({ ...producerConfig, dr_cb: true });
  const consumer = new rdkafka.KafkaConsumer(consumerConfig, { 'auto.offset.reset': 'earliest' } as never);
  producer.on('delivery-report', (err: RdError | null, _report: RdDeliveryReport) => onDelivery(err !== null));
  producer.setPollInterval(10);
  await connect(producer);
  await connect(consumer);
  consumer.setDefaultConsumeTimeout(100);
  consumer.assign([{ topic: data.srcTopic, partition: data.partition, offset: 0 }]);
  const consumeBatch = (): Promise<RdMessage[]> =>
    new Promise((resolve, reject) => consumer.consume(2000, (err, msgs) => (err ? reject(new Error(err.message)) : resolve(msgs))));
  return {
    async step() {
      const msgs = await consumeBatch();
      for (const m of msgs) {
        if (m.offset !== result.lastOffset + 1) result.gaps++;
        result.lastOffset = m.offset;
        result.consumed++;
        producer.produce(data.dstTopic, data.partition, m.value, m.key, m.timestamp, undefined, m.headers);
        result.produced++;
      }
    },
    flush: () => new Promise<void>((resolve) => producer.flush(60_000, () => resolve())),
    async close() {
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
    },
  };
}

/** strait's relay adapters over the binding's fast path. */
async function fastPath(): Promise<Path> {
  const fail = (err: Error): void => port.postMessage({ type: 'error', message: String(err) });
  const producer: TargetProducer = await createTargetProducer('target', producerConfig, fail);
  const consumer: SourceConsumer = await createSourceConsumer('source', { ...consumerConfig, 'auto.offset.reset': 'earliest' }, fail);
  producer.onDelivery((code) => onDelivery(code !== 0));
  consumer.assign([{ topic: data.srcTopic, partition: data.partition, offset: 0 }]);
  return {
    async step() {
      const batch = await consumer.consume(2000);
      for (let i = 0; i < batch.count; i++) {
        const offset = batch.meta[i * META_STRIDE + M_OFFSET];
        if (offset !== result.lastOffset + 1) result.gaps++;
        result.lastOffset = offset;
        result.consumed++;
        const rc = producer.produce(data.dstTopic, data.partition, batch, i);
        if (rc !== 0) throw new Error(`produceRelayed refused record ${offset} with librdkafka error ${rc}`);
        result.produced++;
      }
    },
    // strait's relay producers never flush (native-notes/flush-and-background-polling.md):
    // finish() waits for the delivery reports themselves.
    flush: () => Promise.resolve(),
    async close() {
      await consumer.close();
      await producer.close();
    },
  };
}

const path = data.fast ? await fastPath() : await ordinaryPath();

async function loop(): Promise<void> {
  while (!stopping) {
    if (result.produced - result.delivered > 100_000) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    await path.step();
    if (data.mode === 'relay' && result.consumed >= data.expected) return;
  }
}

let finished = false;
async function finish(): Promise<void> {
  if (finished) return;
  finished = true;
  stopping = true;
  // Ordered shutdown: wait for every outstanding delivery report, then disconnect both clients,
  // so no uv handle of the binding is left open when the thread ends.
  await path.flush();
  // flush() returns when librdkafka's queue is empty; the reports reach this thread's loop a
  // little later (the binding dispatches them in batches). Give them up to 60 s.
  for (let i = 0; i < 6000 && result.delivered + result.deliveryErrors < result.produced; i++) await new Promise((r) => setTimeout(r, 10));
  await path.close();
  port.postMessage({ type: 'done', result });
  // Let the thread end by itself: with both clients disconnected nothing may keep its event loop
  // alive, so a uv handle the binding left open shows up as a worker that never exits.
  port.close();
}

port.on('message', (msg: { type: string }) => {
  if (msg.type === 'stop') void finish();
});

port.postMessage({ type: 'ready' });
loop().catch((err: unknown) => {
  port.postMessage({ type: 'error', message: String(err) });
});
