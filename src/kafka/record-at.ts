/**
 * Reads the one record at a given offset of a partition, with its headers: the offset-preserving
 * mode compares the target's last record with the source record at the same offset before it
 * resumes (src/coordinator/preserve.ts).
 *
 * The consumer is assigned the partition (no group membership, nothing committed). If the offset
 * holds no record (a transaction marker, a compacted record), the first record after it is
 * returned, so the caller sees the hole in the returned offset; `undefined` when nothing at or
 * after the offset arrives before the partition's end.
 */
import { rdkafka, type RdMessage } from './binding.js';
import type { RdConfig } from './client-config.js';
import { readFailure } from './reader.js';
import { KafkaError } from '../util/errors.js';

export interface FullRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number | undefined;
  /** Headers in record order, as [name, value] pairs. */
  headers: [string, Buffer | null][];
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function toFullRecord(m: Pick<RdMessage, 'offset' | 'key' | 'value' | 'timestamp' | 'headers'>): FullRecord {
  const headers: [string, Buffer | null][] = [];
  for (const h of m.headers ?? []) {
    for (const [name, v] of Object.entries(h)) headers.push([name, v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v))]);
  }
  return { offset: m.offset, key: typeof m.key === 'string' ? Buffer.from(m.key) : (m.key ?? null), value: m.value ?? null, timestamp: m.timestamp, headers };
}

export async function readRecordAt(cluster: string, config: RdConfig, topic: string, partition: number, offset: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FullRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  const consumer = new rdkafka.KafkaConsumer(
    {
      'group.id': 'strait-record-reader',
      ...config,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
      // Read committed: an aborted record at this offset is not the record a consumer sees.
      'isolation.level': 'read_committed',
    },
    // An offset below the log start must not silently read another record.
    { 'auto.offset.reset': 'error' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: Math.min(timeoutMs, 30_000) }, (err) => (err ? reject(readFailure(err, cluster, topic, partition, 'connecting the record reader')) : resolve())),
  );
  try {
    let eof = false;
    consumer.on('partition.eof', (e) => {
      if (e.topic === topic && e.partition === partition && e.offset > offset) eof = true;
    });
    consumer.assign([{ topic, partition, offset }]);
    while (!eof) {
      const left = deadline - Date.now();
      if (left <= 0) throw new KafkaError('READ_TIMEOUT', `reading the record at offset ${offset} did not finish within ${timeoutMs} ms`, { cluster, topic, partition }, true);
      consumer.setDefaultConsumeTimeout(Math.min(500, left));
      const batch = await new Promise<RdMessage[]>((resolve, reject) =>
        consumer.consume(1, (err, messages) => (err ? reject(readFailure(err, cluster, topic, partition, `reading the record at offset ${offset}`)) : resolve(messages))),
      );
      for (const m of batch) if (m.topic === topic && m.partition === partition && m.offset >= offset) return toFullRecord(m);
    }
    return undefined;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
