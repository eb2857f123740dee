/**
 * The engine of one strait process: a piscina pool of worker threads, one FlowCoordinator per
 * enabled flow, the metrics endpoint and the periodic summary line, and the ordered shutdown.
 *
 * Threads: the pool has `engine.workers` threads; every flow runs one long-lived replication
 * task per thread (`concurrentTasksPerWorker` = number of flows, least-busy placement), so each
 * thread serves a share of every flow's partitions with its own librdkafka clients.
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { DEFAULT_TRANSACTION_INTERVAL_MS, type StraitConfig, type FlowConfig, type ClusterConfig } from '../config/types.js';
import { FlowCoordinator } from '../coordinator/flow.js';
import { WorkerChannel } from '../coordinator/worker-channel.js';
import type { EngineSnapshot } from '../coordinator/snapshot.js';
import { ProgressRing } from '../ring/progress-ring.js';
import { KafkaAdmin } from '../kafka/admin.js';
import { joinGroup } from '../kafka/group-member.js';
import { adminConfig, consumerConfig, EXACTLY_ONCE_CONSUMER_FIXED, offsetsConsumerConfig, partitionFetchBytesFor, producerConfig, setsPartitionFetchBytes, transactionalProducerConfig, workerConsumerConfig, type RdConfig } from '../kafka/client-config.js';
import { measureRtt, RTT_PING_TIMEOUT_MS } from './source-rtt.js';
import { exactlyOnceOffsetsGroup, transactionalId } from '../coordinator/exactly-once.js';
import type { RelayTaskInput, RelayTaskResult } from '../worker/task.js';
import type { WorkerMessage } from '../worker/protocol.js';
import { describeError, type KafkaError } from '../util/errors.js';
import { createInternalWriter, type InternalWriter } from '../kafka/internal-producer.js';
import { HeartbeatEmitter, allPairs } from '../mirror/heartbeats.js';
import { DefaultReplicationPolicy } from '../mirror/policy.js';
import { ConfigAdmin } from '../kafka/config-admin.js';
import { TopicConfigSync } from '../mirror/config-sync.js';
import { TopicAclSync } from '../mirror/acl-sync.js';
import type { FlowDeps } from '../coordinator/flow.js';
import { PreserveStarter } from '../coordinator/preserve.js';
import { preserveAdapters } from './preserve-adapters.js';
import { engineReadiness, type Readiness } from './readiness.js';
import { RELAY_BATCH_RECORDS } from './relay-batch.js';
import { settleBy, shutdownBudget } from './shutdown.js';

/** Progress ring entries per task: 64 Ki runs (2.5 MiB), minutes of headroom at full speed. */
const RING_CAPACITY = 65_536;
/** The topic the round-trip probe describes: it need not exist (nothing is created). */
const RTT_PROBE_TOPIC = '__strait_rtt_probe';
const STATS_INTERVAL_MS = 1_000;
/** Modes the engine runs; the configuration accepts the others so files can be written ahead. */
const SUPPORTED_MODES = new Set<string>(['at-least-once', 'exactly-once', 'offset-preserving']);
/** MM2's defaults: emit.heartbeats.interval.seconds = 1, emit.checkpoints.interval.seconds = 60 (strait: 5 s). */
const HEARTBEAT_INTERVAL_MS = 1_000;
/** exactly-once: the schema's default for flows built without it (tests, MM2 files). */
const CHECKPOINT_INTERVAL_MS = 5_000;
/** At most this long for the MM2 internal records still queued at the stop to be delivered. */
const WRITER_CLOSE_MS = 5_000;
/** Kept at the end of the shutdown bound for the worker pool to end its threads. */
const POOL_DESTROY_MS = 1_000;
/** Replication factor of MM2's internal topics strait creates; -1 = the broker's default. */
const INTERNAL_REPLICATION_FACTOR = -1;

/** The answer of Engine.stopFlow (and of `POST /flows/<name>/stop`). */
export interface FlowStopResult {
  flow: string;
  stopped: true;
  /** False when the flow had already been stopped. */
  wasRunning: boolean;
  tookMs: number;
  /** Flows this process still replicates. */
  flowsRunning: string[];
}

export interface EngineOptions {
  config: StraitConfig;
  log: Logger;
  /** A name for clients (client.id prefix), default "strait". */
  clientId?: string;
}

export class Engine {
  private pool: Piscina | undefined;
  readonly flows: FlowCoordinator[] = [];
  readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  /** Whether start() finished: every flow joined its group. */
  private started = false;
  /** One writer of MM2 internal records per cluster alias. */
  private readonly writers = new Map<string, InternalWriter>();
  /** Each source cluster's measured round trip in ms (undefined: not measured); see measureSources. */
  private readonly sourceRtt = new Map<string, number | undefined>();
  private heartbeats: HeartbeatEmitter | undefined;
  /** Every replication task, settled when it ended: the pool is destroyed only after they did. */
  private readonly tasks: Promise<unknown>[] = [];
  private fatalResolve!: (reason: string) => void;
  /** Resolves with a reason when a flow cannot go on; the caller stops the engine and exits non-zero. */
  readonly fatal = new Promise<string>((resolve) => (this.fatalResolve = resolve));

  constructor(private readonly options: EngineOptions) {}

  async start(): Promise<void> {
    const { config, log } = this.options;
    const flows = config.flows.filter((f) => f.enabled);
    if (flows.length === 0) throw new Error('no enabled flow in the configuration: set `enabled: true` on at least one flow');
    // Refuse rather than quietly run a weaker mode than the one asked for.
    const unsupported = flows.filter((f) => !SUPPORTED_MODES.has(f.mode));
    if (unsupported.length > 0) {
      throw new Error(
        unsupported.map((f) => `flow ${f.name}: mode "${f.mode}" is not available in this version of strait; set mode to one of: ${[...SUPPORTED_MODES].join(', ')}`).join('\n'),
      );
    }
    const workers = config.engine.workers;
    this.pool = new Piscina({
      filename: new URL('../worker/task.js', import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: flows.length,
      // A task lives as long as the flow; nothing waits in the queue for long.
      maxQueue: workers * flows.length,
    });
    // Writers for MM2's internal topics on every cluster of the configuration (heartbeats go to
    // every cluster, like MM2's dedicated mode; see src/mirror/heartbeats.ts).
    for (const [alias, cluster] of config.clusters) {
      const onError = (err: KafkaError): void => log.warn({ cluster: alias, err: err.message }, `MM2 internal records on ${alias}: ${err.message}`);
      this.writers.set(alias, createInternalWriter(alias, producerConfig(cluster, 'strait-internal'), adminConfig(cluster, 'strait-internal-admin'), onError));
    }
    await this.measureSources(flows);
    for (const flow of flows) {
      const coordinator = this.createFlow(flow);
      this.flows.push(coordinator);
    }
    // MM2's dedicated mode emits heartbeats for every pair of clusters; a flow can opt out of its
    // pair (and the reverse pair) with heartbeats.enabled: false.
    const off = new Set(flows.filter((f) => f.heartbeats?.enabled === false).flatMap((f) => [`${f.source}->${f.target}`, `${f.target}->${f.source}`]));
    const pairs = allPairs([...config.clusters.keys()]).filter((p) => !off.has(`${p.source}->${p.target}`));
    const heartbeatInterval = Math.min(...flows.map((f) => f.heartbeats?.intervalMs ?? HEARTBEAT_INTERVAL_MS));
    this.heartbeats = new HeartbeatEmitter(pairs, this.writers, {
      intervalMs: heartbeatInterval,
      topic: new DefaultReplicationPolicy().heartbeatsTopic(),
      replicationFactor: INTERNAL_REPLICATION_FACTOR,
    });
    this.heartbeats.start();
    // Flows start one after the other so that an error names the flow that failed.
    for (const f of this.flows) {
      try {
        await f.start();
      } catch (err) {
        throw new Error(`flow ${f.name} could not start: ${describeError(err)}`, { cause: err });
      }
    }
    this.started = true;
    log.info({ flows: this.flows.map((f) => f.name), workers }, `strait running: ${this.flows.length} flow(s) on ${workers} worker thread(s)`);
  }

  /**
   * Times a few metadata round trips to each source cluster, for the partition fetch size of its
   * workers' consumers (client-config.ts, workerConsumerConfig), and says what it chose. Sources
   * whose fetch size the user set are not measured.
   */
  private async measureSources(flows: readonly FlowConfig[]): Promise<void> {
    const { config, log } = this.options;
    const clientId = this.options.clientId ?? 'strait';
    const aliases = [...new Set(flows.map((f) => f.source))].filter((alias) => !setsPartitionFetchBytes(config.clusters.get(alias)!));
    await Promise.all(
      aliases.map(async (alias) => {
        const admin = new KafkaAdmin(alias, adminConfig(config.clusters.get(alias)!, `${clientId}-rtt`));
        try {
          const rttMs = await measureRtt(() => admin.ping(RTT_PROBE_TOPIC, RTT_PING_TIMEOUT_MS));
          this.sourceRtt.set(alias, rttMs);
          const bytes = partitionFetchBytesFor(rttMs);
          const measured = rttMs === undefined ? 'round trip not measured (no answer in time)' : `${rttMs} ms round trip`;
          log.info({ cluster: alias, rttMs, 'max.partition.fetch.bytes': bytes }, `source ${alias}: ${measured}, so its consumers fetch up to ${bytes} bytes per partition (max.partition.fetch.bytes; set it on the cluster to choose)`);
        } finally {
          admin.close();
        }
      }),
    );
  }

  private createFlow(flow: FlowConfig): FlowCoordinator {
    const { config, log } = this.options;
    const source = config.clusters.get(flow.source)!;
    const target = config.clusters.get(flow.target)!;
    const clientId = this.options.clientId ?? 'strait';
    const pool = this.pool!;
    const sourceAdmin = new KafkaAdmin(flow.source, adminConfig(source, `${clientId}-admin`));
    const targetAdmin = new KafkaAdmin(flow.target, adminConfig(target, `${clientId}-admin`));
    return new FlowCoordinator({
      ...this.preserveDeps(flow, source, target, clientId, sourceAdmin, targetAdmin),
      sync: this.createSync(flow, source, target, clientId),
      flow,
      source,
      target,
      engine: config.engine,
      log,
      mm2: {
        offsetSyncs: this.writers.get(flow.offsetSyncsTopicLocation === 'target' ? flow.target : flow.source),
        ...(flow.checkpoints?.enabled === false ? {} : { checkpoints: this.writers.get(flow.target) }),
        checkpointIntervalMs: flow.checkpoints?.intervalMs ?? CHECKPOINT_INTERVAL_MS,
        internalReplicationFactor: INTERNAL_REPLICATION_FACTOR,
        ...(flow.syncGroupOffsets?.enabled && flow.checkpoints?.enabled !== false
          ? { syncGroupOffsets: { intervalMs: flow.syncGroupOffsets.intervalMs, targetConsumerConfig: adminConfig(target, `${clientId}-group-sync`) } }
          : {}),
      },
      fatal: (reason) => {
        log.error({ flow: flow.name }, reason);
        this.fatalResolve(reason);
      },
      sourceAdmin,
      targetAdmin,
      join: (handlers) =>
        joinGroup(
          flow.source,
          // New partitions of subscribed topics are noticed at metadata refreshes: as often as topics are.
          consumerConfig(source, flow.groupId, `${clientId}-member`, { 'topic.metadata.refresh.interval.ms': flow.refreshTopicsIntervalMs }),
          flow.groupId,
          handlers,
        ),
      launch: (workerId: number, onMessage: (msg: WorkerMessage) => void) => {
        const ring = ProgressRing.create(RING_CAPACITY);
        const { port1, port2 } = new MessageChannel();
        const channel = new WorkerChannel(workerId, port1, ring.reader(), onMessage);
        // Our own bound comes first: the producer queue never refuses a record we allowed in flight.
        const queueBound: RdConfig = { 'queue.buffering.max.messages': config.engine.maxInFlightRecordsPerWorker + RELAY_BATCH_RECORDS };
        const eos = flow.mode === 'exactly-once';
        const producer = eos
          ? transactionalProducerConfig(target, `${clientId}-w${workerId}`, transactionalId(flow, config.engine.instanceId, workerId), queueBound)
          : producerConfig(target, `${clientId}-w${workerId}`, queueBound);
        const input: RelayTaskInput = {
          workerId,
          flow: flow.name,
          sourceCluster: flow.source,
          targetCluster: flow.target,
          consumerConfig: { ...workerConsumerConfig(source, flow.groupId, `${clientId}-w${workerId}`, this.sourceRtt.get(flow.source)), ...(eos ? EXACTLY_ONCE_CONSUMER_FIXED : {}) },
          producerConfig: producer,
          ...(eos
            ? {
                exactlyOnce: {
                  offsetsConsumerConfig: offsetsConsumerConfig(target, exactlyOnceOffsetsGroup(flow), `${clientId}-w${workerId}-offsets`),
                  transactionIntervalMs: flow.transactionIntervalMs ?? DEFAULT_TRANSACTION_INTERVAL_MS,
                  transactionTimeoutMs: Number(producer['transaction.timeout.ms'] ?? 60_000),
                },
              }
            : {}),
          ring: ring.buffer,
          port: port2,
          maxInFlight: config.engine.maxInFlightRecordsPerWorker,
          batchSize: RELAY_BATCH_RECORDS,
          statsIntervalMs: STATS_INTERVAL_MS,
          ...(flow.mode === 'offset-preserving' ? { onDivergence: flow.onDivergence } : {}),
        };
        const task = (pool.run(input, { transferList: [port2] as never }) as Promise<RelayTaskResult>).then(
          () => channel.markEnded(),
          (err: unknown) => {
            channel.markEnded();
            if (this.stopping) return;
            // Its partitions stay assigned to this process but nobody copies them: stopping is
            // what lets a supervisor (or the group, to another process) take them over.
            const reason = `flow ${flow.name}: worker ${workerId} failed: ${describeError(err)}. strait stops; started again, it resumes from the committed offsets (nothing acknowledged is lost)`;
            log.error({ flow: flow.name, worker: workerId, err: describeError(err) }, reason);
            this.fatalResolve(reason);
          },
        );
        this.tasks.push(task);
        return channel;
      },
    });
  }

  /** mode: offset-preserving: the start decisions over the flow's admin clients (nothing in other modes). */
  private preserveDeps(flow: FlowConfig, source: ClusterConfig, target: ClusterConfig, clientId: string, sourceAdmin: KafkaAdmin, targetAdmin: KafkaAdmin): Pick<FlowDeps, 'preserve'> {
    if (flow.mode !== 'offset-preserving') return {};
    const adapters = preserveAdapters({
      source: { alias: flow.source, admin: sourceAdmin, readerConfig: consumerConfig(source, `${flow.groupId}.reader`, `${clientId}-reader`) },
      target: {
        alias: flow.target,
        admin: targetAdmin,
        readerConfig: consumerConfig(target, `${flow.groupId}.reader`, `${clientId}-reader`),
        fillerConfig: producerConfig(target, `${clientId}-fillers`),
      },
    });
    return { preserve: new PreserveStarter(adapters, flow.onDivergence, this.options.log, flow.name) };
  }

  /** The flow's topic configuration and ACL sync, over admin clients of both clusters. */
  private createSync(flow: FlowConfig, source: ClusterConfig, target: ClusterConfig, clientId: string): FlowDeps['sync'] {
    const s = flow.sync;
    if (!s || (!s.topicConfigs.enabled && !s.acls.enabled)) return undefined;
    let admins: [ConfigAdmin, ConfigAdmin];
    try {
      admins = [new ConfigAdmin(flow.source, adminConfig(source, `${clientId}-sync`)), new ConfigAdmin(flow.target, adminConfig(target, `${clientId}-sync`))];
    } catch (err) {
      // E.g. a SASL mechanism the admin client for these calls does not speak: replicate anyway.
      this.options.log.warn({ flow: flow.name }, `flow ${flow.name}: topic config and ACL sync are off: ${describeError(err)}`);
      return undefined;
    }
    const [src, tgt] = admins;
    const log = this.options.log;
    return {
      ...(s.topicConfigs.enabled
        ? { configs: { sync: new TopicConfigSync({ source: src, target: tgt, exclude: s.topicConfigs.exclude, useDefaultsFrom: s.topicConfigs.useDefaultsFrom, log }), intervalMs: s.topicConfigs.intervalMs } }
        : {}),
      ...(s.acls.enabled ? { acls: { sync: new TopicAclSync({ source: src, target: tgt, propagateRemovals: s.acls.propagateRemovals, copyDeny: s.acls.copyDeny, log }), intervalMs: s.acls.intervalMs } } : {}),
      close: () => {
        void src.close().catch(() => undefined);
        void tgt.close().catch(() => undefined);
      },
    };
  }

  /** See FlowCoordinator.snapshot for `rotate`. */
  snapshot(rotate = false): EngineSnapshot {
    const flows = this.flows.map((f) => {
      const snap = f.snapshot(rotate);
      snap.lastHeartbeatAt = this.heartbeats?.lastEmitted.get(`${snap.source}->${snap.target}`) ?? -1;
      return snap;
    });
    return { takenAt: Date.now(), startedAt: this.startedAt, flows };
  }

  /**
   * Stops one flow in this process, in order (drain, final commit, a last checkpoint round,
   * leave the flow's group), within engine.shutdownTimeout; the other flows go on, and the
   * process stays up even with none left. For `POST /flows/<name>/stop` (`strait failover`).
   * Undefined for a flow this process does not run.
   */
  async stopFlow(name: string): Promise<FlowStopResult | undefined> {
    const flow = this.flows.find((f) => f.name === name);
    if (!flow) return undefined;
    const wasRunning = !flow.stopped;
    const started = Date.now();
    if (wasRunning) this.options.log.info({ flow: name }, `flow ${name}: stopping on request (drain, commit, last checkpoints, leave the group)`);
    await flow.stop(started + this.options.config.engine.shutdownTimeoutMs);
    if (wasRunning) this.options.log.info({ flow: name, tookMs: Date.now() - started }, `flow ${name}: stopped on request; ${this.flows.filter((f) => !f.stopped).length} flow(s) still running`);
    return { flow: name, stopped: true, wasRunning, tookMs: Date.now() - started, flowsRunning: this.flows.filter((f) => !f.stopped).map((f) => f.name) };
  }

  /** For GET /readyz: see src/engine/readiness.ts. */
  readiness(): Readiness {
    const phase = this.stopping ? 'stopping' : this.started ? 'running' : 'starting';
    return engineReadiness(
      phase,
      this.flows.map((f) => ({ name: f.name, state: f.readiness })),
    );
  }

  /**
   * Ordered shutdown within engine.shutdownTimeout, split as src/engine/shutdown.ts says: the
   * drain until its deadline, then the final commits and closing, all done before the hard
   * deadline. Safe to call more than once. The caller ends the process if this has not settled
   * by the hard deadline.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const { config, log } = this.options;
      const budget = shutdownBudget(config.engine.shutdownTimeoutMs);
      const now = Date.now();
      const drainDeadline = now + budget.drainMs;
      // Our own steps end before the hard deadline, keeping a moment for the pool to end its threads.
      const closeBy = now + budget.hardMs - POOL_DESTROY_MS;
      log.info({ deadlineMs: budget.totalMs, drainMs: budget.drainMs }, 'strait stopping: draining in-flight records and committing progress');
      this.heartbeats?.stop();
      await Promise.all(this.flows.map((f) => f.stop(drainDeadline).catch((e: unknown) => log.error({ flow: f.name, err: describeError(e) }, `flow ${f.name}: stop failed: ${describeError(e)}`))));
      // A producer to a target that stopped answering may never finish closing.
      const writersTimeout = Math.max(0, Math.min(WRITER_CLOSE_MS, closeBy - Date.now()));
      if (!(await settleBy(Promise.all([...this.writers.values()].map((w) => w.close(writersTimeout))), closeBy))) {
        log.warn('the writers of MM2 internal records did not close in time (a cluster does not answer)');
      }
      // A task still connecting finishes its attempt and then ends: its clients must be closed
      // by their own thread before the pool ends it. Wait for that while the bound allows.
      await settleBy(Promise.allSettled(this.tasks), closeBy);
      await this.pool?.destroy();
      log.info('strait stopped');
    })();
    return this.stopping;
  }
}
