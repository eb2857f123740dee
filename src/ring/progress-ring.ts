/**
 * Progress ring: a single-producer / single-consumer queue of "progress runs" in a
 * SharedArrayBuffer, from one replication worker (the writer) to the coordinator on the main
 * thread (the reader).
 *
 * A progress run says: the target acknowledged `count` records of the worker's partition `slot`,
 * and source offsets s..s+count-1 landed at target offsets t..t+count-1, one to one. The
 * coordinator turns runs into commits and into the exact source->target offset map.
 *
 * Why a ring rather than postMessage: postMessage allocates and structured-clones every message
 * and wakes the receiving event loop for each one. Delivery reports arrive in bursts of thousands;
 * here a report costs six plain stores, one atomic store and one atomic load, and the coordinator
 * takes a whole batch with one atomic load and one atomic store, with no per-entry object.
 *
 * Everything about the memory layout lives in this file: the header slots, their byte offsets,
 * which thread writes each one, the sentinels, and the entry format. Nothing else should index
 * into the buffer; tests may, through the exported constants.
 *
 * ## Buffer layout
 *
 * ```
 *  SharedArrayBuffer (HEADER_BYTES + capacity * ENTRY_BYTES bytes)
 *
 *  byte  i32   slot             written by                 values / sentinels
 *  ----  ----  ---------------  -------------------------  ------------------------------------
 *  cache line 0: fixed at creation, read-only afterwards (except the two claims)
 *     0     0  MAGIC            create() once              RING_MAGIC = 0x53545052 ("STPR")
 *     4     1  VERSION          create() once              LAYOUT_VERSION = 1
 *     8     2  CAPACITY         create() once              entries; power of two, 1..2^24
 *    12     3  ENTRY_SIZE       create() once              ENTRY_BYTES = 40
 *    16     4  WRITER_CLAIM     writer, CAS 0 -> 1 once    CLAIM_FREE = 0 | CLAIM_TAKEN = 1
 *    20     5  READER_CLAIM     reader, CAS 0 -> 1 once    CLAIM_FREE = 0 | CLAIM_TAKEN = 1
 *    24..63    (reserved, zero)
 *  cache line 1: writer side
 *    64    16  HEAD             writer only                entries published so far, mod 2^32
 *    68    17  CLOSED           writer only                OPEN = 0 | CLOSED = 1 (final)
 *    72    18  DATA_SIGNAL      writer only                doorbell: +1 to wake a sleeping reader
 *    76    19  WRITER_WAITING   writer: 1 before sleeping, NOT_WAITING = 0 | WAITING = 1
 *                               0 after; reader: 0 when
 *                               it wakes the writer
 *    80..127   (reserved, zero)
 *  cache line 2: reader side
 *   128    32  TAIL             reader only                entries consumed so far, mod 2^32
 *   132    33  READER_WAITING   reader: 1 before sleeping, NOT_WAITING = 0 | WAITING = 1
 *                               0 after; writer: 0 when
 *                               it wakes the reader
 *   136..191   (reserved, zero)
 *  entries (from HEADER_BYTES = 192; the entry of sequence n is at 192 + (n & (capacity-1)) * 40)
 *   +0  u32 slot            worker's partition slot index (any u32)
 *   +4  u32 count           records in the run, 1..2^32-1 (0 is never written)
 *   +8  f64 sourceOffset    source offset of the first record of the run
 *  +16  f64 targetOffset    target offset of the first record of the run
 *  +24  f64 lastTimestamp   max source timestamp in the run, ms since epoch; -1 = none (Kafka's
 *                           NO_TIMESTAMP)
 *  +32  f64 bytes           payload bytes in the run (key + value), >= 0
 * ```
 *
 * HEAD and TAIL follow the Linux circ_buf naming: the producer advances the head, the consumer
 * advances the tail. The writer owns the entry at `HEAD & mask` until it publishes it; the reader
 * owns the entries from `TAIL` up to (not including) HEAD until it advances TAIL past them. The
 * writer-side and reader-side counters sit on separate 64-byte cache lines so the two threads do
 * not invalidate each other's line on every store.
 *
 * ## Sequence counters and wrap-around
 *
 * HEAD and TAIL count entries, they are not indexes: they start at 0 and only grow, modulo 2^32
 * (they are Int32 slots because Atomics.wait needs an Int32Array; we treat the bits as unsigned).
 * - entries in the ring  = (HEAD - TAIL) mod 2^32, computed as `(head - tail) >>> 0`;
 * - empty when HEAD == TAIL, full when HEAD - TAIL == capacity (no slot is wasted);
 * - the array index of sequence n is `n & (capacity - 1)`, which is also right across the 2^32
 *   wrap because capacity divides 2^32.
 * The arithmetic is unambiguous as long as HEAD - TAIL never exceeds 2^31, which holds because it
 * never exceeds capacity <= 2^24. Counters do wrap in production (2^32 runs is ~7 minutes at 10
 * million runs/s); tests start the counters just below 2^32 to exercise it.
 *
 * ## Memory ordering
 *
 * Entry fields are written and read with plain typed-array accesses; only the header words use
 * Atomics. In the ECMAScript memory model every Atomics operation is sequentially consistent, and
 * an Atomics.load that reads the value of an Atomics.store synchronizes with it: everything the
 * storing thread did before the store (in program order) happens-before everything the loading
 * thread does after the load.
 * - Publish: the writer fills the six fields, then Atomics.store(HEAD, n + 1). The reader does
 *   Atomics.load(HEAD) before reading any field, so when it sees n + 1 it sees entry n complete.
 *   Storing HEAD first (or with a plain store) would let the reader see a half-written entry.
 * - Release: the reader reads the fields of entries up to m, then Atomics.store(TAIL, m + 1). The
 *   writer only reuses slot (m & mask) after an Atomics.load(TAIL) shows it was released, so it
 *   can never overwrite an entry the reader is still reading (no torn 8-byte reads either).
 * - Each side caches the other side's counter. A stale cache is always conservative: the writer
 *   sees less free space than there is, the reader sees fewer entries than there are; both reload
 *   the real counter before concluding "full" or "empty".
 *
 * ## Sleeping and waking without lost wake-ups
 *
 * Neither side notifies on every entry (Atomics.notify takes a lock in the engine). A side that is
 * about to sleep first arms its *_WAITING flag, then re-checks the condition, then waits; the
 * other side, after changing its counter, loads the flag and only if it is armed clears it and
 * notifies. Because all of these are sequentially consistent, either the waker's flag load sees
 * the arm (and it notifies), or the sleeper's re-check sees the new counter (and it does not
 * sleep). The waiting primitive re-checks the watched value atomically with registering, so a
 * notify between the re-check and the wait is not lost either: the wait returns "not-equal".
 * - The writer, when the ring is full, waits with Atomics.wait on TAIL (blocking; workers only).
 * - The reader waits with Atomics.waitAsync on DATA_SIGNAL, not on HEAD, because CLOSED must also
 *   wake it: close() bumps DATA_SIGNAL after setting CLOSED, so a reader that re-checked CLOSED
 *   just before the writer closed still finds DATA_SIGNAL changed and does not sleep.
 * No ABA: between the sleeper's read of the watched word and its wait, the word can move by at
 * most capacity + 1 steps, far from 2^32, so it cannot come back to the same value.
 *
 * ## Never dropping
 *
 * There is no "dropped" counter on purpose: a progress run is the only record that the target
 * acknowledged those source offsets, and losing one would leave a hole that blocks commits
 * forever (or, worse, be papered over). When the ring is full the writer keeps the run: tryWrite
 * returns false and the caller retries later, ideally extending its pending run with further
 * contiguous acknowledgements meanwhile; write() blocks for a bounded time and returns false on
 * timeout so the caller can retry after servicing its event loop. A full ring is backpressure,
 * not loss.
 *
 * ## Why Float64 for the 64-bit fields
 *
 * Kafka offsets and timestamps are int64. The ring stores them as Float64 and the API takes and
 * returns `number`, because that is what the librdkafka binding hands the worker and what the
 * coordinator's offset map computes with, and because BigInt64Array would allocate a BigInt on
 * every read and write (the hot path must not allocate). A Float64 holds every integer in
 * [-(2^53 - 1), 2^53 - 1] exactly; the writer rejects offsets outside [0, 2^53 - 1] with a
 * RangeError instead of rounding silently. 2^53 offsets is 285 years at a million records per
 * second on one partition, so real offsets never get there; timestamps in ms stay below 2^53
 * until the year 287396.
 */
import { isMainThread } from 'node:worker_threads';
import { StraitError } from '../util/errors.js';

// ---------------------------------------------------------------------------------------------
// Layout constants. Header slot constants are Int32Array indexes; byte offset = index * 4.
// ---------------------------------------------------------------------------------------------

/**
 * The ASCII codes of "STPR" read as one number. Written and compared through the same Int32Array,
 * so byte order does not matter. attach() refuses buffers that do not start with it.
 */
export const RING_MAGIC = 0x53545052;
/** Bumped whenever the layout below changes. */
export const LAYOUT_VERSION = 1;

/** Bytes per cache line; writer-side and reader-side header words live on different lines. */
export const CACHE_LINE_BYTES = 64;
/** Header size: three cache lines (fixed fields, writer side, reader side). */
export const HEADER_BYTES = 3 * CACHE_LINE_BYTES;
/** Bytes per entry; a multiple of 8 so every Float64 field is 8-byte aligned. */
export const ENTRY_BYTES = 40;
/** Smallest and largest accepted capacity (entries). 2^24 entries is 640 MiB of ring. */
export const MIN_CAPACITY = 1;
export const MAX_CAPACITY = 1 << 24;

/** Header slot indexes (Int32Array) — see the table at the top of the file. */
export const Header = {
  MAGIC: 0,
  VERSION: 1,
  CAPACITY: 2,
  ENTRY_SIZE: 3,
  WRITER_CLAIM: 4,
  READER_CLAIM: 5,
  HEAD: CACHE_LINE_BYTES / 4,
  CLOSED: CACHE_LINE_BYTES / 4 + 1,
  DATA_SIGNAL: CACHE_LINE_BYTES / 4 + 2,
  WRITER_WAITING: CACHE_LINE_BYTES / 4 + 3,
  TAIL: (2 * CACHE_LINE_BYTES) / 4,
  READER_WAITING: (2 * CACHE_LINE_BYTES) / 4 + 1,
} as const;

/** Sentinel values of the header slots. */
export const CLAIM_FREE = 0;
export const CLAIM_TAKEN = 1;
export const OPEN = 0;
export const CLOSED = 1;
export const NOT_WAITING = 0;
export const WAITING = 1;

/** Entry field byte offsets within an entry. */
export const EntryField = {
  SLOT: 0,
  COUNT: 4,
  SOURCE_OFFSET: 8,
  TARGET_OFFSET: 16,
  LAST_TIMESTAMP: 24,
  BYTES: 32,
} as const;

/** Kafka's "no timestamp" value, accepted as lastTimestamp. */
export const NO_TIMESTAMP = -1;
/** Largest offset a run may reach (its last record included): 2^53 - 1. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

// Strides into the typed-array views of the entry region, derived from the byte layout above so
// that the layout stays the single source of truth.
const U32_PER_ENTRY = ENTRY_BYTES / 4;
const F64_PER_ENTRY = ENTRY_BYTES / 8;
const U32_SLOT = EntryField.SLOT / 4;
const U32_COUNT = EntryField.COUNT / 4;
const F64_SOURCE = EntryField.SOURCE_OFFSET / 8;
const F64_TARGET = EntryField.TARGET_OFFSET / 8;
const F64_TIMESTAMP = EntryField.LAST_TIMESTAMP / 8;
const F64_BYTES = EntryField.BYTES / 8;

/** The callback drain() calls once per run, with scalars only (nothing is allocated per entry). */
export type ProgressHandler = (
  slot: number,
  count: number,
  sourceOffset: number,
  targetOffset: number,
  lastTimestamp: number,
  bytes: number,
) => void;

export type ProgressRingErrorCode =
  | 'RING_LAYOUT' // the buffer is not a progress ring of this layout version
  | 'RING_CLAIMED' // a second writer or reader tried to attach
  | 'RING_CLOSED' // a write after close()
  | 'RING_BLOCKING_ON_MAIN_THREAD'; // write() called on the main thread

export class ProgressRingError extends StraitError {
  declare readonly code: ProgressRingErrorCode;
  constructor(code: ProgressRingErrorCode, message: string) {
    super(code, message);
  }
}

/** Bytes of SharedArrayBuffer needed for a ring of `capacity` entries. */
export function ringByteLength(capacity: number): number {
  validateCapacity(capacity);
  return HEADER_BYTES + capacity * ENTRY_BYTES;
}

function validateCapacity(capacity: number): void {
  if (
    !Number.isInteger(capacity) ||
    capacity < MIN_CAPACITY ||
    capacity > MAX_CAPACITY ||
    (capacity & (capacity - 1)) !== 0
  ) {
    const hint =
      Number.isFinite(capacity) && capacity >= MIN_CAPACITY && capacity <= MAX_CAPACITY
        ? ` (nearest powers of two: ${2 ** Math.floor(Math.log2(capacity))} or ${2 ** Math.ceil(Math.log2(capacity))})`
        : '';
    throw new RangeError(
      `progress ring capacity must be a power of two between ${MIN_CAPACITY} and ${MAX_CAPACITY} entries, got ${String(capacity)}${hint}`,
    );
  }
}

/**
 * A progress ring over one SharedArrayBuffer. Create it on the coordinator, send `buffer` to the
 * worker (workerData or postMessage share the memory, they do not copy it), attach it there and
 * take the writer; keep the reader on the coordinator. Exactly one writer and one reader may
 * ever attach (the claims in the header enforce it across threads); a replacement worker gets a
 * new ring after the coordinator drained the old one.
 */
export class ProgressRing {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  /** @internal Header words; exposed for the reader/writer classes and layout tests. */
  readonly header: Int32Array;

  private constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.buffer = buffer;
    this.capacity = capacity;
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
  }

  /** Allocate and initialise a ring of `capacity` entries (a power of two, 1..2^24). */
  static create(capacity: number): ProgressRing {
    const buffer = new SharedArrayBuffer(ringByteLength(capacity));
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    // A fresh SharedArrayBuffer is zero-filled, so every counter, flag and claim starts at its
    // zero sentinel. The fixed fields are written before the buffer is shared with anyone;
    // Atomics.store is not needed for visibility (postMessage/workerData hand-off orders it) but
    // keeps every header access uniform.
    Atomics.store(header, Header.MAGIC, RING_MAGIC);
    Atomics.store(header, Header.VERSION, LAYOUT_VERSION);
    Atomics.store(header, Header.CAPACITY, capacity);
    Atomics.store(header, Header.ENTRY_SIZE, ENTRY_BYTES);
    return new ProgressRing(buffer, capacity);
  }

  /** Wrap a buffer made by create() (e.g. received through workerData), checking its layout. */
  static attach(buffer: SharedArrayBuffer): ProgressRing {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`progress ring: expected a SharedArrayBuffer, got ${describe(buffer)}`);
    }
    if (buffer.byteLength < HEADER_BYTES) {
      throw layoutError(`buffer of ${buffer.byteLength} bytes is smaller than the ${HEADER_BYTES}-byte header`);
    }
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    const magic = Atomics.load(header, Header.MAGIC);
    if (magic !== RING_MAGIC) {
      throw layoutError(`magic is 0x${(magic >>> 0).toString(16)}, expected 0x${RING_MAGIC.toString(16)}`);
    }
    const version = Atomics.load(header, Header.VERSION);
    if (version !== LAYOUT_VERSION) {
      throw layoutError(`layout version ${version}, this build reads version ${LAYOUT_VERSION}`);
    }
    const entrySize = Atomics.load(header, Header.ENTRY_SIZE);
    if (entrySize !== ENTRY_BYTES) {
      throw layoutError(`entry size ${entrySize}, expected ${ENTRY_BYTES}`);
    }
    const capacity = Atomics.load(header, Header.CAPACITY);
    try {
      validateCapacity(capacity);
    } catch (err) {
      throw layoutError(`stored capacity is invalid: ${(err as Error).message}`);
    }
    const expected = HEADER_BYTES + capacity * ENTRY_BYTES;
    if (buffer.byteLength !== expected) {
      throw layoutError(`buffer is ${buffer.byteLength} bytes, a ring of ${capacity} entries needs ${expected}`);
    }
    return new ProgressRing(buffer, capacity);
  }

  /** Claim the writer side. Throws if a writer already attached (in any thread). */
  writer(): ProgressRingWriter {
    claim(this.header, Header.WRITER_CLAIM, 'writer');
    return new ProgressRingWriter(this);
  }

  /** Claim the reader side. Throws if a reader already attached (in any thread). */
  reader(): ProgressRingReader {
    claim(this.header, Header.READER_CLAIM, 'reader');
    return new ProgressRingReader(this);
  }

  /** Entries published and not yet consumed (a snapshot; either side may move right after). */
  get size(): number {
    return (Atomics.load(this.header, Header.HEAD) - Atomics.load(this.header, Header.TAIL)) >>> 0;
  }

  /** True once the writer called close(). */
  get closed(): boolean {
    return Atomics.load(this.header, Header.CLOSED) === CLOSED;
  }
}

function claim(header: Int32Array, index: number, side: string): void {
  // compareExchange makes the claim exclusive even if two threads race to attach the same side.
  if (Atomics.compareExchange(header, index, CLAIM_FREE, CLAIM_TAKEN) !== CLAIM_FREE) {
    throw new ProgressRingError(
      'RING_CLAIMED',
      `progress ring already has a ${side}; a ring is single-producer/single-consumer, create one ring per worker`,
    );
  }
}

function layoutError(detail: string): ProgressRingError {
  return new ProgressRingError('RING_LAYOUT', `not a progress ring (layout v${LAYOUT_VERSION}): ${detail}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v.constructor as { name?: string } | undefined)?.name ?? 'an object';
  return typeof v;
}

/**
 * Atomics.waitAsync is ES2024 (the compile target's lib is ES2023); Node 20 has it. Typed here as
 * optional so the code also covers runtimes without it.
 */
interface AtomicsWithWaitAsync {
  waitAsync?: (
    typedArray: Int32Array,
    index: number,
    value: number,
    timeoutMs?: number,
  ) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

function validateTimeout(timeoutMs: number): void {
  if (!(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(`timeoutMs must be a finite number >= 0, got ${String(timeoutMs)}`);
  }
}

/**
 * The worker's end. Not thread-safe by design: exactly one writer, used from one thread.
 */
export class ProgressRingWriter {
  private readonly header: Int32Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private readonly mask: number;
  readonly capacity: number;
  /** Our own HEAD (we are its only writer, so no need to load it back). Int32 bits. */
  private head: number;
  /** Last TAIL we loaded; may be stale, which only underestimates free space. */
  private tailCache: number;
  private isClosed = false;

  /** @internal use ProgressRing.writer() */
  constructor(ring: ProgressRing) {
    this.header = ring.header;
    this.capacity = ring.capacity;
    this.mask = ring.capacity - 1;
    this.u32 = new Uint32Array(ring.buffer, HEADER_BYTES, ring.capacity * U32_PER_ENTRY);
    this.f64 = new Float64Array(ring.buffer, HEADER_BYTES, ring.capacity * F64_PER_ENTRY);
    // Start from whatever the header says (zero for a new ring), never assume 0.
    this.head = Atomics.load(this.header, Header.HEAD);
    this.tailCache = Atomics.load(this.header, Header.TAIL);
    this.isClosed = Atomics.load(this.header, Header.CLOSED) === CLOSED;
  }

  /**
   * Publish one run if there is room. Returns false, without side effects, when the ring is full;
   * the caller keeps the run and retries (see "Never dropping"). Throws RangeError for values
   * outside the documented domain and ProgressRingError after close(). Allocation-free.
   */
  tryWrite(slot: number, count: number, sourceOffset: number, targetOffset: number, lastTimestamp: number, bytes: number): boolean {
    checkEntry(slot, count, sourceOffset, targetOffset, lastTimestamp, bytes);
    if (this.isClosed) throw closedError();
    return this.publish(slot, count, sourceOffset, targetOffset, lastTimestamp, bytes);
  }

  /**
   * Publish one run, blocking the calling thread with Atomics.wait while the ring is full, for at
   * most `timeoutMs`. Returns false on timeout (the run was NOT written; keep it and retry).
   *
   * Only for worker threads: Atomics.wait freezes the whole event loop of the calling thread, and
   * on the main thread that would stall the coordinator, which is the very reader that has to
   * make room — a deadlock until the timeout. It therefore throws on the main thread.
   */
  write(slot: number, count: number, sourceOffset: number, targetOffset: number, lastTimestamp: number, bytes: number, timeoutMs: number): boolean {
    checkEntry(slot, count, sourceOffset, targetOffset, lastTimestamp, bytes);
    validateTimeout(timeoutMs);
    // Refused on the main thread even when there is room, so misuse fails on the first call
    // rather than only under load.
    if (isMainThread) {
      throw new ProgressRingError(
        'RING_BLOCKING_ON_MAIN_THREAD',
        'ProgressRingWriter.write() blocks with Atomics.wait and may only be called from a worker thread; use tryWrite() on the main thread',
      );
    }
    if (this.isClosed) throw closedError();
    if (this.publish(slot, count, sourceOffset, targetOffset, lastTimestamp, bytes)) return true;
    const header = this.header;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      // Arm, re-check, wait (see "Sleeping and waking"). The re-check must come after the arm:
      // a reader that advanced TAIL before seeing the arm is caught by this load instead.
      Atomics.store(header, Header.WRITER_WAITING, WAITING);
      const tail = Atomics.load(header, Header.TAIL);
      if (((this.head - tail) >>> 0) >= this.capacity) {
        // Returns 'not-equal' at once if TAIL already moved; a notify from the reader or the
        // timeout ends it otherwise. Either way we loop and re-check.
        Atomics.wait(header, Header.TAIL, tail, remaining);
      }
      Atomics.store(header, Header.WRITER_WAITING, NOT_WAITING);
      if (this.publish(slot, count, sourceOffset, targetOffset, lastTimestamp, bytes)) return true;
    }
  }

  /**
   * Say that no more runs will come. Idempotent. Wakes a reader sleeping in waitForData(): the
   * DATA_SIGNAL bump is what makes the wake-up race-free (see "Sleeping and waking").
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // CLOSED is stored after the last HEAD store (program order, both SeqCst): a reader that sees
    // CLOSED and then loads HEAD sees every published entry.
    Atomics.store(this.header, Header.CLOSED, CLOSED);
    Atomics.add(this.header, Header.DATA_SIGNAL, 1);
    Atomics.notify(this.header, Header.DATA_SIGNAL);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Free entries right now (reloads TAIL). */
  get free(): number {
    this.tailCache = Atomics.load(this.header, Header.TAIL);
    return this.capacity - ((this.head - this.tailCache) >>> 0);
  }

  private publish(slot: number, count: number, sourceOffset: number, targetOffset: number, lastTimestamp: number, bytes: number): boolean {
    const head = this.head;
    if (((head - this.tailCache) >>> 0) >= this.capacity) {
      // Full according to the cache; only now pay for an atomic load of the real TAIL.
      this.tailCache = Atomics.load(this.header, Header.TAIL);
      if (((head - this.tailCache) >>> 0) >= this.capacity) return false;
    }
    const index = head & this.mask;
    const u = index * U32_PER_ENTRY;
    const f = index * F64_PER_ENTRY;
    this.u32[u + U32_SLOT] = slot;
    this.u32[u + U32_COUNT] = count;
    this.f64[f + F64_SOURCE] = sourceOffset;
    this.f64[f + F64_TARGET] = targetOffset;
    this.f64[f + F64_TIMESTAMP] = lastTimestamp;
    this.f64[f + F64_BYTES] = bytes;
    // Publish: the fields above happen-before any reader load that observes this store.
    const next = (head + 1) | 0;
    this.head = next;
    Atomics.store(this.header, Header.HEAD, next);
    // Wake the reader only if it armed its flag; this load must come after the HEAD store.
    if (Atomics.load(this.header, Header.READER_WAITING) !== NOT_WAITING) {
      Atomics.store(this.header, Header.READER_WAITING, NOT_WAITING);
      Atomics.add(this.header, Header.DATA_SIGNAL, 1);
      Atomics.notify(this.header, Header.DATA_SIGNAL);
    }
    return true;
  }
}

function closedError(): ProgressRingError {
  return new ProgressRingError('RING_CLOSED', 'progress ring writer is closed; no further runs can be written');
}

// Validation is a handful of comparisons; the messages are only built when something is wrong.
function checkEntry(slot: number, count: number, sourceOffset: number, targetOffset: number, lastTimestamp: number, bytes: number): void {
  if (slot >>> 0 !== slot) throw new RangeError(`progress run: slot must be an integer in 0..2^32-1, got ${slot}`);
  if (count >>> 0 !== count || count === 0) {
    throw new RangeError(`progress run: count must be an integer in 1..2^32-1, got ${count}`);
  }
  const maxFirst = MAX_OFFSET - count + 1;
  if (!Number.isInteger(sourceOffset) || sourceOffset < 0 || sourceOffset > maxFirst) {
    throw offsetRangeError('sourceOffset', sourceOffset, count);
  }
  if (!Number.isInteger(targetOffset) || targetOffset < 0 || targetOffset > maxFirst) {
    throw offsetRangeError('targetOffset', targetOffset, count);
  }
  if (!(lastTimestamp >= NO_TIMESTAMP) || !Number.isFinite(lastTimestamp)) {
    throw new RangeError(`progress run: lastTimestamp must be a finite number of ms >= -1, got ${lastTimestamp}`);
  }
  if (!(bytes >= 0) || !Number.isFinite(bytes)) {
    throw new RangeError(`progress run: bytes must be a finite number >= 0, got ${bytes}`);
  }
}

function offsetRangeError(field: string, value: number, count: number): RangeError {
  return new RangeError(
    `progress run: ${field} ${value} with count ${count} is outside 0..2^53-1 ` +
      `(offsets travel as exact doubles; the run's last offset must stay <= ${MAX_OFFSET})`,
  );
}

/**
 * The coordinator's end. Not thread-safe by design: exactly one reader, used from one thread.
 */
export class ProgressRingReader {
  private readonly header: Int32Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private readonly mask: number;
  readonly capacity: number;
  /** Our own TAIL (we are its only writer). Int32 bits. */
  private tail: number;

  /** @internal use ProgressRing.reader() */
  constructor(ring: ProgressRing) {
    this.header = ring.header;
    this.capacity = ring.capacity;
    this.mask = ring.capacity - 1;
    this.u32 = new Uint32Array(ring.buffer, HEADER_BYTES, ring.capacity * U32_PER_ENTRY);
    this.f64 = new Float64Array(ring.buffer, HEADER_BYTES, ring.capacity * F64_PER_ENTRY);
    this.tail = Atomics.load(this.header, Header.TAIL);
  }

  /** Entries ready to drain right now. */
  get available(): number {
    return (Atomics.load(this.header, Header.HEAD) - this.tail) >>> 0;
  }

  /** True once the writer closed the ring (entries may still be waiting to be drained). */
  get closed(): boolean {
    return Atomics.load(this.header, Header.CLOSED) === CLOSED;
  }

  /**
   * True when the writer closed the ring and every entry has been drained: nothing more will come.
   * CLOSED is loaded before HEAD on purpose; in the other order a final publish + close could fall
   * between the two loads and we would report "finished" with an entry still unread.
   */
  get finished(): boolean {
    if (Atomics.load(this.header, Header.CLOSED) !== CLOSED) return false;
    return Atomics.load(this.header, Header.HEAD) === this.tail;
  }

  /**
   * Hand up to `max` runs, oldest first, to `handler`, then release their slots with one atomic
   * store and wake a writer blocked on a full ring. Returns the number of runs handled.
   *
   * Pass a handler created once, not a fresh closure per call, to keep this allocation-free. The
   * handler must not call drain() on the same reader. If it throws, the runs handed to it so far,
   * including the one that threw, count as consumed (re-delivering a run the coordinator may have
   * half-applied would be worse) and the exception propagates.
   */
  drain(handler: ProgressHandler, max: number = this.capacity): number {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`drain: max must be an integer >= 0, got ${max}`);
    // One acquire for the whole batch: every entry below this HEAD is complete.
    const head = Atomics.load(this.header, Header.HEAD);
    let n = (head - this.tail) >>> 0;
    if (n > max) n = max;
    if (n <= 0) return 0;
    const u32 = this.u32;
    const f64 = this.f64;
    let seq = this.tail;
    let done = 0;
    try {
      while (done < n) {
        const index = seq & this.mask;
        const u = index * U32_PER_ENTRY;
        const f = index * F64_PER_ENTRY;
        seq = (seq + 1) | 0;
        done++;
        handler(u32[u + U32_SLOT], u32[u + U32_COUNT], f64[f + F64_SOURCE], f64[f + F64_TARGET], f64[f + F64_TIMESTAMP], f64[f + F64_BYTES]);
      }
    } finally {
      this.release(seq);
    }
    return done;
  }

  /**
   * Wake a writer blocked in write() so it re-checks the ring now (for instance during shutdown).
   * drain() already does this when the writer announced it is waiting.
   */
  wakeWriter(): void {
    Atomics.store(this.header, Header.WRITER_WAITING, NOT_WAITING);
    Atomics.notify(this.header, Header.TAIL);
  }

  /**
   * Resolve true as soon as at least one entry can be drained, false when `timeoutMs` passes
   * first or when the writer closed the ring and it is empty (check `finished`). Never blocks the
   * thread: it uses Atomics.waitAsync, or a short-interval poll where that is unavailable.
   *
   * Typical loop on the coordinator:
   *   for (;;) { reader.drain(onRun); if (reader.finished) break; await reader.waitForData(100); }
   */
  async waitForData(timeoutMs: number): Promise<boolean> {
    validateTimeout(timeoutMs);
    const header = this.header;
    const deadline = performance.now() + timeoutMs;
    let pollMs = 1;
    for (;;) {
      // Order: DATA_SIGNAL snapshot, arm, then CLOSED before HEAD (see `finished`). A writer event
      // after the snapshot changes DATA_SIGNAL, so the wait below returns at once instead of
      // sleeping through it.
      const signal = Atomics.load(header, Header.DATA_SIGNAL);
      Atomics.store(header, Header.READER_WAITING, WAITING);
      const closed = Atomics.load(header, Header.CLOSED) === CLOSED;
      if (Atomics.load(header, Header.HEAD) !== this.tail) {
        Atomics.store(header, Header.READER_WAITING, NOT_WAITING);
        return true;
      }
      const remaining = deadline - performance.now();
      if (closed || remaining <= 0) {
        Atomics.store(header, Header.READER_WAITING, NOT_WAITING);
        return false;
      }
      // Looked up on every wait (not cached at load) so tests can take it away to cover the fallback.
      const atomics = Atomics as AtomicsWithWaitAsync;
      if (typeof atomics.waitAsync === 'function') {
        const result = atomics.waitAsync(header, Header.DATA_SIGNAL, signal, remaining);
        if (result.async) {
          // Race the wait against a ref'd timer: in Node 20 a pending waitAsync does not keep the
          // event loop alive, so without the timer the process could exit mid-wait.
          const pending = result.value;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, remaining);
            void pending.then(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        // else: 'not-equal' synchronously; DATA_SIGNAL moved, loop to see why.
      } else {
        // Fallback: poll with a growing interval (1, 2, 4 .. 16 ms), bounded by the deadline.
        await new Promise<void>((resolve) => setTimeout(resolve, Math.min(pollMs, remaining)));
        if (pollMs < 16) pollMs *= 2;
      }
      Atomics.store(header, Header.READER_WAITING, NOT_WAITING);
    }
  }

  private release(seq: number): void {
    this.tail = seq;
    // Release the slots: our reads of them happen-before the writer's reuse of them.
    Atomics.store(this.header, Header.TAIL, seq);
    // Wake the writer only if it armed its flag; this load must come after the TAIL store.
    if (Atomics.load(this.header, Header.WRITER_WAITING) !== NOT_WAITING) {
      Atomics.store(this.header, Header.WRITER_WAITING, NOT_WAITING);
      Atomics.notify(this.header, Header.TAIL);
    }
  }
}
