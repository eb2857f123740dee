/**
 * The replication loop of one worker for one flow: records from the source consumer go,
 * unchanged, to the same partition of the remote topic through the idempotent producer;
 * delivery reports turn into progress runs written to the worker's progress ring. The loop sees
 * each record only as numbers (src/worker/source-batch.ts): with the binding the record itself
 * is copied from the consumer to the producer in native code (native-notes/relay-fast-path.md).
 *
 * This module knows nothing of the binding: it talks to a SourceConsumer, a TargetProducer and a
 * ProgressWriter, so unit tests drive it with fakes and the integration tests with the real
 * adapters (src/kafka/relay-clients.ts).
 *
 * Ordering and offsets:
 * - A slot is the worker's index for one assigned source partition. Records of one partition are
 *   produced in source order; the idempotent producer acknowledges them in that order, so the
 *   head of the slot's InFlightQueue is the record each delivery report is about.
 * - Progress only moves forward over acknowledged records. Once a record of a slot fails for
 *   good, later acknowledgements of that slot are not reported: the committed position stays at
 *   the failed record, and nothing after it counts as replicated.
 * - A run is a stretch of acknowledged records whose source offsets and target offsets both
 *   advance by one; it is written to the ring as one entry (slot, count, first source offset,
 *   first target offset, newest timestamp, bytes).
 *
 * Data loss at the source (retention deleted records before they were copied): the consumer stops
 * such a partition (auto.offset.reset=error); checkForLoss() finds it, halts the slot and, once
 * the slot's records in flight are acknowledged, reports the exact missing range (`dataLoss`).
 * The coordinator decides: resumeAt() the log start, or leave the slot halted.
 * Offset-preserving slots (flow mode offset-preserving, see src/coordinator/preserve.ts): a record
 * must land at its own source offset. The checks cost nothing per record on the common path: a
 * source record that is not the expected next offset is already a branch (gaps are rare), and a
 * delivery report is compared only when it opens a new run (inside a run both offsets advance
 * by one, so equal stays equal).
 *
 * Memory is bounded: when the records in flight reach `maxInFlight`, the loop stops polling the
 * consumer (librdkafka then stops fetching once its own bounded pre-fetch queue is full) until
 * acknowledgements bring the count below the low-water mark. Nothing is dropped.
 */
import type { OnDivergence } from '../config/types.js';
import { InFlightQueue } from './inflight.js';
import { refusalText } from './refusal.js';
import { classifyPosition, shouldCheck } from './data-loss.js';
import { META_STRIDE, M_OFFSET, M_PARTITION, M_SIZE, M_TIMESTAMP, M_TOPIC, type SourceBatch } from './source-batch.js';

export type { HeaderList, SourceBatch, SourceRecord } from './source-batch.js';

export interface PartitionStart {
  topic: string;
  partition: number;
  /** Next source offset to read; -2 = the beginning of the log. */
  offset: number;
}

export interface SourceConsumer {
  /** Adds partitions to the consumer's assignment, starting at the given offsets. */
  assign(parts: PartitionStart[]): void;
  /** Removes partitions from the assignment. */
  unassign(parts: { topic: string; partition: number }[]): void;
  /**
   * Up to `max` records; resolves with an empty batch after the consumer's poll timeout. The
   * batch (and the records the producer copies from it) stays valid until the next call.
   */
  consume(max: number): Promise<SourceBatch>;
  /** The partition's high watermark as last seen in fetch responses (no network call). */
  highWatermark(topic: string, partition: number): number;
  /**
   * The partition's log start and end offsets, asked of the cluster (a round trip). Absent in
   * adapters that do not take part in data-loss detection (some unit-test fakes).
   */
  watermarks?(topic: string, partition: number): Promise<{ low: number; high: number }>;
  /**
   * Called when the consumer stopped fetching some assigned partition because its position is
   * out of range (librdkafka's ERR__AUTO_OFFSET_RESET with auto.offset.reset=error). The binding
   * does not say which partition, and loses the error when it arrives mid-batch: the relay finds
   * the partition with its own checks; this only makes the next check come sooner.
   */
  onOffsetOutOfRange?(handler: () => void): void;
  close(): Promise<void>;
}

export type DeliveryHandler = (errorCode: number, errorMessage: string | undefined, topic: string, partition: number, offset: number) => void;

export interface TargetProducer {
  /**
   * Queues a copy of record `index` of the consumer's current batch (key, value, headers and
   * timestamp as they are) for `partition` of `topic`; returns 0 or a librdkafka error code
   * (e.g. QUEUE_FULL). Never throws.
   */
  produce(topic: string, partition: number, batch: SourceBatch, index: number): number;
  onDelivery(handler: DeliveryHandler): void;
  /** Re-reads the topic's metadata (its partition count) from the cluster. */
  refreshMetadata(topic: string): Promise<void>;
  close(): Promise<void>;
}

export interface ProgressWriter {
  /** Non-blocking; false when the ring is full (the caller keeps the entry and retries). */
  tryWrite(slot: number, count: number, sourceOffset: number, targetOffset: number, lastTimestamp: number, bytes: number): boolean;
}

export interface LatencySink {
  /** Target acknowledgement time minus the source record's timestamp. */
  replication(ms: number): void;
  /** Target acknowledgement time minus the time the worker received the record. */
  relay(ms: number): void;
}

export interface SlotError {
  slot: number;
  topic: string;
  partition: number;
  /** Source offset of the record that failed. */
  offset: number;
  code: number;
  message: string;
  /** Set when an offset-preserving slot stopped because offsets diverged (code is then 0). */
  divergence?: true;
}

export interface SlotDivergence {
  slot: number;
  topic: string;
  partition: number;
  /** The offset the record should have had (the source offset expected next, or its own). */
  expected: number;
  actual: number;
  message: string;
}

/** Records retention removed from the source before they were copied: offsets [from, to). */
export interface DataLoss {
  slot: number;
  topic: string;
  partition: number;
  /** The next offset the relay would have copied. */
  from: number;
  /** The source log start when the loss was found: the first offset that still exists. */
  to: number;
  /** The source log end (high watermark) at that time. */
  logEnd: number;
}

export interface RelayEvents {
  /** A slot stopped for good (the record at `offset` was not replicated). */
  slotFailed(err: SlotError): void;
  /**
   * The slot's partition lost records at the source: the slot is halted (nothing more is read;
   * acknowledgements of records already in flight still count) until resumeAt() or revoke().
   */
  dataLoss?(loss: DataLoss): void;
  /**
   * The slot's position was past the source log end (truncated or re-created partition): the
   * relay went on from the log start by itself, as auto.offset.reset=earliest would.
   */
  positionReset?(reset: { slot: number; topic: string; partition: number; from: number; to: number; logEnd: number }): void;
  /** Every record of these revoked slots was acknowledged and reported to the ring. */
  slotsDrained(slots: number[]): void;
  /** An offset-preserving slot diverged and goes on with offset translation (onDivergence: translate). */
  slotTranslating?(d: SlotDivergence): void;
  /** A record met NOT_READY: the slot reads it again (see retrySlot). */
  slotRetrying?(e: SlotError): void;
}

export interface RelayOptions {
  maxInFlight: number;
  batchSize: number;
  /**
   * exactly-once: progress is held back until the transaction that wrote it is committed
   * (src/worker/transactions.ts calls releaseHeld / abortHeld), so the coordinator never counts
   * a record a read_committed consumer cannot see.
   */
  holdProgress?: boolean;
  /** exactly-once: a revocation needs a transaction commit before its slots count as drained. */
  onRevokeRequested?: () => void;
  /** The clock of the loss checks and latencies (tests move it); default Date.now. */
  clock?: () => number;
  /**
   * Data-loss checks (see data-loss.ts): a slot is checked once it has had no record for
   * `quietMs`, and not again at the same position for `recheckMs`. Defaults 2 s and 30 s.
   */
  lossCheck?: { quietMs: number; recheckMs: number };
  /** Offset-preserving slots: what a divergence does (default stop-partition). */
  onDivergence?: OnDivergence;
}

const QUEUE_FULL = -184;
/** Delivery reports of records purged by an aborted transaction (or a closing producer): not the record's fault. */
const PURGE_QUEUE = -152;
const PURGE_INFLIGHT = -151;
/** The producer's metadata does not know the partition (or topic) yet: it was just created. */
const UNKNOWN_PARTITION = -190;
const UNKNOWN_TOPIC = -188;
/** How long a just-created remote topic or partition may stay unknown before the slot fails. */
const METADATA_WAIT_MS = 60_000;

const enum SlotState {
  Active,
  Revoking,
  Failed,
  /** Halted on data loss: not reading, in-flight acknowledgements still count; see resumeAt(). */
  Lost,
  Free,
  /**
   * The target answered that the partition does not exist (yet): not reading; acknowledgements of
   * records after the failed one do not count; read again from `retryFrom` (see retrySlot()).
   */
  Retrying,
}

/**
 * Delivery errors that mean the target partition is not ready, not that the record is refused:
 * UNKNOWN_TOPIC_OR_PART (3) and librdkafka's local unknown topic (-188) and partition (-190).
 * librdkafka reports them for good for a topic created moments ago when a broker does not know
 * it yet (librdkafka#4904), which happens when strait creates many remote topics at once.
 */
const NOT_READY = new Set([3, -188, -190]);
/** Loss checks (checkForLoss) per round, and at most this many at once. */
export const LOSS_CHECKS_PER_ROUND = 64;
export const LOSS_CHECKS_IN_FLIGHT = 4;
/** Before a slot that met NOT_READY reads its record again. */
export const NOT_READY_RETRY_MS = 1_000;
/** How long a slot goes on meeting NOT_READY before it stops with the error. */
export const NOT_READY_GIVE_UP_MS = 120_000;

class Slot {
  state = SlotState.Free;
  topic = '';
  partition = -1;
  targetTopic = '';
  // Starts small and doubles as needed: 16 entries are 512 bytes, 256 were 8 KiB, 80 MB at
  // 10,000 partitions (bench/README.md, "Many partitions").
  readonly inflight = new InFlightQueue(16);
  /** Next source offset expected from the consumer (to notice gaps and stale records). */
  nextOffset = -1;
  /** Records must land at their source offset (offset-preserving mode, until a divergence). */
  preserve = false;
  // The open run (not yet written to the ring).
  runCount = 0;
  runSource = 0;
  runTarget = 0;
  runTimestamp = 0;
  runBytes = 0;
  /** exactly-once: next source offset as of the last committed transaction (-2: the log start). */
  committedNext = -1;
  /**
   * exactly-once: the source offset of the record the target refused for good (-1: none). The
   * refusal aborts the whole transaction, records before it too; abortHeld() reads those again
   * and the slot halts, unreported a second time, when it reaches this offset.
   */
  refusedAt = -1;
  /** Retrying: the source offset to read again from; and since when (0: not retrying) the slot meets NOT_READY. */
  retryFrom = -1;
  retrySince = 0;
  // Data-loss checks (data-loss.ts): when the slot last got a record, and the last clean check.
  lastRecordAt = 0;
  checkedOffset = -1;
  checkedAt = -1;
  /** A loss found on this slot, reported once its records in flight are acknowledged. */
  pendingLoss: DataLoss | undefined;
}

/** One partition for assignAll(). */
export interface SlotAssignment {
  slot: number;
  topic: string;
  partition: number;
  targetTopic: string;
  offset: number;
  preserveOffsets?: boolean;
}

export class Relay {
  private readonly slots: Slot[] = [];
  private readonly bySource = new Map<string, number[]>();
  private readonly byTarget = new Map<string, number[]>();
  private inFlight = 0;
  private stopping = false;
  /** Counters since start, read by the stats timer (plain increments on the hot path). */
  readonly counters = { recordsIn: 0, recordsAcked: 0, bytesAcked: 0, recordsFailed: 0, ringFull: 0 };
  private flushScheduled = false;
  private drainWaiters: (() => void)[] = [];
  /** Ring entries that did not fit yet, in order: [slot, count, src, tgt, ts, bytes]*. */
  private readonly pending: number[] = [];
  private pendingTimer: NodeJS.Timeout | undefined;
  private readonly revoking = new Set<number>();
  private readonly clock: () => number;
  private readonly lowWater: number;
  /** exactly-once: runs of the open transaction, [slot, count, src, tgt, ts, bytes]*, in order. */
  private readonly held: number[] = [];
  /** exactly-once: intake is paused while a transaction commits; the loop parks at `gate`. */
  private gate: Promise<void> | undefined;
  private openGate: () => void = () => undefined;
  private parkedWaiters: (() => void)[] = [];
  private parked = false;
  private readonly lossCheck: { quietMs: number; recheckMs: number };
  private lossCheckAt = 0;
  private lossChecking = false;
  /** Some slot has a pendingLoss (saves a scan of the slots after every burst of acknowledgements). */
  private lossesPending = false;
  /** Until when checks ignore recheckMs: the consumer reported an out-of-range position. */
  private lossForceUntil = 0;

  constructor(
    private readonly consumer: SourceConsumer,
    private readonly producer: TargetProducer,
    private readonly ring: ProgressWriter,
    private readonly latency: LatencySink,
    private readonly events: RelayEvents,
    private readonly options: RelayOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.lowWater = Math.floor(options.maxInFlight / 2);
    this.lossCheck = options.lossCheck ?? { quietMs: 2_000, recheckMs: 30_000 };
    producer.onDelivery(this.onDelivery);
    consumer.onOffsetOutOfRange?.(() => {
      this.lossForceUntil = this.clock() + 2 * this.lossCheck.quietMs;
      this.lossCheckAt = 0;
    });
  }

  get recordsInFlight(): number {
    return this.inFlight;
  }

  /** Starts relaying a source partition at `offset` into `targetTopic` (same partition). */
  assign(slot: number, topic: string, partition: number, targetTopic: string, offset: number, preserveOffsets = false): void {
    this.assignAll([{ slot, topic, partition, targetTopic, offset, preserveOffsets }]);
  }

  /**
   * assign() for many partitions, with ONE call to the consumer: librdkafka serves every
   * incremental assign on its main thread by walking the whole assignment, so one call per
   * partition costs O(n^2) (minutes of start-up at 10,000 partitions; bench/README.md, "Many
   * partitions").
   */
  assignAll(parts: readonly SlotAssignment[]): void {
    const starts: { topic: string; partition: number; offset: number }[] = [];
    for (const p of parts) starts.push(this.prepareSlot(p.slot, p.topic, p.partition, p.targetTopic, p.offset, p.preserveOffsets === true));
    if (starts.length > 0) this.consumer.assign(starts);
  }

  private prepareSlot(slot: number, topic: string, partition: number, targetTopic: string, offset: number, preserveOffsets: boolean): { topic: string; partition: number; offset: number } {
    while (this.slots.length <= slot) this.slots.push(new Slot());
    const s = this.slots[slot];
    if (s.state !== SlotState.Free) throw new Error(`slot ${slot} is already in use by ${s.topic}-${s.partition}`);
    s.state = SlotState.Active;
    s.topic = topic;
    s.partition = partition;
    s.targetTopic = targetTopic;
    s.nextOffset = offset;
    s.committedNext = offset;
    s.refusedAt = -1;
    s.retryFrom = -1;
    s.retrySince = 0;
    s.preserve = preserveOffsets;
    s.runCount = 0;
    s.inflight.clear();
    s.lastRecordAt = this.clock();
    s.checkedOffset = -1;
    s.checkedAt = -1;
    s.pendingLoss = undefined;
    index(this.bySource, topic, partition, slot);
    index(this.byTarget, targetTopic, partition, slot);
    return { topic, partition, offset };
  }

  /**
   * Stops reading these slots; `slotsDrained` fires once their records in flight are
   * acknowledged. `lost`: the group took them away (see RevokeMessage); in exactly-once the open
   * transaction must then abort, since its records may be written by the new owner already.
   */
  revoke(slots: number[], lost = false): void {
    if (lost && this.options.holdProgress) this.lostInTransaction = true;
    const parts: { topic: string; partition: number }[] = [];
    for (const slot of slots) {
      const s = this.slots[slot];
      if (!s || s.state === SlotState.Free) continue;
      if (s.state === SlotState.Active) {
        parts.push({ topic: s.topic, partition: s.partition });
        s.state = SlotState.Revoking;
      } else if (s.state === SlotState.Lost) {
        s.state = SlotState.Revoking; // already out of the consumer's assignment
      } else if (s.state === SlotState.Retrying) {
        // Already out of the consumer's assignment; its progress ends before the record to retry.
        s.state = SlotState.Revoking;
        s.nextOffset = s.retryFrom;
      }
      // A failed slot stays Failed (its late acknowledgements must not count) and is freed the same way.
      this.revoking.add(slot);
    }
    if (parts.length > 0) this.consumer.unassign(parts);
    this.checkRevoked();
    if (this.revoking.size > 0) this.options.onRevokeRequested?.();
  }

  /** Slots that are still assigned (active or draining). */
  activeSlots(): { slot: number; topic: string; partition: number }[] {
    const out: { slot: number; topic: string; partition: number }[] = [];
    this.slots.forEach((s, slot) => {
      if (s.state === SlotState.Active || s.state === SlotState.Revoking || s.state === SlotState.Lost || s.state === SlotState.Retrying) out.push({ slot, topic: s.topic, partition: s.partition });
    });
    return out;
  }

  highWatermark(slot: number): number {
    const s = this.slots[slot];
    return s && s.state !== SlotState.Free ? this.consumer.highWatermark(s.topic, s.partition) : -1;
  }

  /** The loop: runs until stop(). */
  async run(): Promise<void> {
    const { batchSize, maxInFlight } = this.options;
    while (!this.stopping) {
      if (this.gate) {
        this.park();
        await this.gate;
        continue;
      }
      if (this.inFlight >= maxInFlight) {
        await this.waitForDrain();
        continue;
      }
      const batch = await this.consumer.consume(batchSize);
      const now = this.clock();
      if (now >= this.lossCheckAt && !this.lossChecking) this.checkForLoss(now);
      const { count, meta, topics } = batch;
      if (count === 0) continue;
      this.counters.recordsIn += count;
      // The slots of the current record's topic, looked up again only when the topic changes (a
      // batch is mostly one topic) or after an await (assignments may have changed meanwhile).
      let topicIndex = -1;
      let topicSlots: number[] | undefined;
      for (let i = 0, b = 0; i < count; i++, b += META_STRIDE) {
        const partition = meta[b + M_PARTITION];
        const offset = meta[b + M_OFFSET];
        if (meta[b + M_TOPIC] !== topicIndex) {
          topicIndex = meta[b + M_TOPIC];
          topicSlots = this.bySource.get(topics[topicIndex]);
        }
        const slotIndex = topicSlots?.[partition];
        if (slotIndex === undefined || slotIndex < 0) continue; // partition no longer ours (pre-fetched before a revoke)
        const s = this.slots[slotIndex];
        // Records of a revoked or failed slot are left for the next owner: progress never covers them.
        if (s.state !== SlotState.Active) continue;
        // One comparison on the common path: in-order records skip the whole branch.
        if (offset !== s.nextOffset) {
          // The consumer may hand out a record below our position after an unassign/assign race; skip it.
          if (offset < s.nextOffset) continue;
          // A gap in the source (compaction, transaction markers, aborted records): an
          // offset-preserving slot cannot put this record at its own offset.
          if (s.preserve && s.nextOffset >= 0 && !this.diverged(slotIndex, s.nextOffset, offset, sourceHole(s, offset))) continue;
        }
        if (offset === s.refusedAt) {
          this.haltAtRefused(slotIndex);
          continue;
        }
        s.lastRecordAt = now;
        let rc = this.producer.produce(s.targetTopic, partition, batch, i);
        while (rc === QUEUE_FULL) {
          // The producer's own queue is full (bytes bound): wait for acknowledgements, then retry
          // the same record so order is kept.
          topicIndex = -1;
          await this.waitForDrain(true);
          if (s.state !== SlotState.Active) break;
          rc = this.producer.produce(s.targetTopic, partition, batch, i);
        }
        if (rc === QUEUE_FULL) continue;
        if (rc === UNKNOWN_PARTITION || rc === UNKNOWN_TOPIC) {
          topicIndex = -1;
          rc = await this.produceAfterMetadata(s, batch, i, rc);
        }
        if (rc !== 0) {
          this.failSlot(slotIndex, offset, rc, refusalText(rc, meta[b + M_SIZE]));
          continue;
        }
        s.nextOffset = offset + 1;
        s.inflight.push(offset, meta[b + M_TIMESTAMP], now, meta[b + M_SIZE]);
        this.inFlight++;
      }
    }
  }

  /**
   * The coordinator creates remote topics and partitions before it assigns a partition, but the
   * producer's metadata may still predate them: refresh it and retry (same record, so order is
   * kept) until the producer knows the partition, for up to METADATA_WAIT_MS.
   */
  private async produceAfterMetadata(s: Slot, batch: SourceBatch, index: number, rc: number): Promise<number> {
    const until = this.clock() + METADATA_WAIT_MS;
    while ((rc === UNKNOWN_PARTITION || rc === UNKNOWN_TOPIC) && s.state === SlotState.Active && !this.stopping && this.clock() < until) {
      await this.producer.refreshMetadata(s.targetTopic).catch(() => new Promise((r) => setTimeout(r, 500)));
      rc = this.producer.produce(s.targetTopic, s.partition, batch, index);
    }
    return rc;
  }

  /**
   * Resumes a slot halted on data loss at `offset` (the source log start), re-assigning its
   * partition to the consumer there. Ignored unless the slot is still halted on that partition.
   */
  resumeAt(slot: number, topic: string, partition: number, offset: number): boolean {
    const s = this.slots[slot];
    if (!s || s.state !== SlotState.Lost || s.topic !== topic || s.partition !== partition) return false;
    // An offset-preserving slot cannot skip the lost range: record `offset` would land at target
    // offset nextOffset. That is a divergence, decided here, before anything is produced (the
    // slot stays out of the consumer's assignment if it stops).
    if (s.preserve && offset !== s.nextOffset && !this.diverged(slot, s.nextOffset, offset, lostRange(s, offset))) return true;
    s.state = SlotState.Active;
    s.nextOffset = offset;
    s.lastRecordAt = this.clock();
    s.checkedOffset = -1;
    s.checkedAt = -1;
    this.consumer.assign([{ topic, partition, offset }]);
    return true;
  }

  /**
   * One round of data-loss checks (data-loss.ts): asks the cluster for the log start and end of
   * the quiet slots that may have stopped, and halts (or resets) those whose position is out of
   * the log. Runs beside the loop; one round at a time.
   */
  private checkForLoss(now: number): void {
    const { quietMs, recheckMs } = this.lossCheck;
    this.lossCheckAt = now + Math.max(1, Math.floor(quietMs / 2));
    const watermarks = this.consumer.watermarks?.bind(this.consumer);
    if (!watermarks) return;
    const force = now < this.lossForceUntil;
    const candidates: { slot: number; s: Slot; next: number }[] = [];
    this.slots.forEach((s, slot) => {
      if (s.state !== SlotState.Active) return;
      const view = { nextOffset: s.nextOffset, lastRecordAt: s.lastRecordAt, cachedHighWatermark: this.consumer.highWatermark(s.topic, s.partition), checkedOffset: s.checkedOffset, checkedAt: s.checkedAt };
      if (shouldCheck(view, now, quietMs, recheckMs, force)) candidates.push({ slot, s, next: s.nextOffset });
    });
    if (candidates.length === 0) return;
    this.lossChecking = true;
    // A bounded round, least recently checked first: every check is two ListOffsets round trips
    // on a libuv threadpool thread, the pool the consumer's own fetches wait in. Thousands of
    // quiet partitions at once (10,000 new ones at start-up) would fill the pool and the broker's
    // queue, and replication would stall until they were all answered (bench/README.md, "Many
    // partitions").
    candidates.sort((a, b) => a.s.checkedAt - b.s.checkedAt);
    const round = candidates.slice(0, LOSS_CHECKS_PER_ROUND);
    const checkOne = async ({ slot, s, next }: { slot: number; s: Slot; next: number }): Promise<void> => {
        const { topic, partition } = s;
        let marks: { low: number; high: number };
        try {
          marks = await watermarks(topic, partition);
        } catch {
          return; // the cluster did not answer: the next round asks again
        }
        // The slot may have moved on (records arrived) or changed hands while we asked.
        if (s.state !== SlotState.Active || s.topic !== topic || s.partition !== partition || s.nextOffset !== next) return;
        const verdict = classifyPosition(next, marks.low, marks.high);
        if (verdict.kind === 'ok') {
          s.checkedOffset = next;
          s.checkedAt = this.clock();
        } else if (verdict.kind === 'lost') {
          this.closeRun(slot);
          s.state = SlotState.Lost;
          this.consumer.unassign([{ topic, partition }]);
          s.pendingLoss = { slot, topic, partition, from: verdict.from, to: verdict.to, logEnd: marks.high };
          this.lossesPending = true;
          this.reportLosses();
        } else {
          this.consumer.unassign([{ topic, partition }]);
          s.nextOffset = verdict.to;
          s.lastRecordAt = this.clock();
          this.consumer.assign([{ topic, partition, offset: verdict.to }]);
          this.events.positionReset?.({ slot, topic, partition, from: verdict.from, to: verdict.to, logEnd: marks.high });
        }
    };
    let nextIndex = 0;
    const lane = async (): Promise<void> => {
      while (nextIndex < round.length) await checkOne(round[nextIndex++]);
    };
    void Promise.all(Array.from({ length: Math.min(LOSS_CHECKS_IN_FLIGHT, round.length) }, lane)).finally(() => (this.lossChecking = false));
  }

  /**
   * Announces the losses of slots whose records in flight are all acknowledged and in the ring,
   * like revocations: the coordinator drains the ring first, so when it handles the loss the
   * partition's progress covers everything below the missing range (and moving the committed
   * position past the range cannot skip a record that was still in flight).
   */
  private reportLosses(): void {
    if (!this.lossesPending) return;
    let left = false;
    for (let slot = 0; slot < this.slots.length; slot++) {
      const s = this.slots[slot];
      const loss = s.pendingLoss;
      if (!loss) continue;
      if (!this.drained(s)) {
        left = true;
        continue;
      }
      this.closeRun(slot);
      if (!this.flushPending()) return; // ring full: the pending timer comes back here
      s.pendingLoss = undefined;
      this.events.dataLoss?.(loss);
    }
    this.lossesPending = left;
  }

  /** Stops the loop after the current batch. */
  stop(): void {
    this.stopping = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    for (const w of this.drainWaiters.splice(0)) w();
    this.openGate();
  }

  // ------------------------------------------------------------------ exactly-once (transactions)
  //
  // The transaction loop (src/worker/transactions.ts) commits every transactionInterval:
  // pauseIntake() (the loop finishes its batch and parks), wait until nothing is in flight (never
  // the producer's flush(): native-notes/flush-and-background-polling.md), positions() are the
  // source offsets the transaction covers, commit them with the records, releaseHeld() (the
  // runs go to the ring), resumeIntake(). On abort, abortHeld() drops the runs and rewinds every
  // slot to its last committed offset, so the aborted records are read and sent again.

  /** Resolves once the loop is parked between batches (or has ended). */
  pauseIntake(): Promise<void> {
    if (!this.gate) {
      this.parked = false;
      this.gate = new Promise<void>((resolve) => (this.openGate = resolve));
      // A loop waiting for acknowledgements parks as soon as they come (or now if stopping).
      for (const w of this.drainWaiters.splice(0)) w();
    }
    if (this.parked || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => this.parkedWaiters.push(resolve));
  }

  resumeIntake(): void {
    this.gate = undefined;
    this.parked = false;
    this.openGate();
  }

  private park(): void {
    this.parked = true;
    for (const w of this.parkedWaiters.splice(0)) w();
  }

  /**
   * Slots whose position moved since the last commit, with the next source offset the open
   * transaction covers (every record below it was produced in this or an earlier transaction).
   * Failed slots are left out (a refused record makes the transaction abort anyway), except one
   * halted at its refused record after an abort: its records before that one are in this transaction.
   */
  positions(): { slot: number; targetTopic: string; partition: number; next: number }[] {
    const out: { slot: number; targetTopic: string; partition: number; next: number }[] = [];
    this.slots.forEach((s, slot) => {
      if (coversRecords(s) && s.nextOffset >= 0 && s.nextOffset !== s.committedNext) {
        out.push({ slot, targetTopic: s.targetTopic, partition: s.partition, next: s.nextOffset });
      }
    });
    return out;
  }

  /** True when a slot failed since the last commit: the open transaction cannot commit. */
  get failedSinceCommit(): boolean {
    return this.failedInTransaction;
  }

  /** True when partitions were lost (revoke with `lost`) since the last commit: the open transaction must abort. */
  get lostSinceCommit(): boolean {
    return this.lostInTransaction;
  }

  private failedInTransaction = false;
  private lostInTransaction = false;

  /** The transaction committed: its runs go to the ring, and its positions become the rewind points. */
  releaseHeld(): void {
    for (let i = 0; i < this.slots.length; i++) this.closeRun(i);
    const h = this.held;
    for (let i = 0; i < h.length; i += 6) this.writeRun(h[i], h[i + 1], h[i + 2], h[i + 3], h[i + 4], h[i + 5]);
    h.length = 0;
    for (const s of this.slots) if (coversRecords(s)) s.committedNext = s.nextOffset;
    this.failedInTransaction = false;
    this.lostInTransaction = false;
    this.checkRevoked();
  }

  /**
   * The transaction was aborted: its runs are dropped, and each slot goes back to its last
   * committed offset (an active slot is read again from there; a revoking one ends there, the
   * next owner resumes from the offsets committed in the target). Call once nothing is in
   * flight (the abort purged what was).
   */
  abortHeld(): void {
    this.held.length = 0;
    // Collected and handed to the consumer in one call each (see assignAll).
    const unassign: { topic: string; partition: number }[] = [];
    const assign: { topic: string; partition: number; offset: number }[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      s.runCount = 0;
      if (s.state === SlotState.Active && s.nextOffset !== s.committedNext) {
        s.nextOffset = s.committedNext;
        // Re-assigning drops what librdkafka pre-fetched for the partition and fetches again
        // from the committed offset.
        unassign.push({ topic: s.topic, partition: s.partition });
        assign.push({ topic: s.topic, partition: s.partition, offset: s.committedNext });
      } else if (s.state === SlotState.Lost && s.nextOffset !== s.committedNext) {
        // Halted on a loss not reported yet (reports wait for the commit): the aborted records
        // before the loss are read again, and the loss is found again after them.
        s.state = SlotState.Active;
        s.pendingLoss = undefined;
        s.nextOffset = s.committedNext;
        s.lastRecordAt = this.clock();
        s.checkedOffset = -1;
        assign.push({ topic: s.topic, partition: s.partition, offset: s.committedNext });
      } else if (s.state === SlotState.Revoking) {
        s.nextOffset = s.committedNext;
      } else if (s.state === SlotState.Retrying) {
        // Met NOT_READY inside the aborted transaction: read again from the committed offset.
        s.state = SlotState.Active;
        s.nextOffset = s.committedNext;
        s.lastRecordAt = this.clock();
        s.checkedOffset = -1;
        assign.push({ topic: s.topic, partition: s.partition, offset: s.committedNext });
      } else if (s.state === SlotState.Failed && s.refusedAt > s.committedNext && !s.preserve) {
        // Refused for good: the records before the refused one were aborted with it. Read them
        // again up to it, so that the partition stops exactly where the error says.
        s.state = SlotState.Active;
        s.nextOffset = s.committedNext;
        s.lastRecordAt = this.clock();
        s.checkedOffset = -1;
        assign.push({ topic: s.topic, partition: s.partition, offset: s.committedNext });
      }
    }
    if (unassign.length > 0) this.consumer.unassign(unassign);
    if (assign.length > 0) this.consumer.assign(assign);
    this.failedInTransaction = false;
    this.lostInTransaction = false;
    this.checkRevoked();
  }

  /** Writes open runs to the ring now (shutdown, revocation). Returns false if the ring stayed full. */
  flushRuns(): boolean {
    for (let i = 0; i < this.slots.length; i++) this.closeRun(i);
    return this.flushPending();
  }

  private waitForDrain(any = false): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      if (any) setTimeout(resolve, 5);
    });
  }

  private readonly onDelivery: DeliveryHandler = (errorCode, errorMessage, topic, partition, offset) => {
    const slotIndex = lookup(this.byTarget, topic, partition);
    if (slotIndex === undefined) return; // cannot happen: a slot is freed only once drained
    const s = this.slots[slotIndex];
    if (!s.inflight.pop()) return;
    this.inFlight--;
    const src = s.inflight.poppedOffset;
    if (errorCode === PURGE_QUEUE || errorCode === PURGE_INFLIGHT) {
      // Purged by an aborted transaction: abortHeld() rewinds the slot; nothing failed.
    } else if (s.state === SlotState.Retrying) {
      // A record after the one that met NOT_READY: failed too, or acknowledged (then written
      // again after the retry, a duplicate as after a crash; progress never covers it before).
      if (s.inflight.length === 0 && !this.options.holdProgress) this.scheduleRetry(slotIndex);
    } else if (errorCode !== 0) {
      if (NOT_READY.has(errorCode) && s.state === SlotState.Active && !s.preserve && (s.retrySince === 0 || this.clock() - s.retrySince < NOT_READY_GIVE_UP_MS)) {
        this.retrySlot(slotIndex, src, errorCode, errorMessage);
      } else {
        this.counters.recordsFailed++;
        const text = NOT_READY.has(errorCode) && s.retrySince !== 0 ? `${refusalText(errorCode, s.inflight.poppedSize, errorMessage)}; the target has answered so for ${Math.round((this.clock() - s.retrySince) / 1000)} s: check that the remote topic exists on the target` : refusalText(errorCode, s.inflight.poppedSize, errorMessage);
        if (s.state !== SlotState.Failed || src < s.refusedAt) this.failSlot(slotIndex, src, errorCode, text);
      }
    } else if (s.state !== SlotState.Failed || src < s.refusedAt) {
      if (s.retrySince !== 0) s.retrySince = 0;
      // (A slot halted at its refused record still gets the acknowledgements of the records before it.)
      const now = this.clock();
      const ts = s.inflight.poppedTimestamp;
      if (ts >= 0) this.latency.replication(now - ts);
      this.latency.relay(now - s.inflight.poppedConsumedAt);
      if (s.runCount > 0 && src === s.runSource + s.runCount && offset === s.runTarget + s.runCount) {
        s.runCount++;
      } else if (s.preserve && offset !== src && !this.diverged(slotIndex, src, offset, targetMoved(s, src, offset))) {
        // Stopped: this record and everything after it stay unreported.
      } else {
        this.closeRun(slotIndex);
        s.runCount = 1;
        s.runSource = src;
        s.runTarget = offset;
        s.runTimestamp = -1;
        s.runBytes = 0;
      }
      if (ts > s.runTimestamp) s.runTimestamp = ts;
      s.runBytes += s.inflight.poppedSize;
      this.counters.recordsAcked++;
      this.counters.bytesAcked += s.inflight.poppedSize;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTick);
    }
    if (this.inFlight <= this.lowWater && this.drainWaiters.length > 0) for (const w of this.drainWaiters.splice(0)) w();
  };

  /** After a burst of delivery reports: runs go to the ring, drained revocations are announced. */
  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    this.flushRuns();
    this.checkRevoked();
  };

  private closeRun(slotIndex: number): void {
    const s = this.slots[slotIndex];
    if (s.runCount === 0) return;
    const { runCount, runSource, runTarget, runTimestamp, runBytes } = s;
    s.runCount = 0;
    if (this.options.holdProgress) this.held.push(slotIndex, runCount, runSource, runTarget, runTimestamp, runBytes);
    else this.writeRun(slotIndex, runCount, runSource, runTarget, runTimestamp, runBytes);
  }

  private writeRun(slotIndex: number, runCount: number, runSource: number, runTarget: number, runTimestamp: number, runBytes: number): void {
    // Keep ring order per slot: once anything is pending, everything queues behind it.
    if (this.pending.length > 0 || !this.ring.tryWrite(slotIndex, runCount, runSource, runTarget, runTimestamp, runBytes)) {
      this.pending.push(slotIndex, runCount, runSource, runTarget, runTimestamp, runBytes);
      this.counters.ringFull++;
      this.schedulePending();
    }
  }

  private flushPending(): boolean {
    let i = 0;
    const p = this.pending;
    while (i < p.length && this.ring.tryWrite(p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4], p[i + 5])) i += 6;
    if (i > 0) p.splice(0, i);
    if (p.length > 0) this.schedulePending();
    return p.length === 0;
  }

  private schedulePending(): void {
    if (this.pendingTimer) return;
    // The coordinator drains the ring on its own schedule; try again shortly.
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      this.flushPending();
      this.checkRevoked();
    }, 2);
  }

  /**
   * An offset-preserving slot cannot keep offsets equal at `expected`. Returns true when the slot
   * goes on with translation (the caller carries on as for any slot), false when it stopped.
   */
  private diverged(slotIndex: number, expected: number, actual: number, message: string): boolean {
    const s = this.slots[slotIndex];
    s.preserve = false;
    if (this.options.onDivergence === 'translate') {
      this.events.slotTranslating?.({ slot: slotIndex, topic: s.topic, partition: s.partition, expected, actual, message });
      return true;
    }
    this.failSlot(slotIndex, expected, 0, message, true);
    return false;
  }

  /**
   * The record at `offset` met NOT_READY: the slot stops reading, and once its records in flight
   * are reported it reads again from that record (at-least-once: after NOT_READY_RETRY_MS and a
   * metadata refresh; exactly-once: the open transaction, which holds a failed produce, aborts
   * and abortHeld() rewinds the slot to its committed offset). Progress never passes the record.
   */
  private retrySlot(slotIndex: number, offset: number, code: number, message: string | undefined): void {
    const s = this.slots[slotIndex];
    this.closeRun(slotIndex);
    s.state = SlotState.Retrying;
    s.retryFrom = offset;
    // Reported once per streak, not per retry: thousands of new partitions may all be retrying.
    const first = s.retrySince === 0;
    if (first) s.retrySince = this.clock();
    this.consumer.unassign([{ topic: s.topic, partition: s.partition }]);
    if (this.options.holdProgress) this.failedInTransaction = true;
    else if (s.inflight.length === 0) this.scheduleRetry(slotIndex);
    if (first) this.events.slotRetrying?.({ slot: slotIndex, topic: s.topic, partition: s.partition, offset, code, message: `${s.targetTopic} partition ${s.partition}: ${message ?? `librdkafka error ${code}`} (the target does not know the partition yet); reading again from source offset ${offset}` });
  }

  private scheduleRetry(slotIndex: number): void {
    const s = this.slots[slotIndex];
    const { topic, partition, retryFrom } = s;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      void this.refreshTopic(s.targetTopic).then(() => {
          // Still this slot's retry (not revoked, reassigned or stopped meanwhile).
          if (this.stopping || s.state !== SlotState.Retrying || s.topic !== topic || s.partition !== partition || s.retryFrom !== retryFrom) return;
          s.state = SlotState.Active;
          s.nextOffset = retryFrom;
          s.lastRecordAt = this.clock();
          s.checkedOffset = -1;
          // Slots retrying together are assigned to the consumer in one call (see assignAll).
          this.retryAssign.push({ topic, partition, offset: retryFrom });
          if (this.retryAssign.length === 1) setImmediate(() => this.consumer.assign(this.retryAssign.splice(0)));
        });
    }, NOT_READY_RETRY_MS);
    this.retryTimers.add(timer);
  }

  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly retryAssign: { topic: string; partition: number; offset: number }[] = [];
  /** Metadata refreshes of target topics, one at a time per topic and at most one per NOT_READY_RETRY_MS. */
  private readonly refreshing = new Map<string, Promise<void>>();

  /**
   * One metadata refresh shared by every slot of `topic` that retries now: a refresh per slot
   * would send thousands of metadata requests a second to a target already slow to take new
   * topics.
   */
  private refreshTopic(topic: string): Promise<void> {
    let p = this.refreshing.get(topic);
    if (!p) {
      p = this.producer.refreshMetadata(topic).catch(() => undefined);
      this.refreshing.set(topic, p);
      void p.then(() => setTimeout(() => this.refreshing.delete(topic), NOT_READY_RETRY_MS).unref());
    }
    return p;
  }

  /** exactly-once: the slot read up to its refused record again (see Slot.refusedAt) and halts there. */
  private haltAtRefused(slotIndex: number): void {
    const s = this.slots[slotIndex];
    this.closeRun(slotIndex);
    s.state = SlotState.Failed;
    this.consumer.unassign([{ topic: s.topic, partition: s.partition }]);
  }

  private failSlot(slotIndex: number, offset: number, code: number, message: string, divergence = false): void {
    const s = this.slots[slotIndex];
    if (this.options.holdProgress && !divergence) s.refusedAt = offset;
    this.closeRun(slotIndex);
    const wasActive = s.state === SlotState.Active;
    s.state = SlotState.Failed;
    this.failedInTransaction = true;
    if (wasActive) this.consumer.unassign([{ topic: s.topic, partition: s.partition }]);
    this.events.slotFailed(divergence ? { slot: slotIndex, topic: s.topic, partition: s.partition, offset, code, message, divergence } : { slot: slotIndex, topic: s.topic, partition: s.partition, offset, code, message });
  }

  /**
   * Every record the slot read is acknowledged and, in exactly-once, committed (or given up by
   * an abort): what a revocation and a loss report both wait for, so that the coordinator has
   * the slot's progress before it hears of either.
   */
  private drained(s: Slot): boolean {
    if (s.inflight.length > 0) return false;
    return !this.options.holdProgress || s.state === SlotState.Failed || s.nextOffset === s.committedNext;
  }

  private checkRevoked(): void {
    // A loss of a slot being revoked is announced before the slot is (its records are gone either way).
    this.reportLosses();
    if (this.revoking.size === 0) return;
    const drained: number[] = [];
    for (const slot of this.revoking) {
      const s = this.slots[slot];
      if (!this.drained(s)) continue;
      this.closeRun(slot);
      drained.push(slot);
    }
    if (drained.length === 0) return;
    // Announce only once their progress is in the ring, so the coordinator commits it first.
    if (!this.flushPending()) return;
    for (const slot of drained) {
      this.revoking.delete(slot);
      this.free(slot);
    }
    this.events.slotsDrained(drained);
  }

  private free(slot: number): void {
    const s = this.slots[slot];
    unindex(this.bySource, s.topic, s.partition, slot);
    unindex(this.byTarget, s.targetTopic, s.partition, slot);
    s.state = SlotState.Free;
    s.inflight.clear();
    s.pendingLoss = undefined;
  }
}

function sourceHole(s: Slot, actual: number): string {
  return (
    `offset-preserving: source ${s.topic} partition ${s.partition} has no record at offset${actual - s.nextOffset > 1 ? `s ${s.nextOffset}..${actual - 1}` : ` ${s.nextOffset}`} ` +
    `(the next record is at ${actual}): a hole from compaction, a transaction marker or aborted records. The target cannot leave a hole, so record ${actual} would land at offset ${s.nextOffset}`
  );
}

/** exactly-once: the slot may have records in the open transaction (commit and abort concern it). */
function holdsRecords(s: Slot): boolean {
  return s.state === SlotState.Active || s.state === SlotState.Revoking || s.state === SlotState.Lost;
}

/** The open transaction covers the slot's records below nextOffset (a halted slot's too). */
function coversRecords(s: Slot): boolean {
  return holdsRecords(s) || (s.state === SlotState.Failed && s.refusedAt >= 0 && s.nextOffset === s.refusedAt);
}

function lostRange(s: Slot, logStart: number): string {
  return (
    `offset-preserving: source ${s.topic} partition ${s.partition} lost offsets ${s.nextOffset}..${logStart - 1} to retention before they were copied. ` +
    `The target cannot leave a hole, so record ${logStart} would land at offset ${s.nextOffset}`
  );
}

function targetMoved(s: Slot, src: number, tgt: number): string {
  return (
    `offset-preserving: source record ${src} of ${s.topic} partition ${s.partition} landed at offset ${tgt} of ${s.targetTopic}: ` +
    (tgt > src ? `${tgt - src} record(s) were written to the target partition by another producer` : 'the target partition does not continue the source (it was truncated or recreated)')
  );
}

function index(map: Map<string, number[]>, topic: string, partition: number, slot: number): void {
  let arr = map.get(topic);
  if (!arr) map.set(topic, (arr = []));
  while (arr.length <= partition) arr.push(-1);
  arr[partition] = slot;
}

function unindex(map: Map<string, number[]>, topic: string, partition: number, slot: number): void {
  const arr = map.get(topic);
  if (arr && arr[partition] === slot) arr[partition] = -1;
}

function lookup(map: Map<string, number[]>, topic: string, partition: number): number | undefined {
  const v = map.get(topic)?.[partition];
  return v === undefined || v < 0 ? undefined : v;
}
