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

export interface SoakWorkerData {
  mode: 'relay' | 'churn';
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

const producer = new rdkafka.Producer({
  'bootstrap.servers': data.target,
  'enable.idempotence': true,
  'linger.ms': 5,
  'queue.buffering.max.messages': 200_000,
  dr_cb: true,
});
const consumer = new rdkafka.KafkaConsumer(
  {
    'bootstrap.servers': data.source,
    'group.id': `soak-${data.srcTopic}`,
    'enable.auto.commit': false,
    'enable.partition.eof': false,
  },
  { 'auto.offset.reset': 'earliest' } as never,
);

const result: SoakResult = { consumed: 0, produced: 0, delivered: 0, deliveryErrors: 0, gaps: 0, lastOffset: -1 };
let stopping = false;

producer.on('delivery-report', (err: RdError | null, _report: RdDeliveryReport) => {
  if (err) result.deliveryErrors++;
  else result.delivered++;
  if (data.mode === 'relay' && result.delivered + result.deliveryErrors === data.expected) void finish();
});
producer.setPollInterval(10);

function connect(client: { connect(o: object, cb: (err: RdError | null) => void): unknown }): Promise<void> {
  return new Promise((resolve, reject) => client.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())));
}

function consumeBatch(): Promise<RdMessage[]> {
  return new Promise((resolve, reject) => consumer.consume(2000, (err, msgs) => (err ? reject(new Error(err.message)) : resolve(msgs))));
}

async function loop(): Promise<void> {
  while (!stopping) {
    if (result.produced - result.delivered > 100_000) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const msgs = await consumeBatch();
    for (const m of msgs) {
      if (m.offset !== result.lastOffset + 1) result.gaps++;
      result.lastOffset = m.offset;
      result.consumed++;
      producer.produce(data.dstTopic, data.partition, m.value, m.key, m.timestamp, undefined, m.headers);
      result.produced++;
    }
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
  await new Promise<void>((resolve) => producer.flush(60_000, () => resolve()));
  // flush() returns when librdkafka's queue is empty; the reports reach this thread's loop a
  // little later (the binding dispatches them in batches). Give them up to 10 s.
  for (let i = 0; i < 1000 && result.delivered + result.deliveryErrors < result.produced; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  port.postMessage({ type: 'done', result });
  // Let the thread end by itself: with both clients disconnected nothing may keep its event loop
  // alive, so a uv handle the binding left open shows up as a worker that never exits.
  port.close();
}

port.on('message', (msg: { type: string }) => {
  if (msg.type === 'stop') void finish();
});

await connect(producer);
await connect(consumer);
consumer.setDefaultConsumeTimeout(100);
consumer.assign([{ topic: data.srcTopic, partition: data.partition, offset: 0 }]);
port.postMessage({ type: 'ready' });
loop().catch((err: unknown) => {
  port.postMessage({ type: 'error', message: String(err) });
});
