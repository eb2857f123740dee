/**
 * A batch of consumed source records as the relay loop reads it: numbers in one Float64Array,
 * not an object per record.
 *
 * Why: the binding's ordinary consume() builds a JavaScript object with copied key and value
 * Buffers and a headers array for every record, and the relay never looks inside a record; it
 * only needs where the record came from and where it stands. With the binding's relay fast path
 * (native-notes/relay-fast-path.md) the records stay in librdkafka's memory, the consumer writes
 * these numbers, and the producer copies each record straight from the consumer by its index.
 *
 * Layout of `meta`, META_STRIDE numbers per record, record i at i * META_STRIDE:
 *
 *   +0 topic      index into `topics`
 *   +1 partition
 *   +2 offset     (int64 in Kafka; exact here up to 2^53)
 *   +3 timestamp  ms, or -1 when the record has none
 *   +4 size       value bytes
 */
export const META_STRIDE = 5;
export const M_TOPIC = 0;
export const M_PARTITION = 1;
export const M_OFFSET = 2;
export const M_TIMESTAMP = 3;
export const M_SIZE = 4;

export interface SourceBatch {
  /** Number of records. A batch is valid until the consumer's next consume() call. */
  readonly count: number;
  readonly meta: Float64Array;
  /** Topic names by their index in `meta`. */
  readonly topics: readonly string[];
}

export type HeaderList = Record<string, Buffer | string | null>[];

/** One source record as JavaScript objects (test fakes, tools that read records). */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  key?: Buffer | string | null;
  timestamp?: number;
  headers?: HeaderList;
  size: number;
}

/** A SourceBatch over records held as objects: what fakes of the consumer hand out. */
export class RecordBatch implements SourceBatch {
  readonly count: number;
  readonly meta: Float64Array;
  readonly topics: string[] = [];

  constructor(readonly records: readonly SourceRecord[]) {
    this.count = records.length;
    this.meta = new Float64Array(Math.max(1, records.length) * META_STRIDE);
    const topicIndex = new Map<string, number>();
    records.forEach((r, i) => {
      let t = topicIndex.get(r.topic);
      if (t === undefined) {
        t = this.topics.length;
        this.topics.push(r.topic);
        topicIndex.set(r.topic, t);
      }
      const b = i * META_STRIDE;
      this.meta[b + M_TOPIC] = t;
      this.meta[b + M_PARTITION] = r.partition;
      this.meta[b + M_OFFSET] = r.offset;
      this.meta[b + M_TIMESTAMP] = r.timestamp !== undefined && r.timestamp >= 0 ? r.timestamp : -1;
      this.meta[b + M_SIZE] = r.size;
    });
  }
}

/** The record at `index` of a batch built from records (fakes of the producer read it). */
export function recordAt(batch: SourceBatch, index: number): SourceRecord {
  if (!(batch instanceof RecordBatch)) throw new Error('recordAt: the batch does not hold record objects');
  const r = batch.records[index];
  if (!r) throw new Error(`recordAt: no record ${index} in a batch of ${batch.count}`);
  return r;
}
