// Unit tests for the progress ring. The file doubles as its own worker script: when loaded in a
// worker thread it runs one of the writer scenarios below instead of registering tests, so the
// two-thread tests need no separate helper file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  CLAIM_TAKEN,
  CLOSED,
  ENTRY_BYTES,
  EntryField,
  HEADER_BYTES,
  Header,
  LAYOUT_VERSION,
  MAX_CAPACITY,
  MAX_OFFSET,
  NO_TIMESTAMP,
  ProgressRing,
  ProgressRingError,
  RING_MAGIC,
  WAITING,
  ringByteLength,
} from '../../src/ring/progress-ring.js';
import type { ProgressRingWriter } from '../../src/ring/progress-ring.js';

interface Run {
  slot: number;
  count: number;
  sourceOffset: number;
  targetOffset: number;
  lastTimestamp: number;
  bytes: number;
}

function collector(): { runs: Run[]; handler: (s: number, c: number, src: number, tgt: number, ts: number, b: number) => void } {
  const runs: Run[] = [];
  return {
    runs,
    handler: (slot, count, sourceOffset, targetOffset, lastTimestamp, bytes) => {
      runs.push({ slot, count, sourceOffset, targetOffset, lastTimestamp, bytes });
    },
  };
}

/** Deterministic run number i, so both threads can compute what must arrive. */
function runFor(i: number): Run {
  return {
    slot: i % 7,
    count: 1 + (i % 3),
    sourceOffset: i * 3,
    // Above 2^32 so a 32-bit truncation anywhere would show.
    targetOffset: 2 ** 40 + i * 3,
    lastTimestamp: 1_700_000_000_000 + i,
    bytes: (i % 1000) * 10,
  };
}

function writeRun(w: ProgressRingWriter, r: Run): boolean {
  return w.tryWrite(r.slot, r.count, r.sourceOffset, r.targetOffset, r.lastTimestamp, r.bytes);
}

/** Small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Worker side
// ---------------------------------------------------------------------------------------------

type WorkerScenario =
  | { mode: 'timeout'; buffer: SharedArrayBuffer; timeoutMs: number }
  | { mode: 'blocked'; buffer: SharedArrayBuffer; timeoutMs: number }
  | { mode: 'stream'; buffer: SharedArrayBuffer; total: number };

function workerMain(scenario: WorkerScenario): void {
  const port = parentPort;
  if (port === null) throw new Error('worker scenario without a parent port');
  const writer = ProgressRing.attach(scenario.buffer).writer();
  switch (scenario.mode) {
    case 'timeout':
    case 'blocked': {
      // Fill the ring, then block on one more run.
      let i = 0;
      while (writeRun(writer, runFor(i))) i++;
      port.postMessage({ filled: i });
      const r = runFor(i);
      const t0 = performance.now();
      const ok = writer.write(r.slot, r.count, r.sourceOffset, r.targetOffset, r.lastTimestamp, r.bytes, scenario.timeoutMs);
      port.postMessage({ ok, elapsedMs: performance.now() - t0 });
      break;
    }
    case 'stream': {
      for (let i = 0; i < scenario.total; i++) {
        const r = runFor(i);
        // Never drop: keep retrying the same run until it is in.
        while (!writer.write(r.slot, r.count, r.sourceOffset, r.targetOffset, r.lastTimestamp, r.bytes, 1000)) {
          /* retry */
        }
      }
      writer.close();
      port.postMessage({ done: scenario.total });
      break;
    }
  }
}

function startWorker(scenario: WorkerScenario): { worker: Worker; messages: AsyncIterator<unknown> } {
  const worker = new Worker(new URL(import.meta.url), { workerData: scenario });
  const queue: unknown[] = [];
  const waiters: ((v: IteratorResult<unknown>) => void)[] = [];
  let failure: Error | undefined;
  worker.on('message', (m: unknown) => {
    const w = waiters.shift();
    if (w) w({ value: m, done: false });
    else queue.push(m);
  });
  worker.on('error', (err) => {
    failure = err;
    for (const w of waiters.splice(0)) w({ value: err, done: true });
  });
  const messages: AsyncIterator<unknown> = {
    next: () => {
      if (failure) return Promise.reject(failure);
      if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
  return { worker, messages };
}

async function nextMessage<T>(messages: AsyncIterator<unknown>): Promise<T> {
  const r = await messages.next();
  if (r.done) throw r.value instanceof Error ? r.value : new Error('worker ended');
  return r.value as T;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

if (!isMainThread) {
  workerMain(workerData as WorkerScenario);
} else {
  void describe('progress ring: layout', () => {
    void it('documents its sizes and slot offsets', () => {
      assert.equal(HEADER_BYTES, 192);
      assert.equal(ENTRY_BYTES, 40);
      assert.equal(HEADER_BYTES % 8, 0, 'entries must start 8-byte aligned for Float64');
      // Byte offsets exactly as drawn in the diagram at the top of the module.
      const bytes = Object.fromEntries(Object.entries(Header).map(([k, i]) => [k, i * 4]));
      assert.deepEqual(bytes, {
        MAGIC: 0,
        VERSION: 4,
        CAPACITY: 8,
        ENTRY_SIZE: 12,
        WRITER_CLAIM: 16,
        READER_CLAIM: 20,
        HEAD: 64,
        CLOSED: 68,
        DATA_SIGNAL: 72,
        WRITER_WAITING: 76,
        TAIL: 128,
        READER_WAITING: 132,
      });
      assert.deepEqual({ ...EntryField }, { SLOT: 0, COUNT: 4, SOURCE_OFFSET: 8, TARGET_OFFSET: 16, LAST_TIMESTAMP: 24, BYTES: 32 });
      // Writer-owned and reader-owned counters on different cache lines.
      assert.notEqual(Math.floor(Header.HEAD / 16), Math.floor(Header.TAIL / 16));
      assert.equal(ringByteLength(8), 192 + 8 * 40);
    });

    void it('writes the header and entries at the documented byte offsets', () => {
      const ring = ProgressRing.create(4);
      const h = new Int32Array(ring.buffer, 0, HEADER_BYTES / 4);
      assert.equal(h[Header.MAGIC], RING_MAGIC);
      assert.equal(h[Header.VERSION], LAYOUT_VERSION);
      assert.equal(h[Header.CAPACITY], 4);
      assert.equal(h[Header.ENTRY_SIZE], ENTRY_BYTES);
      const w = ring.writer();
      assert.equal(h[Header.WRITER_CLAIM], CLAIM_TAKEN);
      w.tryWrite(1, 2, 3, 4, 5, 6); // entry 0
      w.tryWrite(11, 12, 13, 14, 15, 16); // entry 1
      const base = HEADER_BYTES + 1 * ENTRY_BYTES;
      assert.equal(new Uint32Array(ring.buffer, base + EntryField.SLOT, 1)[0], 11);
      assert.equal(new Uint32Array(ring.buffer, base + EntryField.COUNT, 1)[0], 12);
      assert.equal(new Float64Array(ring.buffer, base + EntryField.SOURCE_OFFSET, 1)[0], 13);
      assert.equal(new Float64Array(ring.buffer, base + EntryField.TARGET_OFFSET, 1)[0], 14);
      assert.equal(new Float64Array(ring.buffer, base + EntryField.LAST_TIMESTAMP, 1)[0], 15);
      assert.equal(new Float64Array(ring.buffer, base + EntryField.BYTES, 1)[0], 16);
      assert.equal(h[Header.HEAD], 2);
      assert.equal(h[Header.TAIL], 0);
    });

    void it('rejects bad capacities with a clear error', () => {
      for (const bad of [0, 3, 1000, 1.5, -8, Number.NaN, MAX_CAPACITY * 2]) {
        assert.throws(() => ProgressRing.create(bad), (err: unknown) => {
          assert.ok(err instanceof RangeError);
          assert.match(err.message, /power of two between 1 and 16777216/);
          return true;
        });
      }
      assert.throws(() => ProgressRing.create(1000), /nearest powers of two: 512 or 1024/);
      assert.equal(ProgressRing.create(1).capacity, 1);
    });

    void it('refuses buffers that are not rings', () => {
      assert.throws(() => ProgressRing.attach(new ArrayBuffer(512) as unknown as SharedArrayBuffer), TypeError);
      assert.throws(() => ProgressRing.attach(new SharedArrayBuffer(16)), /smaller than the 192-byte header/);
      assert.throws(() => ProgressRing.attach(new SharedArrayBuffer(ringByteLength(4))), /magic/);
      const ring = ProgressRing.create(4);
      const bigger = new SharedArrayBuffer(ring.buffer.byteLength + 40);
      new Uint8Array(bigger).set(new Uint8Array(ring.buffer));
      assert.throws(() => ProgressRing.attach(bigger), /needs 352/);
      const v2 = ProgressRing.create(4);
      new Int32Array(v2.buffer)[Header.VERSION] = 99;
      assert.throws(() => ProgressRing.attach(v2.buffer), (e: unknown) => e instanceof ProgressRingError && e.code === 'RING_LAYOUT');
    });

    void it('allows exactly one writer and one reader', () => {
      const ring = ProgressRing.create(4);
      ring.writer();
      ring.reader();
      const again = ProgressRing.attach(ring.buffer);
      assert.throws(() => again.writer(), (e: unknown) => e instanceof ProgressRingError && e.code === 'RING_CLAIMED');
      assert.throws(() => again.reader(), /already has a reader/);
    });
  });

  void describe('progress ring: single thread', () => {
    void it('round-trips one run', () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      const c = collector();
      assert.equal(r.drain(c.handler), 0);
      assert.equal(w.tryWrite(3, 10, 1000, 2000, 1_700_000_000_123, 4096), true);
      assert.equal(ring.size, 1);
      assert.equal(r.available, 1);
      assert.equal(r.drain(c.handler), 1);
      assert.deepEqual(c.runs, [{ slot: 3, count: 10, sourceOffset: 1000, targetOffset: 2000, lastTimestamp: 1_700_000_000_123, bytes: 4096 }]);
      assert.equal(ring.size, 0);
    });

    void it('preserves order and honours max', () => {
      const ring = ProgressRing.create(16);
      const w = ring.writer();
      const r = ring.reader();
      for (let i = 0; i < 10; i++) assert.ok(writeRun(w, runFor(i)));
      const c = collector();
      assert.equal(r.drain(c.handler, 4), 4);
      assert.equal(r.drain(c.handler, 0), 0);
      assert.equal(r.drain(c.handler), 6);
      assert.deepEqual(c.runs, Array.from({ length: 10 }, (_, i) => runFor(i)));
      assert.throws(() => r.drain(c.handler, 1.5), RangeError);
    });

    void it('reports full with false, and accepts again after a drain', () => {
      const ring = ProgressRing.create(4);
      const w = ring.writer();
      const r = ring.reader();
      for (let i = 0; i < 4; i++) assert.equal(writeRun(w, runFor(i)), true);
      assert.equal(writeRun(w, runFor(4)), false);
      assert.equal(writeRun(w, runFor(4)), false, 'still full, nothing changed');
      assert.equal(w.free, 0);
      const c = collector();
      assert.equal(r.drain(c.handler, 1), 1);
      assert.equal(writeRun(w, runFor(4)), true);
      assert.equal(writeRun(w, runFor(5)), false);
      assert.equal(r.drain(c.handler), 4);
      assert.deepEqual(c.runs, [0, 1, 2, 3, 4].map(runFor));
    });

    void it('wraps around the array many times (capacity 8, 10,000 runs)', () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      const rand = prng(42);
      let written = 0;
      let read = 0;
      const handler = (slot: number, count: number, src: number, tgt: number, ts: number, bytes: number): void => {
        assert.deepEqual({ slot, count, sourceOffset: src, targetOffset: tgt, lastTimestamp: ts, bytes }, runFor(read));
        read++;
      };
      while (read < 10_000) {
        const burst = Math.floor(rand() * 12);
        for (let k = 0; k < burst && written < 10_000; k++) {
          if (!writeRun(w, runFor(written))) break;
          written++;
        }
        assert.ok(ring.size <= 8);
        r.drain(handler, 1 + Math.floor(rand() * 9));
      }
      assert.equal(written, 10_000);
      assert.equal(read, 10_000);
    });

    void it('keeps working when the 32-bit sequence counters wrap', () => {
      const ring = ProgressRing.create(8);
      // Start both counters 20 short of 2^32 (the header is documented; tests may set it up).
      const h = new Int32Array(ring.buffer, 0, HEADER_BYTES / 4);
      h[Header.HEAD] = -20;
      h[Header.TAIL] = -20;
      const w = ring.writer();
      const r = ring.reader();
      const c = collector();
      for (let i = 0; i < 100; i++) {
        assert.ok(writeRun(w, runFor(i)));
        if (i % 5 === 4) r.drain(c.handler);
      }
      // Fill completely across the boundary too.
      assert.equal(ring.size, 0);
      for (let i = 100; i < 108; i++) assert.ok(writeRun(w, runFor(i)));
      assert.equal(writeRun(w, runFor(108)), false);
      assert.equal(ring.size, 8);
      r.drain(c.handler);
      assert.deepEqual(c.runs, Array.from({ length: 108 }, (_, i) => runFor(i)));
      assert.equal(h[Header.HEAD], (-20 + 108) | 0);
      assert.equal(h[Header.TAIL], 88);
    });

    void it('carries offsets exactly up to 2^53-1 and refuses anything it could not carry exactly', () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      const c = collector();
      const cases: Run[] = [
        { slot: 0xffffffff, count: 0xffffffff, sourceOffset: 2 ** 32 - 1, targetOffset: 2 ** 32, lastTimestamp: NO_TIMESTAMP, bytes: 0 },
        { slot: 0, count: 1, sourceOffset: 2 ** 32 + 1, targetOffset: 2 ** 40 + 12345, lastTimestamp: 0, bytes: 2 ** 40 },
        { slot: 1, count: 1, sourceOffset: MAX_OFFSET, targetOffset: MAX_OFFSET - 1, lastTimestamp: 8.64e15, bytes: 1 },
        { slot: 2, count: 2, sourceOffset: MAX_OFFSET - 1, targetOffset: 0, lastTimestamp: 1, bytes: 1 },
      ];
      for (const run of cases) assert.ok(writeRun(w, run));
      r.drain(c.handler);
      assert.deepEqual(c.runs, cases);
      assert.equal(c.runs[2].sourceOffset, 9007199254740991);

      const bad: [string, Run, RegExp][] = [
        ['2^53 source', { ...cases[1], sourceOffset: 2 ** 53 }, /sourceOffset 9007199254740992/],
        ['2^53 target', { ...cases[1], targetOffset: 2 ** 53 }, /targetOffset/],
        ['run ending past 2^53-1', { ...cases[1], sourceOffset: MAX_OFFSET, count: 2 }, /last offset must stay <= 9007199254740991/],
        ['negative offset', { ...cases[1], sourceOffset: -1 }, /sourceOffset -1/],
        ['fractional offset', { ...cases[1], targetOffset: 1.5 }, /targetOffset 1.5/],
        ['count 0', { ...cases[1], count: 0 }, /count must be an integer in 1/],
        ['count 2^32', { ...cases[1], count: 2 ** 32 }, /count/],
        ['slot -1', { ...cases[1], slot: -1 }, /slot/],
        ['NaN bytes', { ...cases[1], bytes: Number.NaN }, /bytes/],
        ['timestamp below -1', { ...cases[1], lastTimestamp: -2 }, /lastTimestamp/],
      ];
      for (const [name, run, message] of bad) {
        assert.throws(() => writeRun(w, run), (e: unknown) => e instanceof RangeError && message.test(e.message), name);
      }
      assert.equal(ring.size, 0, 'rejected runs must not be published');
    });

    void it('counts a run as consumed when the handler throws on it', () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      for (let i = 0; i < 5; i++) writeRun(w, runFor(i));
      let seen = 0;
      assert.throws(
        () =>
          r.drain(() => {
            if (++seen === 3) throw new Error('boom');
          }),
        /boom/,
      );
      assert.equal(ring.size, 2);
      const c = collector();
      r.drain(c.handler);
      assert.deepEqual(c.runs, [runFor(3), runFor(4)]);
    });

    void it('closes: finished only when drained, no writes after close', () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      writeRun(w, runFor(0));
      w.close();
      w.close(); // idempotent
      assert.equal(new Int32Array(ring.buffer)[Header.CLOSED], CLOSED);
      assert.equal(r.closed, true);
      assert.equal(r.finished, false, 'one run is still waiting');
      assert.throws(() => writeRun(w, runFor(1)), (e: unknown) => e instanceof ProgressRingError && e.code === 'RING_CLOSED');
      r.drain(() => {});
      assert.equal(r.finished, true);
    });

    void it('refuses the blocking write on the main thread', () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      assert.throws(
        () => w.write(0, 1, 0, 0, 0, 0, 10),
        (e: unknown) => e instanceof ProgressRingError && e.code === 'RING_BLOCKING_ON_MAIN_THREAD',
      );
    });
  });

  void describe('progress ring: waitForData', () => {
    void it('resolves true when a run arrives and false on timeout', async () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      let t0 = performance.now();
      assert.equal(await r.waitForData(50), false);
      assert.ok(performance.now() - t0 >= 45, 'waited about the timeout');
      setTimeout(() => writeRun(w, runFor(0)), 20);
      t0 = performance.now();
      assert.equal(await r.waitForData(5000), true);
      assert.ok(performance.now() - t0 < 2000, 'woken by the write, not by the timeout');
      assert.equal(await r.waitForData(5000), true, 'data already there: immediate');
      await assert.rejects(r.waitForData(-1), RangeError);
      await assert.rejects(r.waitForData(Number.POSITIVE_INFINITY), RangeError);
    });

    void it('is woken by close and then reports false', async () => {
      const ring = ProgressRing.create(8);
      const w = ring.writer();
      const r = ring.reader();
      setTimeout(() => w.close(), 20);
      const t0 = performance.now();
      assert.equal(await r.waitForData(5000), false);
      assert.ok(performance.now() - t0 < 2000);
      assert.equal(r.finished, true);
    });

    void it('falls back to polling without Atomics.waitAsync', async () => {
      const atomics = Atomics as { waitAsync?: unknown };
      const saved = atomics.waitAsync;
      atomics.waitAsync = undefined;
      try {
        const ring = ProgressRing.create(8);
        const w = ring.writer();
        const r = ring.reader();
        assert.equal(await r.waitForData(30), false);
        setTimeout(() => writeRun(w, runFor(0)), 20);
        assert.equal(await r.waitForData(5000), true);
      } finally {
        atomics.waitAsync = saved;
      }
    });
  });

  void describe('progress ring: two threads', () => {
    void it('a blocked write times out and returns false without writing', async () => {
      const ring = ProgressRing.create(4);
      const r = ring.reader();
      const { worker, messages } = startWorker({ mode: 'timeout', buffer: ring.buffer, timeoutMs: 100 });
      try {
        assert.deepEqual(await nextMessage(messages), { filled: 4 });
        const result = await nextMessage<{ ok: boolean; elapsedMs: number }>(messages);
        assert.equal(result.ok, false);
        assert.ok(result.elapsedMs >= 99, `blocked for ${result.elapsedMs} ms`);
        assert.equal(r.available, 4, 'the timed-out run was not written');
      } finally {
        await worker.terminate();
      }
    });

    void it('a drain wakes a writer blocked on a full ring', async () => {
      const ring = ProgressRing.create(4);
      const r = ring.reader();
      const { worker, messages } = startWorker({ mode: 'blocked', buffer: ring.buffer, timeoutMs: 20_000 });
      try {
        await nextMessage(messages);
        // Wait until the writer has armed its flag, i.e. it is (about to be) inside Atomics.wait.
        const h = new Int32Array(ring.buffer, 0, HEADER_BYTES / 4);
        while (Atomics.load(h, Header.WRITER_WAITING) !== WAITING) await new Promise((res) => setTimeout(res, 1));
        await new Promise((res) => setTimeout(res, 20));
        const c = collector();
        assert.equal(r.drain(c.handler, 1), 1);
        const result = await nextMessage<{ ok: boolean; elapsedMs: number }>(messages);
        assert.equal(result.ok, true);
        assert.ok(result.elapsedMs < 10_000, `woken after ${result.elapsedMs} ms`);
        r.drain(c.handler);
        assert.deepEqual(c.runs, [0, 1, 2, 3, 4].map(runFor));
      } finally {
        await worker.terminate();
      }
    });

    void it('moves 1,000,000 runs from a worker, each exactly once and in order', async () => {
      const total = 1_000_000;
      const ring = ProgressRing.create(1024);
      const r = ring.reader();
      const { worker, messages } = startWorker({ mode: 'stream', buffer: ring.buffer, total });
      let next = 0;
      let bad: string | undefined;
      // Checked field by field (no object per run) so the reader keeps up with the writer.
      const handler = (slot: number, count: number, src: number, tgt: number, ts: number, bytes: number): void => {
        const i = next++;
        if (
          bad === undefined &&
          (slot !== i % 7 || count !== 1 + (i % 3) || src !== i * 3 || tgt !== 2 ** 40 + i * 3 || ts !== 1_700_000_000_000 + i || bytes !== (i % 1000) * 10)
        ) {
          bad = `run ${i}: got ${JSON.stringify({ slot, count, src, tgt, ts, bytes })}, expected ${JSON.stringify(runFor(i))}`;
        }
      };
      try {
        const deadline = performance.now() + 60_000;
        for (;;) {
          r.drain(handler);
          if (r.finished) break;
          assert.ok(performance.now() < deadline, `stalled after ${next} runs`);
          await r.waitForData(100);
        }
        assert.equal(bad, undefined);
        assert.equal(next, total);
        assert.deepEqual(await nextMessage(messages), { done: total });
      } finally {
        await worker.terminate();
      }
    });
  });
}
