/**
 * Measuring the load a plan is made for: every topic the configured flows would replicate is
 * watched on its source cluster for a bounded time. Records/s per partition come from the end
 * offsets at the start and the end of the sample; sizes (mean, p99, key/value/header split)
 * from a bounded number of the records appended meanwhile, read back; the compression of the
 * source batches from the partitions' log sizes at both ends, over the record bytes appended.
 *
 * Read-only: no group is joined, nothing is committed or written (the probe assigns partitions).
 * Pure over the SourceProbe adapter, so it is unit-tested with a fake one; probe.ts is the real one.
 */
import type { FlowConfig } from '../config/types.js';
import type { RawRecord, ReadStart } from '../kafka/reader.js';
import type { TopicInfo } from '../kafka/admin.js';
import { policyForFlow, shouldReplicateTopic } from '../mirror/policy.js';
import type { Progress } from '../sandbox/progress.js';
import { StraitError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';
import type { TopicLoad, Workload } from './workload.js';

type PartitionRef = { topic: string; partition: number };

/** What sampling needs of one source cluster (probe.ts: the Kafka implementation). */
export interface SourceProbe {
  readonly cluster: string;
  /** Every topic of the cluster with its partition count. */
  topics(): Promise<TopicInfo[]>;
  /** End offsets (next offset to be written), keyed by partitionKey. */
  ends(partitions: readonly PartitionRef[]): Promise<Map<string, number>>;
  /** Bytes on disk per partition and the brokers that answered; undefined when the cluster does not say (e.g. no DescribeLogDirs permission). */
  logSizes(partitions: readonly PartitionRef[]): Promise<{ sizes: Map<string, number>; brokers: number } | undefined>;
  /** Up to `max` records of each partition from `offset` on. */
  records(starts: readonly ReadStart[]): Promise<Map<string, RawRecord[]>>;
  close(): Promise<void>;
}

export class SampleError extends StraitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLAN_SAMPLE_FAILED', message, options);
  }
}

export interface SampleOptions {
  durationMs: number;
  /** Records read back per partition at most (sizes); spread over the partitions, see recordsToRead. */
  maxRecordsPerPartition?: number;
  /** Records read back in all at most. */
  maxRecords?: number;
  progress: Progress;
  /** Injectable clock and sleep for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_MAX_PER_PARTITION = 2_000;
const DEFAULT_MAX_RECORDS = 200_000;
/** How often the live progress line re-reads the end offsets. */
const POLL_MS = 5_000;

/** The topics of `flows` on their (shared) source cluster, as the engine would select them. */
export function selectedTopics(flows: readonly FlowConfig[], topics: readonly TopicInfo[]): { flow: string; info: TopicInfo }[] {
  const out: { flow: string; info: TopicInfo }[] = [];
  const taken = new Set<string>();
  for (const flow of flows) {
    const policy = policyForFlow(flow);
    for (const t of topics) {
      // Heartbeats are strait's own traffic, not the load to size for.
      if (!shouldReplicateTopic(t.name, flow) || policy.isHeartbeatsTopic(t.name)) continue;
      // A topic replicated by two flows from one source is read twice: counted per flow.
      const key = `${flow.name}\0${t.name}`;
      if (taken.has(key)) continue;
      taken.add(key);
      out.push({ flow: flow.name, info: t });
    }
  }
  return out;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Records to read back per busy partition: the per-partition cap, lowered so the total stays bounded. */
export function recordsToRead(busyPartitions: number, maxPerPartition: number, maxRecords: number): number {
  if (busyPartitions === 0) return 0;
  return Math.max(10, Math.min(maxPerPartition, Math.floor(maxRecords / busyPartitions)));
}

const recordBytes = (r: RawRecord): { key: number; value: number; headers: number } => ({ key: r.key?.length ?? 0, value: r.value?.length ?? 0, headers: r.headerBytes ?? 0 });

/** Samples one source cluster for the flows that read from it. */
export async function sampleCluster(probe: SourceProbe, flows: readonly FlowConfig[], options: SampleOptions): Promise<Workload> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const cluster = probe.cluster;
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw new SampleError(
        `source cluster "${cluster}": ${what} failed: ${(err as Error).message}. strait plan reads the source clusters of the flows (read-only); check clusters.${cluster} in the configuration (bootstrap.servers, security settings) and that the cluster is up`,
        { cause: err },
      );
    }
  };

  options.progress.update(`${cluster}: listing topics`);
  const all = await call('listing its topics', () => probe.topics());
  const selected = selectedTopics(flows, all);
  if (selected.length === 0) {
    throw new SampleError(
      `source cluster "${cluster}" has no topic that the flows ${flows.map((f) => f.name).join(', ')} would replicate (it has ${all.length} topic(s)); check flows[].topics in the configuration, or plan a what-if load with --rate, --record-size and --partitions`,
    );
  }
  const topicNames = [...new Set(selected.map((s) => s.info.name))];
  const partitions = topicNames.flatMap((name) => {
    const info = all.find((t) => t.name === name)!;
    return Array.from({ length: info.partitions }, (_, partition) => ({ topic: name, partition }));
  });

  const t0 = now();
  const [ends0, sizes0] = await Promise.all([call('reading end offsets', () => probe.ends(partitions)), call('describing log sizes', () => probe.logSizes(partitions))]);
  const appendedSince = (ends: Map<string, number>) => partitions.reduce((s, p) => s + Math.max(0, (ends.get(partitionKey(p.topic, p.partition)) ?? 0) - (ends0.get(partitionKey(p.topic, p.partition)) ?? 0)), 0);

  let appended = 0;
  let lastPoll = t0;
  const total = options.durationMs;
  for (;;) {
    const elapsed = now() - t0;
    if (elapsed >= total) break;
    if (now() - lastPoll >= POLL_MS) {
      lastPoll = now();
      appended = appendedSince(await call('reading end offsets', () => probe.ends(partitions)));
    }
    const rate = elapsed > 0 ? (appended / Math.max(1, lastPoll - t0)) * 1000 : 0;
    options.progress.update(
      `${cluster}: sampling ${topicNames.length} topic(s), ${partitions.length} partition(s): ${Math.floor(elapsed / 1000)} s of ${Math.round(total / 1000)} s, ${appended} records appended so far${appended > 0 ? ` (about ${Math.round(rate)}/s)` : ''}`,
    );
    await sleep(Math.min(1000, total - elapsed));
  }
  const [ends1, sizes1] = await Promise.all([call('reading end offsets', () => probe.ends(partitions)), call('describing log sizes', () => probe.logSizes(partitions))]);
  const seconds = Math.max(0.001, (now() - t0) / 1000);

  const delta = new Map<string, number>();
  for (const p of partitions) {
    const k = partitionKey(p.topic, p.partition);
    delta.set(k, Math.max(0, (ends1.get(k) ?? 0) - (ends0.get(k) ?? 0)));
  }
  const busy = partitions.filter((p) => delta.get(partitionKey(p.topic, p.partition))! > 0);
  const perPartition = recordsToRead(busy.length, options.maxRecordsPerPartition ?? DEFAULT_MAX_PER_PARTITION, options.maxRecords ?? DEFAULT_MAX_RECORDS);
  options.progress.update(`${cluster}: reading back up to ${perPartition} of the appended records of each of ${busy.length} partition(s) for their sizes`);
  const starts = busy.map((p) => ({ ...p, offset: ends0.get(partitionKey(p.topic, p.partition)) ?? 0, max: perPartition }));
  const read = await call('reading sample records', () => probe.records(starts));

  const topics: TopicLoad[] = selected.map(({ flow, info }) => topicLoad(flow, info, delta, read, sizes0, sizes1, seconds));
  const busyCount = topics.filter((t) => !t.idle).length;
  options.progress.info(
    `${cluster}: sampled ${topics.length} topic(s) for ${seconds.toFixed(0)} s: ${busyCount} with traffic, ${topics.length - busyCount} idle`,
  );
  return {
    origin: 'sampled',
    description: `sampled for ${seconds.toFixed(0)} s on source cluster "${cluster}" (end offsets at both ends; sizes of ${[...read.values()].reduce((s, l) => s + l.length, 0)} records read back)`,
    topics,
    sourceBrokers: sizes1?.brokers ?? sizes0?.brokers,
  };
}

function topicLoad(
  flow: string,
  info: TopicInfo,
  delta: ReadonlyMap<string, number>,
  read: ReadonlyMap<string, RawRecord[]>,
  sizes0: { sizes: Map<string, number> } | undefined,
  sizes1: { sizes: Map<string, number> } | undefined,
  seconds: number,
): TopicLoad {
  const keys = Array.from({ length: info.partitions }, (_, p) => partitionKey(info.name, p));
  const appended = keys.reduce((s, k) => s + (delta.get(k) ?? 0), 0);
  const records = keys.flatMap((k) => read.get(k) ?? []);
  let hottest = { partition: 0, recordsPerSec: 0, share: info.partitions > 0 ? 1 / info.partitions : 1 };
  keys.forEach((k, partition) => {
    const d = delta.get(k) ?? 0;
    if (appended > 0 && d / seconds > hottest.recordsPerSec) hottest = { partition, recordsPerSec: d / seconds, share: d / appended };
  });
  const partitionRecordsPerSec = keys.map((k) => (delta.get(k) ?? 0) / seconds);
  const base = { flow, topic: info.name, partitions: info.partitions, sampledRecords: records.length, hottest, partitionRecordsPerSec };
  // No record appended, or only offsets that do not read back as records (transaction markers,
  // aborted records): nothing to size for, and no rate to divide by.
  if (appended === 0 || records.length === 0) {
    return { ...base, recordsPerSec: 0, bytesPerSec: 0, meanRecordBytes: undefined, p99RecordBytes: undefined, split: undefined, wireBytesPerByte: undefined, idle: true };
  }
  const parts = records.map(recordBytes);
  const sizes = parts.map((p) => p.key + p.value + p.headers).sort((a, b) => a - b);
  const sum = { key: 0, value: 0, headers: 0 };
  for (const p of parts) {
    sum.key += p.key;
    sum.value += p.value;
    sum.headers += p.headers;
  }
  const totalBytes = sum.key + sum.value + sum.headers;
  const mean = totalBytes / records.length;
  const recordsPerSec = appended / seconds;
  let wire: number | undefined;
  if (sizes0 && sizes1) {
    let grew = 0;
    let complete = true;
    for (const k of keys) {
      if ((delta.get(k) ?? 0) === 0) continue;
      const a = sizes0.sizes.get(k);
      const b = sizes1.sizes.get(k);
      // Retention or compaction that removed a segment meanwhile makes the growth meaningless.
      if (a === undefined || b === undefined || b < a) complete = false;
      else grew += b - a;
    }
    if (complete && grew > 0) wire = grew / (appended * mean);
  }
  return {
    ...base,
    recordsPerSec,
    bytesPerSec: recordsPerSec * mean,
    meanRecordBytes: mean,
    p99RecordBytes: quantile(sizes, 0.99),
    split: totalBytes > 0 ? { key: sum.key / totalBytes, value: sum.value / totalBytes, headers: sum.headers / totalBytes } : undefined,
    wireBytesPerByte: wire,
    idle: false,
  };
}

/** Samples every source cluster of `flows`, one after the other, and merges the loads. */
export async function sampleFlows(flows: readonly FlowConfig[], probeFor: (cluster: string) => SourceProbe, options: SampleOptions): Promise<Workload> {
  const bySource = new Map<string, FlowConfig[]>();
  for (const f of flows) bySource.set(f.source, [...(bySource.get(f.source) ?? []), f]);
  const loads: Workload[] = [];
  for (const [cluster, fs] of bySource) {
    const probe = probeFor(cluster);
    try {
      loads.push(await sampleCluster(probe, fs, options));
    } finally {
      await probe.close();
    }
  }
  const brokers = loads.map((l) => l.sourceBrokers).filter((b): b is number => b !== undefined);
  return {
    origin: 'sampled',
    description: loads.map((l) => l.description).join('; '),
    topics: loads.flatMap((l) => l.topics),
    sourceBrokers: brokers.length > 0 ? Math.min(...brokers) : undefined,
  };
}
