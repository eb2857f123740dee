/**
 * exactly-once: the transaction loop over the real Relay (holdProgress) with fakes of the
 * consumer, the transactional producer and the ring: progress reaches the ring only after a
 * commit, the committed offsets are the next source offsets, an abort drops the held progress
 * and rewinds the partitions to the committed offsets, a fatal error ends the loop, and a
 * revocation waits for the commit.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Relay, type DeliveryHandler, type ProgressWriter, type SlotError, type SourceRecord, type TargetProducer } from '../../src/worker/relay.js';
import { FakeSourceConsumer } from '../helpers/fake-source-consumer.js';
import { HOLD_AFTER_STALL_MS, STALL_MS, TransactionLoop, classify, type TransactionalClient } from '../../src/worker/transactions.js';
import { resumeOffset, exactlyOnceOffsetsGroup, transactionalId } from '../../src/coordinator/exactly-once.js';

/** Records are acknowledged 1 ms after produce, or when the test calls deliver() (`hold`); offsets count per partition. */
class FakeTxProducer implements TargetProducer, TransactionalClient {
  readonly transactionalId = 'g-test-0';
  calls: string[] = [];
  sentOffsets: { topic: string; partition: number; offset: number }[][] = [];
  private queued: { topic: string; partition: number }[] = [];
  private handler: DeliveryHandler = () => undefined;
  private next = new Map<string, number>();
  /** Error to throw from the next commit, with librdkafka's flags. */
  commitError: (Error & { isRetriable?: boolean; isTxnRequiresAbort?: boolean; isFatal?: boolean }) | undefined;
  commitFailures = 0;
  /** Delivers on its own shortly after produce (like linger.ms), unless held. */
  hold = false;
  /** produce() call index -> librdkafka error code it returns (the record is refused). */
  refuse = new Map<number, number>();
  private produceCalls = 0;
  produce(topic: string, partition: number): number {
    const code = this.refuse.get(this.produceCalls++);
    if (code !== undefined) return code;
    this.queued.push({ topic, partition });
    if (!this.hold) setTimeout(() => this.deliver(), 1);
    return 0;
  }
  onDelivery(handler: DeliveryHandler): void {
    this.handler = handler;
  }
  refreshMetadata(): Promise<void> {
    return Promise.resolve();
  }
  deliver(): void {
    for (const p of this.queued.splice(0)) {
      const k = `${p.topic}/${p.partition}`;
      const off = this.next.get(k) ?? 0;
      this.next.set(k, off + 1);
      this.handler(0, undefined, p.topic, p.partition, off);
    }
  }
  /** The broker refuses the first queued record (its delivery report carries `code`); the rest stay queued. */
  refuseQueued(code: number, message: string): void {
    const p = this.queued.shift();
    if (p) this.handler(code, message, p.topic, p.partition, -1);
  }
  async close(): Promise<void> {}
  initTransactions(): Promise<void> {
    this.calls.push('init');
    return Promise.resolve();
  }
  beginTransaction(): Promise<void> {
    this.calls.push('begin');
    return Promise.resolve();
  }
  sendOffsets(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    this.calls.push('send');
    this.sentOffsets.push(offsets);
    return Promise.resolve();
  }
  commitTransaction(): Promise<void> {
    this.calls.push('commit');
    if (this.commitError && this.commitFailures > 0) {
      this.commitFailures--;
      return Promise.reject(this.commitError);
    }
    // A transaction marker takes one offset in each partition written.
    for (const k of this.next.keys()) this.next.set(k, (this.next.get(k) ?? 0) + 1);
    return Promise.resolve();
  }
  /** Abort failures to throw first (retriable timeouts, as while the target is unreachable). */
  abortFailures = 0;
  abortTransaction(): Promise<void> {
    this.calls.push('abort');
    if (this.abortFailures > 0) {
      this.abortFailures--;
      return Promise.reject(Object.assign(new Error('Timed out waiting for operation to finish, retry call to resume'), { isRetriable: true }));
    }
    // Purged records come back as purged, not delivered.
    for (const p of this.queued.splice(0)) this.handler(-152, 'Local: Purged in queue', p.topic, p.partition, -1);
    for (const k of this.next.keys()) this.next.set(k, (this.next.get(k) ?? 0) + 1);
    return Promise.resolve();
  }
}

class FakeRing implements ProgressWriter {
  entries: number[][] = [];
  tryWrite(slot: number, count: number, src: number, tgt: number, ts: number, bytes: number): boolean {
    this.entries.push([slot, count, src, tgt, ts, bytes]);
    return true;
  }
}

function rec(topic: string, partition: number, offset: number): SourceRecord {
  return { topic, partition, offset, value: Buffer.from(`v${offset}`), key: null, timestamp: 1000 + offset, size: 10 };
}

const live: Relay[] = [];
afterEach(() => {
  for (const r of live.splice(0)) r.stop();
});

function setup(clock: () => number = Date.now) {
  const consumer = new FakeSourceConsumer();
  const producer = new FakeTxProducer();
  const ring = new FakeRing();
  const drained: number[][] = [];
  const events = { committed: 0, aborted: [] as string[], fatal: [] as Error[], failed: [] as SlotError[] };
  const holder: { loop?: TransactionLoop } = {};
  const relay = new Relay(
    consumer,
    producer,
    ring,
    { replication: () => undefined, relay: () => undefined },
    { slotFailed: (e) => events.failed.push(e), slotsDrained: (s) => drained.push(s) },
    { maxInFlight: 1000, batchSize: 100, clock: () => 5000, holdProgress: true, onRevokeRequested: () => holder.loop?.commitSoon() },
  );
  live.push(relay);
  const loop = new TransactionLoop(
    producer,
    relay,
    { committed: () => events.committed++, aborted: (r) => events.aborted.push(r), fatal: (e) => events.fatal.push(e) },
    { intervalMs: 60_000, timeoutMs: 200, clock },
  );
  holder.loop = loop;
  return { consumer, producer, ring, relay, loop, events, drained };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

test('progress reaches the ring only when the transaction commits, with the next source offsets in it', async () => {
  const { consumer, producer, ring, relay, loop, events } = setup();
  await loop.start();
  relay.assign(0, 'orders', 0, 'src.orders', 5);
  relay.assign(1, 'orders', 1, 'src.orders', 0);
  consumer.batches.push([rec('orders', 0, 5), rec('orders', 0, 6), rec('orders', 1, 0)]);
  const running = relay.run();
  await tick();
  await tick(); // acknowledged, but not committed
  assert.deepEqual(ring.entries, [], 'acknowledged records of an open transaction are not progress');
  await loop.cycle();
  assert.deepEqual(producer.calls, ['begin', 'send', 'commit', 'begin']);
  assert.deepEqual(producer.sentOffsets, [[{ topic: 'src.orders', partition: 0, offset: 7 }, { topic: 'src.orders', partition: 1, offset: 0 + 1 }]]);
  assert.deepEqual(ring.entries.map((e: number[]) => e.slice(0, 4)), [[0, 2, 5, 0], [1, 1, 0, 0]]);
  assert.equal(events.committed, 1);
  // Nothing new: no empty commit.
  await loop.cycle();
  assert.equal(producer.calls.filter((c) => c === 'commit').length, 1);
  relay.stop();
  await running;
});

test('an abortable commit error drops the held progress and rewinds the partitions to the committed offsets', async () => {
  const { consumer, producer, ring, relay, loop, events } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  await loop.cycle(); // commits 0..1
  consumer.batches.push([rec('t', 0, 2), rec('t', 0, 3)]);
  await tick();
  producer.commitError = Object.assign(new Error('Broker: Producer fenced... abortable'), { isTxnRequiresAbort: true });
  producer.commitFailures = 1;
  await loop.cycle();
  assert.equal(events.aborted.length, 1);
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)), [[0, 2, 0]], 'the aborted records are not progress');
  assert.deepEqual(consumer.assigned.at(-1), { topic: 't', partition: 0, offset: 2 }, 'the partition is read again from the committed offset');
  // They are read and sent again, and the next commit covers them.
  consumer.batches.push([rec('t', 0, 2), rec('t', 0, 3)]);
  await tick();
  await loop.cycle();
  assert.deepEqual(producer.sentOffsets.at(-1), [{ topic: 'src.t', partition: 0, offset: 4 }]);
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)), [[0, 2, 0], [0, 2, 2]]);
  relay.stop();
  await running;
});

test('a record refused for good aborts its transaction; its partition is read again up to that record and stops there, reported once', async () => {
  const { consumer, producer, ring, relay, loop, events } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  relay.assign(1, 't', 1, 'src.t', 0);
  producer.refuse.set(2, 10); // the third record produced: t-0 offset 2
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1), rec('t', 0, 2), rec('t', 0, 3), rec('t', 1, 0), rec('t', 1, 1)]);
  const running = relay.run();
  await tick();
  assert.deepEqual(events.failed.map((e) => [e.topic, e.partition, e.offset, e.code]), [['t', 0, 2, 10]]);
  assert.match(events.failed[0].message, /larger than the target producer's message\.max\.bytes/);
  await loop.cycle();
  assert.equal(events.aborted.length, 1, 'the transaction holding the refused record cannot commit');
  assert.deepEqual(ring.entries, [], 'nothing of the aborted transaction is progress');
  assert.deepEqual(consumer.assigned.slice(-2), [{ topic: 't', partition: 0, offset: 0 }, { topic: 't', partition: 1, offset: 0 }], 'both partitions are read again from their committed offsets');
  // The consumer delivers both again: t-0 is copied up to the refused record, not past it.
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1), rec('t', 0, 2), rec('t', 0, 3), rec('t', 1, 0), rec('t', 1, 1)]);
  await tick();
  await loop.cycle();
  assert.deepEqual(producer.sentOffsets.at(-1), [{ topic: 'src.t', partition: 0, offset: 2 }, { topic: 'src.t', partition: 1, offset: 2 }]);
  assert.deepEqual(ring.entries.map((e: number[]) => e.slice(0, 3)), [[0, 2, 0], [1, 2, 0]]);
  assert.equal(events.failed.length, 1, 'the refusal is reported once');
  assert.deepEqual(consumer.unassigned.at(-1), { topic: 't', partition: 0 }, 'the partition stops being read at the refused record');
  const commits = producer.calls.filter((c) => c === 'commit').length;
  consumer.batches.push([rec('t', 0, 2), rec('t', 0, 3)]);
  await tick();
  await loop.cycle();
  assert.equal(producer.calls.filter((c) => c === 'commit').length, commits, 'nothing more of t-0 is produced: nothing to commit');
  relay.stop();
  await running;
});

test('a record refused while others are still queued aborts at once: the abort purges them, nothing waits for their acknowledgements', async () => {
  const { consumer, producer, relay, loop, events } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  relay.assign(1, 't', 1, 'src.t', 0);
  producer.hold = true;
  consumer.batches.push([rec('t', 0, 0), rec('t', 1, 0), rec('t', 1, 1)]);
  const running = relay.run();
  await tick();
  producer.refuseQueued(10, 'Broker: Message size too large'); // t-0 offset 0; t-1's two records stay queued
  await loop.cycle();
  assert.ok(producer.calls.includes('abort'));
  assert.ok(!producer.calls.includes('commit'));
  // Waiting for t-1's records first would end in "still unacknowledged" after the call timeout.
  assert.match(events.aborted[0] ?? '', /refused by the target/);
  relay.stop();
  await running;
});

test('a lost assignment (the group took the partitions away) aborts the open transaction instead of committing it', async () => {
  const { consumer, producer, ring, relay, loop, events, drained } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  await loop.cycle(); // commits 0..1
  consumer.batches.push([rec('t', 0, 2), rec('t', 0, 3)]);
  await tick();
  relay.revoke([0], true);
  await tick(); // the revocation asks for a cycle now
  await tick();
  assert.equal(producer.calls.filter((c) => c === 'commit').length, 1, 'records 2..3 are not committed: the next owner writes them');
  assert.equal(producer.calls.at(-2), 'abort');
  assert.match(events.aborted[0] ?? '', /assignment lost/);
  assert.deepEqual(ring.entries.map((e) => e.slice(0, 3)), [[0, 2, 0]]);
  assert.deepEqual(drained, [[0]], 'the slot is given up once the abort dropped its records');
  relay.stop();
  await running;
});

test('an assignment lost while the cycle waits for acknowledgements (a cut link) is aborted, not committed, once they come', async () => {
  const { consumer, producer, relay, loop, events, drained } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  producer.hold = true;
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  loop.commitSoon(); // the cycle parks the loop and waits for the two records in flight
  await tick();
  relay.revoke([0], true); // the session expired meanwhile; its commitSoon() waits for the running cycle
  await tick();
  producer.deliver(); // the link is back: the acknowledgements come
  for (let i = 0; i < 50 && !producer.calls.some((c) => c === 'commit' || c === 'abort'); i++) await tick();
  assert.equal(producer.calls.filter((c) => c === 'commit').length, 0, 'nothing of the lost assignment is committed');
  assert.ok(!producer.calls.includes('send'), 'no offsets are sent for it either');
  assert.ok(producer.calls.includes('abort'));
  assert.match(events.aborted[0] ?? '', /assignment lost/);
  assert.deepEqual(drained, [[0]], 'the slot is given up once the abort dropped its records');
  relay.stop();
  await running;
});

test('a revocation that is not lost still commits first', async () => {
  const { consumer, producer, relay, loop, drained } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  relay.revoke([0]);
  await tick();
  await tick();
  assert.deepEqual(producer.sentOffsets, [[{ topic: 'src.t', partition: 0, offset: 2 }]]);
  assert.deepEqual(drained, [[0]]);
  relay.stop();
  await running;
});

test('after a stall of its own the loop aborts the open transaction and commits nothing until the hold is over', async () => {
  let now = 1_000_000;
  const { consumer, producer, relay, loop, events } = setup(() => now);
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  loop.noticeStall(STALL_MS - 1);
  await loop.cycle();
  assert.equal(producer.sentOffsets.length, 1, 'a timer late by less than STALL_MS is no stall');
  consumer.batches.push([rec('t', 0, 2), rec('t', 0, 3)]);
  await tick();
  loop.noticeStall(15_000); // e.g. SIGSTOP for 15 s
  await loop.cycle();
  assert.match(events.aborted[0] ?? '', /stalled for 15000 ms/);
  assert.deepEqual(consumer.assigned.at(-1), { topic: 't', partition: 0, offset: 2 }, 'read again from the committed offset');
  consumer.batches.push([rec('t', 0, 2), rec('t', 0, 3)]);
  await tick();
  now += HOLD_AFTER_STALL_MS - 1;
  await loop.cycle();
  assert.equal(producer.sentOffsets.length, 1, 'nothing is committed during the hold');
  now += 2;
  await loop.cycle();
  assert.deepEqual(producer.sentOffsets.at(-1), [{ topic: 'src.t', partition: 0, offset: 4 }], 'committed once the hold is over and no lost assignment came');
  relay.stop();
  await running;
});

test('an abort that times out (the target unreachable) is tried again until it works, not the end of the task', async () => {
  const { consumer, producer, relay, loop, events } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  producer.commitError = Object.assign(new Error('abortable'), { isTxnRequiresAbort: true });
  producer.commitFailures = 1;
  producer.abortFailures = 2;
  await loop.cycle();
  assert.equal(producer.calls.filter((c) => c === 'abort').length, 3, 'two timed-out aborts, then one that works');
  assert.deepEqual(events.fatal, []);
  assert.equal(events.aborted.length, 1);
  assert.deepEqual(consumer.assigned.at(-1), { topic: 't', partition: 0, offset: 0 }, 'read again from the committed offset');
  relay.stop();
  await running;
});

test('a retriable commit error is retried; a fatal one ends the loop and is reported', async () => {
  const { consumer, producer, relay, loop, events } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0)]);
  const running = relay.run();
  await tick();
  producer.commitError = Object.assign(new Error('timed out'), { isRetriable: true });
  producer.commitFailures = 2;
  await loop.cycle();
  assert.equal(producer.calls.filter((c) => c === 'commit').length, 3);
  assert.equal(events.aborted.length, 0);
  consumer.batches.push([rec('t', 0, 1)]);
  await tick();
  producer.commitError = Object.assign(new Error('Broker: Producer fenced'), { isFatal: true });
  producer.commitFailures = 1;
  await loop.cycle();
  assert.equal(events.fatal.length, 1);
  assert.match(events.fatal[0].message, /fenced/);
  relay.stop();
  await running;
});

test('a revoked partition is drained only once its records are committed', async () => {
  const { consumer, producer, relay, loop, drained } = setup();
  await loop.start();
  relay.assign(0, 't', 0, 'src.t', 0);
  consumer.batches.push([rec('t', 0, 0), rec('t', 0, 1)]);
  const running = relay.run();
  await tick();
  await tick();
  relay.revoke([0]);
  assert.deepEqual(drained, [], 'acknowledged but not committed: not drained yet');
  // The revocation asked for a commit right away.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(drained, [[0]]);
  assert.deepEqual(producer.sentOffsets.at(-1), [{ topic: 'src.t', partition: 0, offset: 2 }]);
  relay.stop();
  await running;
  await loop.finish();
});

test('the error classification reads librdkafka flags on the error or its cause', () => {
  assert.deepEqual(classify(Object.assign(new Error('x'), { isFatal: true })), { fatal: true, requiresAbort: false, retriable: false });
  assert.deepEqual(classify(new Error('wrapped', { cause: { isTxnRequiresAbort: true, isRetriable: true } })), { fatal: false, requiresAbort: true, retriable: true });
});

test('resume offsets: the target commit wins, then the source group, else the log start', () => {
  assert.equal(resumeOffset(120, 100), 120);
  assert.equal(resumeOffset(undefined, 100), 100);
  assert.equal(resumeOffset(-1, undefined), -1);
  assert.equal(exactlyOnceOffsetsGroup({ groupId: 'strait.a.b' }), '__strait-eos.strait.a.b');
  assert.equal(transactionalId({ groupId: 'strait.a.b' }, 'host-1', 3), 'strait.a.b-host-1-3');
});
