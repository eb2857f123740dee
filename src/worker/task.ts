/**
 * The long-lived replication task a piscina worker thread runs for one flow.
 *
 * The coordinator starts one task per (flow, worker) with `pool.run(input, {transferList:[port]})`
 * and the task lives until it is told to stop: it owns one source consumer and one idempotent
 * target producer, relays records for the partitions pinned to it (src/worker/relay.ts), writes
 * acknowledged progress into its SharedArrayBuffer ring, and talks to the coordinator through
 * `port` with msgpackr-encoded messages (src/worker/protocol.ts).
 *
 * Shutdown order (stop message): stop polling, wait for outstanding acknowledgements up to the
 * deadline, write the last runs, close the ring, answer `stopped`, then disconnect both clients.
 * Disconnecting before the thread ends matters: the patched binding's async handles belong to
 * this thread's event loop (native-notes/).
 */
import type { MessagePort } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import { decode, encode } from '../util/codec.js';
import { describeError, type KafkaError } from '../util/errors.js';
import { ProgressRing } from '../ring/progress-ring.js';
import { createLatencyHistogram, recordLatency, takeEncodedHistogram } from '../metrics/histogram.js';
import { createSourceConsumer, createTargetProducer, createTransactionalProducer } from '../kafka/relay-clients.js';
import { TransactionLoop, type TransactionalClient } from './transactions.js';
import type { RdConfig } from '../kafka/client-config.js';
import type { OnDivergence } from '../config/types.js';
import { Relay, type SlotError, type SourceConsumer, type TargetProducer } from './relay.js';
import type { CoordinatorMessage, WorkerMessage } from './protocol.js';
import { OFFSET_DIVERGENCE, OFFSET_TRANSLATING } from './protocol.js';

export interface RelayTaskInput {
  workerId: number;
  flow: string;
  sourceCluster: string;
  targetCluster: string;
  consumerConfig: RdConfig;
  producerConfig: RdConfig;
  ring: SharedArrayBuffer;
  port: MessagePort;
  maxInFlight: number;
  batchSize: number;
  statsIntervalMs: number;
  /**
   * exactly-once: `producerConfig` carries the transactional.id; the source offsets are committed
   * in each transaction to the group of `offsetsConsumerConfig` on the target.
   */
  exactlyOnce?: { offsetsConsumerConfig: RdConfig; transactionIntervalMs: number; transactionTimeoutMs: number };
  /** Offset-preserving flows: what a divergence of offsets does (absent = stop-partition). */
  onDivergence?: OnDivergence;
}

export interface RelayTaskResult {
  workerId: number;
  threadId: number;
  recordsAcked: number;
}

export default async function relayTask(input: RelayTaskInput): Promise<RelayTaskResult> {
  const { port, workerId } = input;
  const post = (msg: WorkerMessage): void => {
    const bytes = encode(msg);
    port.postMessage(bytes, [bytes.buffer]);
  };
  const clientError = (err: KafkaError): void => {
    post({ type: 'error', workerId, code: err.code, message: err.message, retriable: err.retriable });
  };

  const ring = ProgressRing.attach(input.ring).writer();
  const replication = createLatencyHistogram('interval');
  const relayTime = createLatencyHistogram('interval');

  let stopDeadline = 0;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  let stopping = false;
  // Until the clients are connected, control messages wait here (in order).
  const early: CoordinatorMessage[] = [];
  let handle: (msg: CoordinatorMessage) => void = (msg) => {
    if (msg.type === 'stop') {
      stopDeadline = msg.deadlineMs;
      stopping = true;
      stopRequested();
    } else early.push(msg);
  };
  port.on('message', (bytes: Uint8Array) => handle(decode(bytes) as CoordinatorMessage));

  // Connect both clients, retrying with backoff while a cluster cannot be reached: the task must
  // outlive an outage of either cluster, not give up its share of the flow.
  let clients: { consumer: SourceConsumer; producer: TargetProducer; tx?: TransactionalClient } | undefined;
  for (let backoff = 1000; !stopping; backoff = Math.min(backoff * 2, 30_000)) {
    let consumer: SourceConsumer | undefined;
    let producer: TargetProducer | undefined;
    try {
      consumer = await createSourceConsumer(input.sourceCluster, input.consumerConfig, clientError);
      const eos = input.exactlyOnce;
      if (eos) {
        const tx = await createTransactionalProducer(input.targetCluster, input.producerConfig, eos.offsetsConsumerConfig, clientError);
        producer = tx;
        // Fences an earlier producer with this transactional.id (the process before a crash) and
        // aborts the transaction it left open, before anything of ours is written.
        await tx.initTransactions(eos.transactionTimeoutMs);
        clients = { consumer, producer, tx };
      } else {
        producer = await createTargetProducer(input.targetCluster, input.producerConfig, clientError);
        clients = { consumer, producer };
      }
      break;
    } catch (err) {
      await producer?.close();
      await consumer?.close();
      post({ type: 'error', workerId, code: 'CONNECT', message: `${describeError(err)}; retrying in ${backoff / 1000} s`, retriable: true });
      await Promise.race([stopped, new Promise((r) => setTimeout(r, backoff))]);
    }
  }
  if (!clients) {
    ring.close();
    post({ type: 'stopped', workerId });
    port.close();
    return { workerId, threadId, recordsAcked: 0 };
  }
  const { consumer, producer, tx } = clients;
  let txLoop: TransactionLoop | undefined;

  const relay = new Relay(
    consumer,
    producer,
    ring,
    { replication: (ms) => recordLatency(replication, ms), relay: (ms) => recordLatency(relayTime, ms) },
    {
      slotFailed: (e: SlotError) =>
        e.divergence
          ? post({ type: 'error', workerId, code: OFFSET_DIVERGENCE, message: e.message, retriable: false, slot: e.slot, topic: e.topic, partition: e.partition, offset: BigInt(e.offset) })
          : post({ type: 'error', workerId, code: `KAFKA_${e.code}`, message: e.message, retriable: false, slot: e.slot, topic: e.topic, partition: e.partition, offset: BigInt(e.offset), kafkaCode: e.code }),
      slotsDrained: (slots) => post({ type: 'revoked', workerId, slots }),
      // A warning (rate-limited by the coordinator), not a stopped partition: no slot in it.
      slotRetrying: (e: SlotError) => post({ type: 'error', workerId, code: 'TARGET_NOT_READY', message: e.message, retriable: true }),
      dataLoss: (l) => post({ type: 'dataLoss', workerId, slot: l.slot, topic: l.topic, partition: l.partition, from: BigInt(l.from), to: BigInt(l.to), logEnd: BigInt(l.logEnd) }),
      positionReset: (r) =>
        post({
          type: 'error',
          workerId,
          code: 'POSITION_RESET',
          message: `partition ${r.topic}-${r.partition}: source offset ${r.from} is past the log end (${r.logEnd}; the partition was truncated or the topic re-created); continuing from the log start ${r.to} (records may be copied again)`,
          retriable: true,
        }),
      slotTranslating: (d) => post({ type: 'error', workerId, code: OFFSET_TRANSLATING, message: d.message, retriable: false, slot: d.slot, topic: d.topic, partition: d.partition, offset: BigInt(d.expected) }),
    },
    { maxInFlight: input.maxInFlight, batchSize: input.batchSize, holdProgress: tx !== undefined, onRevokeRequested: () => txLoop?.commitSoon(), ...(input.onDivergence ? { onDivergence: input.onDivergence } : {}) },
  );
  if (tx && input.exactlyOnce) {
    const timeoutMs = input.exactlyOnce.transactionTimeoutMs;
    txLoop = new TransactionLoop(
      tx,
      relay,
      {
        committed: () => undefined,
        aborted: (reason) =>
          post({ type: 'error', workerId, code: 'TXN_ABORTED', message: `transaction aborted; its records are sent again from the last committed offsets: ${reason}`, retriable: true }),
        fatal: (err) => {
          post({
            type: 'error',
            workerId,
            code: 'TXN_FATAL',
            message: `the transactional producer "${tx.transactionalId}" cannot go on: ${describeError(err)}. Fenced means a newer producer took this transactional id: another strait process running this flow with the same engine.instanceId (give each process its own), or the broker's transaction coordinator after this transaction outlived transaction.timeout.ms (the target unreachable longer than that; raise it in the target cluster's producer properties). Nothing committed is lost; a restart resumes from the offsets committed in the target.`,
            retriable: false,
            fatal: true,
          });
          relay.stop();
          stopRequested();
        },
      },
      { intervalMs: input.exactlyOnce.transactionIntervalMs, timeoutMs },
    );
    await txLoop.start();
  }

  let last = { ...relay.counters };
  let intervalStart = Date.now();
  const statsTimer = setInterval(() => {
    const now = Date.now();
    const c = relay.counters;
    post({
      type: 'stats',
      workerId,
      startMs: intervalStart,
      endMs: now,
      counters: {
        recordsIn: c.recordsIn - last.recordsIn,
        recordsAcked: c.recordsAcked - last.recordsAcked,
        bytesAcked: c.bytesAcked - last.bytesAcked,
        recordsFailed: c.recordsFailed - last.recordsFailed,
        ringFull: c.ringFull - last.ringFull,
        inFlight: relay.recordsInFlight,
        pausedSlots: 0,
      },
      histograms: { replication: takeEncodedHistogram(replication), relay: takeEncodedHistogram(relayTime) },
      highWatermarks: relay.activeSlots().map((s) => [s.slot, relay.highWatermark(s.slot)]),
    });
    last = { ...c };
    intervalStart = now;
  }, input.statsIntervalMs);

  handle = (msg: CoordinatorMessage): void => {
    switch (msg.type) {
      case 'assign':
        relay.assignAll(msg.partitions.map((p) => ({ slot: p.slot, topic: p.topic, partition: p.partition, targetTopic: p.targetTopic, offset: Number(p.offset), preserveOffsets: p.preserveOffsets === true })));
        break;
      case 'revoke':
        relay.revoke(msg.slots, msg.lost === true);
        break;
      case 'seek':
        relay.resumeAt(msg.slot, msg.topic, msg.partition, Number(msg.offset));
        break;
      case 'pause':
      case 'resume':
        break; // backpressure is the relay's own business; kept for protocol completeness
      case 'stop':
        stopDeadline = msg.deadlineMs;
        relay.stop();
        stopRequested();
        break;
    }
  };
  for (const msg of early.splice(0)) handle(msg);

  const loop = relay.run().catch((err: unknown) => {
    post({ type: 'error', workerId, code: 'RELAY', message: `replication loop failed: ${describeError(err)}`, retriable: true });
    stopRequested();
  });
  await stopped;
  await loop;
  // exactly-once: the last transaction is committed (or aborted) before progress is final.
  await txLoop?.finish();
  clearInterval(statsTimer);
  // Wait for acknowledgements of what is in flight, so the final progress covers them. Not with
  // producer.flush(): it would serve delivery reports from a second thread, out of order
  // (native-notes/flush-and-background-polling.md); librdkafka sends within linger.ms anyway.
  await waitFor(() => relay.recordsInFlight === 0, Math.max(0, stopDeadline - Date.now() - 300));
  await waitFor(() => relay.flushRuns(), Math.max(0, stopDeadline - Date.now() - 200));
  ring.close();
  post({ type: 'stopped', workerId });
  await consumer.close();
  await producer.close();
  port.close();
  return { workerId, threadId, recordsAcked: relay.counters.recordsAcked };
}

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}
