/**
 * Reads one partition from its beginning to the end it had when the read started, and returns
 * the raw records. Made for MM2's small compacted, single-partition internal topics
 * (checkpoints, heartbeats, offset syncs), which are read whole, the way MirrorClient does.
 *
 * The consumer is assigned the partition (no group membership, nothing committed), so it
 * needs no group and leaves no trace on the cluster. A read ends when a record at or past the
 * last offset arrived, or when librdkafka reports the end of the partition: the last offsets of
 * a log may be transaction markers or compacted away, and never arrive as records.
 */
import { rdkafka, type RdError, type RdMessage } from './binding.js';
import type { RdConfig } from './client-config.js';
import { KafkaError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';

export interface RawRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Record timestamp (ms), when the broker gave one. */
  timestamp: number | undefined;
  /** Bytes of the record's header keys and values (0 without headers; records made by hand may leave it out). */
  headerBytes?: number;
}

type Headers = RdMessage['headers'];

/** Header keys and values in bytes, as the producer wrote them. */
function headerBytesOf(headers: Headers): number {
  if (!headers) return 0;
  let n = 0;
  for (const h of headers) {
    for (const [k, v] of Object.entries(h)) n += Buffer.byteLength(k) + (v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : (v).length);
  }
  return n;
}

function rawRecord(m: RdMessage): RawRecord {
  return { offset: m.offset, key: typeof m.key === 'string' ? Buffer.from(m.key) : (m.key ?? null), value: m.value ?? null, timestamp: m.timestamp, headerBytes: headerBytesOf(m.headers) };
}

export interface ReadOptions {
  /** Give up (with a KafkaError) after this long. Default 60 s, the Java clients' default.api.timeout.ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** A consume or read error of one partition, as a KafkaError naming it. */
export function readFailure(err: RdError, cluster: string, topic: string, partition: number, what: string): KafkaError {
  return new KafkaError(`KAFKA_${err.code}`, `${what} failed: ${err.message}`, { cluster, topic, partition }, err.isRetriable === true, { cause: err });
}

/**
 * All records of `topic` partition `partition` from the log start to the end offset at the time
 * of the call, in offset order. `config` needs bootstrap.servers (and security settings).
 */
export async function readPartitionToEnd(cluster: string, config: RdConfig, topic: string, partition = 0, options: ReadOptions = {}): Promise<RawRecord[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const consumer = new rdkafka.KafkaConsumer(
    {
      // librdkafka wants a group id for a consumer; with assign() it is never used to join.
      'group.id': 'strait-internal-topic-reader',
      ...config,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: Math.min(timeoutMs, 30_000) }, (err) => (err ? reject(readFailure(err, cluster, topic, partition, 'connecting the reader')) : resolve())),
  );
  try {
    const { lowOffset, highOffset } = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) => {
      consumer.queryWatermarkOffsets(topic, partition, Math.max(1, deadline - Date.now()), (err, offsets) => {
        if (err) reject(readFailure(err, cluster, topic, partition, 'reading the log start and end offsets'));
        else resolve(offsets);
      });
    });
    const records: RawRecord[] = [];
    if (highOffset <= lowOffset) return records;

    let reachedEnd = false;
    consumer.on('partition.eof', (eof) => {
      if (eof.topic === topic && eof.partition === partition && eof.offset >= highOffset) reachedEnd = true;
    });
    consumer.assign([{ topic, partition, offset: lowOffset }]);
    while (!reachedEnd) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const at = records.length > 0 ? records[records.length - 1].offset : lowOffset - 1;
        throw new KafkaError(
          'READ_TIMEOUT',
          `reading offsets ${lowOffset}..${highOffset - 1} did not finish within ${timeoutMs} ms (last record read: ${at < lowOffset ? 'none' : at})`,
          { cluster, topic, partition },
          true,
        );
      }
      consumer.setDefaultConsumeTimeout(Math.min(500, left));
      const batch = await new Promise<RdMessage[]>((resolve, reject) =>
        consumer.consume(1000, (err, messages) => (err ? reject(readFailure(err, cluster, topic, partition, 'consuming')) : resolve(messages))),
      );
      for (const m of batch) {
        if (m.topic !== topic || m.partition !== partition || m.offset >= highOffset) continue;
        records.push(rawRecord(m));
        if (m.offset >= highOffset - 1) reachedEnd = true;
      }
    }
    return records;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Where to start reading one partition, and how many records to take from there at most. */
export interface ReadStart {
  topic: string;
  partition: number;
  offset: number;
  max: number;
}

/**
 * Up to `max` records of each partition from `offset` on (the next existing records: compaction
 * holes and transaction markers are skipped), stopping at the end the partition had when the read
 * started. One consumer for all partitions. The result is keyed by partitionKey; a partition with
 * nothing at or after its offset maps to an empty list.
 */
export async function readRecordsFrom(cluster: string, config: RdConfig, starts: ReadStart[], options: ReadOptions = {}): Promise<Map<string, RawRecord[]>> {
  const out = new Map<string, RawRecord[]>();
  if (starts.length === 0) return out;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const consumer = new rdkafka.KafkaConsumer(
    { 'group.id': 'strait-record-reader', ...config, 'enable.auto.commit': false, 'enable.auto.offset.store': false, 'enable.partition.eof': true },
    { 'auto.offset.reset': 'earliest' },
  );
  const first = starts[0];
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: Math.min(timeoutMs, 30_000) }, (err) => (err ? reject(readFailure(err, cluster, first.topic, first.partition, 'connecting the reader')) : resolve())),
  );
  try {
    const pending = new Map<string, { start: ReadStart; high: number }>();
    for (const s of starts) {
      out.set(partitionKey(s.topic, s.partition), []);
      const { highOffset: high } = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) => {
        consumer.queryWatermarkOffsets(s.topic, s.partition, Math.max(1, deadline - Date.now()), (err, offsets) => {
          if (err) reject(readFailure(err, cluster, s.topic, s.partition, 'reading the end offset'));
          else resolve(offsets);
        });
      });
      if (s.offset < high && s.max > 0) pending.set(partitionKey(s.topic, s.partition), { start: s, high });
    }
    if (pending.size === 0) return out;
    // The binding may report a partition's end before it hands over the batch that reached it:
    // ends are applied after each batch, so those records are still taken.
    const ended = new Set<string>();
    consumer.on('partition.eof', (eof) => {
      const p = pending.get(partitionKey(eof.topic, eof.partition));
      if (p && eof.offset >= p.high) ended.add(partitionKey(eof.topic, eof.partition));
    });
    consumer.assign([...pending.values()].map((p) => ({ topic: p.start.topic, partition: p.start.partition, offset: p.start.offset })));
    while (pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const [p] = pending.values();
        throw new KafkaError('READ_TIMEOUT', `reading from offset ${p.start.offset} did not finish within ${timeoutMs} ms`, { cluster, topic: p.start.topic, partition: p.start.partition }, true);
      }
      consumer.setDefaultConsumeTimeout(Math.min(500, left));
      const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(1000, (err, messages) => (err ? reject(readFailure(err, cluster, first.topic, first.partition, 'consuming')) : resolve(messages))));
      for (const m of batch) {
        const k = partitionKey(m.topic, m.partition);
        const p = pending.get(k);
        if (!p || m.offset >= p.high) continue;
        const list = out.get(k)!;
        list.push(rawRecord(m));
        if (list.length >= p.start.max || m.offset >= p.high - 1) pending.delete(k);
      }
      for (const k of ended) pending.delete(k);
      ended.clear();
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
