import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { NOT_READY_GIVE_UP_MS, NOT_READY_RETRY_MS, Relay, type DeliveryHandler, type HeaderList, type ProgressWriter, type SlotError, type SourceRecord, type TargetProducer } from '../../src/worker/relay.js';
import { recordAt, type SourceBatch } from '../../src/worker/source-batch.js';
import { FakeSourceConsumer } from '../helpers/fake-source-consumer.js';

/** The relay tests' consumer: cached high watermark 42 for every partition. */
class FakeConsumer extends FakeSourceConsumer {
  override defaultHighWatermark = 42;
}

interface Produced {
  topic: string;
  partition: number;
  value: Buffer | null;
  key: Buffer | string | null | undefined;
  timestamp: number | undefined;
  headers: HeaderList | undefined;
}

/** A producer whose deliveries are triggered by the test; target offsets count per partition. */
class FakeProducer implements TargetProducer {
  produced: Produced[] = [];
  private undelivered: Produced[] = [];
  private handler: DeliveryHandler = () => undefined;
  private next = new Map<string, number>();
  refuse = new Map<number, number>(); // produce call index -> error code
  queueFullTimes = 0;
  produce(topic: string, partition: number, batch: SourceBatch, index: number): number {
    const { value, key, timestamp, headers } = recordAt(batch, index);
    if (this.queueFullTimes > 0) {
      this.queueFullTimes--;
      return -184;
    }
    const code = this.refuse.get(this.produced.length);
    if (code !== undefined) {
      this.refuse.delete(this.produced.length);
      return code;
    }
    const p = { topic, partition, value, key, timestamp, headers };
    this.produced.push(p);
    this.undelivered.push(p);
    return 0;
  }
  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }
  /** Acknowledges the oldest `n` records; `failAt` (index within this call) fails one. */
  deliver(n = Infinity, failAt?: number, failCode = 10): void {
    const batch = this.undelivered.splice(0, n);
    batch.forEach((p, i) => {
      const k = `${p.topic}/${p.partition}`;
      if (i === failAt) {
        this.handler(failCode, 'Broker: Message size too large', p.topic, p.partition, -1);
        return;
      }
      const off = this.next.get(k) ?? 0;
      this.next.set(k, off + 1);
      this.handler(0, undefined, p.topic, p.partition, off);
    });
  }
  metadataRefreshes = 0;
  refreshMetadata(): Promise<void> {
    this.metadataRefreshes++;
    return Promise.resolve();
  }
  async close(): Promise<void> {}
}

class FakeRing implements ProgressWriter {
  entries: number[][] = [];
  capacity = Infinity;
  tryWrite(slot: number, count: number, src: number, tgt: number, ts: number, bytes: number): boolean {
    if (this.entries.length >= this.capacity) return false;
    this.entries.push([slot, count, src, tgt, ts, bytes]);
    return true;
  }
}

function rec(topic: string, partition: number, offset: number, extra: Partial<SourceRecord> = {}): SourceRecord {
  return { topic, partition, offset, value: Buffer.from(`v${offset}`), key: Buffer.from(`k${offset}`), timestamp: 1000 + offset, size: 10, ...extra };
}

const live: Relay[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.stop();
});

function setup(opts: { maxInFlight?: number; clock?: () => number } = {}) {
  const consumer = new FakeConsumer();
  const producer = new FakeProducer();
  const ring = new FakeRing();
  const failed: SlotError[] = [];
  const retrying: SlotError[] = [];
  const drained: number[][] = [];
  const latencies: number[] = [];
  const relay = new Relay(
    consumer,
    producer,
    ring,
    { replication: (ms) => latencies.push(ms), relay: () => undefined },
    { slotFailed: (e) => failed.push(e), slotsDrained: (s) => drained.push(s), slotRetrying: (e) => retrying.push(e) },
    { maxInFlight: opts.maxInFlight ?? 1000, batchSize: 100, clock: opts.clock ?? (() => 5000) },
  );
  live.push(relay);
  return { consumer, producer, ring, failed, retrying, drained, latencies, relay };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test('relays records untouched to the same partition of the remote topic and reports one run', async () => {
  const { consumer, producer, ring, relay, latencies } = setup();
  relay.assign(0, 'orders', 3, 'east.orders', 0);
  assert.deepEqual(consumer.assigned, [{ topic: 'orders', partition: 3, offset: 0 }]);
  const headers: HeaderList = [{ a: Buffer.from('x') }, { b: null }];
  const batch = [rec('orders', 3, 0, { headers }), rec('orders', 3, 1, { key: null, value: null }), rec('orders', 3, 2)];
  consumer.batches.push(batch);
  const running = relay.run();
  await tick();
  assert.equal(producer.produced.length, 3);
  assert.equal(producer.produced[0].value, batch[0].value, 'the very same Buffer is produced');
  assert.equal(producer.produced[0].headers, headers);
  assert.deepEqual(producer.produced.map((p) => [p.topic, p.partition, p.timestamp]), [['east.orders', 3, 1000], ['east.orders', 3, 1001], ['east.orders', 3, 1002]]);
  assert.equal(producer.produced[1].key, null, 'null key kept');
  assert.equal(producer.produced[1].value, null, 'tombstone kept');
  assert.equal(ring.entries.length, 0, 'nothing is progress before the target acknowledged');
  producer.deliver();
  await tick();
  assert.deepEqual(ring.entries, [[0, 3, 0, 0, 1002, 30]]);
  assert.deepEqual(latencies, [4000, 3999, 3998]);
  relay.stop();
  await running;
});

test('a batch mixing topics sends each record to its own topic\'s slot (the slot lookup follows topic changes)', async () => {
  const { consumer, producer, ring, relay } = setup();
  relay.assign(0, 'a', 0, 'r.a', 0);
  relay.assign(1, 'b', 0, 'r.b', 0);
  relay.assign(2, 'b', 1, 'r.b', 0);
  consumer.batches.push([rec('a', 0, 0), rec('b', 0, 0), rec('b', 1, 0), rec('a', 0, 1), rec('c', 0, 0), rec('b', 0, 1)]);
  const running = relay.run();
  await tick();
  assert.deepEqual(
    producer.produced.map((p) => `${p.topic}-${p.partition}`),
    ['r.a-0', 'r.b-0', 'r.b-1', 'r.a-0', 'r.b-0'],
    'topic c is not ours: skipped',
  );
  producer.deliver();
  await tick();
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)).sort(), [[0, 2, 0], [1, 2, 0], [2, 1, 0]]);
  relay.stop();
  await running;
});

test('a source gap starts a new run so the mapping stays exact', async () => {
  const { consumer, producer, ring, relay } = setup();
  relay.assign(0, 't', 0, 'r.t', 10);
  consumer.batches.push([rec('t', 0, 10), rec('t', 0, 11), rec('t', 0, 15), rec('t', 0, 16)]);
  const running = relay.run();
  await tick();
  producer.deliver();
  await tick();
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 4)), [[0, 2, 10, 0], [0, 2, 15, 2]]);
  relay.stop();
  await running;
});

test('a record the target refuses stops its partition only; later acknowledgements do not count', async () => {
  const { consumer, producer, ring, relay, failed } = setup();
  relay.assign(0, 'a', 0, 'r.a', 0);
  relay.assign(1, 'b', 0, 'r.b', 0);
  consumer.batches.push([rec('a', 0, 0), rec('a', 0, 1), rec('a', 0, 2), rec('b', 0, 0)]);
  const running = relay.run();
  await tick();
  producer.deliver(Infinity, 1);
  await tick();
  assert.equal(failed.length, 1);
  assert.deepEqual({ ...failed[0], message: undefined }, { slot: 0, topic: 'a', partition: 0, offset: 1, code: 10, message: undefined });
  assert.deepEqual(consumer.unassigned, [{ topic: 'a', partition: 0 }]);
  // Slot 0 reports only offset 0; slot 1 keeps going.
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)), [[0, 1, 0], [1, 1, 0]]);
  consumer.batches.push([rec('a', 0, 3), rec('b', 0, 1)]);
  await tick();
  assert.deepEqual(producer.produced.slice(4).map((p) => p.topic), ['r.b'], 'records of the failed partition are not produced');
  relay.stop();
  await running;
});

test('a target that does not know the partition yet (unknown topic or partition) makes the slot read the record again, not stop', async () => {
  const { consumer, producer, ring, relay, failed, retrying } = setup();
  relay.assign(0, 'a', 0, 'r.a', 0);
  consumer.batches.push([rec('a', 0, 0), rec('a', 0, 1), rec('a', 0, 2), rec('a', 0, 3)]);
  const running = relay.run();
  await tick();
  producer.deliver(Infinity, 1, 3); // offset 1 fails with UNKNOWN_TOPIC_OR_PART; 2 and 3 are acknowledged
  await tick();
  assert.deepEqual(failed, [], 'the partition is not stopped');
  assert.equal(retrying.length, 1);
  assert.match(retrying[0].message, /r\.a partition 0: .*reading again from source offset 1/);
  assert.deepEqual(consumer.unassigned, [{ topic: 'a', partition: 0 }]);
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)), [[0, 1, 0]], 'progress stops before the failed record; 2 and 3 do not count');
  await new Promise((r) => setTimeout(r, NOT_READY_RETRY_MS + 100));
  assert.ok(producer.metadataRefreshes >= 1, 'the metadata is refreshed before the retry');
  assert.deepEqual(consumer.assigned.at(-1), { topic: 'a', partition: 0, offset: 1 }, 'read again from the failed record');
  consumer.batches.push([rec('a', 0, 1), rec('a', 0, 2), rec('a', 0, 3)]);
  await tick();
  producer.deliver();
  await tick();
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)), [[0, 1, 0], [0, 3, 1]]);
  relay.stop();
  await running;
});

test('a partition the target keeps not knowing stops after NOT_READY_GIVE_UP_MS with an error that says so', async () => {
  let now = 5000;
  const { consumer, producer, relay, failed, retrying } = setup({ clock: () => now });
  relay.assign(0, 'a', 0, 'r.a', 0);
  consumer.batches.push([rec('a', 0, 0)]);
  const running = relay.run();
  await tick();
  producer.deliver(Infinity, 0, 3);
  await tick();
  assert.equal(retrying.length, 1);
  now += NOT_READY_GIVE_UP_MS;
  await new Promise((r) => setTimeout(r, NOT_READY_RETRY_MS + 100));
  consumer.batches.push([rec('a', 0, 0)]);
  await tick();
  producer.deliver(Infinity, 0, 3);
  await tick();
  assert.equal(failed.length, 1);
  assert.match(failed[0].message, /answered so for 120 s: check that the remote topic exists on the target/);
  relay.stop();
  await running;
});

test('a synchronous produce error stops the partition with the record offset', async () => {
  const { consumer, producer, relay, failed } = setup();
  producer.refuse.set(1, 10);
  relay.assign(0, 'a', 0, 'r.a', 0);
  consumer.batches.push([rec('a', 0, 0), rec('a', 0, 1), rec('a', 0, 2)]);
  const running = relay.run();
  await tick();
  assert.equal(failed[0]?.offset, 1);
  assert.equal(producer.produced.length, 1);
  relay.stop();
  await running;
});

test('revocation announces drained slots only after their acknowledgements reached the ring', async () => {
  const { consumer, producer, ring, relay, drained } = setup();
  relay.assign(0, 'a', 0, 'r.a', 0);
  relay.assign(1, 'a', 1, 'r.a', 0);
  consumer.batches.push([rec('a', 0, 0), rec('a', 0, 1), rec('a', 1, 0)]);
  const running = relay.run();
  await tick();
  relay.revoke([0]);
  assert.deepEqual(consumer.unassigned, [{ topic: 'a', partition: 0 }]);
  await tick();
  assert.equal(drained.length, 0, 'records still in flight');
  producer.deliver(1);
  await tick();
  assert.equal(drained.length, 0);
  producer.deliver();
  await tick();
  assert.deepEqual(drained, [[0]]);
  // Runs are closed at every flush tick; together they cover offsets 0 and 1.
  assert.deepEqual(ring.entries.filter((e) => e[0] === 0).map((e) => e.slice(0, 4)), [[0, 1, 0, 0], [0, 1, 1, 1]]);
  // The slot can be reused.
  relay.assign(0, 'c', 0, 'r.c', 5);
  relay.stop();
  await running;
});

test('backpressure: at maxInFlight the loop stops polling until acknowledgements drain half', async () => {
  const { consumer, producer, relay } = setup({ maxInFlight: 4 });
  relay.assign(0, 'a', 0, 'r.a', 0);
  consumer.batches.push([0, 1, 2, 3].map((o) => rec('a', 0, o)), [4, 5].map((o) => rec('a', 0, o)));
  const running = relay.run();
  await tick();
  const calls = consumer.consumeCalls;
  await tick();
  assert.equal(consumer.consumeCalls, calls, 'no polling while the in-flight bound is reached');
  assert.equal(producer.produced.length, 4);
  producer.deliver(2);
  await tick();
  assert.equal(producer.produced.length, 6, 'polling resumed after the low-water mark');
  relay.stop();
  await running;
});

test('a full producer queue is retried with the same record, in order', async () => {
  const { consumer, producer, relay } = setup();
  producer.queueFullTimes = 2;
  relay.assign(0, 'a', 0, 'r.a', 0);
  consumer.batches.push([rec('a', 0, 0), rec('a', 0, 1)]);
  const running = relay.run();
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(producer.produced.map((p) => p.timestamp), [1000, 1001]);
  relay.stop();
  await running;
});

test('a full progress ring keeps entries pending, in order, until there is room', async () => {
  const { consumer, producer, ring, relay } = setup();
  ring.capacity = 1;
  relay.assign(0, 'a', 0, 'r.a', 0);
  consumer.batches.push([rec('a', 0, 0), rec('a', 0, 5), rec('a', 0, 9)]);
  const running = relay.run();
  await tick();
  producer.deliver();
  await tick();
  assert.equal(ring.entries.length, 1);
  ring.capacity = Infinity;
  await tick();
  assert.deepEqual(ring.entries.map((e) => e[2]), [0, 5, 9]);
  relay.stop();
  await running;
});

void test('a partition the producer does not know yet is retried after a metadata refresh, not failed', async () => {
  const { consumer, producer, relay, failed } = setup();
  producer.refuse.set(0, -190);
  relay.assign(0, 'a', 2, 'r.a', 0);
  consumer.batches.push([rec('a', 2, 0), rec('a', 2, 1)]);
  const running = relay.run();
  await tick();
  assert.equal(failed.length, 0);
  assert.equal(producer.metadataRefreshes, 1);
  assert.deepEqual(producer.produced.map((p) => p.timestamp), [1000, 1001], 'same record retried, order kept');
  relay.stop();
  await running;
});
