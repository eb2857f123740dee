/**
 * The one place that loads the librdkafka binding. It is a CommonJS native addon, patched so
 * that it can be loaded by several worker threads of one process (native-notes/).
 * Everything else imports the types and values from here, never from the package itself,
 * so that the Kafka-facing surface stays small and replaceable in tests.
 */
import { createRequire } from 'node:module';
import type * as Binding from '@confluentinc/kafka-javascript';

const require = createRequire(import.meta.url);

export const rdkafka = require('@confluentinc/kafka-javascript') as typeof Binding;

export type RdProducer = Binding.Producer;
export type RdConsumer = Binding.KafkaConsumer;
export type RdMessage = Binding.Message;
export type RdDeliveryReport = Binding.DeliveryReport;
export type RdError = Binding.LibrdKafkaError;
export type RdMetadata = Binding.Metadata;
export type RdHeader = Binding.MessageHeader;
export type RdAdminClient = Binding.IAdminClient;

/** librdkafka error codes strait reacts to (lib/error.js of the binding names them all). */
export const ErrorCodes = {
  QUEUE_FULL: -184,
  MSG_TIMED_OUT: -192,
  PARTITION_EOF: -191,
  UNKNOWN_TOPIC_OR_PART: 3,
  MSG_SIZE_TOO_LARGE: 10,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  TOPIC_ALREADY_EXISTS: 36,
  SASL_AUTHENTICATION_FAILED: 58,
  FATAL: -150,
  ALL_BROKERS_DOWN: -187,
  AUTHENTICATION: -169,
  TRANSPORT: -195,
} as const;

export const librdkafkaVersion: string = rdkafka.librdkafkaVersion;

/** Consumer methods the binding has but its typings lack. */
export interface ConsumerExtras {
  incrementalAssign(assignments: { topic: string; partition: number; offset?: number }[]): void;
  incrementalUnassign(assignments: { topic: string; partition: number }[]): void;
  assignmentLost(): boolean;
  rebalanceProtocol(): string;
}

export function extras(consumer: RdConsumer): ConsumerExtras {
  return consumer as unknown as ConsumerExtras;
}

/**
 * The relay fast path of the patched binding (native-notes/relay-fast-path.md), on the native
 * client objects (`_client` of the JavaScript wrappers).
 */
export interface NativeRelayConsumer {
  /** cb(err, count, topics): `topics` is the whole topic table when it grew, else undefined. */
  consumeRelayBatch(max: number, timeoutMs: number, meta: Float64Array, cb: (err: RdError | null, count?: number, topics?: string[]) => void): void;
  releaseRelayBatch(): void;
}

export interface NativeRelayProducer {
  relayTopic(name: string): number;
  /** Returns 0 or a librdkafka error code. */
  produceRelayed(consumer: NativeRelayConsumer, index: number, topicId: number, partition: number): number;
}

export function nativeConsumer(consumer: RdConsumer): NativeRelayConsumer {
  return (consumer as unknown as { _client: NativeRelayConsumer })._client;
}

export function nativeProducer(producer: RdProducer): NativeRelayProducer {
  return (producer as unknown as { _client: NativeRelayProducer })._client;
}
