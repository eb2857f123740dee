/**
 * `strait failover`'s work against the clusters, in order:
 *
 * 1. Replication of the flow stopped or confirmed stopped: the flow's own group on the source
 *    (flow.groupId) has members only while a strait process replicates the flow. With members, the
 *    processes are asked to stop the flow (POST /flows/<name>/stop on their metrics endpoint) and
 *    the group is watched until it is empty; if that cannot be done, failover refuses, naming the
 *    group. With the source unreachable (an outage), nothing can replicate from it: say so, go on.
 * 2. Final lag and RPO per source partition (source reachable), or the last replicated record's
 *    timestamp per remote partition (source unreachable: lag unknown).
 * 3. The chosen groups' offsets, translated per mode (src/failover/plan.ts), committed on the
 *    target for groups with no active member there.
 * 4. What clients must change.
 *
 * With dryRun nothing is stopped and nothing committed; the report says what would be.
 */
import type { ClusterConfig, FlowConfig, StraitConfig } from '../config/types.js';
import { KafkaAdmin, partitionsOfTopics } from '../kafka/admin.js';
import { adminConfig, type RdConfig } from '../kafka/client-config.js';
import { readPartitionToEnd, readRecordsFrom, type RawRecord } from '../kafka/reader.js';
import { latestCheckpointsByGroup, type TranslatedOffset } from '../mirror/client.js';
import { policyForFlow, remoteTopicName, shouldReplicateGroup, shouldReplicateTopic } from '../mirror/policy.js';
import { describeError, StraitError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';
import { bootstrapAddresses, firstAccepting } from './probe.js';
import { flowRpoMs, offsetsToCommit, partitionLag, planGroup, selectGroups, translationFor, type GroupPlan, type PartitionLag, type SourcePosition, type Translation } from './plan.js';

export interface FailoverOptions {
  config: StraitConfig;
  flow: FlowConfig;
  /** --groups values (names or regexes); undefined = every group with checkpoints for the flow. */
  groups?: string[];
  dryRun: boolean;
  allowStale: boolean;
  /**
   * --source-down: go on as an unplanned failover when the source cannot be used for any reason.
   * Without it only a source none of whose bootstrap servers accepts a TCP connection counts as
   * down; one that accepts but refuses strait (credentials, TLS) is up and may still be
   * replicating, so failover refuses (src/failover/probe.ts).
   */
  sourceDown?: boolean;
  /** Metrics endpoints of the strait processes that may run the flow. */
  stopUrls: string[];
  /** How long to wait for the flow's group to empty after asking the processes to stop it. */
  waitMs: number;
  /** Live progress lines (stderr), not part of the report. */
  progress(line: string): void;
  clientId?: string;
}

export interface StopAttempt {
  url: string;
  ok: boolean;
  /** The endpoint's JSON answer, or what went wrong. */
  answer?: unknown;
  error?: string;
}

export interface ReplicationState {
  /** The flow's replication group on the source. */
  group: string;
  /** Its members when failover started; undefined when the source was unreachable. */
  membersBefore: number | undefined;
  /** not-running: no member; stopped: asked and confirmed empty; would-stop: dry run; unknown: source unreachable. */
  state: 'not-running' | 'stopped' | 'would-stop' | 'unknown';
  stopAttempts: StopAttempt[];
  /** The endpoints asked (or, in a dry run, that would be asked) to stop the flow. */
  stopUrls: string[];
}

export interface LastReplicated {
  remoteTopic: string;
  partition: number;
  endOffset: number;
  /** Timestamp (ms) of the partition's last record on the target; undefined when it is empty. */
  lastTimestamp: number | undefined;
}

export interface GroupOutcome extends GroupPlan {
  /** Active members of the group on the target. */
  targetMembers: number;
  /** The group's committed offsets on the target before failover. */
  targetBefore: SourcePosition[];
  /** True when the offsets were committed (never in a dry run). */
  committed: boolean;
  /** Why this group was not committed (besides `refused`). */
  error?: string;
}

export interface ClientChanges {
  targetCluster: string;
  bootstrapServers: string;
  /** Non-secret security settings of the target cluster's configuration. */
  security: Record<string, string>;
  /** Source topic -> its remote topic on the target (where the group offsets are). */
  topics: { source: string; target: string }[];
  /** Topic names producers write to on the target. */
  producerTopics: { source: string; target: string }[];
  groupsInPlace: string[];
  groupsNotInPlace: string[];
  policy: 'default' | 'identity';
}

export interface FailoverReport {
  flow: string;
  source: string;
  target: string;
  mode: string;
  translation: Translation;
  dryRun: boolean;
  sourceReachable: boolean;
  sourceError?: string;
  replication: ReplicationState;
  /** Per source partition (source reachable). */
  partitions?: PartitionLag[];
  /** The flow's RPO (worst partition), ms; undefined when unknown. */
  rpoMs?: number;
  /** Per remote partition (source unreachable). */
  lastReplicated?: LastReplicated[];
  /**
   * End offsets of the flow's remote partitions on the target at failover (after the stop): where
   * data written on the target after the switch begins (the start of an identity-policy reverse flow).
   */
  remoteEnds: { remoteTopic: string; partition: number; endOffset: number }[];
  groups: GroupOutcome[];
  /** --groups values that matched no group. */
  unmatchedGroups: string[];
  clients: ClientChanges;
  /** Every selected group committed (or would be, in a dry run), nothing unmatched. */
  ok: boolean;
}

/** The last records of a remote partition read to find the last replicated timestamp (markers may end it). */
const LAST_RECORDS = 16;
const STATUS_EVERY_MS = 2_000;

/** Non-secret settings shown to clients; never passwords, keys or tokens. */
const SHOWN_SECURITY_KEYS = ['security.protocol', 'sasl.mechanism', 'sasl.mechanisms'];

/** The metrics endpoint of a process started with this configuration (0.0.0.0 is reached on loopback). */
export function defaultStopUrl(config: StraitConfig): string {
  const { host, port } = config.engine.metrics;
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** The source topic a target topic is the remote copy of, for this flow; undefined if none. */
export function sourceTopicOfRemote(flow: FlowConfig, remote: string): string | undefined {
  const policy = policyForFlow(flow);
  const candidate = flow.replication.policy === 'identity' ? remote : policy.topicSource(remote) === flow.source ? policy.upstreamTopic(remote) : undefined;
  if (candidate === undefined || remoteTopicName(flow, candidate) !== remote) return undefined;
  return isFlowTopic(flow, candidate) ? candidate : undefined;
}

/** Application topics of the flow: the ones it replicates, heartbeats aside (they never stop). */
export function isFlowTopic(flow: FlowConfig, sourceTopic: string): boolean {
  return shouldReplicateTopic(sourceTopic, flow) && !policyForFlow(flow).isHeartbeatsTopic(sourceTopic);
}

/**
 * Connection-level errors that say why a cluster that is up refuses the client: wrong
 * credentials, an ACL, a TLS certificate or handshake problem. librdkafka's texts, from the admin
 * client's error events (KafkaAdmin.recentClientErrors); used to name the cause only.
 */
const REFUSAL_CAUSE = /authenticat|authoriz|sasl|ssl|certificate|handshake/i;

export class FailoverRefused extends StraitError {
  constructor(message: string) {
    super('FAILOVER_REFUSED', message);
  }
}

export async function runFailover(options: FailoverOptions): Promise<FailoverReport> {
  const { config, flow } = options;
  const clientId = options.clientId ?? 'strait-failover';
  const sourceCluster = config.clusters.get(flow.source)!;
  const targetCluster = config.clusters.get(flow.target)!;
  const sourceConfig = adminConfig(sourceCluster, clientId);
  const targetConfig = adminConfig(targetCluster, clientId);
  const source = new KafkaAdmin(flow.source, sourceConfig);
  const target = new KafkaAdmin(flow.target, targetConfig);
  try {
    let sourceTopics: string[] | undefined;
    let sourceError: string | undefined;
    try {
      sourceTopics = await source.listTopics();
    } catch (err) {
      sourceError = describeError(err);
      const listening = await firstAccepting(bootstrapAddresses(sourceCluster.properties['bootstrap.servers'] ?? ''));
      if (listening !== undefined) {
        // Up, but unusable for strait. The client's error events usually say why (they may
        // arrive a moment after the failed call).
        await new Promise((r) => setTimeout(r, 500));
        const why = source.recentClientErrors().find((m) => REFUSAL_CAUSE.test(m)) ?? sourceError;
        const at = `${listening.host}:${listening.port}`;
        if (options.sourceDown !== true) {
          throw new FailoverRefused(
            `source cluster "${flow.source}" accepts connections (at ${at}) but strait cannot use it (${why}): it is not down, and replication may still be running against it. ` +
              `Fix its settings (clusters.${flow.source} in the configuration) and run failover again; if the source really is out of service (its authentication went down with it, say), pass --source-down to fail over without it`,
          );
        }
        options.progress(`source cluster "${flow.source}" accepts connections (at ${at}) but strait cannot use it (${why}); --source-down was given: treating this as an unplanned failover, and the lag is unknown`);
      } else {
        options.progress(`source cluster "${flow.source}" is unreachable (${sourceError}): treating this as an unplanned failover; replication cannot run against a cluster that is down, and the lag is unknown`);
      }
    }
    const reachable = sourceTopics !== undefined;
    const replication = reachable ? await stopReplication(options, source) : { group: flow.groupId, membersBefore: undefined, state: 'unknown' as const, stopAttempts: [], stopUrls: [] };

    const report: FailoverReport = {
      flow: flow.name,
      source: flow.source,
      target: flow.target,
      mode: flow.mode,
      translation: translationFor(flow.mode),
      dryRun: options.dryRun,
      sourceReachable: reachable,
      ...(sourceError === undefined ? {} : { sourceError }),
      replication,
      groups: [],
      unmatchedGroups: [],
      clients: undefined as unknown as ClientChanges,
      remoteEnds: [],
      ok: false,
    };

    let flowSourceTopics: string[];
    if (sourceTopics) {
      flowSourceTopics = sourceTopics.filter((t) => isFlowTopic(flow, t)).sort();
      report.partitions = await lagOf(options, source, sourceConfig, flowSourceTopics);
      const rpo = flowRpoMs(report.partitions);
      if (rpo !== undefined) report.rpoMs = rpo;
    } else {
      const remotes = (await target.listTopics()).filter((t) => sourceTopicOfRemote(flow, t) !== undefined).sort();
      flowSourceTopics = remotes.map((t) => sourceTopicOfRemote(flow, t)!);
      report.lastReplicated = await lastReplicated(target, targetConfig, flow.target, remotes);
    }
    // Without the source, lastReplicated has just read the same ends.
    report.remoteEnds = report.lastReplicated
      ? report.lastReplicated.map((l) => ({ remoteTopic: l.remoteTopic, partition: l.partition, endOffset: l.endOffset }))
      : await remoteEnds(target, flowSourceTopics.map((t) => remoteTopicName(flow, t)));

    const { outcomes, unmatched } = await translateGroups(options, reachable ? source : undefined, target, targetConfig, flowSourceTopics, report.remoteEnds);
    report.groups = outcomes;
    report.unmatchedGroups = unmatched;
    report.clients = clientChanges(flow, targetCluster, flowSourceTopics, outcomes);
    report.ok = unmatched.length === 0 && outcomes.every((g) => g.refused === undefined && g.error === undefined);
    return report;
  } finally {
    source.close();
    target.close();
  }
}

async function stopReplication(options: FailoverOptions, source: KafkaAdmin): Promise<ReplicationState> {
  const { flow } = options;
  const group = flow.groupId;
  const membersOf = async (): Promise<number> => (await source.groupMembers([group])).get(group) ?? 0;
  const before = await membersOf();
  const state: ReplicationState = { group, membersBefore: before, state: 'not-running', stopAttempts: [], stopUrls: options.stopUrls };
  if (before === 0) return state;
  if (options.dryRun) {
    state.state = 'would-stop';
    return state;
  }
  for (const url of options.stopUrls) {
    options.progress(`asking the strait process at ${url} to stop flow ${flow.name} (drain, commit, last checkpoints)`);
    state.stopAttempts.push(await askToStop(url, flow.name, options.config.engine.shutdownTimeoutMs + 30_000));
  }
  const until = Date.now() + options.waitMs;
  let members = await membersOf();
  let lastStatus = 0;
  while (members > 0 && Date.now() < until) {
    if (Date.now() - lastStatus >= STATUS_EVERY_MS) {
      lastStatus = Date.now();
      options.progress(`waiting for the replication group "${group}" on cluster "${flow.source}" to empty: ${members} member(s) left, ${Math.ceil((until - Date.now()) / 1000)} s left`);
    }
    await new Promise((r) => setTimeout(r, 500));
    members = await membersOf();
  }
  if (members > 0) {
    const tried = state.stopAttempts.map((a) => `${a.url}: ${a.ok ? 'stopped its copy of the flow' : (a.error ?? 'failed')}`).join('; ');
    throw new FailoverRefused(
      `the replication of flow ${flow.name} is still running: its group "${group}" on cluster "${flow.source}" has ${members} active member(s) ` +
        `(strait processes replicating the flow). Tried: ${tried || 'nothing'}. Stop them first: send SIGTERM to each strait process running this flow ` +
        `(it stops in order: drain, commit, last checkpoints), or pass --stop-url http://<host>:<engine.metrics.port> once per process so that failover stops the flow there. ` +
        `Failover commits nothing while replication runs.`,
    );
  }
  state.state = 'stopped';
  options.progress(`flow ${flow.name} stopped: its replication group "${group}" has no members`);
  return state;
}

async function askToStop(base: string, flowName: string, timeoutMs: number): Promise<StopAttempt> {
  const url = `${base.replace(/\/+$/, '')}/flows/${encodeURIComponent(flowName)}/stop`;
  try {
    const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let answer: unknown = text;
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (res.ok) return { url: base, ok: true, answer };
    const why = typeof answer === 'object' && answer !== null && 'error' in answer ? String(answer.error) : text.trim();
    return { url: base, ok: false, answer, error: `HTTP ${res.status}: ${why}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { url: base, ok: false, error: cause === 'ECONNREFUSED' ? 'no strait metrics endpoint answers there (connection refused)' : describeError(err) };
  }
}

async function lagOf(options: FailoverOptions, source: KafkaAdmin, sourceConfig: RdConfig, topics: string[]): Promise<PartitionLag[]> {
  const { flow } = options;
  const parts = partitionsOfTopics(await source.describeTopics(topics));
  const [bounds, committed] = await Promise.all([source.logBounds(parts), source.groupOffsets(flow.groupId)]);
  const committedOf = new Map(committed.map((o) => [partitionKey(o.topic, o.partition), o.offset]));
  const now = Date.now();
  const inputs = parts.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    remoteTopic: remoteTopicName(flow, p.topic),
    logStart: bounds.get(partitionKey(p.topic, p.partition))?.logStart ?? 0,
    end: bounds.get(partitionKey(p.topic, p.partition))?.end ?? 0,
    committed: committedOf.get(partitionKey(p.topic, p.partition)),
  }));
  // The first record not replicated tells how old the oldest unreplicated data is (the RPO).
  const behind = inputs.map((i) => partitionLag(i, now)).filter((l) => l.lag > 0);
  const firsts = await readRecordsFrom(flow.source, sourceConfig, behind.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.replicatedOffset, max: 1 })));
  return inputs
    .map((i) => partitionLag({ ...i, firstUnreplicatedTimestamp: firsts.get(partitionKey(i.topic, i.partition))?.[0]?.timestamp }, now))
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

async function lastReplicated(target: KafkaAdmin, targetConfig: RdConfig, cluster: string, remotes: string[]): Promise<LastReplicated[]> {
  const parts = partitionsOfTopics(await target.describeTopics(remotes));
  const bounds = await target.logBounds(parts);
  const boundsOf = (p: { topic: string; partition: number }) => bounds.get(partitionKey(p.topic, p.partition)) ?? { logStart: 0, end: 0 };
  const reads = parts
    .filter((p) => boundsOf(p).end > boundsOf(p).logStart)
    .map((p) => ({ ...p, offset: Math.max(boundsOf(p).logStart, boundsOf(p).end - LAST_RECORDS), max: LAST_RECORDS }));
  const records = await readRecordsFrom(cluster, targetConfig, reads);
  return parts
    .map((p) => {
      const last = records.get(partitionKey(p.topic, p.partition))?.at(-1);
      return { remoteTopic: p.topic, partition: p.partition, endOffset: boundsOf(p).end, lastTimestamp: last?.timestamp };
    })
    .sort((a, b) => (a.remoteTopic === b.remoteTopic ? a.partition - b.partition : a.remoteTopic < b.remoteTopic ? -1 : 1));
}

async function remoteEnds(target: KafkaAdmin, remotes: string[]): Promise<FailoverReport['remoteEnds']> {
  const ends = await target.listOffsets(partitionsOfTopics(await target.describeTopics(remotes)), 'latest');
  return ends.map((o) => ({ remoteTopic: o.topic, partition: o.partition, endOffset: o.offset })).sort((a, b) => (a.remoteTopic === b.remoteTopic ? a.partition - b.partition : a.remoteTopic < b.remoteTopic ? -1 : 1));
}

/** Every group's latest checkpoints of this flow's topics, from `<source>.checkpoints.internal` on the target. */
async function checkpointsByGroup(flow: FlowConfig, target: KafkaAdmin, targetConfig: RdConfig): Promise<Map<string, TranslatedOffset[]>> {
  const topic = policyForFlow(flow).checkpointsTopic(flow.source);
  const out = new Map<string, TranslatedOffset[]>();
  if (!(await target.listTopics()).includes(topic)) return out;
  const records: RawRecord[] = await readPartitionToEnd(flow.target, targetConfig, topic, 0);
  // Undecodable records are skipped, as MM2's client skips them.
  for (const [g, all] of latestCheckpointsByGroup(records, topic)) {
    const mine = all.filter((c) => sourceTopicOfRemote(flow, c.topic) !== undefined);
    if (mine.length > 0) out.set(g, mine);
  }
  return out;
}

async function translateGroups(
  options: FailoverOptions,
  source: KafkaAdmin | undefined,
  target: KafkaAdmin,
  targetConfig: RdConfig,
  flowSourceTopics: string[],
  remoteEndOffsets: FailoverReport['remoteEnds'],
): Promise<{ outcomes: GroupOutcome[]; unmatched: string[] }> {
  const { flow } = options;
  const checkpoints = await checkpointsByGroup(flow, target, targetConfig);
  const candidates = new Set(checkpoints.keys());
  // Offset-preserving: the source's groups carry over as they are, checkpoints or not.
  if (translationFor(flow.mode) === 'identity' && source) for (const g of await source.listGroups()) if (g !== flow.groupId && shouldReplicateGroup(g, flow)) candidates.add(g);
  const { selected, unmatched } = selectGroups(options.groups, candidates);
  const flowTopics = new Set(flowSourceTopics);
  // Replication is stopped, so the remote end offsets read for the report are still the ends.
  const targetEnds = translationFor(flow.mode) === 'identity' ? new Map(remoteEndOffsets.map((o) => [partitionKey(o.remoteTopic, o.partition), o.endOffset])) : undefined;
  const members = await target.groupMembers(selected);
  const outcomes: GroupOutcome[] = [];
  for (const group of selected) {
    const sourceCommitted = source ? (await source.groupOffsets(group)).filter((o) => flowTopics.has(o.topic)) : undefined;
    const plan = planGroup({
      group,
      mode: flow.mode,
      checkpoints: checkpoints.get(group) ?? [],
      sourceCommitted,
      ...(targetEnds ? { targetEnds } : {}),
      remoteTopicOf: (t) => remoteTopicName(flow, t),
      sourceTopicOf: (t) => sourceTopicOfRemote(flow, t) ?? t,
      allowStale: options.allowStale,
    });
    const outcome: GroupOutcome = { ...plan, targetMembers: members.get(group) ?? 0, targetBefore: await target.groupOffsets(group), committed: false };
    const commit = offsetsToCommit(plan);
    if (plan.refused === undefined && outcome.targetMembers > 0) {
      outcome.error = `group "${group}" has ${outcome.targetMembers} active member(s) on cluster "${flow.target}": its offsets there belong to those consumers. Stop them, then rerun strait failover`;
    } else if (plan.refused === undefined && commit.length > 0 && !options.dryRun) {
      try {
        await target.commitGroupOffsets(group, commit, targetConfig);
        outcome.committed = true;
        options.progress(`group "${group}": committed ${commit.length} offset(s) on cluster "${flow.target}"`);
      } catch (err) {
        outcome.error = `committing the offsets of group "${group}" on cluster "${flow.target}" failed: ${describeError(err)}`;
      }
    }
    outcomes.push(outcome);
  }
  return { outcomes, unmatched };
}

function clientChanges(flow: FlowConfig, target: ClusterConfig, sourceTopics: string[], outcomes: GroupOutcome[]): ClientChanges {
  const security: Record<string, string> = {};
  for (const k of SHOWN_SECURITY_KEYS) if (target.properties[k] !== undefined) security[k] = target.properties[k];
  const topics = sourceTopics.map((t) => ({ source: t, target: remoteTopicName(flow, t) }));
  return {
    targetCluster: flow.target,
    bootstrapServers: target.properties['bootstrap.servers'] ?? '',
    security,
    topics,
    // Producers write to the topic's own name on the target: with the default policy that is a
    // local topic next to the remote copy, which a reverse flow can replicate back (the remote
    // copy "<source>.<topic>" would be a cycle for it); with identity it is the same topic.
    producerTopics: sourceTopics.map((t) => ({ source: t, target: t })),
    groupsInPlace: outcomes.filter((g) => g.committed || (g.refused === undefined && g.error === undefined)).map((g) => g.group),
    groupsNotInPlace: outcomes.filter((g) => !(g.committed || (g.refused === undefined && g.error === undefined))).map((g) => g.group),
    policy: flow.replication.policy,
  };
}
