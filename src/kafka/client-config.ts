/**
 * librdkafka configuration for the clients strait creates: the user's pass-through properties
 * (cluster-wide, then per client kind) under the settings strait must control for its
 * guarantees. Pure: no binding import, so it is unit-tested.
 */
import type { ClusterConfig } from '../config/types.js';
import { propertiesFor } from '../config/client-properties.js';
import { LIBRDKAFKA_PROPERTIES } from '../config/librdkafka-properties.js';

export type RdConfig = Record<string, string | number | boolean>;

/**
 * Settings strait fixes on the relay producer. Idempotence gives per-partition ordering and no
 * duplicates from internal retries; message.timeout.ms=0 makes librdkafka retry for ever while
 * the target is unreachable (the queue then fills up and the worker stops consuming), so a
 * record is never given up on and never skipped.
 */
export const RELAY_PRODUCER_FIXED: RdConfig = {
  'enable.idempotence': true,
  acks: 'all',
  'message.timeout.ms': 0,
  // Records are relayed untouched to the partition they came from: no partitioner involved.
  partitioner: 'consistent_random',
};

/**
 * Defaults for throughput that the user may override per cluster.
 *
 * linger.ms 1 (librdkafka's default is 5): in a catch-up the batches fill while earlier requests
 * are in flight, so the linger hardly matters for throughput (measured with `strait bench`:
 * bench/README.md), while at a steady load it is most of the replication latency (p50 8 ms with
 * 5, 2 ms with 1). 0 was not better at the p99 and sends a request per record at low rates.
 */
export const RELAY_PRODUCER_DEFAULTS: RdConfig = {
  'linger.ms': 1,
  'batch.size': 1_000_000,
  'compression.type': 'lz4',
  'queue.buffering.max.kbytes': 16_384,
};

/**
 * Settings strait fixes on the worker consumers: they are assigned partitions explicitly
 * (never subscribe) and never commit: progress is committed by the coordinator only for records
 * the target acknowledged.
 */
export const RELAY_CONSUMER_FIXED: RdConfig = {
  'enable.auto.commit': false,
  'enable.auto.offset.store': false,
  'enable.partition.eof': false,
};

/**
 * Fixed on the relay's worker consumers only: a position that is out of range (retention deleted
 * records before they were copied) must not be skipped silently. librdkafka then stops that
 * partition and reports it; the relay measures the missing range and applies the flow's
 * onDataLoss setting (src/worker/data-loss.ts). A partition assigned at the log beginning (no
 * committed offset) is resolved by librdkafka without a reset, so it is unaffected.
 */
export const RELAY_WORKER_CONSUMER_FIXED: RdConfig = {
  'auto.offset.reset': 'error',
};

/** max.partition.fetch.bytes next to the source, and from FAR_SOURCE_RTT_MS on (see partitionFetchBytesFor). */
export const NEAR_PARTITION_FETCH_BYTES = 524_288;
export const FAR_PARTITION_FETCH_BYTES = 4_194_304;

export const RELAY_CONSUMER_DEFAULTS: RdConfig = {
  'fetch.max.bytes': 52_428_800,
  // The near-source value; workerConsumerConfig() raises it for a distant source.
  'max.partition.fetch.bytes': NEAR_PARTITION_FETCH_BYTES,
  'fetch.wait.max.ms': 100,
  'queued.max.messages.kbytes': 8_192,
  'queued.min.messages': 20_000,
  'fetch.queue.backoff.ms': 10,
  // The group member never fetches; the worker consumers override this (RELAY_WORKER_CONSUMER_FIXED).
  'auto.offset.reset': 'earliest',
};

/**
 * Why each default differs from librdkafka's (or is stated although it does not): rendered into
 * docs/config.md (renderClientDefaults), next to the values themselves, so the two cannot drift.
 */
const DEFAULT_REASONS: Record<string, string> = {
  'linger.ms':
    "librdkafka: 5. In a catch-up the batches fill while earlier requests are in flight, so 1 ms costs no throughput; at a steady load it is most of the replication latency (`strait bench`: p50 2 ms with 1, 8 ms with 5).",
  'batch.size': "librdkafka's own default, stated: the largest batch librdkafka builds unless told otherwise.",
  'compression.type':
    "librdkafka: none. Replication often crosses regions, where bytes cost more than CPU; lz4 is the cheapest codec. It is also most of strait's CPU at large records: `none` saves it where bandwidth is free.",
  'queue.buffering.max.kbytes':
    "librdkafka: 1 GiB. Bounds the records of one worker waiting for the target to 16 MiB (besides strait's own `engine.maxInFlightRecordsPerWorker`): room for the requests in flight (5 per broker) and the batches filling behind them; a catch-up fills it, so it is a large part of a worker's memory at 1 KiB, and 16 MiB copied as fast as 32 MiB (`strait bench`, 2026-12-08: bench/results/2026-12-08_buffers-again). A distant target may need more: `strait plan` says when. When full, the worker stops reading until acknowledgements make room; nothing is dropped.",
  'fetch.max.bytes': "librdkafka's own default, stated: up to 50 MB per fetch response.",
  'max.partition.fetch.bytes':
    "librdkafka: 1 MiB. 512 KiB for a source less than 10 ms away (a loopback copy was as fast as with 1 MiB and peaked 17-26 % lower: bench/results/2026-12-08_buffers-again); 4 MiB for a source 10 ms or more away, or whose round trip strait could not measure (strait times a few metadata requests to each source cluster at start and logs what it chose). The source answers one fetch per round trip: through a 50 ms round trip 1 MiB kept 0.54x of strait's loopback throughput, 4 MiB 0.88x (`strait bench`, 2026-12-08). Next to the source that reach costs only memory: the response that lands on top of a full pre-fetch queue is some 250,000 records of 100 B at 4 MiB, and librdkafka holds each in 1 KiB of its own (1 MiB halved the catch-up peak at 100 B; bench/README.md, \"A 5 GB catch-up\"). Set it on the source cluster to choose yourself; `strait plan` counts it in the memory bound and says when the link needs more.",
  'fetch.wait.max.ms': 'librdkafka: 500. An idle fetch comes back sooner, so the first fetch of a partition assigned meanwhile is not held behind it.',
  'queued.max.messages.kbytes':
    'librdkafka: 64 MiB. Up to 8 MiB of pre-fetched source records per worker consumer (each record also costs librdkafka 1 KiB of its own): with a 10 ms re-check (`fetch.queue.backoff.ms`) a small queue keeps the worker fed, and a catch-up peaks lower (64 to 16 MiB halved it; 16 to 8 MiB, with the producer queue halved too, took a fifth off at 1 KiB at the same records/s: bench/results/2026-12-08_buffers-again).',
  'queued.min.messages':
    "librdkafka: 100000. The pre-fetch queue's bound in records, which binds before the bytes below about 800 B: each queued record costs librdkafka an rd_kafka_op_t of 1 KiB beside its payload.",
  'fetch.queue.backoff.ms':
    'librdkafka: 1000. How long a partition waits before fetching again after the pre-fetch queue was full: with the smaller queue, 1 s would leave the worker without records for most of that second.',
  'auto.offset.reset':
    'For the flow\'s group member, which never fetches. The workers\' consumers use `error`: an offset that is out of range is data loss to report, never a silent jump (`onDataLoss`).',
};

/** The docs table of strait's client defaults (docs/config.md, between the `defaults` markers). */
export function renderClientDefaults(): string {
  const lines = ['| Property | Clients | strait\'s default | Why |', '|---|---|---|---|'];
  const row = (clients: string, defaults: RdConfig): void => {
    for (const [name, value] of Object.entries(defaults)) {
      const why = DEFAULT_REASONS[name];
      if (!why) throw new Error(`client default ${name} has no reason in DEFAULT_REASONS`);
      lines.push(`| \`${name}\` | ${clients} | \`${String(value)}\` | ${why.replace(/\|/g, '\\|')} |`);
    }
  };
  row('relay producers', RELAY_PRODUCER_DEFAULTS);
  row('source consumers', RELAY_CONSUMER_DEFAULTS);
  return lines.join('\n') + '\n';
}

/** Every name librdkafka takes for `name`'s setting, `name` included (linger.ms and queue.buffering.max.ms, say). */
export function namesOfSetting(name: string): string[] {
  const canonical = LIBRDKAFKA_PROPERTIES[name]?.aliasOf ?? name;
  return [canonical, ...Object.entries(LIBRDKAFKA_PROPERTIES).filter(([, p]) => p.aliasOf === canonical).map(([n]) => n)];
}

/** Whether `properties` set `name`'s setting under any of its names. */
export function setsSetting(properties: Readonly<Record<string, unknown>>, name: string): boolean {
  return namesOfSetting(name).some((n) => properties[n] !== undefined);
}

/**
 * strait's defaults under the user's properties: a default whose setting the user gave under
 * another of librdkafka's names is left out, or the two names would reach librdkafka together
 * and the order of setting them, not the user, would decide.
 */
function defaultsUnder(defaults: RdConfig, user: Readonly<Record<string, unknown>>): RdConfig {
  return Object.fromEntries(Object.entries(defaults).filter(([name]) => !setsSetting(user, name)));
}

export function producerConfig(cluster: ClusterConfig, clientId: string, extra: RdConfig = {}): RdConfig {
  const user = propertiesFor(cluster, 'producer');
  return {
    ...defaultsUnder(RELAY_PRODUCER_DEFAULTS, user),
    ...user,
    ...extra,
    ...RELAY_PRODUCER_FIXED,
    'client.id': clientId,
  };
}

/**
 * exactly-once: the relay producer becomes transactional. librdkafka refuses a
 * message.timeout.ms above transaction.timeout.ms (a record must not outlive its transaction),
 * so the "retry for ever" of the other modes becomes "until half the transaction timeout", after
 * which the transaction is aborted and its records are sent again from the committed offsets:
 * still nothing skipped. Half, not all of it: after the target refuses a record, librdkafka
 * keeps retrying the records behind it in the same partition ("drain before retrying") until
 * they time out, and the abort waits for them; timing out at the full transaction timeout, the
 * broker had aborted the transaction and fenced the producer by then (the chaos test's
 * record-too-large case stopped strait so). The user may set transaction.timeout.ms on the
 * target cluster.
 */
export function transactionalProducerConfig(cluster: ClusterConfig, clientId: string, transactionalId: string, extra: RdConfig = {}): RdConfig {
  const base = producerConfig(cluster, clientId, extra);
  const txTimeout = Number(base['transaction.timeout.ms'] ?? 60_000);
  return { ...base, 'transactional.id': transactionalId, 'message.timeout.ms': Math.max(1000, Math.floor(txTimeout / 2)) };
}

/**
 * exactly-once: source records of aborted transactions must never be relayed, and the relay
 * must stop at the last stable offset (librdkafka's default, fixed here so no pass-through
 * property can weaken it).
 */
export const EXACTLY_ONCE_CONSUMER_FIXED: RdConfig = { 'isolation.level': 'read_committed' };

/**
 * exactly-once: a consumer on the TARGET cluster that never joins its group. The transactional
 * producer commits the source offsets to this group inside each transaction, and needs a
 * consumer of the group for that (its group metadata: no generation, so the broker accepts the
 * commit for a group without members).
 */
export function offsetsConsumerConfig(target: ClusterConfig, groupId: string, clientId: string): RdConfig {
  return { ...propertiesFor(target, 'consumer'), ...RELAY_CONSUMER_FIXED, 'group.id': groupId, 'client.id': clientId };
}

export function consumerConfig(cluster: ClusterConfig, groupId: string, clientId: string, extra: RdConfig = {}): RdConfig {
  const user = propertiesFor(cluster, 'consumer');
  return {
    ...defaultsUnder(RELAY_CONSUMER_DEFAULTS, user),
    ...user,
    ...extra,
    ...RELAY_CONSUMER_FIXED,
    'group.id': groupId,
    'client.id': clientId,
  };
}

/**
 * From this round trip on, the near size can bind a worker: one fetch in flight per source
 * broker, 4 partitions x 512 KiB per worker, at 10 ms is about 200 MiB/s per worker, more than a
 * worker copies; at 50 ms it would be 40 MiB/s, which a worker copies at 1 KiB records.
 */
export const FAR_SOURCE_RTT_MS = 10;

/**
 * The partition fetch size for a source `rttMs` away; undefined (not measured) is treated as
 * far: the larger fetch only costs memory, the smaller one can cost most of the throughput.
 */
export function partitionFetchBytesFor(rttMs: number | undefined): number {
  return rttMs !== undefined && rttMs < FAR_SOURCE_RTT_MS ? NEAR_PARTITION_FETCH_BYTES : FAR_PARTITION_FETCH_BYTES;
}

/** Whether the user set the partition fetch size (under either of librdkafka's names) for the cluster's consumers. */
export function setsPartitionFetchBytes(cluster: ClusterConfig): boolean {
  return setsSetting(propertiesFor(cluster, 'consumer'), 'max.partition.fetch.bytes');
}

/**
 * The consumer of a replication worker: consumerConfig() plus RELAY_WORKER_CONSUMER_FIXED, with
 * the partition fetch size for a source `sourceRttMs` away (partitionFetchBytesFor) unless the
 * user set one. `sourceRttMs` undefined: not measured.
 */
export function workerConsumerConfig(cluster: ClusterConfig, groupId: string, clientId: string, sourceRttMs: number | undefined): RdConfig {
  const fetch: RdConfig = setsPartitionFetchBytes(cluster) ? {} : { 'max.partition.fetch.bytes': partitionFetchBytesFor(sourceRttMs) };
  return { ...consumerConfig(cluster, groupId, clientId, fetch), ...RELAY_WORKER_CONSUMER_FIXED };
}

export function adminConfig(cluster: ClusterConfig, clientId: string): RdConfig {
  return { ...propertiesFor(cluster, 'admin'), 'client.id': clientId };
}
