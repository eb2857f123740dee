// Round-trip tests for thread messages. Loaded in a worker thread, this file instead encodes the
// sample messages there and posts the bytes back, so one test crosses a real thread boundary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import { MessageDecodeError, createMessagePackr, decode, encode } from '../../src/util/codec.js';
import { MESSAGE_STRUCTURES, OFFSET_BEGINNING, OFFSET_END, THREAD_MESSAGE_TYPES } from '../../src/worker/protocol.js';
import type { ThreadMessage } from '../../src/worker/protocol.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function samples(): ThreadMessage[] {
  return [
    {
      type: 'assign',
      partitions: [
        { slot: 0, topic: 'orders', partition: 0, targetTopic: 'src.orders', offset: 0n },
        { slot: 1, topic: 'orders', partition: 1, targetTopic: 'src.orders', offset: OFFSET_BEGINNING },
        { slot: 2, topic: 'payments', partition: 17, targetTopic: 'src.payments', offset: OFFSET_END },
        { slot: 3, topic: 'ünïcødé-topic', partition: 2, targetTopic: 'x', offset: INT64_MAX },
        { slot: 4, topic: 't', partition: 3, targetTopic: 't', offset: 2n ** 53n + 1n },
      ],
    },
    { type: 'assign', partitions: [] },
    { type: 'revoke', slots: [0, 2, 65535] },
    { type: 'pause', slots: [1] },
    { type: 'resume', slots: [] },
    { type: 'stop', deadlineMs: 1_767_225_600_123 },
    {
      type: 'stats',
      workerId: 3,
      startMs: 1_767_225_600_000,
      endMs: 1_767_225_601_000,
      counters: { recordsIn: 1_000_000, recordsAcked: 999_000, bytesAcked: 2 ** 40 + 3, recordsFailed: 0, ringFull: 2, inFlight: 1000, pausedSlots: 0 },
      histograms: { replication: Uint8Array.of(1, 1, 128, 221, 219, 1, 3, 0, 0, 0), relay: new Uint8Array(300).fill(7) },
      highWatermarks: [
        [0, 1_234_567],
        [2, -1],
        [5, 2 ** 40],
      ],
    },
    { type: 'revoked', workerId: 3, slots: [0, 2] },
    { type: 'error', workerId: 1, code: 'ERR_TOPIC_AUTHORIZATION_FAILED', message: 'not authorized to write "src.orders"', retriable: false },
    {
      type: 'error',
      workerId: 1,
      code: 'ERR__MSG_TIMED_OUT',
      message: 'delivery timed out',
      retriable: true,
      slot: 4,
      topic: 'orders',
      partition: 4,
      offset: INT64_MIN,
      kafkaCode: -192,
    },
    { type: 'error', workerId: 2, code: 'X', message: '', retriable: true, offset: 0n },
    { type: 'stopped', workerId: 3 },
    { type: 'seek', slot: 3, topic: 'orders', partition: 7, offset: 2n ** 53n + 5n },
    { type: 'dataLoss', workerId: 2, slot: 3, topic: 'orders', partition: 7, from: 100n, to: INT64_MAX, logEnd: 2n ** 53n + 9n },
  ];
}

/** Buffers decode as Buffer (a Uint8Array subclass); compare them as plain Uint8Arrays. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

if (!isMainThread) {
  const port = parentPort;
  if (port === null) throw new Error('worker without a parent port');
  const buffers = samples().map(encode);
  port.postMessage(buffers, buffers.map((b) => b.buffer));
} else {
  void describe('thread message codec', () => {
    void it('round-trips every message type, bigints included', () => {
      const all = samples();
      assert.deepEqual(new Set(all.map((m) => m.type)), new Set(THREAD_MESSAGE_TYPES), 'samples cover every type');
      for (const msg of all) {
        const back = decode(encode(msg));
        assert.deepEqual(normalize(back), normalize(msg), msg.type);
      }
    });

    void it('keeps bigint offsets bigint (even small ones) and numbers numbers', () => {
      const assign = decode(encode(samples()[0]));
      assert.equal(assign.type, 'assign');
      if (assign.type !== 'assign') return;
      assert.equal(typeof assign.partitions[0].offset, 'bigint');
      assert.equal(assign.partitions[0].offset, 0n);
      assert.equal(assign.partitions[1].offset, -2n);
      assert.equal(assign.partitions[3].offset, INT64_MAX);
      assert.equal(typeof assign.partitions[0].slot, 'number');
      const stats = decode(encode(samples()[6]));
      assert.ok(stats.type === 'stats');
      assert.equal(typeof stats.endMs, 'number');
      assert.equal(stats.counters.bytesAcked, 2 ** 40 + 3);
    });

    void it('decodes across Packr instances, including shapes outside the shared structures', () => {
      // Two instances stand for two threads: they share only the predefined structures.
      const a = createMessagePackr();
      const b = createMessagePackr();
      const reordered = { slots: [1, 2], type: 'revoke' as const };
      const odd = { type: 'pause', slots: [9], extra: { nested: [1n, 'x'] } };
      for (const msg of [...samples(), reordered, odd, ...samples()]) {
        assert.deepEqual(normalize(b.unpack(a.pack(msg))), normalize(msg));
      }
      // Nothing was added to the shared structures on either side.
      for (const p of [a, b]) {
        assert.deepEqual(
          (p as unknown as { structures: string[][] }).structures.map((keys) => [...keys]),
          MESSAGE_STRUCTURES.map((keys) => [...keys]),
        );
      }
    });

    void it('decodes messages encoded in another thread', async () => {
      const worker = new Worker(new URL(import.meta.url));
      try {
        const buffers = await new Promise<Uint8Array[]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        assert.deepEqual(buffers.map((b) => normalize(decode(b))), samples().map(normalize));
      } finally {
        await worker.terminate();
      }
    });

    void it('returns exact-size buffers that can be transferred', () => {
      const first = encode(samples()[7]);
      const second = encode(samples()[6]);
      for (const b of [first, second]) {
        assert.equal(b.byteOffset, 0);
        assert.equal(b.buffer.byteLength, b.length);
      }
      structuredClone(second, { transfer: [second.buffer] });
      assert.deepEqual(normalize(decode(first)), normalize(samples()[7]), 'transferring one does not disturb another');
    });

    void it('is smaller with shared structures than plain msgpack maps', () => {
      const stats = samples()[6];
      const plain = new Packr({ useRecords: false });
      const withRecords = encode(stats).length;
      const withoutRecords = plain.pack(stats).length;
      assert.ok(withRecords < withoutRecords - 100, `${withRecords} vs ${withoutRecords} bytes`);
    });

    void it('rejects garbage and unknown message types with a clear error', () => {
      assert.throws(() => decode(Uint8Array.of(0xc1)), MessageDecodeError);
      const plain = new Packr({ useRecords: false });
      assert.throws(() => decode(plain.pack({ type: 'launch', x: 1 })), /unknown type "launch"; expected one of assign, revoke/);
      assert.throws(() => decode(plain.pack([1, 2])), /unknown type \(none\)/);
      assert.throws(() => decode(plain.pack({ type: 5n })), /of kind bigint/);
    });
  });
}
