/**
 * Reading what partitions hold, to compare a source with its replica: a digest per partition
 * (count and sha256 over every record's key, value, timestamp and headers, in offset order) and,
 * for a partition whose digest differs, one short id per record to tell missing records from
 * duplicates.
 *
 * One consumer per cluster reads all the partitions asked for, without a group subscription
 * (plain assign) and without committing anything.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { rdkafka, type RdMessage } from '../kafka/binding.js';
import { KafkaAdmin } from '../kafka/admin.js';
import { partitionKey } from '../util/partition-key.js';

export interface PartitionRef {
  topic: string;
  partition: number;
}

/** Offsets [start, end) of a partition: its log start and its end when asked. */
export interface PartitionRange extends PartitionRef {
  start: number;
  end: number;
}

export interface PartitionDigest {
  count: number;
  /** sha256 hex over every record, in offset order. */
  digest: string;
}

/** The fields of a record that replication must preserve. */
export type RecordFields = Pick<RdMessage, 'key' | 'value' | 'timestamp' | 'headers'>;

/** Feeds one record into `h`: lengths are hashed with the bytes, so field boundaries cannot shift. */
export function hashRecord(h: Hash, m: RecordFields): void {
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
  for (const hdr of (m.headers ?? []) as Record<string, Buffer | string | null>[]) {
    for (const [k, v] of Object.entries(hdr)) {
      h.update(`\u0000H${k}`);
      field(v);
    }
  }
}

/** A short id of one record's content (80 bits of sha1): equal records have equal ids. */
export function recordId(m: RecordFields): string {
  const h = createHash('sha1');
  hashRecord(h, m);
  return h.digest('hex').slice(0, 20);
}

/** Log start and end offsets of the given partitions, in the same order. */
export async function partitionRanges(cluster: string, bootstrap: string, parts: PartitionRef[]): Promise<PartitionRange[]> {
  if (parts.length === 0) return [];
  const admin = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
  try {
    const bounds = await admin.logBounds(parts);
    return parts.map((p) => {
      const b = bounds.get(partitionKey(p.topic, p.partition));
      return { topic: p.topic, partition: p.partition, start: b?.logStart ?? 0, end: b?.end ?? 0 };
    });
  } finally {
    admin.close();
  }
}

/**
 * Calls `onRecord(i, message)` for every record of every `ranges[i]`, in offset order within a
 * partition, and resolves when each range is read to its end. Records past a range's end
 * (written after it was taken) are skipped.
 *
 * A range is done when its record at `end - 1` arrived, or when the consumer reached the end of
 * the partition at or past `end`: the last offsets may be transaction markers (an exactly-once
 * flow's target) or aborted records, which never arrive. Reads are read_committed.
 */
export async function scanPartitions(bootstrap: string, ranges: PartitionRange[], onRecord: (index: number, m: RdMessage) => void, timeoutMs = 180_000): Promise<void> {
  const index = new Map<string, number>();
  const pending = new Set<number>();
  ranges.forEach((r, i) => {
    index.set(`${r.topic}\u0000${r.partition}`, i);
    if (r.end > r.start) pending.add(i);
  });
  if (pending.size === 0) return;
  const consumer = new rdkafka.KafkaConsumer(
    {
      'bootstrap.servers': bootstrap,
      'client.id': 'strait-reader',
      // Required by the client even for plain assign(); nothing is ever committed under it.
      'group.id': `strait-reader-${process.pid}-${randomBytes(3).toString('hex')}`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
      'isolation.level': 'read_committed',
    },
    {},
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(new Error(`cannot connect a reader to ${bootstrap}: ${err.message}`)) : resolve())));
  consumer.on('partition.eof', (eof: { topic: string; partition: number; offset: number }) => {
    const i = index.get(`${eof.topic}\u0000${eof.partition}`);
    if (i !== undefined && eof.offset >= ranges[i].end) pending.delete(i);
  });
  const deadline = Date.now() + timeoutMs;
  try {
    consumer.setDefaultConsumeTimeout(200);
    consumer.assign([...pending].map((i) => ({ topic: ranges[i].topic, partition: ranges[i].partition, offset: ranges[i].start })));
    while (pending.size > 0) {
      if (Date.now() > deadline) {
        const r = ranges[[...pending][0]];
        throw new Error(`reading ${pending.size} partition(s) of ${bootstrap} did not finish within ${Math.round(timeoutMs / 1000)} s (e.g. ${r.topic}-${r.partition} up to offset ${r.end})`);
      }
      const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(new Error(`reading from ${bootstrap} failed: ${err.message}`)) : resolve(m))));
      for (const m of batch) {
        const i = index.get(`${m.topic}\u0000${m.partition}`);
        if (i === undefined || m.offset >= ranges[i].end) continue;
        onRecord(i, m);
        if (m.offset >= ranges[i].end - 1) pending.delete(i);
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Count and digest of every range, read with one consumer. */
export async function digestPartitions(bootstrap: string, ranges: PartitionRange[]): Promise<PartitionDigest[]> {
  const hashes = ranges.map(() => createHash('sha256'));
  const counts = ranges.map(() => 0);
  await scanPartitions(bootstrap, ranges, (i, m) => {
    hashRecord(hashes[i], m);
    counts[i]++;
  });
  return ranges.map((_, i) => ({ count: counts[i], digest: hashes[i].digest('hex') }));
}

/** The id of every record of one range, in offset order. */
export async function recordIds(bootstrap: string, range: PartitionRange): Promise<string[]> {
  const ids: string[] = [];
  await scanPartitions(bootstrap, [range], (_, m) => ids.push(recordId(m)));
  return ids;
}
