/**
 * Sample records for the demo and the smoke benchmark: what real topics hold, in small. Each
 * record is a pure function of (topic kind, sequence number, partition count, timestamp), so a
 * test can state exactly what record 40 of "orders" is.
 *
 * Features the replication must carry over untouched, all present in every few records:
 * - keys drawn from a bounded set (the same key comes back, as in compacted topics);
 * - a null key on every 25th record;
 * - a tombstone (key with a null value) on every 20th record that has a key;
 * - headers on every record (`demo-seq`), a `trace-id` on every 3rd, a header with a null value
 *   on every 10th;
 * - an explicit timestamp, chosen by the caller (the demo passes the current time, so that
 *   replication latency, measured from the record timestamp, is meaningful).
 */

/** Header objects as the Kafka binding takes them: one key per object; null is a header without value. */
export type SampleHeader = Record<string, Buffer | null>;

export interface SampleRecord {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  /** Undefined: no headers (as an empty list). */
  headers: SampleHeader[] | undefined;
}

/** Topic kinds, in the order `--topics N` takes them; beyond the list, names are `events-<n>`. */
export const TOPIC_KINDS = ['orders', 'payments', 'clicks', 'shipments', 'refunds', 'sessions', 'inventory', 'reviews'] as const;

/** The kind (last name segment) of the `i`-th demo topic. */
export function topicKind(i: number): string {
  return i < TOPIC_KINDS.length ? TOPIC_KINDS[i] : `events-${i + 1}`;
}

/** What the keys of a kind name, e.g. customer-123 for orders. */
const ENTITY: Record<string, string> = {
  orders: 'customer',
  payments: 'order',
  clicks: 'session',
  shipments: 'order',
  refunds: 'order',
  sessions: 'user',
  inventory: 'sku',
  reviews: 'product',
};

/** A 32-bit integer hash, so "random" fields are deterministic per sequence number. */
export function mix(x: number): number {
  let h = (x ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over the key bytes: a stable key -> partition mapping (not Kafka's murmur2; any stable one will do). */
export function partitionForKey(key: Buffer, partitions: number): number {
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % partitions;
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore '.repeat(40);

/**
 * Record `seq` of a topic of kind `kind` with `partitions` partitions. `valueBytes`, when given,
 * pads the value to about that size (the smoke benchmark's fixed record size); otherwise values
 * vary between roughly 80 and 330 bytes.
 */
export function sampleRecord(kind: string, seq: number, partitions: number, timestamp: number, valueBytes?: number): SampleRecord {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer (got ${partitions})`);
  const r = mix(seq);
  const entity = ENTITY[kind] ?? 'id';
  const key = seq % 25 === 24 ? null : Buffer.from(`${entity}-${r % 1000}`);
  const tombstone = key !== null && seq % 20 === 19;
  let value: Buffer | null = null;
  if (!tombstone) {
    const body = { seq, kind, [entity]: r % 1000, amount: (r % 100_000) / 100, at: new Date(timestamp).toISOString() };
    const json = JSON.stringify(body);
    const target = valueBytes ?? 80 + (r % 250);
    const pad = Math.max(0, target - json.length - 10);
    value = Buffer.from(pad > 0 ? `${json.slice(0, -1)},"note":"${filler(pad)}"}` : json);
  }
  const headers: SampleHeader[] = [{ 'demo-seq': Buffer.from(String(seq)) }];
  if (seq % 3 === 0) headers.push({ 'trace-id': Buffer.from(r.toString(16).padStart(8, '0')) });
  if (seq % 10 === 0) headers.push({ retry: null });
  const partition = key === null ? seq % partitions : partitionForKey(key, partitions);
  return { partition, key, value, timestamp, headers };
}

function filler(n: number): string {
  let s = '';
  while (s.length < n) s += FILLER.slice(0, n - s.length);
  return s;
}
