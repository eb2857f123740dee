/**
 * The engine snapshot in Prometheus text exposition format 0.0.4.
 *
 * Every family is declared once in FAMILIES below (name, type, help, labels, how to read its
 * samples from the snapshot); the renderer, the unit tests and the reference table in
 * docs/metrics.md all come from that list, so a metric cannot exist without being documented.
 *
 * Label values are cluster aliases, flow names, topic names and partition numbers only: nothing
 * from client properties, so no secret can reach a scrape. Error messages are not labels either
 * (they would make a new series per message); strait_partition_error is 0/1 and the text is in
 * `strait status`.
 *
 * Rules of the format kept here: one HELP and one TYPE line per family, before its samples; all
 * samples of a family together; label values escaped (\\, \", \n); values finite (a sample whose
 * value is not a finite number is left out rather than written as NaN).
 */
import type { EngineSnapshot, FlowSnapshot, PartitionSnapshot } from '../coordinator/snapshot.js';
import type { LatencyQuantiles } from './histogram.js';
import { partitionLagRecords, partitionLagSeconds } from './lag.js';
import { flowConsistentCut, flowRpoSeconds, partitionReplicatedThrough, partitionRpoSeconds } from './rpo.js';
import type { RateSource } from './rates.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'summary';

/** What a family is about: the whole process, one flow, or one source partition of a flow. */
export type MetricScope = 'engine' | 'flow' | 'partition';

export interface MetricFamily {
  name: string;
  type: MetricType;
  scope: MetricScope;
  /** One line, for the HELP comment. */
  help: string;
  /** Label names on every sample (summaries add `quantile` to their quantile samples). */
  labels: readonly string[];
}

export const FLOW_LABELS = ['flow', 'source', 'target'] as const;
export const PARTITION_LABELS = ['flow', 'source', 'target', 'topic', 'partition'] as const;

/** Quantiles of the latency summaries, as written in the `quantile` label. */
export const SUMMARY_QUANTILES: ReadonlyArray<readonly [label: string, key: 'p50' | 'p90' | 'p99' | 'p999']> = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.99', 'p99'],
  ['0.999', 'p999'],
];

interface FlowView {
  flow: FlowSnapshot;
  /** Escaped label pairs without braces, computed once per flow and reused by every family. */
  labels: string;
  partitions: PartitionView[];
}

interface PartitionView {
  p: PartitionSnapshot;
  labels: string;
}

interface RenderContext {
  snapshot: EngineSnapshot;
  rates: RateSource | undefined;
  flows: FlowView[];
}

type Emit = (labels: string, value: number, suffix?: string) => void;

interface FamilyDef extends MetricFamily {
  collect(ctx: RenderContext, emit: Emit): void;
}

function engineGauge(name: string, help: string, value: (s: EngineSnapshot) => number): FamilyDef {
  return { name, type: 'gauge', scope: 'engine', help, labels: [], collect: (ctx, emit) => emit('', value(ctx.snapshot)) };
}

function perFlow(name: string, type: 'counter' | 'gauge', help: string, value: (f: FlowSnapshot, ctx: RenderContext) => number | undefined): FamilyDef {
  return {
    name,
    type,
    scope: 'flow',
    help,
    labels: FLOW_LABELS,
    collect(ctx, emit) {
      for (const v of ctx.flows) {
        const x = value(v.flow, ctx);
        if (x !== undefined) emit(v.labels, x);
      }
    },
  };
}

function perPartition(
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  value: (p: PartitionSnapshot, ctx: RenderContext) => number | undefined,
): FamilyDef {
  return {
    name,
    type,
    scope: 'partition',
    help,
    labels: PARTITION_LABELS,
    collect(ctx, emit) {
      for (const v of ctx.flows) {
        for (const pv of v.partitions) {
          const x = value(pv.p, ctx);
          if (x !== undefined) emit(pv.labels, x);
        }
      }
    },
  };
}

/**
 * A latency summary per flow. Quantiles come from `recent` (the latest interval, as Prometheus
 * client summaries report quantiles over a recent window) and are left out when nothing was
 * measured in it, rather than reported as 0 or NaN. _count and _sum come from the since-start
 * histogram, so they only grow, as counters must. _sum is mean × count rounded to whole ms: the
 * histogram keeps counts per bucket, not the raw values, so this is the sum of each value's bucket
 * midpoint (within 0.1%, exact below 2048 ms), which keeps rate(_sum)/rate(_count) a true mean.
 */
function latencySummary(name: string, help: string, pick: (f: FlowSnapshot) => { recent: LatencyQuantiles; total: LatencyQuantiles }): FamilyDef {
  return {
    name,
    type: 'summary',
    scope: 'flow',
    help,
    labels: FLOW_LABELS,
    collect(ctx, emit) {
      for (const v of ctx.flows) {
        const { recent, total } = pick(v.flow);
        if (recent.count > 0) {
          for (const [label, key] of SUMMARY_QUANTILES) emit(`${v.labels},quantile="${label}"`, recent[key]);
        }
        emit(v.labels, Math.round(total.mean * total.count), '_sum');
        emit(v.labels, total.count, '_count');
      }
    },
  };
}

/** Round to 3 decimals: ms precision for seconds, and no long binary fractions in the output. */
function milli(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const FAMILIES: readonly FamilyDef[] = [
  engineGauge('strait_uptime_seconds', 'Seconds since the engine started.', (s) => milli(Math.max(0, (s.takenAt - s.startedAt) / 1000))),

  perFlow('strait_records_replicated_total', 'counter', 'Records the target acknowledged, per flow, since the engine started.', (f) => f.records),
  perFlow('strait_bytes_replicated_total', 'counter', 'Key and value bytes of the records the target acknowledged, per flow, since the engine started.', (f) => f.bytes),
  perFlow('strait_records_failed_total', 'counter', 'Records the target refused for good (the partition or flow stopped on them).', (f) => f.recordsFailed),
  perFlow(
    'strait_records_lost_total',
    'counter',
    'Source offsets retention deleted before strait copied them (data loss, see onDataLoss), per flow, since the engine started.',
    (f) => f.recordsLost ?? 0,
  ),
  perFlow('strait_flow_consistent_cut_timestamp_seconds', 'gauge', 'Oldest replicated-through time over the flow\'s partitions in this process (Unix seconds): everything produced before it is on the target; absent while any partition\'s is unknown.', (f) => {
    const cut = flowConsistentCut(f);
    return cut === undefined ? undefined : milli(cut / 1000);
  }),
  perFlow('strait_flow_rpo_seconds', 'gauge', 'Recovery point of the flow: snapshot time minus the consistent cut, in seconds; absent while the cut is unknown.', (f, ctx) => {
    const s = flowRpoSeconds(f, ctx.snapshot.takenAt);
    return s === undefined ? undefined : milli(s);
  }),
  perFlow('strait_commits_total', 'counter', 'Commits of replicated positions to the flow group on the source cluster.', (f) => f.commits),
  perFlow('strait_commit_errors_total', 'counter', 'Commits to the source cluster that failed (retried at the next commit).', (f) => f.commitErrors),
  perFlow('strait_flow_records_per_second', 'gauge', 'Records replicated per second over the last rate window (about 10 s).', (f, ctx) => {
    const r = ctx.rates?.rate(f.name);
    return r === undefined ? undefined : milli(r.recordsPerSecond);
  }),
  perFlow('strait_flow_bytes_per_second', 'gauge', 'Key and value bytes replicated per second over the last rate window (about 10 s).', (f, ctx) => {
    const r = ctx.rates?.rate(f.name);
    return r === undefined ? undefined : milli(r.bytesPerSecond);
  }),
  perFlow('strait_flow_lag_records', 'gauge', 'Sum of strait_partition_lag_records over the partitions of the flow in this process.', (f) => {
    let sum = 0;
    for (const p of f.partitions) sum += partitionLagRecords(p) ?? 0;
    return sum;
  }),
  perFlow('strait_flow_partitions', 'gauge', 'Source partitions of the flow assigned to this process.', (f) => f.partitions.length),
  perFlow('strait_flow_topics', 'gauge', 'Source topics the flow replicates.', (f) => f.topics),
  perFlow('strait_offset_syncs_total', 'counter', 'MM2 offset-sync records written (one per new source->target offset run).', (f) => f.offsetSyncs),
  perFlow('strait_group_offsets_synced_total', 'counter', "Partition offsets committed to the target's consumer groups (syncGroupOffsets).", (f) => f.groupOffsetsSynced),
  perFlow('strait_topic_configs_synced_total', 'counter', 'Topic configs set or removed on remote topics by the config sync.', (f) => f.topicConfigsChanged),
  perFlow('strait_acls_synced_total', 'counter', 'ACL bindings created or deleted on the target by the ACL sync.', (f) => f.aclsChanged),
  perFlow('strait_sync_errors_total', 'counter', 'Problems met by the config and ACL syncs (each is logged with its cluster and topic).', (f) => f.syncErrors),
  perFlow('strait_checkpoints_total', 'counter', 'MM2 checkpoint records written for consumer groups.', (f) => f.checkpoints),
  perFlow('strait_groups_checkpointed', 'gauge', 'Consumer groups that got a checkpoint in the latest round.', (f) => f.groupsCheckpointed),
  perFlow('strait_checkpoint_age_seconds', 'gauge', 'Seconds since checkpoints were last emitted (absent before the first round).', (f, ctx) =>
    f.lastCheckpointAt === undefined || f.lastCheckpointAt < 0 ? undefined : milli(Math.max(0, (ctx.snapshot.takenAt - f.lastCheckpointAt) / 1000)),
  ),
  perFlow('strait_heartbeat_age_seconds', 'gauge', "Seconds since the flow's heartbeat was last written to the target (absent before the first).", (f, ctx) =>
    f.lastHeartbeatAt === undefined || f.lastHeartbeatAt < 0 ? undefined : milli(Math.max(0, (ctx.snapshot.takenAt - f.lastHeartbeatAt) / 1000)),
  ),
  perFlow('strait_offset_map_runs', 'gauge', 'Runs kept in the exact source->target offset maps of the flow (translation state).', (f) => f.offsetRuns),
  latencySummary(
    'strait_replication_latency_ms',
    'Milliseconds from a record\'s source timestamp to the target\'s acknowledgement; quantiles over the latest interval.',
    (f) => ({ recent: f.recentReplicationLatency, total: f.replicationLatency }),
  ),
  perFlow('strait_replication_latency_max_ms', 'gauge', 'Largest replication latency over the latest interval, ms (0 when nothing was replicated in it).', (f) => f.recentReplicationLatency.max),
  latencySummary(
    'strait_relay_latency_ms',
    'Milliseconds from strait receiving a record from the source to the target\'s acknowledgement.',
    (f) => ({ recent: f.recentRelayLatency ?? f.relayLatency, total: f.relayLatency }),
  ),

  perPartition('strait_partition_records_replicated_total', 'counter', 'Records the target acknowledged, since this process got the partition.', (p) => p.records),
  perPartition('strait_partition_bytes_replicated_total', 'counter', 'Key and value bytes acknowledged, since this process got the partition.', (p) => p.bytes),
  // Negative offsets are "no position yet" sentinels, not positions: left out rather than graphed.
  perPartition('strait_partition_replicated_offset', 'gauge', 'Next source offset to replicate: every offset below it is on the target; absent until known.', (p) =>
    p.replicatedOffset < 0 ? undefined : p.replicatedOffset,
  ),
  perPartition('strait_partition_committed_offset', 'gauge', 'Next source offset committed to the flow group (where a restart resumes); absent until one is.', (p) =>
    p.committedOffset < 0 ? undefined : p.committedOffset,
  ),
  perPartition('strait_partition_high_watermark', 'gauge', 'Source high watermark as last seen; absent while unknown.', (p) => (p.highWatermark < 0 ? undefined : p.highWatermark)),
  perPartition('strait_partition_lag_records', 'gauge', 'High watermark minus replicated offset (offsets not yet on the target); absent while the high watermark is unknown.', (p) =>
    partitionLagRecords(p),
  ),
  perPartition(
    'strait_partition_lag_seconds',
    'gauge',
    'Upper bound of the age of the oldest record not yet replicated: snapshot time minus the newest replicated source timestamp; 0 when nothing is pending.',
    (p, ctx) => {
      const s = partitionLagSeconds(p, ctx.snapshot.takenAt);
      return s === undefined ? undefined : milli(s);
    },
  ),
  perPartition('strait_partition_records_lost_total', 'counter', 'Source offsets retention deleted before strait copied them (data loss), since the engine started.', (p) => p.recordsLost ?? 0),
  perPartition(
    'strait_partition_replicated_through_timestamp_seconds',
    'gauge',
    'Unix seconds before which every record produced to the source partition is on the target; absent while unknown.',
    (p) => {
      const t = partitionReplicatedThrough(p);
      return t === undefined ? undefined : milli(t / 1000);
    },
  ),
  perPartition('strait_partition_rpo_seconds', 'gauge', 'Recovery point of the partition: snapshot time minus its replicated-through time, in seconds; absent while unknown.', (p, ctx) => {
    const s = partitionRpoSeconds(p, ctx.snapshot.takenAt);
    return s === undefined ? undefined : milli(s);
  }),
  perPartition('strait_partition_error', 'gauge', '1 when the partition stopped for good on an error (see strait status), else 0.', (p) => (p.error === undefined ? 0 : 1)),
  perPartition('strait_partition_offset_runs', 'gauge', 'Runs in the source-to-target offset map kept for the partition.', (p) => p.offsetRuns),
];

/** The families strait exposes, in exposition order (for docs and tests). */
export const METRIC_FAMILIES: readonly MetricFamily[] = FAMILIES.map(({ name, type, scope, help, labels }) => ({ name, type, scope, help, labels }));

/** Escape a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** Escape HELP text: backslash and line feed (quotes stay as they are in this position). */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

function labelPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
}

function view(snapshot: EngineSnapshot): FlowView[] {
  return snapshot.flows.map((flow) => {
    const base: Array<readonly [string, string]> = [
      ['flow', flow.name],
      ['source', flow.source],
      ['target', flow.target],
    ];
    return {
      flow,
      labels: labelPairs(base),
      partitions: flow.partitions.map((p) => ({ p, labels: labelPairs([...base, ['topic', p.topic], ['partition', String(p.partition)]]) })),
    };
  });
}

/**
 * Render a snapshot. `rates` supplies strait_flow_records_per_second and
 * strait_flow_bytes_per_second; without it those two families have no samples.
 */
export function renderPrometheus(snapshot: EngineSnapshot, rates?: RateSource): string {
  const ctx: RenderContext = { snapshot, rates, flows: view(snapshot) };
  const out: string[] = [];
  for (const family of FAMILIES) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    family.collect(ctx, (labels, value, suffix = '') => {
      if (!Number.isFinite(value)) return;
      out.push(`${family.name}${suffix}${labels === '' ? '' : `{${labels}}`} ${String(value)}`);
    });
  }
  return out.join('\n') + '\n';
}

/** The reference table of docs/metrics.md (a unit test keeps the page in step with this list). */
export function renderMetricsReference(): string {
  const rows = ['| Metric | Type | Labels | Meaning |', '| --- | --- | --- | --- |'];
  for (const f of METRIC_FAMILIES) {
    const labels = f.type === 'summary' ? [...f.labels, 'quantile'] : f.labels;
    const names = f.type === 'summary' ? `\`${f.name}\`, \`${f.name}_sum\`, \`${f.name}_count\`` : `\`${f.name}\``;
    rows.push(`| ${names} | ${f.type} | ${labels.length === 0 ? '-' : labels.join(', ')} | ${f.help.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n') + '\n';
}
