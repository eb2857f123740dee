/**
 * What a plan is made for: the load on the source topics of the flows, measured by sampling the
 * clusters (sample.ts) or stated on the command line for a what-if plan. Bytes are key + value +
 * header bytes as the applications wrote them (uncompressed); `wireBytesPerByte` says what the
 * source's batches make of them on the wire and on disk.
 */

export interface TopicLoad {
  /** Flow name, so a plan of several flows can say which flow a topic belongs to. */
  flow: string;
  topic: string;
  partitions: number;
  recordsPerSec: number;
  /** Key + value + header bytes per second (uncompressed). */
  bytesPerSec: number;
  /** Mean and 99th percentile of key + value + header bytes per record; undefined when no record was read. */
  meanRecordBytes: number | undefined;
  p99RecordBytes: number | undefined;
  /** Shares of the bytes (sum 1); undefined when no record was read. */
  split: { key: number; value: number; headers: number } | undefined;
  /** Bytes on disk (and so on the wire) per uncompressed byte; undefined when it could not be measured. */
  wireBytesPerByte: number | undefined;
  /** Records/s of each partition, by partition number (the skew in full). */
  partitionRecordsPerSec: number[];
  /** The hottest partition and its share of the topic's records (1 / partitions when even). */
  hottest: { partition: number; recordsPerSec: number; share: number };
  /** No record was appended during the sample. */
  idle: boolean;
  /** Records read to measure the sizes (a bounded sample of what was appended). */
  sampledRecords: number;
}

export interface Workload {
  /** 'sampled' from clusters, or 'stated' on the command line. */
  origin: 'sampled' | 'stated';
  /** How the load was obtained, for the plan's notes (e.g. "sampled 60 s from east"). */
  description: string;
  topics: TopicLoad[];
  /** Brokers of the source cluster (connections per worker consumer); undefined if unknown. */
  sourceBrokers: number | undefined;
}

export interface StatedLoad {
  recordsPerSec?: number;
  bytesPerSec?: number;
  recordBytes: number;
  partitions: number;
  /** Share of the records of the hottest partition (default: even). */
  hottestShare?: number;
  wireBytesPerByte?: number;
  sourceBrokers?: number;
}

/** A what-if load: one topic of the stated rate, record size and partitions. */
export function statedWorkload(s: StatedLoad): Workload {
  const recordsPerSec = s.recordsPerSec ?? (s.bytesPerSec ?? 0) / s.recordBytes;
  const share = s.hottestShare ?? 1 / s.partitions;
  return {
    origin: 'stated',
    description: `stated on the command line: ${Math.round(recordsPerSec)} records/s of ${Math.round(s.recordBytes)} B over ${s.partitions} partitions`,
    sourceBrokers: s.sourceBrokers,
    topics: [
      {
        flow: '(what-if)',
        topic: '(stated load)',
        partitions: s.partitions,
        recordsPerSec,
        bytesPerSec: recordsPerSec * s.recordBytes,
        meanRecordBytes: s.recordBytes,
        p99RecordBytes: s.recordBytes,
        split: undefined,
        wireBytesPerByte: s.wireBytesPerByte,
        partitionRecordsPerSec: Array.from({ length: s.partitions }, (_, p) => (p === 0 ? recordsPerSec * share : (recordsPerSec * (1 - share)) / Math.max(1, s.partitions - 1))),
        hottest: { partition: 0, recordsPerSec: recordsPerSec * share, share },
        idle: false,
        sampledRecords: 0,
      },
    ],
  };
}

/** Totals over the topics that carried traffic. */
export function totals(w: Workload): { recordsPerSec: number; bytesPerSec: number; partitions: number; meanRecordBytes: number } {
  const busy = w.topics.filter((t) => !t.idle);
  const recordsPerSec = busy.reduce((s, t) => s + t.recordsPerSec, 0);
  const bytesPerSec = busy.reduce((s, t) => s + t.bytesPerSec, 0);
  return {
    recordsPerSec,
    bytesPerSec,
    partitions: w.topics.reduce((s, t) => s + t.partitions, 0),
    meanRecordBytes: recordsPerSec > 0 ? bytesPerSec / recordsPerSec : 0,
  };
}
