/**
 * From a parsed configuration document (plain values, as YAML gives them) to a StraitConfig:
 * ${env:} and ${file:} substitution, every key checked against the table in schema.ts, cluster properties
 * against librdkafka's list, then the rules that span several entries (references between flows
 * and clusters, uniqueness, replication loops). Every problem is collected; the caller throws one
 * ConfigError with all of them.
 */
import { availableParallelism, hostname } from 'node:os';
import type { ConfigProblem } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { escapePattern, MM2_DEFAULT_GROUP_EXCLUDES, MM2_DEFAULT_TOPIC_EXCLUDES } from '../mirror/filters.js';
import { MM2_DEFAULT_CONFIG_EXCLUDES } from '../mirror/config-sync.js';
import type { ClientProperties, ClusterConfig, EngineConfig, FlowConfig, StraitConfig } from './types.js';
import { checkClientProperty, readClientSection, suggestProperty } from './client-properties.js';
import { LIBRDKAFKA_PROPERTIES } from './librdkafka-properties.js';
import { describeReferenceProblem, type Env, substituteTree, UNRESOLVED } from './env.js';
import { Findings, indexPath, isMapping, keyPath } from './findings.js';
import { isSecretName } from './redact.js';
import { ALIAS_MAX_LENGTH, ALIAS_PATTERN, CLUSTER_KEYS, ENGINE_KEYS, FLOW_KEYS, readSection, TOP_KEYS, type Values } from './schema.js';

export interface BuildOptions {
  /** Where `${env:NAME}` is looked up; default process.env. */
  env?: Env;
  /** Where a relative `${file:path}` starts: the configuration file's folder; default the current directory. */
  baseDir?: string;
  /** Values resolved before this validation (an MM2 file's config providers): never shown in a message. */
  secrets?: Iterable<string>;
  /** Default for engine.workers; default os.availableParallelism(). */
  availableParallelism?: number;
  /** Default for engine.instanceId; default os.hostname(). */
  hostname?: string;
}

export interface BuildResult {
  config: StraitConfig;
  /** Empty when the configuration is valid. */
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

export function buildConfig(document: unknown, options: BuildOptions = {}): BuildResult {
  const f = new Findings();
  const tree = resolveReferences(withoutExtensions(document), options, f);
  const top = readSection(tree, '', TOP_KEYS, f);
  const clusters = readClusters(top.clusters, f);
  const flows = readFlows(top.flows, clusters, f);
  const engine = readEngine(top.engine, options);
  checkAcrossFlows(flows, clusters, f);
  return { config: { clusters, flows: flows.map((x) => x.flow), engine }, problems: f.problems, warnings: f.warnings };
}

/**
 * Top-level keys starting with `x-` are ignored (as in Compose files): a place for YAML anchors
 * shared by several clusters, e.g. `x-tls: &tls { security.protocol: SSL }` then `<<: *tls`.
 */
function withoutExtensions(document: unknown): unknown {
  if (!isMapping(document)) return document;
  return Object.fromEntries(Object.entries(document).filter(([k]) => !k.startsWith('x-')));
}

function resolveReferences(document: unknown, options: BuildOptions, f: Findings): unknown {
  const context = { env: options.env ?? process.env, baseDir: options.baseDir ?? process.cwd() };
  const { tree, problems, referenced, resolved } = substituteTree(document, context, (parent, key) => (typeof key === 'number' ? indexPath(parent, key) : keyPath(parent, key)));
  f.protect(referenced, [...resolved, ...(options.secrets ?? [])]);
  for (const p of problems) {
    const { message, example } = describeReferenceProblem(p.problem, p.property, isSecretName(p.property));
    f.error(p.path, message, { example });
  }
  return tree;
}

// ---------------------------------------------------------------------------------------------
// clusters

const SECTIONS = ['consumer', 'producer', 'admin'] as const;

function readClusters(raw: unknown, f: Findings): Map<string, ClusterConfig> {
  const clusters = new Map<string, ClusterConfig>();
  if (raw === undefined || raw === null || raw === UNRESOLVED) return clusters; // "required" already reported
  if (!isMapping(raw)) {
    f.error('clusters', 'expected a mapping from cluster alias to its settings', { value: raw, example: TOP_KEYS.clusters.example });
    return clusters;
  }
  if (Object.keys(raw).length === 0) f.error('clusters', 'no clusters are defined; a flow needs a source and a target', { example: TOP_KEYS.clusters.example });
  for (const [alias, body] of Object.entries(raw)) {
    const path = keyPath('clusters', alias);
    if (!ALIAS_PATTERN.test(alias) || alias.length > ALIAS_MAX_LENGTH) {
      f.error(path, `is not a valid cluster alias: use up to ${ALIAS_MAX_LENGTH} letters, digits, '_' and '-' (no dots: the alias becomes a topic-name prefix, like "east.orders")`, {
        value: alias,
        example: 'clusters: { us-east: { bootstrap.servers: 10.0.0.1:9092 } }',
      });
    }
    clusters.set(alias, readCluster(alias, body, path, f));
  }
  return clusters;
}

function readCluster(alias: string, body: unknown, path: string, f: Findings): ClusterConfig {
  const cluster: ClusterConfig = { alias, properties: {}, consumer: {}, producer: {}, admin: {} };
  if (body === UNRESOLVED) return cluster;
  if (!isMapping(body)) {
    f.error(path, 'expected the cluster\'s settings: at least bootstrap.servers', { value: body, example: `${alias}: { bootstrap.servers: 10.0.0.1:9092 }` });
    return cluster;
  }
  for (const [key, value] of Object.entries(body)) {
    const p = keyPath(path, key);
    if ((SECTIONS as readonly string[]).includes(key)) {
      cluster[key as (typeof SECTIONS)[number]] = readClientSection(value, key as (typeof SECTIONS)[number], p, f);
      continue;
    }
    const v = checkClientProperty(key, value, 'cluster', p, f);
    if (v !== undefined) cluster.properties[key] = v;
  }
  const given = Object.hasOwn(body, 'bootstrap.servers') || Object.hasOwn(body, 'metadata.broker.list');
  // A misspelt `bootstrap.server` was reported with its correction; "required" would repeat it.
  const misspelt = Object.keys(body).some((k) => !Object.hasOwn(LIBRDKAFKA_PROPERTIES, k) && suggestProperty(k, 'cluster') === 'bootstrap.servers');
  if (!given && !misspelt) {
    f.error(keyPath(path, 'bootstrap.servers'), 'is required: the brokers strait first connects to', { example: CLUSTER_KEYS['bootstrap.servers'].example });
  }
  checkBootstrap(cluster.properties, path, f);
  return cluster;
}

// librdkafka takes "[proto://]host[:port]"; IPv6 addresses go in brackets.
const BROKER = /^(?:[A-Za-z_]+:\/\/)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/,[\]]+)(?::(\d+))?$/;

function checkBootstrap(props: ClientProperties, path: string, f: Findings): void {
  for (const name of ['bootstrap.servers', 'metadata.broker.list']) {
    const list = props[name];
    if (list === undefined) continue;
    const entries = list.split(',').map((s) => s.trim());
    const bad = entries.filter((e) => {
      const m = BROKER.exec(e);
      return m === null || (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535));
    });
    if (bad.length > 0) {
      f.error(keyPath(path, name), `expected a comma-separated list of host:port (port 1-65535); not valid: ${bad.map((b) => JSON.stringify(b)).join(', ')}`, {
        value: list,
        example: CLUSTER_KEYS['bootstrap.servers'].example,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// flows

interface ReadFlow {
  flow: FlowConfig;
  index: number;
  path: string;
  /** Source and target are defined clusters (so the flow takes part in cross-flow checks). */
  linked: boolean;
  /** The user wrote a name (otherwise it is the default `<source>-><target>`). */
  named: boolean;
  /** The user wrote a groupId. */
  grouped: boolean;
}

function readFlows(raw: unknown, clusters: Map<string, ClusterConfig>, f: Findings): ReadFlow[] {
  if (raw === undefined || raw === null || raw === UNRESOLVED) return [];
  if (!Array.isArray(raw)) {
    f.error('flows', 'expected a list of flows (each line starting with "- ")', { value: raw, example: TOP_KEYS.flows.example });
    return [];
  }
  if (raw.length === 0) f.error('flows', 'no flows are defined; add at least one', { example: TOP_KEYS.flows.example });
  return raw.map((item: unknown, index) => readFlow(item, index, clusters, f));
}

function readFlow(item: unknown, index: number, clusters: Map<string, ClusterConfig>, f: Findings): ReadFlow {
  const path = indexPath('flows', index);
  const v = readSection(item, path, FLOW_KEYS, f);
  const aliases = [...clusters.keys()];
  const known = (role: 'source' | 'target'): boolean => {
    const alias = v[role];
    if (alias === undefined) return false;
    if (clusters.has(alias)) return true;
    const hint = closest(alias, aliases);
    f.error(
      keyPath(path, role),
      `cluster "${alias}" is not defined under clusters${hint ? `; did you mean "${hint}"?` : aliases.length > 0 ? ` (defined: ${aliases.join(', ')})` : ' (no clusters are defined)'}`,
      { value: alias, example: `${role}: ${hint ?? aliases[0] ?? 'east'}` },
    );
    return false;
  };
  const sourceOk = known('source');
  const targetOk = known('target');
  const source = v.source ?? '';
  const target = v.target ?? '';
  if (sourceOk && targetOk && source === target) {
    f.error(keyPath(path, 'target'), 'is the same cluster as source; a flow copies from one cluster to another', { value: target, example: FLOW_KEYS.target.example });
  }

  const separator = v.replication.separator;
  for (const role of ['source', 'target'] as const) {
    const alias = v[role];
    if (alias !== undefined && alias.includes(separator)) {
      // The policy finds a remote topic's source by splitting at the first separator, so the
      // alias would be cut short: cycle detection and checkpoints would look for the wrong cluster.
      f.error(
        keyPath(path, 'replication.separator'),
        `occurs in the ${role} alias "${alias}": remote topic "${alias}${separator}orders" would read as coming from cluster "${alias.split(separator)[0]}". Choose a separator no alias of the flow contains`,
        { value: separator, example: 'separator: "."' },
      );
    }
  }
  if (v.topics.include.length === 0) {
    f.warn(keyPath(path, 'topics.include'), 'is empty: this flow replicates no topics (only heartbeats)', { example: FLOW_KEYS.topics.example });
  }

  const flow: FlowConfig = {
    name: v.name ?? `${source || `flows[${index}]`}->${target || '?'}`,
    source,
    target,
    enabled: v.enabled,
    mode: v.mode,
    topics: {
      include: v.topics.include,
      exclude: [...v.topics.exclude, ...(v.topics.excludeDefaults ? MM2_DEFAULT_TOPIC_EXCLUDES : [])],
      excludeDefaults: v.topics.excludeDefaults,
    },
    groups: {
      include: v.groups.include,
      exclude: [...v.groups.exclude, ...(v.groups.excludeDefaults ? MM2_DEFAULT_GROUP_EXCLUDES : [])],
      excludeDefaults: v.groups.excludeDefaults,
    },
    replication: {
      policy: v.replication.policy,
      separator,
      internalTopicSeparatorEnabled: v.replication.internalTopicSeparatorEnabled,
    },
    replicationFactor: v.replicationFactor,
    refreshTopicsIntervalMs: v.refreshTopicsInterval,
    groupId: v.groupId ?? `strait.${source}.${target}`,
    onRecordError: v.onRecordError,
    transactionIntervalMs: v.transactionInterval,
    onDataLoss: v.onDataLoss,
    onDivergence: v.onDivergence,
    checkpoints: { enabled: v.checkpoints.enabled, intervalMs: v.checkpoints.interval },
    heartbeats: { enabled: v.heartbeats.enabled, intervalMs: v.heartbeats.interval },
    syncGroupOffsets: { enabled: v.syncGroupOffsets.enabled, intervalMs: v.syncGroupOffsets.interval },
    offsetSyncsTopicLocation: v.offsetSyncsTopicLocation,
    sync: {
      topicConfigs: {
        enabled: v.sync.topicConfigs.enabled,
        intervalMs: v.sync.topicConfigs.interval,
        exclude: [...v.sync.topicConfigs.exclude, ...(v.sync.topicConfigs.excludeDefaults ? MM2_DEFAULT_CONFIG_EXCLUDES : [])],
        excludeDefaults: v.sync.topicConfigs.excludeDefaults,
        useDefaultsFrom: v.sync.topicConfigs.useDefaultsFrom,
      },
      acls: { enabled: v.sync.acls.enabled, intervalMs: v.sync.acls.interval, propagateRemovals: v.sync.acls.propagateRemovals, copyDeny: v.sync.acls.copyDeny },
    },
  };
  return { flow, index, path, linked: sourceOk && targetOk && source !== target, named: v.name !== undefined, grouped: v.groupId !== undefined };
}

// ---------------------------------------------------------------------------------------------
// rules across flows

function checkAcrossFlows(flows: ReadFlow[], clusters: Map<string, ClusterConfig>, f: Findings): void {
  const byName = new Map<string, ReadFlow>();
  const byPair = new Map<string, ReadFlow>();
  const byGroup = new Map<string, ReadFlow>();
  for (const r of flows) {
    const { flow } = r;
    const sameName = byName.get(flow.name);
    if (sameName) {
      f.error(r.named ? keyPath(r.path, 'name') : r.path, `flow name "${flow.name}" is already used by ${sameName.path}; flow names must be unique`, {
        value: flow.name,
        example: `name: ${flow.name}-2`,
      });
    } else byName.set(flow.name, r);

    if (!r.linked) continue;
    const pair = `${flow.source}\u0000${flow.target}`;
    const samePair = byPair.get(pair);
    if (samePair) {
      f.error(
        r.path,
        `replicates ${flow.source} -> ${flow.target} like ${samePair.path}: both would write the same remote topics, checkpoints and offset syncs. Use one flow per (source, target) pair and list all its topics in its topics.include`,
        { example: 'topics: { include: ["orders\\\\..*", "payments"] }' },
      );
    } else byPair.set(pair, r);

    const group = `${flow.source}\u0000${flow.groupId}`;
    const sameGroup = byGroup.get(group);
    if (sameGroup) {
      f.error(
        r.grouped ? keyPath(r.path, 'groupId') : r.path,
        `consumer group "${flow.groupId}" on cluster ${flow.source} is also used by ${sameGroup.path}; the two flows would take partitions away from each other. Give each flow its own groupId`,
        { value: flow.groupId, example: `groupId: strait.${flow.source}.${flow.target}` },
      );
    } else byGroup.set(group, r);
  }

  checkLoops(flows.filter((r) => r.linked && r.flow.enabled), f);
  warnIdentityFanIn(flows.filter((r) => r.linked && r.flow.enabled), f);

  // strait's own consumer groups sit on the source clusters like any other; mirroring their
  // offsets would be meaningless, so they are excluded from every flow's groups.
  const own = [...new Set(flows.map((r) => escapePattern(r.flow.groupId)))];
  for (const r of flows) r.flow.groups.exclude.push(...own);

  const used = new Set(flows.flatMap((r) => [r.flow.source, r.flow.target]));
  for (const alias of clusters.keys()) {
    if (!used.has(alias)) f.warn(keyPath('clusters', alias), 'is not used by any flow');
  }
  if (flows.length > 0 && flows.every((r) => !r.flow.enabled)) f.warn('flows', 'every flow is disabled: nothing will be replicated');
}

/**
 * A loop of flows (A->B->A, or A->B->C->A) replicates safely only when topic names record where a
 * topic has been. Under the default policy a flow X->Y skips a topic whose name shows it passed
 * through Y; Y is in the name only if the flow leaving Y added its prefix (default policy too)
 * with a separator X->Y parses. So a loop is safe when two consecutive flows in it use the default
 * policy with the same separator; otherwise records would circulate forever (identity), or topic
 * names would grow a prefix per lap ("east.west.east.orders") until Kafka's name limit.
 */
function checkLoops(flows: ReadFlow[], f: Findings): void {
  const out = new Map<string, ReadFlow[]>();
  for (const r of flows) out.set(r.flow.source, [...(out.get(r.flow.source) ?? []), r]);
  const order = [...new Set(flows.flatMap((r) => [r.flow.source, r.flow.target]))].sort();
  const rank = new Map(order.map((a, i) => [a, i]));
  const reported = new Set<string>();
  let budget = 10_000; // simple cycles grow exponentially with dense graphs; real topologies are small

  const report = (cycle: ReadFlow[]): void => {
    const key = cycle.map((r) => r.index).sort((a, b) => a - b).join(',');
    if (reported.has(key)) return;
    reported.add(key);
    const route = [...cycle.map((r) => r.flow.source), cycle[0].flow.source].join(' -> ');
    const names = cycle.map((r) => `${r.path} (${r.flow.name})`).join(', ');
    const identity = cycle.find((r) => r.flow.replication.policy === 'identity');
    const allIdentity = cycle.every((r) => r.flow.replication.policy === 'identity');
    const why = allIdentity
      ? 'the identity policy keeps topic names, so nothing in a name says a topic came from another cluster of the loop, and every record would be copied around it forever'
      : identity
        ? 'a flow with the identity policy drops the record of where a topic has been, so strait cannot tell that a topic came back, and every lap would copy it again under a longer name ("east.east.orders", ...)'
        : 'no two consecutive flows share a separator, so the prefixes one flow adds cannot be read by the next, and topics would be copied around the loop again and again';
    const fix = identity
      ? 'Use replication.policy: default on the flows of this loop: remote topics get a source prefix ("east.orders") and a flow skips topics that came from its target, as in MM2'
      : 'Use the same replication.separator on the flows of this loop';
    f.error(keyPath(identity?.path ?? cycle[0].path, identity ? 'replication.policy' : 'replication.separator'), `${names} form a replication loop (${route}): ${why}. ${fix}`, {
      value: identity ? 'identity' : cycle[0].flow.replication.separator,
      example: identity ? 'replication: { policy: default }' : 'replication: { separator: "." }',
    });
  };

  const visit = (start: string, node: string, path: ReadFlow[], seen: Set<string>): void => {
    for (const r of out.get(node) ?? []) {
      if (budget <= 0) return;
      const next = r.flow.target;
      if (next === start) {
        budget--;
        const cycle = [...path, r];
        if (!detectable(cycle)) report(cycle);
      } else if (!seen.has(next) && rank.get(next)! > rank.get(start)!) {
        seen.add(next);
        visit(start, next, [...path, r], seen);
        seen.delete(next);
      }
    }
  };
  for (const start of order) visit(start, start, [], new Set([start]));
}

function detectable(cycle: ReadFlow[]): boolean {
  return cycle.some((r, i) => {
    const next = cycle[(i + 1) % cycle.length].flow.replication;
    const cur = r.flow.replication;
    return cur.policy === 'default' && next.policy === 'default' && cur.separator === next.separator;
  });
}

function warnIdentityFanIn(flows: ReadFlow[], f: Findings): void {
  const firstIntoTarget = new Map<string, ReadFlow>();
  for (const r of flows) {
    if (r.flow.replication.policy !== 'identity') continue;
    const first = firstIntoTarget.get(r.flow.target);
    if (first === undefined) {
      firstIntoTarget.set(r.flow.target, r);
      continue;
    }
    if (first.flow.source === r.flow.source) continue;
    f.warn(
      keyPath(r.path, 'replication.policy'),
      `${first.path} (${first.flow.name}) and this flow (${r.flow.name}) both write to ${r.flow.target} under the identity policy: a topic that exists on both ${first.flow.source} and ${r.flow.source} would be merged into one topic on ${r.flow.target}, mixing their records and offsets. Use the default policy, or topics.include lists that cannot overlap`,
      { value: 'identity' },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// engine

function readEngine(v: Values<typeof ENGINE_KEYS>, options: BuildOptions): EngineConfig {
  const cores = options.availableParallelism ?? availableParallelism();
  return {
    workers: v.workers ?? Math.min(Math.max(cores, 1), ENGINE_KEYS.workers.type.max),
    metrics: { enabled: v.metrics.enabled, host: v.metrics.host, port: v.metrics.port, remoteStop: v.metrics.remoteStop },
    summaryIntervalMs: v.summaryInterval,
    shutdownTimeoutMs: v.shutdownTimeout,
    commitIntervalMs: v.commitInterval,
    instanceId: v.instanceId ?? (options.hostname ?? hostname()),
    maxInFlightRecordsPerWorker: v.maxInFlightRecordsPerWorker,
  };
}
