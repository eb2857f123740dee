/**
 * The pure decisions of `strait failover`, kept apart from the cluster I/O (src/failover/run.ts)
 * so they can be unit-tested: per-partition lag and RPO, which consumer groups `--groups` selects,
 * how a group's offsets are translated in each flow mode, and when a checkpoint is too old to use.
 */
import type { FlowMode } from '../config/types.js';
import type { TranslatedOffset } from '../mirror/client.js';
import { partitionKey } from '../util/partition-key.js';

/** One source partition of the flow at failover time. */
export interface LagInput {
  topic: string;
  partition: number;
  remoteTopic: string;
  /** The source partition's log start and end offsets. */
  logStart: number;
  end: number;
  /** The flow's committed (replicated) offset in its group on the source; undefined = none yet. */
  committed: number | undefined;
  /** Timestamp (ms) of the first record at or after the replicated position, when one was read. */
  firstUnreplicatedTimestamp?: number | undefined;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  remoteTopic: string;
  endOffset: number;
  /** Next source offset not replicated (the committed offset, or the log start without one). */
  replicatedOffset: number;
  /** Offsets not replicated: end - replicated position. */
  lag: number;
  /** Recovery point: 0 with no lag; else now - timestamp of the first record not replicated; undefined = unknown. */
  rpoMs: number | undefined;
  /** Offsets deleted by retention before they were replicated (committed below the log start). */
  lostBeforeLogStart: number;
}

/** The replicated position of a partition: the committed offset, never below the log start. */
export function replicatedPosition(committed: number | undefined, logStart: number): number {
  return committed === undefined || committed < logStart ? logStart : committed;
}

export function partitionLag(p: LagInput, now: number): PartitionLag {
  const replicatedOffset = replicatedPosition(p.committed, p.logStart);
  const lag = Math.max(0, p.end - replicatedOffset);
  let rpoMs: number | undefined;
  if (lag === 0) rpoMs = 0;
  else if (p.firstUnreplicatedTimestamp !== undefined && p.firstUnreplicatedTimestamp >= 0) rpoMs = Math.max(0, now - p.firstUnreplicatedTimestamp);
  return {
    topic: p.topic,
    partition: p.partition,
    remoteTopic: p.remoteTopic,
    endOffset: p.end,
    replicatedOffset,
    lag,
    rpoMs,
    lostBeforeLogStart: p.committed !== undefined && p.committed < p.logStart ? p.logStart - p.committed : 0,
  };
}

/** The flow's RPO: the worst partition's; undefined when one partition with lag has no known RPO. */
export function flowRpoMs(rows: PartitionLag[]): number | undefined {
  let worst = 0;
  for (const r of rows) {
    if (r.rpoMs === undefined) return undefined;
    worst = Math.max(worst, r.rpoMs);
  }
  return worst;
}

/**
 * Which groups `--groups` selects among `candidates`: each value is a group name, or a regular
 * expression that must match a whole name (like the flow's group patterns). `unmatched` lists the
 * values that selected nothing (the caller reports them: a typo must not pass quietly).
 * Without values, every candidate is selected.
 */
export function selectGroups(values: string[] | undefined, candidates: Iterable<string>): { selected: string[]; unmatched: string[] } {
  const all = [...new Set(candidates)].sort();
  if (values === undefined || values.length === 0) return { selected: all, unmatched: [] };
  const selected = new Set<string>();
  const unmatched: string[] = [];
  for (const v of values) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^(?:${v})$`);
    } catch {
      re = undefined; // not a valid expression: a name only
    }
    const hits = all.filter((g) => g === v || (re !== undefined && re.test(g)));
    if (hits.length === 0) unmatched.push(v);
    for (const g of hits) selected.add(g);
  }
  return { selected: [...selected].sort(), unmatched };
}

/** How a mode's consumer offsets carry over to the target. */
export type Translation = 'checkpoints' | 'identity';

/**
 * at-least-once and exactly-once write records at new offsets on the target, so a group's
 * position is translated through the flow's checkpoints (exact: strait's offset map is exact).
 * offset-preserving writes every record at its source offset, so the source position is the
 * target position.
 */
export function translationFor(mode: FlowMode): Translation {
  switch (mode) {
    case 'offset-preserving':
      return 'identity';
    case 'at-least-once':
    case 'exactly-once':
      return 'checkpoints';
  }
}

/** One committed offset of a group on the source (source topic name). */
export interface SourcePosition {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * ok: translated and checked against the source. unverified: translated, but the source could not
 * be read to check it. stale: the group's source offset is not the checkpoint's (it moved after
 * the last checkpoint, or has no offset there any more). missing: the group has a source offset
 * but no checkpoint, so no target offset is known. ahead: (identity) the group's source offset is
 * past the target's end, so the target end is used: the records in between never reached it.
 */
export type OffsetStatus = 'ok' | 'unverified' | 'stale' | 'missing' | 'ahead';

export interface PlannedOffset {
  sourceTopic: string;
  remoteTopic: string;
  partition: number;
  /** Where the group resumes on the target; undefined when unknown (missing). */
  targetOffset: number | undefined;
  /** The checkpoint's upstream offset, when translated through checkpoints. */
  checkpointUpstream?: number;
  /** The group's committed offset on the source now; undefined when unknown or none. */
  sourceCommitted?: number;
  status: OffsetStatus;
}

export interface GroupPlan {
  group: string;
  translation: Translation;
  offsets: PlannedOffset[];
  /** Why nothing of this group may be committed; undefined = it may be. */
  refused?: string;
}

export interface GroupPlanInput {
  group: string;
  mode: FlowMode;
  /** The group's latest checkpoints for this flow (remote topic names), possibly empty. */
  checkpoints: TranslatedOffset[];
  /** The group's committed offsets on the source for the flow's topics; undefined = source not readable. */
  sourceCommitted: SourcePosition[] | undefined;
  /** Target end offsets by `remoteTopic\0partition` (identity mode checks against them). */
  targetEnds?: Map<string, number>;
  remoteTopicOf(sourceTopic: string): string;
  sourceTopicOf(remoteTopic: string): string;
  allowStale: boolean;
}

function sortOffsets(rows: PlannedOffset[]): PlannedOffset[] {
  return rows.sort((a, b) => (a.remoteTopic === b.remoteTopic ? a.partition - b.partition : a.remoteTopic < b.remoteTopic ? -1 : 1));
}

/**
 * The offsets to commit for one group on the target, per partition, with the reason to refuse
 * the group when one partition cannot be placed exactly. No partition is dropped: every partition
 * the group has a checkpoint or a source offset for is in `offsets`, with its status.
 *
 * The stale rule (checkpoint translation): a checkpoint is usable as is only if its upstream
 * offset is the group's committed offset on the source now. Otherwise the group moved after the
 * last checkpoint (or its consumers still run): resuming at the checkpoint would re-deliver (moved
 * forward) or skip (rewound) records, so the group is refused unless --allow-stale accepts that.
 */
export function planGroup(input: GroupPlanInput): GroupPlan {
  const translation = translationFor(input.mode);
  return translation === 'identity' && input.sourceCommitted !== undefined ? planIdentity(input) : planCheckpoints(input, translation);
}

function planIdentity(input: GroupPlanInput): GroupPlan {
  const offsets: PlannedOffset[] = [];
  for (const s of input.sourceCommitted ?? []) {
    const remoteTopic = input.remoteTopicOf(s.topic);
    const end = input.targetEnds?.get(partitionKey(remoteTopic, s.partition));
    const ahead = end !== undefined && s.offset > end;
    offsets.push({ sourceTopic: s.topic, remoteTopic, partition: s.partition, targetOffset: ahead ? end : s.offset, sourceCommitted: s.offset, status: ahead ? 'ahead' : 'ok' });
  }
  const plan: GroupPlan = { group: input.group, translation: 'identity', offsets: sortOffsets(offsets) };
  if (offsets.length === 0) plan.refused = `group "${input.group}" has no committed offsets on the source for this flow's topics: nothing to copy`;
  return plan;
}

function planCheckpoints(input: GroupPlanInput, translation: Translation): GroupPlan {
  const rows = new Map<string, PlannedOffset>();
  for (const c of input.checkpoints) {
    rows.set(partitionKey(c.topic, c.partition), {
      sourceTopic: input.sourceTopicOf(c.topic),
      remoteTopic: c.topic,
      partition: c.partition,
      targetOffset: c.offset,
      checkpointUpstream: c.upstreamOffset,
      status: input.sourceCommitted === undefined ? 'unverified' : 'stale',
    });
  }
  for (const s of input.sourceCommitted ?? []) {
    const remoteTopic = input.remoteTopicOf(s.topic);
    const row = rows.get(partitionKey(remoteTopic, s.partition));
    if (!row) {
      rows.set(partitionKey(remoteTopic, s.partition), { sourceTopic: s.topic, remoteTopic, partition: s.partition, targetOffset: undefined, sourceCommitted: s.offset, status: 'missing' });
      continue;
    }
    row.sourceCommitted = s.offset;
    row.status = row.checkpointUpstream === s.offset ? 'ok' : 'stale';
  }
  const offsets = sortOffsets([...rows.values()]);
  const plan: GroupPlan = { group: input.group, translation, offsets };
  const missing = offsets.filter((o) => o.status === 'missing');
  const stale = offsets.filter((o) => o.status === 'stale');
  const where = (list: PlannedOffset[]): string => list.map((o) => `${o.sourceTopic}-${o.partition}`).join(', ');
  if (offsets.length === 0) {
    plan.refused = `no checkpoints for group "${input.group}" from this flow: is the group in the flow's groups filter, and did it commit offsets on the source?`;
  } else if (missing.length > 0 && !input.allowStale) {
    plan.refused = `no checkpoint for ${missing.length} partition(s) the group has offsets for on the source (${where(missing)}): the flow has not translated them (the group is ahead of replication, or the flow does not replicate them); rerun after the flow caught up, or pass --allow-stale to commit the other partitions only`;
  } else if (stale.length > 0 && !input.allowStale) {
    plan.refused = `the group's committed offsets on the source differ from its last checkpoint on ${stale.length} partition(s) (${where(stale)}): the group moved after the last checkpoint, or its consumers are still running. Stop the group's consumers on the source, then rerun (stopping the flow writes a last checkpoint round); or pass --allow-stale to use the checkpoints anyway`;
  }
  return plan;
}

/** The offsets a plan commits: those with a known target offset, unless the group is refused. */
export function offsetsToCommit(plan: GroupPlan): { topic: string; partition: number; offset: number }[] {
  if (plan.refused !== undefined) return [];
  return plan.offsets.filter((o) => o.targetOffset !== undefined).map((o) => ({ topic: o.remoteTopic, partition: o.partition, offset: o.targetOffset! }));
}
