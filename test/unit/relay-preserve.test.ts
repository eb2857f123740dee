/**
 * The relay's offset-preserving slots: a source hole or a delivery at another target offset is a
 * divergence that stops the slot (naming the offsets) or, with onDivergence: translate, switches
 * it to translation and reports it. Slots not in this mode ignore both.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, type DeliveryHandler, type ProgressWriter, type SlotDivergence, type SlotError, type SourceRecord, type TargetProducer } from '../../src/worker/relay.js';
import { recordAt, type SourceBatch } from '../../src/worker/source-batch.js';
import { FakeSourceConsumer } from '../helpers/fake-source-consumer.js';
import type { OnDivergence } from '../../src/config/types.js';

/** Target offsets continue from `next` per partition; `foreign(n)` appends n records of another writer. */
class FakeProducer implements TargetProducer {
  produced: { topic: string; partition: number; value: Buffer | null }[] = [];
  private undelivered: { topic: string; partition: number }[] = [];
  private handler: DeliveryHandler = () => undefined;
  next = new Map<string, number>();
  produce(topic: string, partition: number, batch: SourceBatch, index: number): number {
    this.produced.push({ topic, partition, value: recordAt(batch, index).value });
    this.undelivered.push({ topic, partition });
    return 0;
  }
  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }
  foreign(topic: string, partition: number, n: number): void {
    const k = `${topic}/${partition}`;
    this.next.set(k, (this.next.get(k) ?? 0) + n);
  }
  deliver(n = Infinity): void {
    for (const p of this.undelivered.splice(0, n)) {
      const k = `${p.topic}/${p.partition}`;
      const off = this.next.get(k) ?? 0;
      this.next.set(k, off + 1);
      this.handler(0, undefined, p.topic, p.partition, off);
    }
  }
  async refreshMetadata(): Promise<void> {}
  async close(): Promise<void> {}
}

class FakeRing implements ProgressWriter {
  entries: number[][] = [];
  tryWrite(slot: number, count: number, src: number, tgt: number): boolean {
    this.entries.push([slot, count, src, tgt]);
    return true;
  }
}

function rec(topic: string, partition: number, offset: number): SourceRecord {
  return { topic, partition, offset, value: Buffer.from(`v${offset}`), key: null, timestamp: 1000 + offset, size: 3 };
}

const live: Relay[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.stop();
});

function setup(onDivergence?: OnDivergence) {
  const consumer = new FakeSourceConsumer();
  const producer = new FakeProducer();
  const ring = new FakeRing();
  const failed: SlotError[] = [];
  const translating: SlotDivergence[] = [];
  const relay = new Relay(
    consumer,
    producer,
    ring,
    { replication: () => undefined, relay: () => undefined },
    { slotFailed: (e) => failed.push(e), slotsDrained: () => undefined, slotTranslating: (d) => translating.push(d) },
    { maxInFlight: 1000, batchSize: 100, clock: () => 5000, ...(onDivergence ? { onDivergence } : {}) },
  );
  live.push(relay);
  return { consumer, producer, ring, relay, failed, translating };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test('offset-preserving: records at their own offsets make one identity run', async () => {
  const { consumer, producer, ring, relay, failed } = setup();
  producer.next.set('r.t/0', 100);
  relay.assign(0, 't', 0, 'r.t', 100, true);
  consumer.batches.push([rec('t', 0, 100), rec('t', 0, 101), rec('t', 0, 102)]);
  const running = relay.run();
  await tick();
  producer.deliver();
  await tick();
  assert.deepEqual(ring.entries, [[0, 3, 100, 100]]);
  assert.equal(failed.length, 0);
  relay.stop();
  await running;
});

test('offset-preserving: a source hole stops the partition at the missing offset, nothing of it is produced', async () => {
  const { consumer, producer, ring, relay, failed } = setup();
  producer.next.set('r.t/2', 10);
  relay.assign(0, 't', 2, 'r.t', 10, true);
  consumer.batches.push([rec('t', 2, 10), rec('t', 2, 11), rec('t', 2, 14), rec('t', 2, 15)]);
  const running = relay.run();
  await tick();
  assert.equal(producer.produced.length, 2, 'records after the hole are not produced');
  assert.equal(failed.length, 1);
  const f = failed[0];
  assert.equal(f.divergence, true);
  assert.equal(f.offset, 12);
  assert.equal(f.topic, 't');
  assert.equal(f.partition, 2);
  assert.match(f.message, /no record at offsets 12\.\.13/);
  assert.match(f.message, /next record is at 14/);
  assert.match(f.message, /compaction, a transaction marker or aborted records/);
  assert.deepEqual(consumer.unassigned, [{ topic: 't', partition: 2 }]);
  producer.deliver();
  await tick();
  // The records before the hole were produced, but a failed slot reports nothing more.
  assert.deepEqual(ring.entries, []);
  relay.stop();
  await running;
});

test('offset-preserving: a delivery at another target offset (foreign writer) stops the partition naming both offsets', async () => {
  const { consumer, producer, ring, relay, failed } = setup('stop-partition');
  relay.assign(0, 't', 0, 'r.t', 0, true);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  producer.deliver(1);
  producer.foreign('r.t', 0, 1);
  producer.deliver(1);
  await tick();
  assert.deepEqual(ring.entries, [[0, 1, 0, 0]], 'only the record at its own offset counts');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].offset, 1);
  assert.equal(failed[0].divergence, true);
  assert.match(failed[0].message, /source record 1 of t partition 0 landed at offset 2 of r\.t/);
  assert.match(failed[0].message, /another producer/);
  relay.stop();
  await running;
});

test('offset-preserving with onDivergence: translate: a hole switches the slot to translation and keeps replicating', async () => {
  const { consumer, producer, ring, relay, failed, translating } = setup('translate');
  producer.next.set('r.t/0', 5);
  relay.assign(0, 't', 0, 'r.t', 5, true);
  consumer.batches.push([rec('t', 0, 5), rec('t', 0, 7), rec('t', 0, 8)]);
  const running = relay.run();
  await tick();
  assert.equal(producer.produced.length, 3);
  assert.equal(failed.length, 0);
  assert.equal(translating.length, 1);
  assert.deepEqual({ ...translating[0], message: '' }, { slot: 0, topic: 't', partition: 0, expected: 6, actual: 7, message: '' });
  producer.deliver();
  await tick();
  // The exact map takes over: 5->5, then 7..8 -> 6..7.
  assert.deepEqual(ring.entries, [[0, 1, 5, 5], [0, 2, 7, 6]]);
  // Once translating, later gaps are ordinary gaps.
  consumer.batches.push([rec('t', 0, 20)]);
  await tick();
  assert.equal(translating.length, 1);
  relay.stop();
  await running;
});

test('offset-preserving with onDivergence: translate: a foreign record on the target is reported once, replication goes on', async () => {
  const { consumer, producer, ring, relay, failed, translating } = setup('translate');
  relay.assign(0, 't', 0, 'r.t', 0, true);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1), rec('t', 0, 2)]);
  const running = relay.run();
  await tick();
  producer.deliver(1);
  producer.foreign('r.t', 0, 3);
  producer.deliver();
  await tick();
  assert.equal(failed.length, 0);
  assert.equal(translating.length, 1);
  assert.equal(translating[0].expected, 1);
  assert.equal(translating[0].actual, 4);
  assert.deepEqual(ring.entries, [[0, 1, 0, 0], [0, 2, 1, 4]]);
  relay.stop();
  await running;
});

test('at-least-once slots ignore holes and shifted target offsets', async () => {
  const { consumer, producer, ring, relay, failed, translating } = setup();
  producer.next.set('r.t/0', 50);
  relay.assign(0, 't', 0, 'r.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 3)]);
  const running = relay.run();
  await tick();
  producer.deliver();
  await tick();
  assert.equal(failed.length + translating.length, 0);
  assert.deepEqual(ring.entries, [[0, 1, 0, 50], [0, 1, 3, 51]]);
  relay.stop();
  await running;
});
