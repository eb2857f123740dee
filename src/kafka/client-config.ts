/**
 * librdkafka configuration for the clients strait creates: the user's pass-through properties
 * (cluster-wide, then per client kind) under the settings strait must control for its
 * guarantees. Pure: no binding import, so it is unit-tested.
 */
import type { ClusterConfig } from '../config/types.js';
import { propertiesFor } from '../config/client-properties.js';

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

/** Defaults for throughput that the user may override per cluster. */
export const RELAY_PRODUCER_DEFAULTS: RdConfig = {
  'linger.ms': 5,
  'batch.size': 1_000_000,
  'compression.type': 'lz4',
  'queue.buffering.max.kbytes': 262_144,
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

export const RELAY_CONSUMER_DEFAULTS: RdConfig = {
  'fetch.max.bytes': 52_428_800,
  'max.partition.fetch.bytes': 4_194_304,
  'fetch.wait.max.ms': 100,
  'queued.max.messages.kbytes': 65_536,
  'auto.offset.reset': 'earliest',
};

export function producerConfig(cluster: ClusterConfig, clientId: string, extra: RdConfig = {}): RdConfig {
  return {
    ...RELAY_PRODUCER_DEFAULTS,
    ...propertiesFor(cluster, 'producer'),
    ...extra,
    ...RELAY_PRODUCER_FIXED,
    'client.id': clientId,
  };
}

export function consumerConfig(cluster: ClusterConfig, groupId: string, clientId: string, extra: RdConfig = {}): RdConfig {
  return {
    ...RELAY_CONSUMER_DEFAULTS,
    ...propertiesFor(cluster, 'consumer'),
    ...extra,
    ...RELAY_CONSUMER_FIXED,
    'group.id': groupId,
    'client.id': clientId,
  };
}

export function adminConfig(cluster: ClusterConfig, clientId: string): RdConfig {
  return { ...propertiesFor(cluster, 'admin'), 'client.id': clientId };
}
