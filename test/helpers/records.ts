/**
 * Test data on real clusters: deterministic records (keys, headers, tombstones, null keys,
 * explicit timestamps) written to a source topic, and per-partition reads that hash or list what
 * a topic holds, so source and target can be compared record for record.
 */
import { createHash } from 'node:crypto';
import { hashRecord, partitionRanges, scanPartitions } from '../../src/demo/digest.js';
import { produceAll } from '../../src/demo/produce.js';

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
  try {
    await produceAll(bootstrap, count, (k) => {
      const i = from + k;
      return { topic, record: { ...makeRecord(tag, i, options.valueSize), partition: i % partitions } };
    });
  } catch (err) {
    throw new Error(`producing test records failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export interface PartitionContent {
  count: number;
  /** sha256 over every record's key, value, headers and timestamp, in offset order. */
  digest: string;
  /** Sequence numbers (from timestamps) in offset order. */
  sequences: number[];
}

/** Reads a whole partition (up to its current end) and returns its digest and sequences. */
export async function readPartition(bootstrap: string, topic: string, partition: number): Promise<PartitionContent> {
  const ranges = await partitionRanges('test', bootstrap, [{ topic, partition }]);
  const h = createHash('sha256');
  const sequences: number[] = [];
  await scanPartitions(bootstrap, ranges, (_, m) => {
    hashRecord(h, m);
    sequences.push(sequenceOf(m.timestamp ?? 0));
  });
  return { count: sequences.length, digest: h.digest('hex'), sequences };
}
