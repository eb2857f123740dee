/**
 * Topic configuration sync, MirrorMaker 2's MirrorSourceConnector.syncTopicConfigs: every
 * interval, each replicated topic's configuration on the source is applied to its remote topic on
 * the target with IncrementalAlterConfigs (the only mode MM2 has kept since Kafka 4.0).
 *
 * Rules, as in MM2 (MirrorSourceConnector.targetConfig/incrementalAlterConfigs and
 * DefaultConfigPropertyFilter):
 * - Never touched: read-only and sensitive entries, entries whose value on the source comes from
 *   the source broker's static server.properties (STATIC_BROKER_CONFIG: a broker setting, not a
 *   property of the topic), and names matching an exclude pattern (`config.properties.exclude`,
 *   default MM2_DEFAULT_CONFIG_EXCLUDES; full-match regular expressions).
 * - Every other entry that is not at its default on the source is SET on the remote topic: topic
 *   overrides, and also dynamic broker settings (DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG),
 *   which MM2 copies as topic overrides too.
 * - An entry at its default on the source (DEFAULT_CONFIG) follows `use.defaults.from`: with
 *   `target` (MM2's default) the remote topic's override of that name is DELETEd, so the target's
 *   own default applies; a remote topic override the source does not have is thereby removed.
 *   With `source`, the source's default value is SET on the remote topic.
 *
 * MM2 sends every operation at every interval; strait reads the remote topic's configs first and
 * sends only the operations that change something, so a repeated sync changes nothing and the
 * report says what really changed. The end state is the same as MM2's.
 *
 * Pure logic over an adapter interface (the topic config client lives in src/kafka/).
 */
import type { Logger } from 'pino';
import type { ConfigChange, TopicConfigEntry } from '../kafka/config-admin.js';
import type { AclSyncSettings } from './acl-sync.js';
import { compilePattern } from './filters.js';
import { describeContext, describeError, KafkaError } from '../util/errors.js';

/** MM2's DefaultConfigPropertyFilter `config.properties.exclude` default (Kafka 3.x/4.x). */
export const MM2_DEFAULT_CONFIG_EXCLUDES: readonly string[] = [
  'follower\\.replication\\.throttled\\.replicas',
  'leader\\.replication\\.throttled\\.replicas',
  'message\\.timestamp\\.difference\\.max\\.ms',
  'message\\.timestamp\\.type',
  'unclean\\.leader\\.election\\.enable',
  'min\\.insync\\.replicas',
];

/** Proposed `sync.topicConfigs` section of a flow. */
export interface TopicConfigSyncSettings {
  /** MM2 `sync.topic.configs.enabled` (default true). */
  enabled: boolean;
  /** MM2 `sync.topic.configs.interval.seconds` (MM2 default 10 min; strait default 30 s). */
  intervalMs: number;
  /**
   * Effective exclude patterns (full-match regular expressions), MM2 `config.properties.exclude`:
   * the user's, then MM2_DEFAULT_CONFIG_EXCLUDES unless `excludeDefaults: false` (as PatternList;
   * an MM2 properties file's `config.properties.exclude` replaces the defaults, i.e. false).
   */
  exclude: string[];
  excludeDefaults?: boolean;
  /** MM2 `use.defaults.from` (default `target`): whose default applies where the source has a default. */
  useDefaultsFrom: 'target' | 'source';
}

/**
 * Proposed `sync` section of FlowConfig (YAML: `sync: { topicConfigs: {...}, acls: {...} }`,
 * intervals as durations like `refreshTopicsInterval`).
 */
export interface FlowSyncConfig {
  topicConfigs: TopicConfigSyncSettings;
  acls: AclSyncSettings;
}

/** The defaults (a fresh object each call, so a caller may change its copy). */
export function defaultFlowSyncConfig(): FlowSyncConfig {
  return {
    topicConfigs: { enabled: true, intervalMs: 30_000, exclude: [...MM2_DEFAULT_CONFIG_EXCLUDES], excludeDefaults: true, useDefaultsFrom: 'target' },
    acls: { enabled: true, intervalMs: 30_000, propagateRemovals: false, copyDeny: true },
  };
}

/** A replicated topic: its name on the source and its remote topic's name on the target. */
export interface SyncTopic {
  source: string;
  remote: string;
}

/** Something that went wrong in a sync; names the cluster and, where one is to blame, the topic. */
export interface SyncProblem {
  cluster: string;
  topic?: string;
  message: string;
  /** Whether the next interval may succeed without anyone changing anything. */
  retriable: boolean;
}

export interface SyncReport {
  /** Topics looked at. */
  topics: number;
  /** Remote topics where something changed. */
  topicsChanged: number;
  /** Configs set or deleted / ACL bindings created or deleted. */
  changed: number;
  /**
   * Per-topic problems, and at most one without a topic when a whole cluster failed. Each message
   * names its cluster (and topic) itself, ready to log as it is.
   */
  errors: SyncProblem[];
  durationMs: number;
}

export interface ConfigSyncReport extends SyncReport {
  /** Configs SET on remote topics. */
  set: number;
  /** Remote topic overrides DELETEd (back to the target's default). */
  deleted: number;
}

/** What the config sync needs from the source cluster. */
export interface TopicConfigReader {
  readonly cluster: string;
  /** Every config entry of each topic; throws (a KafkaError) when the request fails. */
  describeTopicConfigs(topics: string[]): Promise<Map<string, TopicConfigEntry[]>>;
}

/** What the config sync needs from the target cluster. */
export interface TopicConfigWriter extends TopicConfigReader {
  incrementalAlterTopicConfigs(topic: string, changes: readonly ConfigChange[]): Promise<void>;
}

export interface ConfigRules {
  exclude: readonly string[];
  useDefaultsFrom: 'target' | 'source';
}

/** MM2's ConfigPropertyFilter.shouldReplicateConfigProperty: not matched by an exclude pattern. */
export function configExcluded(name: string, exclude: readonly string[]): boolean {
  return exclude.some((p) => compilePattern(p).test(name));
}

/** Entries MM2 considers at all (targetConfig's filters): writable, not secret, not a static broker setting, not excluded. */
function candidate(e: TopicConfigEntry, rules: ConfigRules): boolean {
  return !e.readOnly && !e.sensitive && e.source !== 'static-broker' && !configExcluded(e.name, rules.exclude);
}

/**
 * The operations that make the remote topic's configs what MM2 would make them, given the source
 * topic's entries and the remote topic's current entries. Empty when nothing would change.
 * `unknown` collects names the target does not know (e.g. a newer source broker); they are left
 * out rather than failing the whole topic.
 */
export function planConfigChanges(source: readonly TopicConfigEntry[], target: readonly TopicConfigEntry[], rules: ConfigRules, unknown: string[] = []): ConfigChange[] {
  const onTarget = new Map(target.map((e) => [e.name, e]));
  const changes: ConfigChange[] = [];
  for (const e of source) {
    if (!candidate(e, rules)) continue;
    const t = onTarget.get(e.name);
    if (e.source === 'default' && rules.useDefaultsFrom === 'target') {
      // MM2 sends DELETE for every such entry; only an override on the target makes it a change.
      if (t?.source === 'topic') changes.push({ name: e.name, op: 'delete' });
      continue;
    }
    if (e.value === null) continue;
    if (t === undefined && target.length > 0) {
      unknown.push(e.name);
      continue;
    }
    // Equal but inherited from the target's broker is still a change: MM2 makes it a topic
    // override, so later broker-level changes on the target do not alter the remote topic.
    if (t?.source === 'topic' && t.value === e.value) continue;
    changes.push({ name: e.name, op: 'set', value: e.value });
  }
  return changes;
}

/**
 * The configs MM2 gives a remote topic when it creates it (targetConfig(..., false)): the
 * entries not at their default (every candidate with `use.defaults.from: source`). For the
 * coordinator's createTopic, so a compacted topic is compacted from its first record.
 */
export function creationConfigs(source: readonly TopicConfigEntry[], rules: ConfigRules): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of source) {
    if (!candidate(e, rules) || e.value === null) continue;
    if (e.source === 'default' && rules.useDefaultsFrom !== 'source') continue;
    out[e.name] = e.value;
  }
  return out;
}

export interface TopicConfigSyncOptions extends Partial<ConfigRules> {
  source: TopicConfigReader;
  target: TopicConfigWriter;
  /** Changes are logged at info (names and values; sensitive entries are never copied). */
  log?: Logger;
}

interface Failure {
  message: string;
  retriable: boolean;
  code?: string;
}

function failure(err: unknown, cluster: string, topic?: string): Failure {
  const e = err as { retriable?: unknown; code?: unknown };
  // A KafkaError names its cluster and topic already; anything else gets them here.
  const message = err instanceof KafkaError ? describeError(err) : `${describeContext(topic === undefined ? { cluster } : { cluster, topic })}: ${describeError(err)}`;
  return { message, retriable: e.retriable !== false, ...(typeof e.code === 'string' ? { code: e.code } : {}) };
}

/**
 * Whether a failed batch is worth asking again topic by topic: the broker answered with an error
 * (e.g. one topic deleted meanwhile, or not authorized), as opposed to no answer at all (the
 * adapter's KAFKA_CLIENT code), where N more requests would only take N times as long to fail.
 */
function brokerAnswered(f: Failure): boolean {
  return f.code !== undefined && f.code.startsWith('KAFKA_') && f.code !== 'KAFKA_CLIENT';
}

/**
 * Describes the topics in one request; if it fails because of some topic, asks topic by topic so
 * one bad topic costs only itself. Failed topics land in `errors`.
 */
export async function describeEach(admin: TopicConfigReader, topics: string[], errors: SyncProblem[]): Promise<Map<string, TopicConfigEntry[]> | undefined> {
  if (topics.length === 0) return new Map();
  try {
    return await admin.describeTopicConfigs(topics);
  } catch (err) {
    const f = failure(err, admin.cluster, topics.length === 1 ? topics[0] : undefined);
    if (topics.length === 1) {
      errors.push({ cluster: admin.cluster, topic: topics[0], message: f.message, retriable: f.retriable });
      return new Map();
    }
    if (!brokerAnswered(f)) {
      errors.push({ cluster: admin.cluster, message: f.message, retriable: f.retriable });
      return undefined;
    }
  }
  const out = new Map<string, TopicConfigEntry[]>();
  for (const t of topics) {
    try {
      const one = await admin.describeTopicConfigs([t]);
      const entries = one.get(t);
      if (entries) out.set(t, entries);
    } catch (err) {
      const f = failure(err, admin.cluster, t);
      errors.push({ cluster: admin.cluster, topic: t, message: f.message, retriable: f.retriable });
    }
  }
  return out;
}

export class TopicConfigSync {
  private readonly source: TopicConfigReader;
  private readonly target: TopicConfigWriter;
  private readonly rules: ConfigRules;
  private readonly log: Logger | undefined;
  private running: Promise<ConfigSyncReport> | undefined;

  constructor(options: TopicConfigSyncOptions) {
    this.source = options.source;
    this.target = options.target;
    this.rules = { exclude: options.exclude ?? MM2_DEFAULT_CONFIG_EXCLUDES, useDefaultsFrom: options.useDefaultsFrom ?? 'target' };
    for (const p of this.rules.exclude) compilePattern(p); // a bad pattern fails here, not at the first sync
    this.log = options.log;
  }

  /**
   * One pass over `topics`. Never throws: a failure of one topic is in `errors` with its name, a
   * failure of a whole cluster is one entry without a topic. A call made while a pass is running
   * gets that pass's report (the interval timer may fire again before a slow pass ends).
   */
  syncOnce(topics: readonly SyncTopic[]): Promise<ConfigSyncReport> {
    this.running ??= this.pass(topics).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(topics: readonly SyncTopic[]): Promise<ConfigSyncReport> {
    const started = Date.now();
    const report: ConfigSyncReport = { topics: topics.length, topicsChanged: 0, changed: 0, set: 0, deleted: 0, errors: [], durationMs: 0 };
    try {
      await this.run(topics, report);
    } catch (err) {
      // Only a bug gets here; the interval must go on regardless.
      report.errors.push({ cluster: this.target.cluster, message: `${describeContext({ cluster: this.target.cluster })}: topic config sync failed: ${describeError(err)}`, retriable: true });
    }
    report.durationMs = Date.now() - started;
    return report;
  }

  private async run(topics: readonly SyncTopic[], report: ConfigSyncReport): Promise<void> {
    const sourceConfigs = await describeEach(
      this.source,
      topics.map((t) => t.source),
      report.errors,
    );
    if (!sourceConfigs) return;
    const present = topics.filter((t) => sourceConfigs.has(t.source));
    const targetConfigs = await describeEach(
      this.target,
      present.map((t) => t.remote),
      report.errors,
    );
    if (!targetConfigs) return;
    for (const t of present) {
      const targetEntries = targetConfigs.get(t.remote);
      if (!targetEntries) continue; // its describe failed: already reported
      const unknown: string[] = [];
      const changes = planConfigChanges(sourceConfigs.get(t.source)!, targetEntries, this.rules, unknown);
      if (unknown.length > 0) {
        report.errors.push({
          cluster: this.target.cluster,
          topic: t.remote,
          message: `${describeContext({ cluster: this.target.cluster, topic: t.remote })}: config(s) ${unknown.join(', ')} of source topic "${t.source}" are not known to this cluster and were not copied (add them to the exclude list to silence this)`,
          retriable: false,
        });
      }
      if (changes.length === 0) continue;
      try {
        await this.target.incrementalAlterTopicConfigs(t.remote, changes);
      } catch (err) {
        const f = failure(err, this.target.cluster, t.remote);
        report.errors.push({ cluster: this.target.cluster, topic: t.remote, message: f.message, retriable: f.retriable });
        continue;
      }
      const set = changes.filter((c) => c.op === 'set');
      const deleted = changes.filter((c) => c.op === 'delete');
      report.set += set.length;
      report.deleted += deleted.length;
      report.changed += changes.length;
      report.topicsChanged++;
      this.log?.info(
        { cluster: this.target.cluster, topic: t.remote, set: Object.fromEntries(set.map((c) => [c.name, c.value])), reset: deleted.map((c) => c.name) },
        `topic config sync: ${t.remote} on ${this.target.cluster}: ${describeChanges(changes)}`,
      );
    }
  }

  /**
   * The configs to create the remote topic of `sourceTopic` with (MM2 creates remote topics with
   * the source's non-default configs). Never throws: on failure it logs and answers {} (the
   * periodic sync applies the configs later).
   */
  async configsForNewTopic(sourceTopic: string): Promise<Record<string, string>> {
    try {
      const entries = (await this.source.describeTopicConfigs([sourceTopic])).get(sourceTopic);
      return entries ? creationConfigs(entries, this.rules) : {};
    } catch (err) {
      this.log?.warn({ cluster: this.source.cluster, topic: sourceTopic, err: describeError(err) }, `reading the configs of ${sourceTopic} on ${this.source.cluster} failed; its remote topic is created without them and the topic config sync applies them later: ${describeError(err)}`);
      return {};
    }
  }
}

function describeChanges(changes: readonly ConfigChange[]): string {
  return changes.map((c) => (c.op === 'set' ? `set ${c.name}=${c.value}` : `reset ${c.name} to the cluster default`)).join(', ');
}
