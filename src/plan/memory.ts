/**
 * The memory one worker's clients may hold at most during a catch-up, term by term, from the
 * client settings and the record size. What fills is librdkafka's, not JavaScript's: the records
 * never enter JavaScript (native-notes/relay-fast-path.md), so the worker's own heap is part of
 * the process's base, not of this bound.
 *
 * The terms, for one worker (its consumer and its producer):
 *
 *   consumer queue      pre-fetched records: librdkafka stops fetching a partition once the queue
 *                       holds queued.max.messages.kbytes or queued.min.messages records, whichever
 *                       comes first, so the queue holds min(kbytes, records x size) of payload;
 *   fetch overshoot     the check happens before a fetch, so one whole response may land on top:
 *                       min(fetch.max.bytes, partitions x max.partition.fetch.bytes) on the wire,
 *                       held compressed while it is parsed and decompressed after;
 *   per consumed record each record in the queue is an rd_kafka_op_t of its own (1,024 B in
 *                       librdkafka 2.15.1, `p sizeof(rd_kafka_op_t)` in gdb) beside its payload:
 *                       at 100 B records this, not the payload, is most of the queue;
 *   producer queue      records waiting for the target: strait bounds them by count
 *                       (engine.maxInFlightRecordsPerWorker plus one relay batch) and librdkafka
 *                       by bytes (queue.buffering.max.kbytes), whichever comes first; each is a
 *                       copy (RD_KAFKA_MSG_F_COPY) in one allocation with its rd_kafka_msg_t
 *                       (176 B);
 *   produce requests    the compressed copy of the batches in flight: max.in.flight requests of
 *                       at most one batch.size batch per partition.
 *
 * Each allocation also costs malloc's header (16 B). What the terms leave out is the allocator's
 * own slack (freed memory glibc keeps in its per-thread arenas): the 5 GB catch-up in
 * bench/README.md measures it against this bound.
 */
import { RELAY_BATCH_RECORDS } from '../engine/relay-batch.js';
import type { PlanSettings } from './model.js';

/**
 * What a catch-up adds beyond the terms, per worker: freed memory that glibc keeps in its
 * per-thread arenas (a process runs over a hundred threads, librdkafka's among them) and the
 * growth of the worker's JavaScript heap under load. It is the larger of a share of the terms
 * and a fixed amount, both set from measured peaks (bench/README.md, "A 5 GB catch-up"): up to
 * 58 MiB per worker over the terms at 1 KiB, with the old and the new defaults alike; with
 * MALLOC_ARENA_MAX=2 the measured peak fell to the terms themselves.
 */
export const ALLOCATOR_SLACK_SHARE = 0.25;
export const ALLOCATOR_SLACK_MIN_BYTES = 64 * 2 ** 20;

/** The slack over one worker's terms (see ALLOCATOR_SLACK_SHARE). */
export function allocatorSlack(termsBytes: number): number {
  return Math.max(termsBytes * ALLOCATOR_SLACK_SHARE, ALLOCATOR_SLACK_MIN_BYTES);
}

/** sizeof(rd_kafka_op_t) in librdkafka 2.15.1 plus malloc's header: one per pre-fetched record. */
export const CONSUMED_RECORD_OVERHEAD_BYTES = 1024 + 16;
/** sizeof(rd_kafka_msg_t) plus malloc's header: one per record waiting in the producer. */
export const PRODUCED_RECORD_OVERHEAD_BYTES = 176 + 16;

export interface MemoryTerm {
  name: string;
  bytes: number;
  basis: string;
}

export interface WorkerMemory {
  bytes: number;
  terms: MemoryTerm[];
}

/**
 * The bound for one worker copying records of `recordBytes` (key + value + headers) from
 * `partitions` partitions, whose source batches are `wireRatio` wire bytes per byte (1 when
 * uncompressed or unmeasured).
 */
export function workerMemoryBound(c: PlanSettings['clients'], recordBytes: number, partitions: number, wireRatio: number): WorkerMemory {
  const size = Math.max(1, recordBytes);
  const parts = Math.max(1, Math.ceil(partitions));
  const wire = Math.min(1, Math.max(0.01, wireRatio));

  const queued = Math.min(c.queuedMaxMessagesKbytes * 1024, c.queuedMinMessages * size);
  const fetchWire = Math.min(c.fetchMaxBytes, parts * c.maxPartitionFetchBytes);
  const fetchRecords = fetchWire / wire / size;
  const consumedRecords = queued / size + fetchRecords;
  const producedRecords = Math.min(c.maxInFlightRecords + RELAY_BATCH_RECORDS, (c.queueBufferingMaxKbytes * 1024) / size);
  const inFlight = c.maxInFlight * parts * c.batchSize * (c.compression === 'none' ? 1 : wire);

  const terms: MemoryTerm[] = [
    { name: 'consumer queue', bytes: queued, basis: `min(queued.max.messages.kbytes ${c.queuedMaxMessagesKbytes}, queued.min.messages ${c.queuedMinMessages} x ${Math.round(size)} B)` },
    {
      name: 'fetch overshoot',
      bytes: fetchWire + fetchWire / wire,
      basis: `one response of min(fetch.max.bytes ${c.fetchMaxBytes}, ${parts} partitions x max.partition.fetch.bytes ${c.maxPartitionFetchBytes}), compressed and decompressed (${wire.toFixed(2)} wire bytes per byte)`,
    },
    { name: 'per consumed record', bytes: consumedRecords * CONSUMED_RECORD_OVERHEAD_BYTES, basis: `${Math.round(consumedRecords)} records x ${CONSUMED_RECORD_OVERHEAD_BYTES} B (librdkafka's rd_kafka_op_t)` },
    {
      name: 'producer queue',
      bytes: producedRecords * (size + PRODUCED_RECORD_OVERHEAD_BYTES),
      basis: `min(engine.maxInFlightRecordsPerWorker ${c.maxInFlightRecords} + ${RELAY_BATCH_RECORDS}, queue.buffering.max.kbytes ${c.queueBufferingMaxKbytes} / ${Math.round(size)} B) records x (${Math.round(size)} + ${PRODUCED_RECORD_OVERHEAD_BYTES} B)`,
    },
    { name: 'produce requests', bytes: inFlight, basis: `max.in.flight ${c.maxInFlight} x ${parts} partitions x batch.size ${c.batchSize}${c.compression === 'none' ? '' : `, compressed (${wire.toFixed(2)})`}` },
  ];
  return { bytes: terms.reduce((s, t) => s + t.bytes, 0), terms };
}
