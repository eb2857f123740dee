/**
 * The coordinator of one flow (source alias -> target alias) in this process.
 *
 * It owns: the process's membership in the flow's group on the source cluster, the remote topics
 * on the target, the assignment of this process's partitions to replication tasks (one per
 * worker thread, a partition pinned to one task for as long as it stays here), the progress those
 * tasks report through their rings, and the commits.
 *
 * At-least-once, nothing lost:
 * - `replicated` of a partition only moves over runs the target acknowledged (ring entries); it is
 *   the next source offset not yet known to be on the target.
 * - Commits send `replicated` to the group (the position the next owner resumes from), so a crash
 *   at any point re-sends at most what was acknowledged but not yet committed, plus what was in
 *   flight: never less than everything unacknowledged.
 * - On revocation the tasks drain the partitions first (every record in flight acknowledged and
 *   reported), then the final position is committed, then the partitions are given back.
 *   If draining takes longer than the shutdown timeout (target down), the partitions are given
 *   back with the last committed position: the next owner re-sends the rest (duplicates, no loss).
 * - A partition whose record the target refused for good stops there: its position never passes
 *   the refused record, so a restart after the fix resumes at that record.
 *
 * Rebalance events are handled strictly in order (one promise chain), because an assignment and
 * a revocation of the same partition must not interleave.
 */
import type { Logger } from 'pino';
import type { ClusterConfig, EngineConfig, FlowConfig } from '../config/types.js';
import { remoteTopicName, shouldReplicateTopic } from '../mirror/policy.js';
import type { GroupHandlers, GroupMember, TopicPartition } from '../kafka/group-member.js';
import { partitionKey } from '../util/partition-key.js';
import type { TopicInfo } from '../kafka/admin.js';
import { OffsetRuns } from './offset-map.js';
import type { WorkerChannel } from './worker-channel.js';
import type { DataLossMessage, WorkerMessage } from '../worker/protocol.js';
import { OFFSET_BEGINNING } from '../worker/protocol.js';
import { createLatencyHistogram, latencyQuantiles, mergeEncodedHistogram, resetHistogram } from '../metrics/histogram.js';
import type { FlowSnapshot, PartitionSnapshot } from './snapshot.js';
import { describeError, describeContext } from '../util/errors.js';
import type { InternalWriter } from '../kafka/internal-producer.js';
import type { RdConfig } from '../kafka/client-config.js';
import type { TopicConfigSync } from '../mirror/config-sync.js';
import type { TopicAclSync } from '../mirror/acl-sync.js';
import { policyForFlow, shouldReplicateGroup } from '../mirror/policy.js';
import { encodeCheckpointKey, encodeCheckpointValue, encodeOffsetSyncKey, encodeOffsetSyncValue } from '../mirror/formats.js';
import { exactlyOnceOffsetsGroup, resumeOffset } from './exactly-once.js';
import { START_RETRY_MS, type PreserveStart, type PreserveStarter } from './preserve.js';
import { OFFSET_DIVERGENCE, OFFSET_TRANSLATING } from '../worker/protocol.js';

export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  groupMembers(groupIds: string[]): Promise<Map<string, number>>;
  commitGroupOffsets(groupId: string, offsets: { topic: string; partition: number; offset: number }[], config: RdConfig): Promise<void>;
  listGroups(): Promise<string[]>;
  groupOffsets(groupId: string, partitions?: { topic: string; partition: number }[], options?: { requireStable?: boolean }): Promise<{ topic: string; partition: number; offset: number }[]>;
  describeTopics(topics: string[]): Promise<TopicInfo[]>;
  createTopic(topic: string, partitions: number, replicationFactor: number, config?: Record<string, string>): Promise<boolean>;
  createPartitions(topic: string, total: number): Promise<void>;
  /** Log start or end offsets (one request per broker); absent in fakes that do not need it. */
  listOffsets?(partitions: { topic: string; partition: number }[], which: 'earliest' | 'latest', timeoutMs?: number): Promise<{ topic: string; partition: number; offset: number }[]>;
  close(): void;
}

/** A flow's part in the process's readiness (src/engine/readiness.ts). starting: listing topics, joining the group or waiting for its first assignment. */
export type FlowReadiness = 'starting' | 'assigned' | 'stopped';

export interface FlowDeps {
  flow: FlowConfig;
  source: ClusterConfig;
  target: ClusterConfig;
  engine: EngineConfig;
  sourceAdmin: TopicAdmin;
  targetAdmin: TopicAdmin;
  join(handlers: GroupHandlers): Promise<GroupMember>;
  /** Starts the flow's replication task on worker `workerId` and returns its channel. */
  launch(workerId: number, onMessage: (msg: WorkerMessage) => void): WorkerChannel;
  log: Logger;
  /** The flow cannot go on (onRecordError: stop-flow); the engine stops and exits non-zero. */
  fatal(reason: string): void;
  /** MM2's internal records; absent = not emitted. */
  mm2?: Mm2Outputs;
  /** mode: offset-preserving: decides (and prepares) each partition's start on the target. */
  preserve?: PreserveStarter;
  /** Topic configuration and ACL sync; absent = off. */
  sync?: {
    configs?: { sync: TopicConfigSync; intervalMs: number };
    acls?: { sync: TopicAclSync; intervalMs: number };
    close(): void;
  };
}

export interface Mm2Outputs {
  /** Writes `mm2-offset-syncs.<target>.internal` (on the source cluster by default, like MM2; or the target). */
  offsetSyncs?: InternalWriter;
  /** Writes `<source>.checkpoints.internal` on the target cluster. */
  checkpoints?: InternalWriter;
  checkpointIntervalMs: number;
  internalReplicationFactor: number;
  /** Commit translated offsets to the target's groups every interval (MM2's sync.group.offsets). */
  syncGroupOffsets?: { intervalMs: number; targetConsumerConfig: RdConfig };
}

/** Source offsets [from, to) deleted before they were copied; logEnd = the high watermark then. */
export interface DataLossRange {
  from: number;
  to: number;
  logEnd: number;
}

class PartitionState {
  replicated: number;
  committed: number;
  highWatermark = -1;
  /** When the worker sampled highWatermark (Date.now ms); -1 = never. */
  highWatermarkAt = -1;
  replicatedTimestamp = -1;
  lastLoss: { from: number; to: number; at: number } | undefined;
  records = 0;
  bytes = 0;
  error: string | undefined;
  readonly runs = new OffsetRuns();
  /** Offset-preserving mode: records land at their source offsets (until a divergence). */
  preserving = false;
  /** Offset-preserving mode: why this partition went on with offset translation instead. */
  translating: string | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly targetTopic: string,
    readonly channel: WorkerChannel,
    readonly slot: number,
    /** Committed position when assigned; -1 = none (start at the log start). */
    start: number,
  ) {
    this.replicated = start;
    this.committed = start;
    // The worker reads from the committed offset, or the log's beginning without one.
    this.runs.startAt(start >= 0 ? start : 0);
  }
}

/** How long a created remote topic's partitions are waited for (see waitServed). */
const SERVED_WAIT_MS = 15_000;
/** One try of that wait. */
const SERVED_TRY_MS = 2_000;

export class FlowCoordinator {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly channels: WorkerChannel[] = [];
  private member: GroupMember | undefined;
  private subscribed = '';
  private readonly targetPartitions = new Map<string, number>();
  private readonly sourcePartitions = new Map<string, number>();
  private rebalanceChain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private committing = false;
  private closing = false;
  private stopping: Promise<void> | undefined;
  private readonly replicationLatency = createLatencyHistogram('accumulator');
  private readonly relayLatency = createLatencyHistogram('accumulator');
  private readonly recentLatency = createLatencyHistogram('accumulator');
  /** Offsets lost at the source per partition ("topic\0partition" key), for the process's lifetime. */
  private readonly lost = new Map<string, number>();
  private totals = { records: 0, bytes: 0, failed: 0, lost: 0, commits: 0, commitErrors: 0, offsetSyncs: 0, checkpoints: 0, groupsCheckpointed: 0 };
  /** Last checkpoint written per group and partition: "group\0topic\0partition" -> [upstream, downstream]. */
  private readonly lastCheckpoint = new Map<string, [number, number]>();
  private lastCheckpointAt = -1;
  private groupOffsetsSynced = 0;
  /** The source topics of the latest refresh (the syncs work on these). */
  private currentTopics: string[] = [];
  private syncTotals = { configsChanged: 0, aclsChanged: 0, errors: 0 };
  private lastWarning = new Map<string, number>();
  private lastRecent = latencyQuantiles(createLatencyHistogram('interval'));
  /** Offset-preserving mode: partitions held but not replicated because their offsets diverged at start. */
  private readonly heldDiverged = new Map<string, { topic: string; partition: number; targetTopic: string; offset: number; reason: string }>();

  /** Whether the group's first assignment was handled (see `readiness`). */
  private assignedOnce = false;

  constructor(private readonly deps: FlowDeps) {}

  get name(): string {
    return this.deps.flow.name;
  }

  async start(): Promise<void> {
    const { flow, engine, log } = this.deps;
    for (let i = 0; i < engine.workers; i++) {
      const channel = this.deps.launch(i, (msg) => this.onWorkerMessage(channel, msg));
      channel.drainHandler = (slot, count, src, tgt, ts, bytes) => this.onProgress(channel, slot, count, src, tgt, ts, bytes);
      this.channels.push(channel);
    }
    const topics = await this.firstRefresh();
    if (this.closing) return;
    const member = await this.deps.join({
      assigned: (parts) =>
        void this.enqueue(async () => {
          await this.onAssigned(parts);
          this.assignedOnce = true;
        }),
      revoked: (parts, lost) => this.enqueue(() => this.onRevoked(parts, lost)),
      error: (err) => this.warn(`group:${err.code}`, err.message),
    });
    if (this.closing) {
      // stop() came while joining and found no member to close; without this the flow would
      // start its timers after it was stopped and keep the process alive.
      await member.close();
      return;
    }
    this.member = member;
    this.subscribe(topics);
    log.info({ flow: flow.name, topics: topics.length, workers: engine.workers }, `flow ${flow.name}: replicating ${topics.length} topic(s)`);
    this.timers.push(setInterval(() => void this.refreshTopics().then((t) => this.subscribe(t), (e: unknown) => this.warn('refresh', `topic refresh failed: ${describeError(e)}`)), flow.refreshTopicsIntervalMs));
    this.timers.push(setInterval(() => void this.commit(), engine.commitIntervalMs));
    this.timers.push(setInterval(() => this.drainAll(), 10));
    const mm2 = this.deps.mm2;
    if (mm2?.offsetSyncs) await mm2.offsetSyncs.ensureTopic(policyForFlow(flow).offsetSyncsTopic(flow.target), mm2.internalReplicationFactor);
    if (mm2?.checkpoints) await mm2.checkpoints.ensureTopic(policyForFlow(flow).checkpointsTopic(flow.source), mm2.internalReplicationFactor);
    // Timers started after a stop() that came during those calls would never be cleared.
    if (this.closing) return;
    if (mm2?.checkpoints) {
      let running = false;
      this.timers.push(
        setInterval(() => {
          if (running) return;
          running = true;
          this.emitCheckpoints()
            .catch((e: unknown) => this.warn('checkpoints', `emitting checkpoints failed (will retry): ${describeError(e)}`))
            .finally(() => (running = false));
        }, mm2.checkpointIntervalMs),
      );
    }
    for (const [kind, s] of [['configs', this.deps.sync?.configs], ['acls', this.deps.sync?.acls]] as const) {
      if (!s) continue;
      let running = false;
      const tick = (): void => {
        if (running) return;
        running = true;
        const topics = this.currentTopics.map((t) => ({ source: t, remote: remoteTopicName(flow, t) }));
        void s.sync
          .syncOnce(topics)
          .then((report) => {
            if (kind === 'configs') this.syncTotals.configsChanged += report.changed;
            else this.syncTotals.aclsChanged += report.changed;
            this.syncTotals.errors += report.errors.length;
            for (const e of report.errors) this.warn(`sync-${kind}:${e.topic ?? ''}`, e.message);
          })
          .finally(() => (running = false));
      };
      tick(); // MM2 syncs at start too
      this.timers.push(setInterval(tick, s.intervalMs));
    }
    const sync = mm2?.syncGroupOffsets;
    if (sync) {
      let running = false;
      this.timers.push(
        setInterval(() => {
          if (running) return;
          running = true;
          this.syncGroupOffsets(sync.targetConsumerConfig)
            .catch((e: unknown) => this.warn('group-sync', `syncing group offsets to ${flow.target} failed (will retry): ${describeError(e)}`))
            .finally(() => (running = false));
        }, sync.intervalMs),
      );
    }
  }

  /**
   * MM2's sync.group.offsets: commit the latest translated offsets to the same consumer groups
   * on the target, so consumers that fail over find their position there. Only for groups with no
   * active member on the target (a live consumer owns its offsets), and never moving a group
   * backwards on the target (it may have consumed further there already).
   */
  async syncGroupOffsets(targetConsumerConfig: RdConfig): Promise<number> {
    const { targetAdmin } = this.deps;
    const byGroup = new Map<string, { topic: string; partition: number; offset: number }[]>();
    for (const [key, [, downstream]] of this.lastCheckpoint) {
      const [group, topic, partition] = key.split('\u0000') as [string, string, string];
      const list = byGroup.get(group) ?? [];
      list.push({ topic, partition: Number(partition), offset: downstream });
      byGroup.set(group, list);
    }
    if (byGroup.size === 0) return 0;
    const members = await targetAdmin.groupMembers([...byGroup.keys()]);
    let committed = 0;
    for (const [group, offsets] of byGroup) {
      if ((members.get(group) ?? 0) > 0) continue;
      const forward = offsetsToSync(offsets, members.get(group) ?? 0, await targetAdmin.groupOffsets(group));
      if (forward.length === 0) continue;
      await targetAdmin.commitGroupOffsets(group, forward, targetConsumerConfig);
      committed += forward.length;
    }
    this.groupOffsetsSynced += committed;
    return committed;
  }

  /**
   * MM2's MirrorCheckpointTask, with exact translation: for every consumer group on the source
   * that the flow's group filters select, and every partition this process replicates, write a
   * checkpoint (group, remote topic, partition, upstream = the group's committed offset,
   * downstream = the exact target position) to `<source>.checkpoints.internal` on the target.
   * Only positions the offset map covers are translated (a group ahead of replication, or behind
   * what this process replicated since it got the partition, waits). A checkpoint is written when
   * it changed; it never moves backwards unless the group's source offset did (a rewind).
   */
  async emitCheckpoints(): Promise<number> {
    const { flow, sourceAdmin } = this.deps;
    const writer = this.deps.mm2?.checkpoints;
    if (!writer || this.partitions.size === 0) return 0;
    const topic = policyForFlow(flow).checkpointsTopic(flow.source);
    const groups = (await sourceAdmin.listGroups()).filter((g) => g !== flow.groupId && shouldReplicateGroup(g, flow));
    let written = 0;
    const checkpointed = new Set<string>();
    for (const group of groups) {
      this.drainAll();
      for (const o of await sourceAdmin.groupOffsets(group)) {
        const s = this.partitions.get(partitionKey(o.topic, o.partition));
        if (!s) continue;
        // Offset-preserving: offsets are equal on both sides, so a group position maps 1:1, also
        // below what this process replicated since it got the partition.
        const downstream = s.preserving ? o.offset : s.runs.translate(o.offset);
        if (downstream === undefined) continue;
        const key = `${group}\u0000${s.targetTopic}\u0000${o.partition}`;
        const last = this.lastCheckpoint.get(key);
        if (last && last[0] === o.offset && last[1] === downstream) continue;
        if (last && o.offset >= last[0] && downstream < last[1]) continue; // never backwards without a rewind
        writer.write(
          topic,
          encodeCheckpointKey({ consumerGroupId: group, topic: s.targetTopic, partition: o.partition }),
          encodeCheckpointValue({ upstreamOffset: o.offset, downstreamOffset: downstream, metadata: '' }),
        );
        this.lastCheckpoint.set(key, [o.offset, downstream]);
        checkpointed.add(group);
        written++;
      }
    }
    this.totals.checkpoints += written;
    this.totals.groupsCheckpointed = checkpointed.size || this.totals.groupsCheckpointed;
    this.lastCheckpointAt = Date.now();
    return written;
  }

  /**
   * The first topic listing, retried with backoff while the clusters cannot be reached: a
   * replicator started before its clusters (or during an outage) waits for them and says why.
   */
  private async firstRefresh(): Promise<string[]> {
    const { flow, log } = this.deps;
    for (let attempt = 0, backoff = 1000; ; attempt++, backoff = Math.min(backoff * 2, 30_000)) {
      try {
        return await this.refreshTopics();
      } catch (err) {
        if (this.closing) return [];
        log.error({ flow: flow.name, attempt, retryInMs: backoff, err: describeError(err) }, `flow ${flow.name}: cannot list or create topics (${describeError(err)}); retrying in ${backoff / 1000} s`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff);
          this.wakeStart = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }

  private wakeStart: () => void = () => undefined;

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.rebalanceChain.then(fn, fn);
    this.rebalanceChain = next.catch((e: unknown) => this.deps.log.error({ flow: this.name, err: describeError(e) }, `flow ${this.name}: rebalance handling failed: ${describeError(e)}`));
    return next;
  }

  private subscribe(topics: string[]): void {
    const key = topics.join('\n');
    if (key === this.subscribed || !this.member) return;
    this.subscribed = key;
    this.member.subscribe(topics);
  }

  /** Source topics of the flow, with their remote topics present on the target. */
  async refreshTopics(): Promise<string[]> {
    const { flow, sourceAdmin } = this.deps;
    const all = await sourceAdmin.listTopics();
    const wanted = all.filter((t) => shouldReplicateTopic(t, flow)).sort();
    const infos = await sourceAdmin.describeTopics(wanted);
    const ready: string[] = [];
    for (const info of infos) {
      const before = this.sourcePartitions.get(info.name);
      this.sourcePartitions.set(info.name, info.partitions);
      try {
        await this.ensureTarget(info.name, info.partitions);
      } catch (err) {
        // One topic whose remote cannot be created (a name too long for the target, missing
        // permission, ...) must not hold up the others: it is left out and retried next refresh.
        this.deps.log.error({ flow: flow.name, topic: info.name, err: describeError(err) }, `flow ${flow.name}: topic ${info.name} is not replicated for now: ${describeError(err)}`);
        continue;
      }
      ready.push(info.name);
      if (before !== undefined && before !== info.partitions) {
        this.deps.log.info({ flow: flow.name, topic: info.name, partitions: info.partitions }, `flow ${flow.name}: topic ${info.name} grew from ${before} to ${info.partitions} partitions`);
      }
    }
    this.currentTopics = ready.sort();
    return this.currentTopics;
  }

  /** Per source topic, the last ensureTarget call: they run one after the other (see below). */
  private readonly ensuring = new Map<string, Promise<void>>();
  /**
   * Partitions the group gave us that are held, not replicated, until a retry succeeds: their
   * remote topic was not ready, or (offset-preserving) their start could not be worked out.
   * Tried again every START_RETRY_MS while still ours.
   */
  private readonly heldForRetry = new Map<string, TopicPartition>();
  private retryTimer: NodeJS.Timeout | undefined;

  /**
   * Creates the remote topic, or adds partitions to it, so it has at least `partitions`. Calls
   * for one topic are serialized: the topic refresh and a rebalance that both noticed new
   * partitions would otherwise both ask the target for the same increase, and the second request
   * fails ("already has N partitions").
   */
  private ensureTarget(sourceTopic: string, partitions: number): Promise<void> {
    const previous = this.ensuring.get(sourceTopic) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.ensureTargetNow(sourceTopic, partitions));
    this.ensuring.set(sourceTopic, next);
    return next;
  }

  private async ensureTargetNow(sourceTopic: string, partitions: number): Promise<void> {
    const { flow, targetAdmin, log } = this.deps;
    const remote = remoteTopicName(flow, sourceTopic);
    let have = this.targetPartitions.get(remote);
    if (have === undefined || have < partitions) {
      const [info] = await targetAdmin.describeTopics([remote]);
      have = info?.partitions;
    }
    if (have === undefined) {
      // Like MM2, a new remote topic starts with the source topic's configuration (compaction,
      // retention, ...); if the target refuses some of it, create it plain and let the sync report.
      const configs = (await this.deps.sync?.configs?.sync.configsForNewTopic(sourceTopic)) ?? {};
      const created = await targetAdmin.createTopic(remote, partitions, flow.replicationFactor, configs).catch((err: unknown) => {
        if (Object.keys(configs).length === 0) throw err;
        this.warn(`create:${remote}`, `creating ${remote} with the source's configs failed (${describeError(err)}); creating it without them`);
        return targetAdmin.createTopic(remote, partitions, flow.replicationFactor);
      });
      if (created) {
        log.info({ flow: flow.name, topic: remote, partitions }, `flow ${flow.name}: created remote topic ${remote} with ${partitions} partitions on ${flow.target}`);
        await this.waitServed(remote, 0, partitions);
      }
      have = partitions;
      if (!created) have = (await targetAdmin.describeTopics([remote]))[0]?.partitions ?? partitions;
    }
    if (have < partitions) {
      try {
        await targetAdmin.createPartitions(remote, partitions);
        log.info({ flow: flow.name, topic: remote, partitions }, `flow ${flow.name}: remote topic ${remote} grew from ${have} to ${partitions} partitions`);
        await this.waitServed(remote, have, partitions);
        have = partitions;
      } catch (err) {
        // Another process of the flow (or an operator) may have grown it meanwhile: fine if so.
        have = (await targetAdmin.describeTopics([remote]))[0]?.partitions ?? have;
        if (have < partitions) throw err;
      }
    }
    this.targetPartitions.set(remote, have);
  }

  /**
   * exactly-once: waits (up to SERVED_WAIT_MS) until the target answers for partitions
   * [from, to) of a topic strait just created or grew. For moments after that, a broker answers
   * "unknown topic or partition" or "not leader", and the first record of a transaction sent
   * there made the broker refuse the producer's epoch, which ended the worker (a fresh remote
   * heartbeats topic did so at start). The other modes do not wait: the relay reads such a record
   * again (src/worker/relay.ts), and an admin client whose metadata predates the topic can take
   * its whole request timeout to answer, which slowed every start.
   */
  private async waitServed(topic: string, from: number, to: number): Promise<void> {
    const admin = this.deps.targetAdmin;
    if (this.deps.flow.mode !== 'exactly-once' || !admin.listOffsets || to <= from) return;
    const parts = Array.from({ length: to - from }, (_, i) => ({ topic, partition: from + i }));
    const until = Date.now() + SERVED_WAIT_MS;
    for (;;) {
      try {
        const ends = await admin.listOffsets(parts, 'latest', SERVED_TRY_MS);
        if (ends.length === parts.length && ends.every((e) => e.offset >= 0)) return;
      } catch {
        // not served yet
      }
      if (Date.now() >= until || this.closing) {
        this.warn(`served:${topic}`, `partitions ${from}..${to - 1} of ${topic} on ${this.deps.flow.target} are not served ${SERVED_WAIT_MS / 1000} s after they were created; replicating anyway`);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async onAssigned(assigned: TopicPartition[]): Promise<void> {
    if (this.closing || assigned.length === 0) return;
    const { flow, log } = this.deps;
    // A partition whose previous copy in this process still drains (a revoke that timed out,
    // e.g. while the target was unreachable) waits for it. Decided before the start offsets are
    // read: in exactly-once, that copy's open transaction may still commit, and a start read
    // before it would copy its records again.
    const parts: TopicPartition[] = [];
    for (const p of assigned) {
      if (this.channels.some((c) => c.isDraining(partitionKey(p.topic, p.partition)))) this.holdDraining(p);
      else parts.push(p);
    }
    if (parts.length === 0) return;
    const committed = await this.member!.committed(parts);
    // What the source group holds now. In the exactly-once and offset-preserving modes the start
    // comes from the target and may be ahead of it: the source group is then brought up to the
    // start at the next commit (it is what lag tools and `strait failover` read).
    const sourceCommitted = new Map(committed);
    if (flow.mode === 'exactly-once') await this.exactlyOnceStarts(parts, committed);
    // Partitions the group hands us may be newer than our last topic refresh.
    const needed = new Map<string, number>();
    for (const p of parts) needed.set(p.topic, Math.max(needed.get(p.topic) ?? 0, p.partition + 1, this.sourcePartitions.get(p.topic) ?? 0));
    const unavailable = new Set<string>();
    for (const [topic, n] of needed) {
      try {
        await this.ensureTarget(topic, n);
      } catch (err) {
        unavailable.add(topic);
        log.error({ flow: flow.name, topic, err: describeError(err) }, `flow ${flow.name}: partitions of ${topic} are held but not replicated: the remote topic is not ready (${describeError(err)}); nothing of it is committed, so nothing is lost`);
      }
    }
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      if (unavailable.has(p.topic)) this.heldForRetry.set(key, p);
      else this.heldForRetry.delete(key);
    }
    if (this.heldForRetry.size > 0) this.retryHeld();
    const byChannel = new Map<WorkerChannel, { slot: number; topic: string; partition: number; targetTopic: string; offset: bigint; preserveOffsets?: boolean }[]>();
    const preserved = await this.preservedStarts(parts, committed, unavailable);
    const logStarts = await this.logStarts(parts.filter((p) => !unavailable.has(p.topic) && !committed.has(partitionKey(p.topic, p.partition)) && !preserved?.has(partitionKey(p.topic, p.partition))));
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      if (this.partitions.has(key) || unavailable.has(p.topic)) continue;
      let start = committed.get(key) ?? -1;
      const pre = preserved?.get(key);
      if (pre && 'stopped' in pre) {
        this.heldDiverged.set(key, { topic: p.topic, partition: p.partition, targetTopic: remoteTopicName(flow, p.topic), offset: pre.offset, reason: pre.reason });
        if (pre.retry) {
          this.heldForRetry.set(key, p);
          this.retryHeld();
        }
        continue;
      }
      this.heldDiverged.delete(key);
      this.drainWaitLogged.delete(key);
      if (pre) start = pre.offset;
      else if (start < 0) start = logStarts.get(key) ?? -1;
      const acknowledged = this.acknowledgedNotCommitted.get(key);
      if (acknowledged !== undefined) {
        this.acknowledgedNotCommitted.delete(key);
        if (acknowledged > start) start = acknowledged;
      }
      const channel = this.leastLoaded();
      const slot = channel.allocate(key);
      const targetTopic = remoteTopicName(flow, p.topic);
      const state = new PartitionState(p.topic, p.partition, targetTopic, channel, slot, start);
      state.committed = sourceCommitted.get(key) ?? -1;
      if (pre) {
        state.preserving = pre.preserve;
        state.translating = pre.reason;
      }
      this.partitions.set(key, state);
      const list = byChannel.get(channel) ?? [];
      list.push({ slot, topic: p.topic, partition: p.partition, targetTopic, offset: start >= 0 ? BigInt(start) : OFFSET_BEGINNING, ...(pre?.preserve ? { preserveOffsets: true } : {}) });
      byChannel.set(channel, list);
    }
    for (const [channel, partitions] of byChannel) channel.send({ type: 'assign', partitions });
    log.info({ flow: flow.name, partitions: parts.map((p) => `${p.topic}-${p.partition}`) }, `flow ${flow.name}: assigned ${parts.length} partition(s); now ${this.partitions.size}`);
  }

  /**
   * The log start of partitions with no committed offset, asked in one ListOffsets request per
   * broker. Handed to the consumer as OFFSET_BEGINNING instead, librdkafka asks for each partition
   * on its own, and a broker answers one connection's requests one at a time: about 50 partitions
   * a second on a busy broker, minutes for 10,000 new ones (bench/README.md, "Many partitions").
   * Empty when the cluster does not answer: the consumer then asks for itself.
   */
  private async logStarts(parts: TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const admin = this.deps.sourceAdmin;
    if (!admin.listOffsets || parts.length === 0) return out;
    try {
      for (let i = 0; i < parts.length; i += 5_000) {
        for (const o of await admin.listOffsets(parts.slice(i, i + 5_000), 'earliest')) if (o.offset >= 0) out.set(partitionKey(o.topic, o.partition), o.offset);
      }
    } catch (err) {
      this.warn('log-starts', `reading the log start of ${parts.length} new partition(s) failed (${describeError(err)}); their consumers ask for it one partition at a time`);
    }
    return out;
  }

  /**
   * exactly-once: the offsets committed in the target with the records (src/coordinator/
   * exactly-once.ts) override the source group's. Read "stable": while a transaction of a
   * crashed predecessor is still open (until our producers' initTransactions abort it, or the
   * broker's transaction timeout), the broker answers UNSTABLE_OFFSET_COMMIT and we wait, so a
   * transaction committed in its last moments is never replicated twice.
   */
  private async exactlyOnceStarts(parts: TopicPartition[], committed: Map<string, number>): Promise<void> {
    const { flow, targetAdmin, log } = this.deps;
    const group = exactlyOnceOffsetsGroup(flow);
    const remote = parts.map((p) => ({ topic: remoteTopicName(flow, p.topic), partition: p.partition }));
    for (let attempt = 0; ; attempt++) {
      try {
        const offsets = await targetAdmin.groupOffsets(group, remote, { requireStable: true });
        const byRemote = new Map(offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
        for (const p of parts) {
          const key = partitionKey(p.topic, p.partition);
          const start = resumeOffset(byRemote.get(`${remoteTopicName(flow, p.topic)}\u0000${p.partition}`), committed.get(key));
          if (start >= 0) committed.set(key, start);
          else committed.delete(key);
        }
        return;
      } catch (err) {
        if (this.closing) throw err;
        if (attempt % 10 === 0) {
          log.warn({ flow: flow.name, group, attempt, err: describeError(err) }, `flow ${flow.name}: waiting for the committed offsets in ${flow.target} (group ${group}) to be stable: ${describeError(err)}`);
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * at-least-once: per partition this process gave up, the source position below which the target
   * acknowledged every record, when the group did not get it committed (the assignment was
   * lost: a cut link, a session that expired). When the group hands the partition back, it
   * resumes from there instead of the older committed offset: nothing below it is missing on the
   * target (this process wrote it), so starting there loses nothing and does not send again
   * everything copied since the last commit that worked. Another process that copied the same
   * range meanwhile only adds duplicates, which at-least-once allows.
   */
  private readonly acknowledgedNotCommitted = new Map<string, number>();

  /** Partitions held by holdDraining() whose wait was logged (once per wait). */
  private readonly drainWaitLogged = new Set<string>();

  private holdDraining(p: TopicPartition): void {
    const key = partitionKey(p.topic, p.partition);
    if (!this.drainWaitLogged.has(key)) {
      this.drainWaitLogged.add(key);
      this.deps.log.info(
        { flow: this.deps.flow.name, topic: p.topic, partition: p.partition },
        `flow ${this.deps.flow.name}: partition ${p.topic}-${p.partition} is held: records of its previous assignment are still in flight to ${this.deps.flow.target}; it starts from its committed offset once they are acknowledged or fail`,
      );
    }
    this.heldForRetry.set(key, p);
    this.retryHeld();
  }

  /** Held partitions (see heldForRetry) are tried again while still ours. */
  private retryHeld(delayMs = START_RETRY_MS): void {
    if (this.closing) return;
    if (this.retryTimer) {
      if (delayMs >= START_RETRY_MS) return;
      clearTimeout(this.retryTimer);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const parts = [...this.heldForRetry.values()];
      if (parts.length > 0 && !this.closing) void this.enqueue(() => this.onAssigned(parts.filter((p) => this.heldForRetry.has(partitionKey(p.topic, p.partition)))));
    }, delayMs);
  }

  /**
   * Offset-preserving mode: each partition starts where its target partition ends (after
   * checks, and alignment of an empty target), not at the group's committed offset. See
   * src/coordinator/preserve.ts. Undefined in the other modes.
   */
  private async preservedStarts(parts: TopicPartition[], committed: Map<string, number>, unavailable: Set<string>): Promise<Map<string, PreserveStart> | undefined> {
    const preserve = this.deps.preserve;
    if (!preserve) return undefined;
    // Heartbeats topics are MM2's bookkeeping, not consumer data, and the remote heartbeats topic
    // may also be written by other flows into this target: they are replicated translated.
    const policy = policyForFlow(this.deps.flow);
    const todo = parts
      .filter((p) => !unavailable.has(p.topic) && !this.partitions.has(partitionKey(p.topic, p.partition)) && !policy.isHeartbeatsTopic(p.topic))
      .map((p) => ({ topic: p.topic, partition: p.partition, targetTopic: remoteTopicName(this.deps.flow, p.topic), committed: committed.get(partitionKey(p.topic, p.partition)) }));
    return preserve.starts(todo);
  }

  private leastLoaded(): WorkerChannel {
    let best = this.channels[0];
    for (const c of this.channels) if (!c.ended && (best.ended || c.partitionCount < best.partitionCount)) best = c;
    return best;
  }

  private async onRevoked(parts: TopicPartition[], lost: boolean): Promise<void> {
    const { flow, engine, log } = this.deps;
    for (const p of parts) this.heldForRetry.delete(partitionKey(p.topic, p.partition));
    for (const p of parts) this.drainWaitLogged.delete(partitionKey(p.topic, p.partition));
    for (const p of parts) this.heldDiverged.delete(partitionKey(p.topic, p.partition));
    const owned = parts.map((p) => this.partitions.get(partitionKey(p.topic, p.partition))).filter((s): s is PartitionState => s !== undefined);
    if (owned.length === 0) return;
    const byChannel = new Map<WorkerChannel, number[]>();
    for (const s of owned) byChannel.set(s.channel, [...(byChannel.get(s.channel) ?? []), s.slot]);
    const drained = await Promise.all([...byChannel].map(([c, slots]) => c.revoke(slots, engine.shutdownTimeoutMs, lost)));
    this.drainAll();
    if (!lost) {
      const offsets = owned.filter((s) => s.replicated > s.committed).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.replicated }));
      try {
        await this.member!.commit(offsets);
        for (const s of owned) s.committed = s.replicated;
        this.totals.commits++;
      } catch (e) {
        this.totals.commitErrors++;
        log.warn({ flow: flow.name, err: describeError(e) }, `flow ${flow.name}: final commit before giving up partitions failed; the next owner re-sends from the last committed offsets: ${describeError(e)}`);
      }
    }
    for (const s of owned) {
      // at-least-once: what the target acknowledged but the group did not take (a lost
      // assignment, a failed final commit) is remembered for when the partition comes back.
      if (flow.mode === 'at-least-once' && s.replicated > s.committed) this.acknowledgedNotCommitted.set(partitionKey(s.topic, s.partition), s.replicated);
      s.channel.free(s.slot);
      this.partitions.delete(partitionKey(s.topic, s.partition));
    }
    log.info(
      { flow: flow.name, partitions: owned.map((s) => `${s.topic}-${s.partition}`), lost, drained: drained.every(Boolean) },
      `flow ${flow.name}: gave up ${owned.length} partition(s)${lost ? ' (assignment lost: no commit)' : ''}; now ${this.partitions.size}`,
    );
  }

  private onProgress(channel: WorkerChannel, slot: number, count: number, src: number, tgt: number, ts: number, bytes: number): void {
    const key = channel.partitionAt(slot);
    const s = key === undefined ? undefined : this.partitions.get(key);
    if (!s || s.channel !== channel) return;
    // max: after a data loss with `continue` the position was already moved past the missing range.
    s.replicated = Math.max(s.replicated, src + count);
    const offsetSyncs = this.deps.mm2?.offsetSyncs;
    if (offsetSyncs) {
      // An offset sync whenever the source->target delta changes (a new run), so MM2-style
      // readers of the offset-syncs topic never translate past the truth.
      const hs = s.runs.highestSource();
      const ht = s.runs.highestTarget();
      if (hs === undefined || ht === undefined || src !== hs + 1 || tgt !== ht + 1) {
        offsetSyncs.write(
          policyForFlow(this.deps.flow).offsetSyncsTopic(this.deps.flow.target),
          encodeOffsetSyncKey({ topic: s.topic, partition: s.partition }),
          encodeOffsetSyncValue({ upstreamOffset: src, downstreamOffset: tgt }),
        );
        this.totals.offsetSyncs++;
      }
    }
    s.runs.add(src, tgt, count);
    if (ts > s.replicatedTimestamp) s.replicatedTimestamp = ts;
    s.records += count;
    s.bytes += bytes;
    this.totals.records += count;
    this.totals.bytes += bytes;
  }

  drainAll(): void {
    for (const c of this.channels) c.drain(c.drainHandler);
  }

  private onWorkerMessage(channel: WorkerChannel, msg: WorkerMessage): void {
    const { flow, log } = this.deps;
    switch (msg.type) {
      case 'stats': {
        log.debug({ flow: flow.name, worker: msg.workerId, ...msg.counters }, 'worker stats');
        mergeEncodedHistogram(this.replicationLatency, msg.histograms.replication);
        mergeEncodedHistogram(this.recentLatency, msg.histograms.replication);
        mergeEncodedHistogram(this.relayLatency, msg.histograms.relay);
        for (const [slot, hw] of (msg as { highWatermarks?: [number, number][] }).highWatermarks ?? []) {
          const key = channel.partitionAt(slot);
          const s = key === undefined ? undefined : this.partitions.get(key);
          if (s && hw >= 0) {
            s.highWatermark = hw;
            s.highWatermarkAt = msg.endMs;
          }
        }
        break;
      }
      case 'error': {
        if (msg.slot !== undefined && (msg.code === OFFSET_TRANSLATING || msg.code === OFFSET_DIVERGENCE)) {
          this.onDivergence(channel, msg.slot, msg.code, msg.offset, msg.message);
        } else if (msg.slot !== undefined) {
          const key = channel.partitionAt(msg.slot);
          const s = key === undefined ? undefined : this.partitions.get(key);
          if (s) {
            s.error = msg.message;
            this.totals.failed++;
            const where = describeContext({ cluster: flow.target, topic: s.targetTopic, partition: s.partition });
            log.error(
              { flow: flow.name, topic: s.topic, partition: s.partition, offset: String(msg.offset), code: msg.code },
              `flow ${flow.name}: partition ${s.topic}-${s.partition} stopped at source offset ${String(msg.offset)}: ${where}: ${msg.message}. Nothing from this record on is committed; fix the cause and restart strait to resume at this record.`,
            );
            if (flow.onRecordError === 'stop-flow') this.deps.fatal(`flow ${flow.name} stopped (onRecordError: stop-flow): partition ${s.topic}-${s.partition} at source offset ${String(msg.offset)}: ${msg.message}`);
          }
        } else if (msg.fatal) {
          log.error({ flow: flow.name, worker: msg.workerId, code: msg.code }, `flow ${flow.name}: worker ${msg.workerId}: ${msg.message}`);
          this.deps.fatal(`flow ${flow.name}: worker ${msg.workerId}: ${msg.message}`);
        } else {
          // Per worker: each reports its own partitions, and one worker's report must not hide another's.
          this.warn(`worker${msg.workerId}:${msg.code}`, `worker ${msg.workerId}: ${msg.message}`);
        }
        break;
      }
      case 'dataLoss':
        this.onDataLoss(channel, msg);
        break;
      case 'revoked':
        // A late confirmation (see WorkerChannel.free) may release a held partition: try now.
        if (this.heldForRetry.size > 0 && this.channels.every((c) => c.drainingCount === 0)) this.retryHeld(0);
        break;
      case 'stopped':
        break;
    }
  }

  /**
   * Source retention deleted offsets [from, to) of a partition before they were copied. The
   * worker found it and halted the partition, after every record of it in flight was acknowledged
   * and reported to the ring (drained here first, so `replicated` is now `from`). Reports the loss
   * (error log line, strait_records_lost_total, status), then acts through handleDataLoss().
   */
  private onDataLoss(channel: WorkerChannel, msg: DataLossMessage): void {
    const { flow, log } = this.deps;
    const key = channel.partitionAt(msg.slot);
    const s = key === undefined ? undefined : this.partitions.get(key);
    if (key === undefined || !s || s.channel !== channel || s.topic !== msg.topic || s.partition !== msg.partition) return;
    this.drainAll();
    const loss: DataLossRange = { from: Number(msg.from), to: Number(msg.to), logEnd: Number(msg.logEnd) };
    const count = loss.to - loss.from;
    this.lost.set(key, (this.lost.get(key) ?? 0) + count);
    this.totals.lost += count;
    s.lastLoss = { from: loss.from, to: loss.to, at: Date.now() };
    const action = flow.onDataLoss;
    const what =
      action === 'continue'
        ? `continuing from offset ${loss.to} (onDataLoss: continue)`
        : `the partition is stopped (onDataLoss: stop-partition); the other partitions go on. To resume, set onDataLoss: continue for flow ${flow.name} and restart strait (it goes on from offset ${loss.to})`;
    log.error(
      { flow: flow.name, topic: s.topic, partition: s.partition, from: loss.from, to: loss.to, records: count, onDataLoss: action },
      `flow ${flow.name}: DATA LOSS on ${describeContext({ cluster: flow.source, topic: s.topic, partition: s.partition })}: source offsets ${loss.from} to ${loss.to - 1} (${count} record${count === 1 ? '' : 's'}) were deleted by retention before strait copied them (the log now starts at ${loss.to}); ${what}`,
    );
    this.handleDataLoss(s, loss, action);
  }

  /**
   * The one place a reported data loss is acted on (the partition's worker slot is halted until
   * then). `continue`: everything below `to` is on the target or gone for good, so the position
   * moves to `to` (a restart does not report the same range again) and the worker resumes there.
   * `stop-partition`: the partition stays halted and shows the error; its committed position stays
   * at `from`, so a restart finds and reports the same loss. A mode that keeps target offsets equal
   * to source offsets hooks its own `continue` in here.
   */
  private handleDataLoss(s: PartitionState, loss: DataLossRange, action: 'continue' | 'stop-partition'): void {
    if (action === 'continue') {
      // A partition that stopped on a refused record meanwhile stays stopped at that record.
      if (s.error !== undefined) return;
      s.replicated = Math.max(s.replicated, loss.to);
      s.channel.send({ type: 'seek', slot: s.slot, topic: s.topic, partition: s.partition, offset: BigInt(loss.to) });
    } else {
      s.error = `source offsets ${loss.from} to ${loss.to - 1} (${loss.to - loss.from} records) were deleted by retention before they were copied; stopped by onDataLoss: stop-partition (set onDataLoss: continue and restart to go on from offset ${loss.to})`;
    }
  }

  /** An offset-preserving partition could not keep its offsets (src/worker/relay.ts). */
  private onDivergence(channel: WorkerChannel, slot: number, code: string, offset: bigint | undefined, message: string): void {
    const { flow, log } = this.deps;
    const key = channel.partitionAt(slot);
    const s = key === undefined ? undefined : this.partitions.get(key);
    if (!s) return;
    s.preserving = false;
    const where = describeContext({ cluster: flow.target, topic: s.targetTopic, partition: s.partition });
    if (code === OFFSET_TRANSLATING) {
      s.translating = `offset ${String(offset)}: ${message}`;
      log.warn(
        { flow: flow.name, topic: s.topic, partition: s.partition, offset: String(offset) },
        `flow ${flow.name}: partition ${s.topic}-${s.partition} no longer preserves offsets from offset ${String(offset)} on (onDivergence: translate): ${where}: ${message}. Replication goes on with offset translation (checkpoints translate positions)`,
      );
      return;
    }
    s.error = `offset ${String(offset)}: ${message}`;
    this.totals.failed++;
    log.error(
      { flow: flow.name, topic: s.topic, partition: s.partition, offset: String(offset), code },
      `flow ${flow.name}: partition ${s.topic}-${s.partition} stopped at offset ${String(offset)} (offset-preserving mode): ${where}: ${message}. Fix the cause (or set onDivergence: translate) and restart strait`,
    );
    if (flow.onRecordError === 'stop-flow') this.deps.fatal(`flow ${flow.name} stopped (onRecordError: stop-flow): partition ${s.topic}-${s.partition} at offset ${String(offset)}: ${message}`);
  }

  /** Logs a recurring warning at most every 10 s per kind. */
  private warn(kind: string, message: string): void {
    const now = Date.now();
    if ((this.lastWarning.get(kind) ?? 0) + 10_000 > now) return;
    this.lastWarning.set(kind, now);
    this.deps.log.warn({ flow: this.name, kind }, `flow ${this.name}: ${message}`);
  }

  /** Commits the replicated position of every partition that moved. */
  async commit(): Promise<void> {
    if (this.committing || !this.member) return;
    this.drainAll();
    const moved = [...this.partitions.values()].filter((s) => s.replicated > s.committed && s.replicated >= 0);
    if (moved.length === 0) return;
    const offsets = moved.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.replicated }));
    this.committing = true;
    try {
      await this.member.commit(offsets);
      moved.forEach((s, i) => (s.committed = Math.max(s.committed, offsets[i].offset)));
      this.totals.commits++;
    } catch (e) {
      this.totals.commitErrors++;
      this.warn('commit', `committing progress failed (will retry): ${describeError(e)}`);
    } finally {
      this.committing = false;
    }
  }

  /**
   * Ordered shutdown: stop tasks (they drain and flush), take their last progress, commit, write
   * a last round of checkpoints, leave. Safe to call more than once (the engine stops a flow
   * stopped through the admin endpoint again at exit).
   */
  stop(deadlineMs: number): Promise<void> {
    this.stopping ??= this.stopOnce(deadlineMs);
    return this.stopping;
  }

  /** Whether stop() was called: the flow no longer replicates in this process. */
  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * For readiness (src/engine/readiness.ts): `assigned` once the group's first assignment (maybe
   * empty) was handled, i.e. its partitions were handed to the workers.
   */
  get readiness(): FlowReadiness {
    if (this.stopped) return 'stopped';
    return this.assignedOnce ? 'assigned' : 'starting';
  }

  private async stopOnce(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.wakeStart();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.retryTimer);
    for (const c of this.channels) c.send({ type: 'stop', deadlineMs });
    // Bounded by the deadline; the timer must not outlive the race, or it keeps the process alive.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.channels.map((c) => c.stopped)), new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadlineMs - Date.now()))))]);
    clearTimeout(timer);
    this.drainAll();
    while (this.committing) await delay(5);
    await this.commit();
    await this.rebalanceChain;
    await this.finalCheckpoints(deadlineMs);
    const member = this.member;
    this.member = undefined;
    this.partitions.clear();
    await member?.close();
    this.deps.sourceAdmin.close();
    this.deps.targetAdmin.close();
    this.deps.sync?.close();
    for (const c of this.channels) c.close();
  }

  /**
   * One last checkpoint round over the final positions, delivered before the flow leaves its
   * group: a consumer group stopped before the flow then has a checkpoint whose upstream offset
   * is its committed offset, which is what `strait failover` checks before translating.
   */
  private async finalCheckpoints(deadlineMs: number): Promise<void> {
    const writer = this.deps.mm2?.checkpoints;
    if (!writer || !this.member) return;
    try {
      await this.emitCheckpoints();
      await writer.flush?.(Math.max(1_000, deadlineMs - Date.now()));
    } catch (e) {
      this.deps.log.warn({ flow: this.name, err: describeError(e) }, `flow ${this.name}: the last checkpoint round before stopping failed: ${describeError(e)}`);
    }
  }

  /**
   * The flow's state now. `rotate` closes the recent-latency window (the summary timer does it
   * once per interval; other readers see the window as last closed).
   */
  snapshot(rotate = false): FlowSnapshot {
    const { flow } = this.deps;
    const partitions: PartitionSnapshot[] = [...this.partitions.values()].map((s) => {
      const p: PartitionSnapshot = {
        topic: s.topic,
        partition: s.partition,
        targetTopic: s.targetTopic,
        replicatedOffset: s.replicated,
        committedOffset: s.committed,
        highWatermark: s.highWatermark,
        highWatermarkAt: s.highWatermarkAt,
        replicatedTimestamp: s.replicatedTimestamp,
        records: s.records,
        bytes: s.bytes,
        worker: s.channel.workerId,
        offsetRuns: s.runs.size,
      };
      if (s.error !== undefined) p.error = s.error;
      const lost = this.lost.get(partitionKey(s.topic, s.partition));
      if (lost !== undefined) p.recordsLost = lost;
      if (s.lastLoss) p.lastLoss = { ...s.lastLoss };
      if (s.preserving) p.offsetsPreserved = true;
      if (s.translating !== undefined) p.translating = s.translating;
      return p;
    });
    for (const h of this.heldDiverged.values()) {
      partitions.push({
        topic: h.topic,
        partition: h.partition,
        targetTopic: h.targetTopic,
        replicatedOffset: h.offset,
        committedOffset: -1,
        highWatermark: -1,
        replicatedTimestamp: -1,
        records: 0,
        bytes: 0,
        worker: -1,
        offsetRuns: 0,
        error: h.reason,
      });
    }
    partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    if (rotate) {
      this.lastRecent = latencyQuantiles(this.recentLatency);
      resetHistogram(this.recentLatency);
    }
    const recent = this.lastRecent;
    return {
      name: flow.name,
      source: flow.source,
      target: flow.target,
      mode: flow.mode,
      records: this.totals.records,
      bytes: this.totals.bytes,
      recordsFailed: this.totals.failed,
      recordsLost: this.totals.lost,
      partitions,
      replicationLatency: latencyQuantiles(this.replicationLatency),
      relayLatency: latencyQuantiles(this.relayLatency),
      recentReplicationLatency: recent,
      commits: this.totals.commits,
      commitErrors: this.totals.commitErrors,
      offsetSyncs: this.totals.offsetSyncs,
      groupOffsetsSynced: this.groupOffsetsSynced,
      topicConfigsChanged: this.syncTotals.configsChanged,
      aclsChanged: this.syncTotals.aclsChanged,
      syncErrors: this.syncTotals.errors,
      checkpoints: this.totals.checkpoints,
      groupsCheckpointed: this.totals.groupsCheckpointed,
      lastCheckpointAt: this.lastCheckpointAt,
      offsetRuns: [...this.partitions.values()].reduce((a, s) => a + s.runs.size, 0),
      topics: this.sourcePartitions.size,
    };
  }

  /** Exact translation of a consumer position on a source partition (for checkpoints). */
  offsetRuns(topic: string, partition: number): OffsetRuns | undefined {
    return this.partitions.get(partitionKey(topic, partition))?.runs;
  }
}

type PartitionOffset = { topic: string; partition: number; offset: number };

/**
 * Which translated offsets may be committed to a target group: none while the group has an
 * active member there (a live consumer owns its offsets), and only those that move a partition
 * forward (the group may already have consumed further on the target).
 */
export function offsetsToSync(translated: PartitionOffset[], activeMembers: number, current: PartitionOffset[]): PartitionOffset[] {
  if (activeMembers > 0) return [];
  const now = new Map(current.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
  return translated.filter((o) => (now.get(`${o.topic}\u0000${o.partition}`) ?? -1) < o.offset);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
