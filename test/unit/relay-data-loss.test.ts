/**
 * Data-loss detection in the relay (src/worker/relay.ts with src/worker/data-loss.ts), driven by
 * fakes of the consumer, producer and ring, with a clock the test moves.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LOSS_CHECKS_IN_FLIGHT, LOSS_CHECKS_PER_ROUND, Relay, type DataLoss, type SlotDivergence, type SlotError, type DeliveryHandler, type ProgressWriter, type SourceRecord, type TargetProducer } from '../../src/worker/relay.js';
import { FakeSourceConsumer } from '../helpers/fake-source-consumer.js';
import type { OnDivergence } from '../../src/config/types.js';
import { classifyPosition, shouldCheck } from '../../src/worker/data-loss.js';

/** Adds the log start and end the cluster would report, so the relay runs its loss checks. */
class FakeConsumer extends FakeSourceConsumer {
  /** Log start and end per "topic/partition" as the cluster would report them. */
  logs = new Map<string, { low: number; high: number }>();
  queries: string[] = [];
  /** When set, watermarks() waits for this promise (to move the slot meanwhile). */
  gate: Promise<void> | undefined;
  async watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    this.queries.push(`${topic}/${partition}`);
    if (this.gate) await this.gate;
    const w = this.logs.get(`${topic}/${partition}`);
    if (!w) throw new Error('unknown partition');
    return w;
  }
}

class FakeProducer implements TargetProducer {
  private undelivered: { topic: string; partition: number }[] = [];
  private handler: DeliveryHandler = () => undefined;
  private next = new Map<string, number>();
  produced = 0;
  produce(topic: string, partition: number): number {
    this.undelivered.push({ topic, partition });
    this.produced++;
    return 0;
  }
  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }
  deliver(): void {
    for (const p of this.undelivered.splice(0)) {
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
  tryWrite(slot: number, count: number, src: number, tgt: number, ts: number, bytes: number): boolean {
    this.entries.push([slot, count, src, tgt, ts, bytes]);
    return true;
  }
}

const rec = (topic: string, partition: number, offset: number): SourceRecord => ({ topic, partition, offset, value: Buffer.from('v'), timestamp: 1000 + offset, size: 1 });
const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));
const live: Relay[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.stop();
});

function setup(onDivergence?: OnDivergence, holdProgress = false) {
  const clock = { now: 10_000 };
  const failed: SlotError[] = [];
  const translating: SlotDivergence[] = [];
  const consumer = new FakeConsumer();
  const producer = new FakeProducer();
  const ring = new FakeRing();
  const losses: DataLoss[] = [];
  const resets: { slot: number; from: number; to: number }[] = [];
  const events: string[] = [];
  const relay = new Relay(
    consumer,
    producer,
    ring,
    { replication: () => undefined, relay: () => undefined },
    {
      slotFailed: (e) => failed.push(e),
      slotsDrained: (slots) => events.push(`drained ${slots.join(',')}`),
      slotTranslating: (d) => translating.push(d),
      dataLoss: (l) => {
        losses.push(l);
        events.push(`loss ${l.slot} ring=${ring.entries.length}`);
      },
      positionReset: (r) => resets.push({ slot: r.slot, from: r.from, to: r.to }),
    },
    { maxInFlight: 1000, batchSize: 100, clock: () => clock.now, lossCheck: { quietMs: 2000, recheckMs: 30_000 }, holdProgress, ...(onDivergence ? { onDivergence } : {}) },
  );
  live.push(relay);
  void relay.run();
  return { clock, consumer, producer, ring, losses, resets, events, relay, failed, translating };
}

void describe('classifyPosition', () => {
  void it('finds the exact missing range [next, log start)', () => {
    assert.deepEqual(classifyPosition(10, 25, 40), { kind: 'lost', from: 10, to: 25, count: 15 });
    assert.deepEqual(classifyPosition(0, 1, 1), { kind: 'lost', from: 0, to: 1, count: 1 });
  });
  void it('sees nothing missing inside the log or at its end', () => {
    assert.deepEqual(classifyPosition(25, 25, 40), { kind: 'ok' });
    assert.deepEqual(classifyPosition(40, 25, 40), { kind: 'ok' });
    assert.deepEqual(classifyPosition(30, 0, 40), { kind: 'ok' });
  });
  void it('never calls a logical start (log beginning, never committed) a loss', () => {
    assert.deepEqual(classifyPosition(-2, 25, 40), { kind: 'ok' });
    assert.deepEqual(classifyPosition(-1, 25, 40), { kind: 'ok' });
  });
  void it('tells a position past the log end (truncated or re-created) from a loss', () => {
    assert.deepEqual(classifyPosition(50, 0, 40), { kind: 'beyond-end', from: 50, to: 0 });
  });
});

void describe('shouldCheck', () => {
  const slot = { nextOffset: 10, lastRecordAt: 0, cachedHighWatermark: -1, checkedOffset: -1, checkedAt: -1 };
  void it('checks a quiet slot whose high watermark is unknown or ahead', () => {
    assert.equal(shouldCheck(slot, 5000, 2000, 30_000, false), true);
    assert.equal(shouldCheck({ ...slot, cachedHighWatermark: 20 }, 5000, 2000, 30_000, false), true);
  });
  void it('skips slots that got records lately, are caught up, or start at the log beginning', () => {
    assert.equal(shouldCheck({ ...slot, lastRecordAt: 4000 }, 5000, 2000, 30_000, false), false);
    assert.equal(shouldCheck({ ...slot, cachedHighWatermark: 10 }, 5000, 2000, 30_000, false), false);
    assert.equal(shouldCheck({ ...slot, nextOffset: -2 }, 5000, 2000, 30_000, false), false);
  });
  void it('does not ask again at the same position before recheckMs, unless forced', () => {
    const checked = { ...slot, checkedOffset: 10, checkedAt: 4000 };
    assert.equal(shouldCheck(checked, 5000, 2000, 30_000, false), false);
    assert.equal(shouldCheck(checked, 5000, 2000, 30_000, true), true);
    assert.equal(shouldCheck(checked, 34_000, 2000, 30_000, false), true);
    assert.equal(shouldCheck({ ...checked, nextOffset: 11 }, 5000, 2000, 30_000, false), true);
  });
});

void describe('relay data-loss handling', () => {
  void it('halts a partition whose position fell below the log start and reports the exact range', async () => {
    const { clock, consumer, losses, relay } = setup();
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    consumer.logs.set('orders/1', { low: 0, high: 7 });
    relay.assign(0, 'orders', 0, 'east.orders', 10);
    relay.assign(1, 'orders', 1, 'east.orders', 7);
    consumer.cachedHwm.set('orders/1', 7); // caught up: never asked
    await tick();
    assert.deepEqual(consumer.queries, [], 'not before the slot was quiet for quietMs');
    clock.now += 2500;
    await tick(30);
    assert.deepEqual(consumer.queries, ['orders/0']);
    assert.deepEqual(losses, [{ slot: 0, topic: 'orders', partition: 0, from: 10, to: 25, logEnd: 40 }]);
    assert.deepEqual(consumer.unassigned, [{ topic: 'orders', partition: 0 }], 'taken out of the consumer until the coordinator decides');
    // Records that still come for it are left alone.
    consumer.batches.push([rec('orders', 0, 10)]);
    await tick();
    assert.equal(relay.recordsInFlight, 0);
  });

  void it('checks at most LOSS_CHECKS_PER_ROUND quiet slots a round, LOSS_CHECKS_IN_FLIGHT at once, least recently checked first', async () => {
    const { clock, consumer, relay } = setup();
    let release: () => void = () => undefined;
    consumer.gate = new Promise((r) => (release = r));
    const n = 200;
    relay.assignAll(Array.from({ length: n }, (_, p) => ({ slot: p, topic: 't', partition: p, targetTopic: 'r.t', offset: 5 })));
    for (let p = 0; p < n; p++) consumer.logs.set(`t/${p}`, { low: 0, high: 9 });
    clock.now += 2500;
    await tick(30);
    assert.equal(consumer.queries.length, LOSS_CHECKS_IN_FLIGHT, 'only a few questions are out at once');
    release();
    consumer.gate = undefined;
    await tick(50);
    assert.equal(consumer.queries.length, LOSS_CHECKS_PER_ROUND, 'one round asks about a bounded number of slots');
    clock.now += 1500;
    await tick(50);
    assert.equal(consumer.queries.length, 2 * LOSS_CHECKS_PER_ROUND);
    assert.equal(new Set(consumer.queries).size, 2 * LOSS_CHECKS_PER_ROUND, 'the next round asks about slots not asked yet');
  });

  void it('resumes at the log start when told to (onDataLoss: continue)', async () => {
    const { clock, consumer, producer, ring, losses, relay } = setup();
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    relay.assign(0, 'orders', 0, 'east.orders', 10);
    clock.now += 2500;
    await tick(30);
    assert.equal(losses.length, 1);
    assert.equal(relay.resumeAt(0, 'orders', 1, 25), false, 'another partition: ignored');
    assert.equal(relay.resumeAt(0, 'orders', 0, 25), true);
    assert.deepEqual(consumer.assigned.at(-1), { topic: 'orders', partition: 0, offset: 25 });
    consumer.batches.push([rec('orders', 0, 25), rec('orders', 0, 26)]);
    await tick();
    producer.deliver();
    await tick();
    assert.deepEqual(ring.entries, [[0, 2, 25, 0, 1026, 2]]);
    assert.equal(relay.resumeAt(0, 'orders', 0, 25), false, 'only a halted slot resumes');
  });

  void it('offset-preserving: resuming past a loss stops the partition at the first lost offset, nothing produced', async () => {
    const { clock, consumer, producer, losses, relay, failed } = setup();
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    relay.assign(0, 'orders', 0, 'east.orders', 10, true);
    clock.now += 2500;
    await tick(30);
    assert.equal(losses.length, 1);
    const assigns = consumer.assigned.length;
    assert.equal(relay.resumeAt(0, 'orders', 0, 25), true);
    assert.equal(failed.length, 1);
    assert.equal(failed[0].divergence, true);
    assert.equal(failed[0].offset, 10, 'stopped where the target continues');
    assert.match(failed[0].message, /lost offsets 10\.\.24 to retention.*record 25 would land at offset 10/);
    assert.equal(consumer.assigned.length, assigns, 'not read again');
    consumer.batches.push([rec('orders', 0, 25)]);
    await tick();
    assert.equal(producer.produced, 0);
  });

  void it('offset-preserving with onDivergence: translate: resuming past a loss switches to translation and copies on', async () => {
    const { clock, consumer, producer, ring, relay, failed, translating } = setup('translate');
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    relay.assign(0, 'orders', 0, 'east.orders', 10, true);
    clock.now += 2500;
    await tick(30);
    assert.equal(relay.resumeAt(0, 'orders', 0, 25), true);
    assert.deepEqual(failed, []);
    assert.deepEqual(translating.map((d) => [d.expected, d.actual]), [[10, 25]]);
    consumer.batches.push([rec('orders', 0, 25)]);
    await tick();
    producer.deliver();
    await tick();
    assert.deepEqual(ring.entries, [[0, 1, 25, 0, 1025, 1]]);
  });

  /**
   * exactly-once: records 10 and 11 are copied and acknowledged but not committed (they are in
   * the open transaction) when the slot halts on the loss of 12..24.
   */
  async function lossInsideTransaction(): Promise<ReturnType<typeof setup>> {
    const t = setup(undefined, true);
    t.consumer.logs.set('orders/0', { low: 25, high: 40 });
    t.relay.assign(0, 'orders', 0, 'east.orders', 10);
    t.consumer.batches.push([rec('orders', 0, 10), rec('orders', 0, 11)]);
    await tick();
    t.producer.deliver();
    t.clock.now += 2500;
    await tick(30);
    return t;
  }

  void it('exactly-once: a loss is reported only once the records read before it are committed', async () => {
    const { consumer, ring, losses, events, relay } = await lossInsideTransaction();
    assert.deepEqual(consumer.unassigned, [{ topic: 'orders', partition: 0 }], 'halted on the loss');
    assert.deepEqual(losses, [], 'not before the transaction holding records 10 and 11 commits');
    assert.deepEqual(relay.positions(), [{ slot: 0, targetTopic: 'east.orders', partition: 0, next: 12 }], 'the halted slot is in the commit');
    relay.releaseHeld();
    assert.deepEqual(ring.entries, [[0, 2, 10, 0, 1011, 2]]);
    assert.deepEqual(events, ['loss 0 ring=1']);
    assert.deepEqual((losses as DataLoss[]).map((l) => [l.from, l.to]), [[12, 25]]);
  });

  void it('exactly-once: an abort before the loss is reported reads the aborted records again instead', async () => {
    const { consumer, losses, relay } = await lossInsideTransaction();
    relay.abortHeld();
    assert.deepEqual(consumer.assigned.at(-1), { topic: 'orders', partition: 0, offset: 10 }, 'read again from the committed offset');
    assert.deepEqual(relay.positions(), []);
    assert.deepEqual(losses, []);
  });

  void it('reports a loss only after the records in flight before it are acknowledged and in the ring', async () => {
    const { clock, consumer, producer, ring, losses, events, relay } = setup();
    relay.assign(0, 'orders', 0, 'east.orders', 10);
    consumer.batches.push([rec('orders', 0, 10), rec('orders', 0, 11)]);
    await tick();
    assert.equal(relay.recordsInFlight, 2);
    consumer.logs.set('orders/0', { low: 30, high: 40 });
    clock.now += 2500;
    await tick(30);
    assert.equal(losses.length, 0, 'held back while records are in flight');
    producer.deliver();
    await tick();
    assert.deepEqual(ring.entries, [[0, 2, 10, 0, 1011, 2]]);
    assert.deepEqual(losses, [{ slot: 0, topic: 'orders', partition: 0, from: 12, to: 30, logEnd: 40 }]);
    assert.deepEqual(events, ['loss 0 ring=1'], 'the run was in the ring before the loss was announced');
  });

  void it('never checks a partition that starts at the log beginning', async () => {
    const { clock, consumer, losses, relay } = setup();
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    relay.assign(0, 'orders', 0, 'east.orders', -2);
    clock.now += 5000;
    await tick(30);
    assert.deepEqual(consumer.queries, []);
    assert.equal(losses.length, 0);
  });

  void it('asks again at the same position only after recheckMs, or sooner after an out-of-range report', async () => {
    const { clock, consumer, losses, relay } = setup();
    consumer.logs.set('orders/0', { low: 0, high: 40 }); // e.g. compaction gaps: position below the watermark, nothing lost
    relay.assign(0, 'orders', 0, 'east.orders', 10);
    clock.now += 2500;
    await tick(30);
    assert.equal(consumer.queries.length, 1);
    clock.now += 5000;
    await tick(30);
    assert.equal(consumer.queries.length, 1, 'found fine at this position a moment ago');
    consumer.logs.set('orders/0', { low: 20, high: 40 });
    consumer.signalOutOfRange();
    await tick(30);
    assert.equal(consumer.queries.length, 2);
    assert.deepEqual(losses, [{ slot: 0, topic: 'orders', partition: 0, from: 10, to: 20, logEnd: 40 }]);
  });

  void it('does nothing when the slot moved on while the cluster was asked', async () => {
    const { clock, consumer, producer, losses, relay } = setup();
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    let open!: () => void;
    consumer.gate = new Promise((r) => (open = r));
    relay.assign(0, 'orders', 0, 'east.orders', 10);
    clock.now += 2500;
    await tick(20);
    assert.equal(consumer.queries.length, 1);
    consumer.batches.push([rec('orders', 0, 10)]); // the partition was alive after all
    await tick();
    open();
    await tick();
    assert.equal(losses.length, 0);
    assert.equal(producer.produced, 1);
  });

  void it('goes on from the log start when the position is past the log end (truncated partition)', async () => {
    const { clock, consumer, losses, resets, relay } = setup();
    consumer.logs.set('orders/0', { low: 5, high: 40 });
    relay.assign(0, 'orders', 0, 'east.orders', 50);
    clock.now += 2500;
    await tick(30);
    assert.equal(losses.length, 0);
    assert.deepEqual(resets, [{ slot: 0, from: 50, to: 5 }]);
    assert.deepEqual(consumer.assigned.at(-1), { topic: 'orders', partition: 0, offset: 5 });
  });

  void it('revokes a halted slot without unassigning it twice', async () => {
    const { clock, consumer, events, relay } = setup();
    consumer.logs.set('orders/0', { low: 25, high: 40 });
    relay.assign(0, 'orders', 0, 'east.orders', 10);
    clock.now += 2500;
    await tick(30);
    relay.revoke([0]);
    await tick();
    assert.deepEqual(consumer.unassigned, [{ topic: 'orders', partition: 0 }]);
    assert.deepEqual(events, ['loss 0 ring=0', 'drained 0']);
    assert.deepEqual(relay.activeSlots(), []);
  });
});
