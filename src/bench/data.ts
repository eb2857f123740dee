/**
 * The benchmark's records: fixed-size values drawn from a pool, keys, partitions, and the bulk
 * load of the source topics.
 *
 * What the values look like matters as soon as a replicator compresses (strait does by default,
 * and MM2's tuning guides tell it to): a value of one repeated letter would compress to nothing
 * and flatter whoever compresses. So a value is half text from a small vocabulary (compresses
 * well, like JSON field names and enums) and half random letters and digits (compresses little,
 * like ids and hashes), printable ASCII without newlines so the same values can feed Kafka's
 * ProducerPerformance through a payload file (one value per line).
 *
 * Every record is a pure function of (size, index): key `k<index mod 1,000,000, 7 digits>`
 * (8 bytes), value `pool[index mod POOL_SIZE]`, partition `index mod partitions` (round robin, so
 * every partition holds the same count), timestamp = the time it was produced.
 */
import { writeFile } from 'node:fs/promises';
import { KafkaAdmin } from '../kafka/admin.js';
import { produceAll } from '../demo/produce.js';
import type { SampleRecord } from '../demo/records.js';
import { KEY_BYTES } from './results.js';

export { KEY_BYTES };

/** Distinct values per record size: enough that batches are not one value repeated. */
export const POOL_SIZE = 512;

const WORDS = (
  'order payment customer account status pending shipped delivered amount currency region store ' +
  'product quantity price discount total session event click view cart checkout user device ' +
  'country city street email phone created updated version source target partition offset'
).split(' ');
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A small deterministic PRNG (mulberry32), so pools are identical on every run and machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One value of exactly `size` bytes: alternating runs of words and random characters. */
export function makeValue(size: number, random: () => number): Buffer {
  const out = Buffer.alloc(size);
  let i = 0;
  let words = true;
  while (i < size) {
    // Runs of ~16-48 bytes keep both kinds in every value, even a 100-byte one.
    const run = Math.min(size - i, 16 + Math.floor(random() * 32));
    const end = i + run;
    if (words) {
      while (i < end) {
        const w = WORDS[Math.floor(random() * WORDS.length)];
        for (let k = 0; k < w.length && i < end; k++) out[i++] = w.charCodeAt(k);
        if (i < end) out[i++] = 0x20;
      }
    } else {
      while (i < end) out[i++] = ALPHANUMERIC.charCodeAt(Math.floor(random() * ALPHANUMERIC.length));
    }
    words = !words;
  }
  return out;
}

/** The value pool of one record size (seeded by the size: same pool every time). */
export function valuePool(size: number, count = POOL_SIZE): Buffer[] {
  const random = prng(0x5eed0000 + size);
  return Array.from({ length: count }, () => makeValue(size, random));
}

export function keyOf(index: number): Buffer {
  return Buffer.from(`k${String(index % 1_000_000).padStart(KEY_BYTES - 1, '0')}`);
}

/** Record `index` of a bulk topic. */
export function bulkRecord(pool: readonly Buffer[], partitions: number, index: number, timestamp: number): SampleRecord {
  return { partition: index % partitions, key: keyOf(index), value: pool[index % pool.length], timestamp, headers: undefined };
}

/** Bytes of key and value of one record: the "data" a replicator moves (MB/s counts these). */
export function recordBytes(size: number): number {
  return KEY_BYTES + size;
}

/** The ProducerPerformance payload file: the pool, one value per line. */
export async function writePayloadFile(file: string, pool: readonly Buffer[]): Promise<void> {
  await writeFile(file, Buffer.concat(pool.flatMap((v) => [v, Buffer.from('\n')])));
}

/** Human label of a record size: 100 B, 1 KiB, 10 KiB. */
export function sizeLabel(size: number): string {
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`;
  return `${size} B`;
}

/**
 * How the bulk load is compressed on the source. lz4, as a typical producer would send it: a
 * replicator then pays for decompressing what it reads, as it would in production.
 */
export const SOURCE_COMPRESSION = 'lz4';

export interface BulkTopic {
  name: string;
  size: number;
  partitions: number;
  records: number;
}

/** Creates a topic (plain settings) and writes its records as fast as the cluster takes them. */
export async function preloadTopic(bootstrap: string, topic: BulkTopic, onProgress: (acked: number) => void, cluster = 'source'): Promise<void> {
  const admin = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopic(topic.name, topic.partitions, 1);
  } finally {
    admin.close();
  }
  const pool = valuePool(topic.size);
  // Bound the bytes waiting for acknowledgement to ~64 MB whatever the record size.
  const maxOutstanding = Math.max(1_000, Math.floor((64 * 1024 * 1024) / recordBytes(topic.size)));
  await produceAll(bootstrap, topic.records, (i) => ({ topic: topic.name, record: bulkRecord(pool, topic.partitions, i, Date.now()) }), {
    maxOutstanding,
    onProgress,
    properties: { 'compression.type': SOURCE_COMPRESSION, 'linger.ms': 20, 'batch.size': 1_000_000 },
  });
}
