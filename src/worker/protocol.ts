/**
 * Control and statistics messages between the coordinator (main thread) and replication workers.
 *
 * Two channels connect a worker to the coordinator: its progress ring (src/ring/progress-ring.ts)
 * for acknowledged offsets, and the worker's message port for everything below, encoded with
 * src/util/codec.ts. The channels are not ordered with respect to each other, so where order
 * matters the sender makes it explicit:
 * - A worker posts `revoked` only after every run of those slots is in its ring (published with
 *   Atomics.store before the postMessage), so the coordinator, on `revoked`, first drains that
 *   worker's ring and then holds every acknowledgement of the revoked partitions.
 * - `stopped` likewise comes after the worker closed its ring.
 *
 * Offsets that position a consumer or name a record (assign, error) are `bigint`. They are int64
 * in Kafka and an assignment may carry a
 * logical offset (OFFSET_BEGINNING, OFFSET_END) as a negative number; bigint is exact over the
 * whole range, msgpackr encodes it as a native 8-byte int64 (no string to parse), and a type of
 * its own keeps it from being mixed by accident with the `number` offsets of the hot path. These
 * messages are rare, so the BigInt allocation does not matter; the worker converts to `number`
 * once (checked: Number.isSafeInteger) when it installs an assignment. The high watermarks in
 * `stats` are gauges for lag metrics and travel as numbers, like the other counters.
 *
 * Times are milliseconds on the Date.now() clock, which all threads share (performance.now()
 * has a different origin in each worker thread).
 */

/** Kafka logical offsets an assignment may start from, as librdkafka spells them. */
export const OFFSET_BEGINNING = -2n;
export const OFFSET_END = -1n;

/** One source partition handed to a worker, pinned to one of its slots. */
export interface PartitionAssignment {
  /** The worker's slot index for this partition; progress runs name it. */
  slot: number;
  topic: string;
  partition: number;
  /** Topic on the target cluster (same partition number: records keep their partition). */
  targetTopic: string;
  /** Next source offset to read (>= 0), or OFFSET_BEGINNING / OFFSET_END. */
  offset: bigint;
  /** Offset-preserving mode: every record must land at its own source offset. */
  preserveOffsets?: boolean;
}

// ------------------------------------------------------------------------- coordinator -> worker

export interface AssignMessage {
  type: 'assign';
  partitions: PartitionAssignment[];
}

/** Stop the slots: finish their in-flight records, report their runs, then answer `revoked`. */
export interface RevokeMessage {
  type: 'revoke';
  slots: number[];
  /**
   * The group took the partitions away without a rebalance (this process's session expired:
   * frozen, or cut off from the group coordinator): another process may already be writing
   * them, so in exactly-once the open transaction is aborted, not committed.
   */
  lost?: boolean;
}

/** Stop or restart fetching for the slots (in-flight records still complete). */
export interface FlowControlMessage {
  type: 'pause' | 'resume';
  slots: number[];
}

/** Shut down: stop consuming, drain, flush; give up on what is left at `deadlineMs`. */
export interface StopMessage {
  type: 'stop';
  /** Date.now() time by which the worker must have answered `stopped`. */
  deadlineMs: number;
}

/**
 * Resume a slot halted on data loss (DataLossMessage) at `offset`. topic/partition must still be
 * the slot's, or the worker ignores the message (the slot changed hands in the meantime).
 */
export interface SeekMessage {
  type: 'seek';
  slot: number;
  topic: string;
  partition: number;
  offset: bigint;
}

export type CoordinatorMessage = AssignMessage | RevokeMessage | FlowControlMessage | StopMessage | SeekMessage;

// ------------------------------------------------------------------------- worker -> coordinator

/** Counts for one stats interval (gauges are values at its end). */
export interface WorkerCounters {
  /** Records received from the source. */
  recordsIn: number;
  /** Records the target acknowledged. */
  recordsAcked: number;
  /** Key + value bytes the target acknowledged. */
  bytesAcked: number;
  /** Records the target refused for good. */
  recordsFailed: number;
  /** Times a progress run waited because the ring was full. */
  ringFull: number;
  /** Gauge: records produced and not acknowledged yet. */
  inFlight: number;
  /** Gauge: slots paused for backpressure. */
  pausedSlots: number;
}

/** Latency histograms of one interval in the wire form of src/metrics/histogram.ts. */
export interface WorkerHistograms {
  /** Target acknowledgement time minus the source record's timestamp. */
  replication: Uint8Array;
  /** Target acknowledgement time minus the time the worker received the record. */
  relay: Uint8Array;
}

export interface StatsMessage {
  type: 'stats';
  workerId: number;
  /** The interval covered, [startMs, endMs), Date.now() clock. */
  startMs: number;
  endMs: number;
  counters: WorkerCounters;
  histograms: WorkerHistograms;
  /**
   * Source high watermark of each active slot at the end of the interval, as [slot, offset]
   * pairs (-1 when not known yet); the coordinator derives lag from it.
   */
  highWatermarks?: [slot: number, highWatermark: number][];
}

/** These slots are drained: all their runs are in the ring, nothing of them is in flight. */
export interface RevokedMessage {
  type: 'revoked';
  workerId: number;
  slots: number[];
}

export interface ErrorMessage {
  type: 'error';
  workerId: number;
  /** Symbolic code, e.g. a librdkafka error name or a StraitError code. */
  code: string;
  message: string;
  /** True when retrying (the same partition, maybe elsewhere) can help. */
  retriable: boolean;
  /** Set when the error concerns one partition. */
  slot?: number;
  topic?: string;
  partition?: number;
  /** Source offset of the record concerned, when there is one. */
  offset?: bigint;
  /** The raw librdkafka error code, when the error came from the client. */
  kafkaCode?: number;
  /** The worker cannot go on for this flow (e.g. its transactional producer was fenced). */
  fatal?: boolean;
}

/**
 * Source retention removed offsets [from, to) of the slot's partition before they were copied.
 * The worker halted the slot (records already in flight still complete and are reported); the
 * coordinator answers with `seek` to go on from `to`, or leaves it halted.
 */
export interface DataLossMessage {
  type: 'dataLoss';
  workerId: number;
  slot: number;
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
  /** Source log end (high watermark) when the loss was found. */
  logEnd: bigint;
}

/**
 * Error codes of an offset-preserving slot whose offsets diverged (src/worker/relay.ts): it
 * stopped (onDivergence: stop-partition), or goes on with translation (onDivergence: translate).
 * `offset` is the offset that could not be kept.
 */
export const OFFSET_DIVERGENCE = 'OFFSET_DIVERGENCE';
export const OFFSET_TRANSLATING = 'OFFSET_TRANSLATING';

export interface StoppedMessage {
  type: 'stopped';
  workerId: number;
}

export type WorkerMessage = StatsMessage | RevokedMessage | ErrorMessage | StoppedMessage | DataLossMessage;

export type ThreadMessage = CoordinatorMessage | WorkerMessage;
export type ThreadMessageType = ThreadMessage['type'];

export const THREAD_MESSAGE_TYPES: readonly ThreadMessageType[] = [
  'assign',
  'revoke',
  'pause',
  'resume',
  'stop',
  'seek',
  'stats',
  'revoked',
  'error',
  'stopped',
  'dataLoss',
];

/**
 * Record structures msgpackr shares between the two ends (see src/util/codec.ts): the key lists,
 * in the order the objects are built, of the shapes sent most often. Both threads load this same
 * list from the same build, so it may change freely between versions (nothing is persisted). A
 * shape not listed here, or built with its keys in another order, is still encoded correctly,
 * with its keys inline; listing it only makes it smaller and faster.
 */
export const MESSAGE_STRUCTURES: readonly (readonly string[])[] = [
  ['type', 'workerId', 'startMs', 'endMs', 'counters', 'histograms', 'highWatermarks'],
  ['recordsIn', 'recordsAcked', 'bytesAcked', 'recordsFailed', 'ringFull', 'inFlight', 'pausedSlots'],
  ['replication', 'relay'],
  ['type', 'partitions'],
  ['slot', 'topic', 'partition', 'targetTopic', 'offset'],
  ['type', 'slots'],
  ['type', 'workerId', 'slots'],
  ['type', 'deadlineMs'],
  ['type', 'workerId'],
  ['type', 'slot', 'topic', 'partition', 'offset'],
  ['type', 'workerId', 'slot', 'topic', 'partition', 'from', 'to', 'logEnd'],
];
