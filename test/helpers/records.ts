/**
 * Test data on real clusters: deterministic records (keys, headers, tombstones, null keys,
 * explicit timestamps) written to a source topic, and per-partition reads that hash or list what
 * a topic holds, so source and target can be compared record for record.
 */
import { createHash } from 'node:crypto';
import { rdkafka, type RdError, type RdMessage } from '../../src/kafka/binding.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';

export interface GeneratedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Record<string, Buffer | null>[] | undefined;
}

/**
 * Base of generated timestamps, fixed per test process so a relayed record's timestamp tells its
 * sequence number. Recent on purpose: the brokers' time-based retention (7 days) would delete
 * records stamped in the past, and they refuse timestamps more than an hour ahead.
 */
export const BASE_TIMESTAMP = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

/**
 * Record `i` of a run named `tag`. Every 50th is a tombstone (null value), every 70th has a null
 * key, every 5th carries headers (one with a null value), sizes vary.
 */
export function makeRecord(tag: string, i: number, valueSize = 100): GeneratedRecord {
  const key = i % 70 === 0 ? null : Buffer.from(`${tag}:${i}`);
  const value = i % 50 === 0 ? null : Buffer.alloc(valueSize + (i % 17), String.fromCharCode(97 + (i % 26)));
  const headers: Record<string, Buffer | null>[] | undefined = i % 5 === 0 ? [{ seq: Buffer.from(String(i)) }, { trace: i % 10 === 0 ? null : Buffer.from(`t${i}`) }] : undefined;
  return { key, value, timestamp: BASE_TIMESTAMP + i, headers };
}

/** The sequence number a record was generated with (kept in its timestamp, which is relayed untouched). */
export function sequenceOf(timestamp: number): number {
  return timestamp - BASE_TIMESTAMP;
}

export async function produceRecords(
  bootstrap: string,
  topic: string,
  partitions: number,
  from: number,
  count: number,
  tag: string,
  options: { valueSize?: number } = {},
): Promise<void> {
  let acked = 0;
  let failed: string | undefined;
  const producer = new rdkafka.Producer({ 'bootstrap.servers': bootstrap, 'enable.idempotence': true, 'linger.ms': 10, 'queue.buffering.max.messages': 500_000, dr_cb: true });
  producer.on('delivery-report', (err: RdError | null) => {
    if (err) failed = err.message;
    acked++;
  });
  producer.setPollInterval(5);
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())));
  for (let i = from; i < from + count; i++) {
    while (i - from - acked > 200_000) await new Promise((r) => setTimeout(r, 2));
    const r = makeRecord(tag, i, options.valueSize);
    producer.produce(topic, i % partitions, r.value, r.key, r.timestamp, undefined, r.headers as never);
  }
  await new Promise<void>((resolve) => producer.flush(120_000, () => resolve()));
  for (let k = 0; k < 1000 && acked < count; k++) await new Promise((r) => setTimeout(r, 10));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  if (failed) throw new Error(`producing test records failed: ${failed}`);
  if (acked !== count) throw new Error(`only ${acked} of ${count} test records were acknowledged`);
}

export interface PartitionContent {
  count: number;
  /** sha256 over every record's key, value, headers and timestamp, in offset order. */
  digest: string;
  /** Sequence numbers (from timestamps) in offset order. */
  sequences: number[];
}

function hashRecord(h: ReturnType<typeof createHash>, m: RdMessage): void {
  const field = (b: Buffer | string | null | undefined): void => {
    if (b === null || b === undefined) h.update('\u0000N');
    else {
      h.update(`\u0000${b.length}:`);
      h.update(b);
    }
  };
  field(m.key);
  field(m.value);
  h.update(`\u0000T${m.timestamp ?? -1}`);
  for (const hdr of (m.headers ?? []) as Record<string, Buffer | null>[]) {
    for (const [k, v] of Object.entries(hdr)) {
      h.update(`\u0000H${k}`);
      field(v);
    }
  }
}

/** Reads a whole partition (up to its current end) and returns its digest and sequences. */
export async function readPartition(bootstrap: string, topic: string, partition: number): Promise<PartitionContent> {
  const admin = new KafkaAdmin('test', { 'bootstrap.servers': bootstrap });
  let end: number;
  let start: number;
  try {
    end = (await admin.listOffsets([{ topic, partition }], 'latest'))[0].offset;
    start = (await admin.listOffsets([{ topic, partition }], 'earliest'))[0].offset;
  } finally {
    admin.close();
  }
  const h = createHash('sha256');
  const sequences: number[] = [];
  if (end <= start) return { count: 0, digest: h.digest('hex'), sequences };
  const consumer = new rdkafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': `reader-${process.pid}`, 'enable.auto.commit': false, 'enable.partition.eof': false }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())));
  consumer.setDefaultConsumeTimeout(200);
  consumer.assign([{ topic, partition, offset: start }]);
  let last = start - 1;
  const deadline = Date.now() + 180_000;
  try {
    while (last < end - 1) {
      if (Date.now() > deadline) throw new Error(`reading ${topic}-${partition} timed out at offset ${last} of ${end}`);
      const msgs = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(new Error(err.message)) : resolve(m))));
      for (const m of msgs) {
        if (m.offset >= end) continue;
        hashRecord(h, m);
        sequences.push(sequenceOf(m.timestamp ?? 0));
        last = m.offset;
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return { count: sequences.length, digest: h.digest('hex'), sequences };
}
