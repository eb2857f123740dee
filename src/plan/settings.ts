/**
 * The client settings a plan assumes: the buffer, fetch and batch sizes the relay's clients get
 * from the configuration (the user's librdkafka properties over strait's defaults), or strait's
 * defaults for a what-if plan without a configuration. The plan bounds memory and the link by
 * them, so it says where each came from.
 */
import type { ClusterConfig, FlowConfig, StraitConfig } from '../config/types.js';
import { ENGINE_KEYS } from '../config/schema.js';
import { partitionFetchBytesFor, producerConfig, RELAY_CONSUMER_DEFAULTS, RELAY_PRODUCER_DEFAULTS, setsPartitionFetchBytes, workerConsumerConfig, type RdConfig } from '../kafka/client-config.js';
import type { PlanSettings } from './model.js';

export type ClientSettings = PlanSettings['clients'];

/** librdkafka's cap on in-flight requests per connection for an idempotent producer. */
const IDEMPOTENT_MAX_IN_FLIGHT = 5;

const KEYS = {
  fetchMaxBytes: ['consumer', 'fetch.max.bytes'],
  maxPartitionFetchBytes: ['consumer', 'max.partition.fetch.bytes'],
  queuedMaxMessagesKbytes: ['consumer', 'queued.max.messages.kbytes'],
  queuedMinMessages: ['consumer', 'queued.min.messages'],
  queueBufferingMaxKbytes: ['producer', 'queue.buffering.max.kbytes'],
  batchSize: ['producer', 'batch.size'],
  maxInFlight: ['producer', 'max.in.flight.requests.per.connection'],
} as const;

const LIBRDKAFKA_DEFAULTS: RdConfig = { 'max.in.flight.requests.per.connection': IDEMPOTENT_MAX_IN_FLIGHT, 'queued.min.messages': 100_000 };

function numberOf(config: RdConfig, key: string): number {
  const v = config[key] ?? LIBRDKAFKA_DEFAULTS[key];
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${key} ${JSON.stringify(v)} is not a positive number`);
  return n;
}

function settingsOf(consumer: RdConfig, producer: RdConfig, maxInFlightRecords: number, origin: string): ClientSettings {
  const from = (kind: 'consumer' | 'producer', key: string) => numberOf(kind === 'consumer' ? consumer : producer, key);
  return {
    fetchMaxBytes: from(...KEYS.fetchMaxBytes),
    maxPartitionFetchBytes: from(...KEYS.maxPartitionFetchBytes),
    queuedMaxMessagesKbytes: from(...KEYS.queuedMaxMessagesKbytes),
    queuedMinMessages: from(...KEYS.queuedMinMessages),
    queueBufferingMaxKbytes: from(...KEYS.queueBufferingMaxKbytes),
    maxInFlightRecords,
    batchSize: from(...KEYS.batchSize),
    maxInFlight: Math.min(IDEMPOTENT_MAX_IN_FLIGHT, from(...KEYS.maxInFlight)),
    compression: String(producer['compression.type'] ?? 'none'),
    origin,
  };
}

const DEFAULT_MAX_IN_FLIGHT_RECORDS: number = ENGINE_KEYS.maxInFlightRecordsPerWorker.default;

/**
 * strait's defaults, for a plan without a configuration, with the partition fetch size strait
 * picks for a source `rttMs` away (0: next to it) when the plan puts strait next to the target.
 */
export function defaultClientSettings(sourceRttMs = 0): ClientSettings {
  const consumer = { ...RELAY_CONSUMER_DEFAULTS, 'max.partition.fetch.bytes': partitionFetchBytesFor(sourceRttMs) };
  return settingsOf(consumer, RELAY_PRODUCER_DEFAULTS, DEFAULT_MAX_IN_FLIGHT_RECORDS, "strait's client defaults (docs/config.md)");
}

/** The settings of one flow: its source's consumer properties and its target's producer properties. */
export function flowClientSettings(flow: FlowConfig, clusters: ReadonlyMap<string, ClusterConfig>, maxInFlightRecords = DEFAULT_MAX_IN_FLIGHT_RECORDS, sourceRttMs = 0): ClientSettings {
  const source = clusters.get(flow.source);
  const target = clusters.get(flow.target);
  if (!source || !target) throw new Error(`flow ${flow.name} names a cluster that is not configured`);
  const consumer = workerConsumerConfig(source, flow.groupId, 'strait-plan', sourceRttMs);
  const producer = producerConfig(target, 'strait-plan');
  const overridden = Object.values(KEYS)
    .map(([kind, key]) => ({ kind, key, config: kind === 'consumer' ? consumer : producer, defaults: kind === 'consumer' ? RELAY_CONSUMER_DEFAULTS : RELAY_PRODUCER_DEFAULTS }))
    .filter(({ key, config, defaults }) => String(config[key] ?? LIBRDKAFKA_DEFAULTS[key]) !== String(defaults[key] ?? LIBRDKAFKA_DEFAULTS[key]))
    // strait's own choice for the source's distance is not an override.
    .filter(({ key }) => key !== 'max.partition.fetch.bytes' || setsPartitionFetchBytes(source))
    .map(({ kind, key }) => `${key} from ${kind === 'consumer' ? flow.source : flow.target}`);
  const origin = overridden.length === 0 ? "strait's client defaults (no override in the configuration)" : `the configuration (${overridden.join(', ')}), strait's defaults otherwise`;
  return settingsOf(consumer, producer, maxInFlightRecords, origin);
}

/**
 * The settings of the flows a plan covers. Flows with different settings are planned with the
 * most constraining ones (smallest fetch and batch, largest buffers), and the origin says so.
 */
export function configClientSettings(config: StraitConfig, flows: readonly FlowConfig[], sourceRttMs = 0): ClientSettings {
  const all = flows.map((f) => flowClientSettings(f, config.clusters, config.engine.maxInFlightRecordsPerWorker, sourceRttMs));
  if (all.length === 0) return defaultClientSettings(sourceRttMs);
  const first = all[0];
  const same = all.every((s) => JSON.stringify({ ...s, origin: '' }) === JSON.stringify({ ...first, origin: '' }));
  if (same) return first;
  return {
    fetchMaxBytes: Math.min(...all.map((s) => s.fetchMaxBytes)),
    maxPartitionFetchBytes: Math.min(...all.map((s) => s.maxPartitionFetchBytes)),
    queuedMaxMessagesKbytes: Math.max(...all.map((s) => s.queuedMaxMessagesKbytes)),
    queuedMinMessages: Math.max(...all.map((s) => s.queuedMinMessages)),
    queueBufferingMaxKbytes: Math.max(...all.map((s) => s.queueBufferingMaxKbytes)),
    maxInFlightRecords: Math.max(...all.map((s) => s.maxInFlightRecords)),
    batchSize: Math.min(...all.map((s) => s.batchSize)),
    maxInFlight: Math.min(...all.map((s) => s.maxInFlight)),
    compression: first.compression,
    origin: `the configuration; the ${all.length} flows differ, so the smallest fetch and batch sizes and the largest buffers of any flow`,
  };
}
