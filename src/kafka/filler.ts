/**
 * Writes filler records into one target partition so that its next offset reaches a given value
 * (offset-preserving mode: a source partition whose log start is above zero; see
 * src/coordinator/preserve.ts). The fillers are deleted right after with DeleteRecords, so no
 * consumer ever sees them; they exist only because a broker hands out offsets one per record.
 *
 * Fast for millions: each filler is as small as a record gets (null key, empty value, one short
 * header that marks it), and a dedicated idempotent producer sends them in large lz4 batches
 * without per-record delivery reports (a JavaScript object and callback per filler in the
 * binding; bench/README.md, "Filler records"). Instead, once the producer has flushed, the
 * partition's end offset must be exactly `to`: the idempotent producer writes each filler once
 * and in order, so anything else means a filler was refused (end below `to`) or another producer
 * appended to the partition meanwhile (end above `to`). Both are reported, never deleted blindly. Which offsets below `to`
 * the fillers took does not matter: DeleteRecords removes all of them.
 */
import { rdkafka, type RdError, type RdProducer } from './binding.js';
import type { RdConfig } from './client-config.js';
import { KafkaError } from '../util/errors.js';

/** Header name that marks a strait filler record (its value is empty). */
export const FILLER_HEADER = 'strait.filler';

const QUEUE_FULL = -184;
/** Records queued per burst before the loop yields, so delivery reports come in. */
const BURST = 50_000;
/** Flushing millions of fillers takes seconds; a broker that stays away this long fails the alignment. */
const FLUSH_TIMEOUT_MS = 300_000;

export interface FillResult {
  /** Records written. */
  written: number;
  ms: number;
}

/**
 * Appends fillers to `topic`/`partition` until its next offset is `to`, starting at offset
 * `from` (its current end). Resolves once every filler is acknowledged by all in-sync replicas.
 */
export async function writeFillers(cluster: string, config: RdConfig, topic: string, partition: number, from: number, to: number): Promise<FillResult> {
  const started = Date.now();
  const count = to - from;
  if (count <= 0) return { written: 0, ms: 0 };
  const producer: RdProducer = new rdkafka.Producer({
    ...config,
    'enable.idempotence': true,
    acks: 'all',
    'compression.type': 'lz4',
    'linger.ms': 50,
    'batch.num.messages': 1_000_000,
    // Uncompressed batch bound; compressed, a batch of fillers is a few KiB, far below any
    // broker's message.max.bytes.
    'batch.size': 4_000_000,
    'queue.buffering.max.messages': 2_000_000,
    'message.timeout.ms': 300_000,
    dr_cb: false,
  } as never);
  let failure: KafkaError | undefined;
  producer.on('event.error', (err: RdError) => {
    // The idempotent producer raises fatal errors here (e.g. an out-of-order sequence).
    if (err.isFatal) failure ??= new KafkaError(`KAFKA_${err.code}`, `writing filler records failed: ${err.message}`, { cluster, topic, partition }, false, { cause: err });
  });
  await new Promise<void>((resolve, reject) =>
    producer.connect({ timeout: 30_000 }, (err: RdError | null) => (err ? reject(new KafkaError(`KAFKA_${err.code}`, `the filler producer could not connect: ${err.message}`, { cluster }, true, { cause: err })) : resolve())),
  );
  producer.setPollInBackground(true);
  try {
    const value = Buffer.alloc(0);
    const headers = [{ [FILLER_HEADER]: value }];
    let sent = 0;
    while (sent < count && !failure) {
      const end = Math.min(count, sent + BURST);
      while (sent < end) {
        try {
          producer.produce(topic, partition, value, null, undefined, undefined, headers);
          sent++;
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code !== QUEUE_FULL) throw new KafkaError(`KAFKA_${String(code)}`, `queuing filler records failed: ${(err as Error).message}`, { cluster, topic, partition }, true, { cause: err });
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    await new Promise<void>((resolve, reject) =>
      producer.flush(FLUSH_TIMEOUT_MS, (err) => (err ? reject(new KafkaError(`KAFKA_${err.code}`, `writing filler records did not finish: ${err.message}`, { cluster, topic, partition }, true, { cause: err })) : resolve())),
    );
    if (failure) throw failure;
    const end = await new Promise<number>((resolve, reject) => {
      producer.queryWatermarkOffsets(topic, partition, 30_000, (err, offsets) => {
        if (err) reject(new KafkaError(`KAFKA_${err.code}`, `reading the end offset after writing fillers failed: ${err.message}`, { cluster, topic, partition }, true, { cause: err }));
        else resolve(offsets.highOffset);
      });
    });
    if (end !== to) throw unexpectedEnd(cluster, topic, partition, to, end);
    return { written: count, ms: Date.now() - started };
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

function unexpectedEnd(cluster: string, topic: string, partition: number, expected: number, actual: number): KafkaError {
  const why =
    actual > expected
      ? 'another producer wrote to this partition meanwhile, which offset-preserving mode cannot allow (stop that writer, or replicate this topic in at-least-once mode)'
      : 'some filler records were not written (see the errors above); restarting strait resumes the alignment';
  return new KafkaError('OFFSET_DIVERGENCE', `after writing filler records up to offset ${expected - 1} the partition ends at offset ${actual} instead of ${expected}: ${why}`, { cluster, topic, partition }, false);
}
