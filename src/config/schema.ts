/**
 * THE table of strait's configuration keys: type, bounds, default, description and an example
 * for every key. The validator (readSection) checks values against it and the reference in
 * docs/config.md is rendered from it (renderReference; a unit test fails when the two differ),
 * so documentation and checks cannot drift apart.
 *
 * Cluster properties are the exception: they are librdkafka's, checked against librdkafka's own
 * list (client-properties.ts).
 */
import { closest } from '../util/suggest.js';
import { compilePattern, MM2_DEFAULT_GROUP_EXCLUDES, MM2_DEFAULT_TOPIC_EXCLUDES } from '../mirror/filters.js';
import { formatDuration, parseDuration } from './duration.js';
import { type Findings, indexPath, isMapping, keyPath } from './findings.js';
import { UNRESOLVED } from './env.js';

export type ValueType =
  | { kind: 'string'; pattern?: RegExp; expect?: string; maxLength?: number }
  | { kind: 'integer'; min: number; max: number; also?: readonly number[]; alsoDoc?: string }
  | { kind: 'duration'; min: number; max: number; also?: readonly number[]; alsoDoc?: string }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'patterns' }
  | { kind: 'section'; keys: Table }
  /** Read by the loader itself (clusters, flows, client property maps); documented here. */
  | { kind: 'raw'; doc: string };

export interface KeySpec {
  type: ValueType;
  required?: boolean;
  /** The value used when the key is absent. */
  default?: unknown;
  /** For defaults computed from other settings: how the reference describes it. */
  defaultDoc?: string;
  description: string;
  /** A YAML line the user can copy, e.g. `mode: at-least-once`. */
  example: string;
}

export type Table = Readonly<Record<string, KeySpec>>;

/** Cluster aliases become topic prefixes ("east.orders"), so: no dots, nothing a topic name can't hold. */
export const ALIAS_PATTERN = /^[A-Za-z0-9_-]+$/;
export const ALIAS_MAX_LENGTH = 64;
const ALIAS_EXPECT = "letters, digits, '_' and '-' (no dots: the alias becomes a topic-name prefix)";

const alias = (role: string, example: string) =>
  ({
    type: { kind: 'string', pattern: ALIAS_PATTERN, expect: ALIAS_EXPECT, maxLength: ALIAS_MAX_LENGTH },
    required: true,
    description: `The ${role} cluster: an alias defined under \`clusters\`.`,
    example,
  }) as const satisfies KeySpec;

const patternList = (what: 'topics' | 'groups', defaults: readonly string[]) =>
  ({
    include: {
      type: { kind: 'patterns' },
      default: ['.*'],
      description: `Regular expressions; a ${what === 'topics' ? 'topic' : 'consumer group'} is selected when one of them matches its whole name (like MM2's \`${what}\`).`,
      example: what === 'topics' ? 'include: ["orders\\\\..*", "payments"]' : 'include: ["billing-.*"]',
    },
    exclude: {
      type: { kind: 'patterns' },
      default: [],
      description: `Regular expressions (whole name) that deselect ${what} the include list selected (like MM2's \`${what}.exclude\`).`,
      example: what === 'topics' ? 'exclude: [".*-retry"]' : 'exclude: ["test-.*"]',
    },
    excludeDefaults: {
      type: { kind: 'boolean' },
      default: true,
      description: `Also exclude MM2's default ${what}.exclude patterns: ${defaults.map((d) => `\`${d}\``).join(', ')}. Unlike MM2, your own \`exclude\` adds to them instead of replacing them.`,
      example: 'excludeDefaults: false',
    },
  }) as const satisfies Table;

export const TOPICS_KEYS = patternList('topics', MM2_DEFAULT_TOPIC_EXCLUDES);
export const GROUPS_KEYS = patternList('groups', MM2_DEFAULT_GROUP_EXCLUDES);

export const REPLICATION_KEYS = {
  policy: {
    type: { kind: 'enum', values: ['default', 'identity'] },
    default: 'default',
    description:
      '`default`: a remote topic is named `<source alias><separator><topic>` (MM2\'s DefaultReplicationPolicy), which lets clusters replicate to each other without loops. `identity`: names are kept (IdentityReplicationPolicy); only for topologies without loops.',
    example: 'policy: identity',
  },
  separator: {
    type: { kind: 'string', pattern: /^[A-Za-z0-9._-]+$/, expect: "characters allowed in topic names: letters, digits, '.', '_', '-'", maxLength: 16 },
    default: '.',
    description: 'Between the source alias and the topic name (MM2\'s `replication.policy.separator`). No cluster alias of the flow may contain it.',
    example: 'separator: "_"',
  },
  internalTopicSeparatorEnabled: {
    type: { kind: 'boolean' },
    default: true,
    description:
      "Use `separator` in internal topic names too (`mm2-offset-syncs<sep><alias><sep>internal`), as MM2's `replication.policy.internal.topic.separator.enabled` does; `false` keeps `.` there.",
    example: 'internalTopicSeparatorEnabled: false',
  },
} as const satisfies Table;

const emitSection = (what: string, mm2: string, defaultEnabled: boolean, defaultInterval: number, min: number, doc: string) =>
  ({
    enabled: { type: { kind: 'boolean' }, default: defaultEnabled, description: `${doc} (MM2's \`${mm2}.enabled\`).`, example: `enabled: ${String(!defaultEnabled)}` },
    interval: {
      type: { kind: 'duration', min, max: 86_400_000 },
      default: defaultInterval,
      description: `How often ${what} (MM2's \`${mm2}.interval.seconds\`).`,
      example: 'interval: 30s',
    },
  }) as const satisfies Table;

export const CHECKPOINTS_KEYS = emitSection('checkpoints are written', 'emit.checkpoints', true, 5_000, 500, 'Write MM2 checkpoints (exact translated offsets of consumer groups) to `<source>.checkpoints.internal` on the target');
export const HEARTBEATS_KEYS = emitSection('heartbeats are written', 'emit.heartbeats', true, 1_000, 100, 'Write MM2 heartbeats for this cluster pair (and its reverse, as MM2 does) to the `heartbeats` topics');
export const GROUP_OFFSETS_KEYS = emitSection(
  "translated offsets are committed to the target's groups",
  'sync.group.offsets',
  false,
  60_000,
  1_000,
  'Commit translated consumer-group offsets to the same groups on the target, for groups with no active member there, never moving a group backwards',
);

export const TOPIC_CONFIGS_KEYS = {
  ...emitSection("source topic configurations are copied to the remote topics", 'sync.topic.configs', true, 30_000, 1_000, 'Copy topic configurations to the remote topics (incremental alter)'),
  exclude: {
    type: { kind: 'patterns' },
    default: [],
    description: "Config names (regexes, whole name) never copied, added to MM2's defaults (`config.properties.exclude`): replication throttles, `message.timestamp.*`, `unclean.leader.election.enable`, `min.insync.replicas`.",
    example: 'exclude: ["retention\\..*"]',
  },
  excludeDefaults: { type: { kind: 'boolean' }, default: true, description: "Also exclude MM2's default list.", example: 'excludeDefaults: false' },
  useDefaultsFrom: {
    type: { kind: 'enum', values: ['target', 'source'] },
    default: 'target',
    description: "A config that is a default on the source: `target` removes the remote topic's override (the target's default applies), `source` sets the source's default value (MM2's `use.defaults.from`).",
    example: 'useDefaultsFrom: source',
  },
} as const satisfies Table;

export const ACLS_KEYS = {
  ...emitSection('topic ACLs are copied', 'sync.topic.acls', true, 30_000, 1_000, 'Copy topic ACLs to the remote topics with MM2\'s safety mapping (ALLOW WRITE never, ALLOW ALL becomes ALLOW READ)'),
  propagateRemovals: {
    type: { kind: 'boolean' },
    default: false,
    description: 'Delete a copied ACL when its source binding is gone (only copies this process made; MM2 never deletes).',
    example: 'propagateRemovals: true',
  },
  copyDeny: {
    type: { kind: 'boolean' },
    default: true,
    description: 'Copy DENY bindings too, as MM2 does. A copied DENY WRITE on `User:*` or on strait\'s principal would stop replication into that topic.',
    example: 'copyDeny: false',
  },
} as const satisfies Table;

export const SYNC_KEYS = {
  topicConfigs: { type: { kind: 'section', keys: TOPIC_CONFIGS_KEYS }, description: 'Topic configuration sync.', example: 'topicConfigs: { interval: 1m }' },
  acls: { type: { kind: 'section', keys: ACLS_KEYS }, description: 'Topic ACL sync.', example: 'acls: { enabled: false }' },
} as const satisfies Table;

export const FLOW_KEYS = {
  source: alias('source', 'source: east'),
  target: alias('target', 'target: west'),
  name: {
    type: { kind: 'string', pattern: /^[A-Za-z0-9._>-]+$/, expect: "letters, digits, '.', '_', '-', '>'", maxLength: 200 },
    defaultDoc: '`<source>-><target>`',
    description: 'Unique name of the flow, used in logs and metrics.',
    example: 'name: east->west',
  },
  enabled: {
    type: { kind: 'boolean' },
    default: true,
    description: 'A disabled flow is validated but not run.',
    example: 'enabled: false',
  },
  mode: {
    type: { kind: 'enum', values: ['at-least-once', 'exactly-once', 'offset-preserving'] },
    default: 'at-least-once',
    description:
      '`at-least-once`: progress is committed on the source after the target acknowledged it. `exactly-once`: transactional writes with progress committed in the target. `offset-preserving`: every record keeps its offset on the target.',
    example: 'mode: exactly-once',
  },
  transactionInterval: {
    type: { kind: 'duration', min: 10, max: 600_000 },
    default: 1000,
    description:
      '`mode: exactly-once` only: how long one transaction collects records before it is committed (with the source offsets, in the target cluster). Records become visible to `read_committed` consumers on the target at each commit, so this bounds their extra latency; shorter means more commits.',
    example: 'transactionInterval: 200ms',
  },
  topics: {
    type: { kind: 'section', keys: TOPICS_KEYS },
    description: 'Which source topics to replicate.',
    example: 'topics: { include: ["orders\\\\..*"] }',
  },
  groups: {
    type: { kind: 'section', keys: GROUPS_KEYS },
    description: "Which source consumer groups' offsets to translate to the target. strait's own groups are always excluded.",
    example: 'groups: { include: ["billing-.*"] }',
  },
  replication: {
    type: { kind: 'section', keys: REPLICATION_KEYS },
    description: 'How topics are named on the target.',
    example: 'replication: { policy: default, separator: "." }',
  },
  replicationFactor: {
    type: { kind: 'integer', min: 1, max: 32767, also: [-1], alsoDoc: '-1 = the target broker\'s default' },
    default: -1,
    description: 'Replication factor of the topics strait creates on the target.',
    example: 'replicationFactor: 3',
  },
  refreshTopicsInterval: {
    type: { kind: 'duration', min: 1000, max: 86_400_000 },
    default: 30_000,
    description: "How often the source's topic list and partition counts are re-read (MM2's `refresh.topics.interval.seconds`).",
    example: 'refreshTopicsInterval: 1m',
  },
  groupId: {
    type: { kind: 'string', maxLength: 255 },
    defaultDoc: '`strait.<source>.<target>`',
    description:
      'The consumer group strait uses on the source cluster. Every strait process running this flow must use the same one: they share the partitions through it.',
    example: 'groupId: strait.east.west',
  },
  checkpoints: { type: { kind: 'section', keys: CHECKPOINTS_KEYS }, description: 'MM2 checkpoints for consumer groups (see `groups`).', example: 'checkpoints: { interval: 10s }' },
  heartbeats: { type: { kind: 'section', keys: HEARTBEATS_KEYS }, description: 'MM2 heartbeats.', example: 'heartbeats: { enabled: false }' },
  syncGroupOffsets: {
    type: { kind: 'section', keys: GROUP_OFFSETS_KEYS },
    description: "Consumer-group offset sync onto the target (MM2's `sync.group.offsets.*`), opt-in.",
    example: 'syncGroupOffsets: { enabled: true, interval: 10s }',
  },
  offsetSyncsTopicLocation: {
    type: { kind: 'enum', values: ['source', 'target'] },
    default: 'source',
    description: "Where `mm2-offset-syncs.<target>.internal` is written (MM2's `offset-syncs.topic.location`).",
    example: 'offsetSyncsTopicLocation: target',
  },
  sync: { type: { kind: 'section', keys: SYNC_KEYS }, description: 'Topic configuration and ACL sync onto the target.', example: 'sync: { acls: { enabled: false } }' },
  onRecordError: {
    type: { kind: 'enum', values: ['stop-partition', 'stop-flow'] },
    default: 'stop-partition',
    description: 'What to do when the target refuses a record for good (e.g. too large): stop that partition, or the whole flow.',
    example: 'onRecordError: stop-flow',
  },
  onDataLoss: {
    type: { kind: 'enum', values: ['continue', 'stop-partition'] },
    default: 'continue',
    description:
      'What to do when source retention deleted records before strait copied them (the source log start moved past the next offset to copy). Either way strait logs an error naming the exact missing offset range and counts it in `strait_records_lost_total`. `continue` (default) goes on from the new log start: the missing records are already gone at the source, and stopping would only let retention delete more of the partition while it waits. `stop-partition` stops that partition (the other partitions go on) until strait is restarted, which then reports the loss again and applies this setting anew (set `continue` to go on).',
    example: 'onDataLoss: stop-partition',
  },
  onDivergence: {
    type: { kind: 'enum', values: ['stop-partition', 'translate'] },
    default: 'stop-partition',
    description:
      '`mode: offset-preserving` only: what to do when a partition cannot keep its offsets (a hole in the source from compaction or transaction markers, another writer on the target, records the source deleted before they were copied): stop that partition with an error naming the offset, or keep replicating it with offset translation (a data-loss gap is filled so later offsets stay equal) and report it.',
    example: 'onDivergence: translate',
  },
} as const satisfies Table;

export const METRICS_KEYS = {
  enabled: { type: { kind: 'boolean' }, default: true, description: 'Serve Prometheus metrics over HTTP.', example: 'enabled: false' },
  host: {
    type: { kind: 'string', maxLength: 255 },
    default: '127.0.0.1',
    description: 'Address the metrics endpoint listens on; `0.0.0.0` for every interface.',
    example: 'host: 0.0.0.0',
  },
  port: {
    type: { kind: 'integer', min: 1, max: 65535, also: [0], alsoDoc: '0 = any free port' },
    default: 9464,
    description: 'Port of the metrics endpoint (`/metrics`).',
    example: 'port: 9464',
  },
  remoteStop: {
    type: { kind: 'boolean' },
    default: false,
    description:
      'Accept `POST /flows/<name>/stop` (what `strait failover --stop-url` sends) from other machines. Off, only clients on this machine (loopback) may stop a flow, even when `host` is `0.0.0.0` for Prometheus. The endpoint has no authentication: turn this on only where just trusted hosts reach the port.',
    example: 'remoteStop: true',
  },
} as const satisfies Table;

export const ENGINE_KEYS = {
  workers: {
    type: { kind: 'integer', min: 1, max: 1024 },
    defaultDoc: 'the number of cores (`os.availableParallelism()`)',
    description: 'Worker threads, each with its own consumer and producer.',
    example: 'workers: 4',
  },
  metrics: { type: { kind: 'section', keys: METRICS_KEYS }, description: 'The Prometheus endpoint.', example: 'metrics: { port: 9464 }' },
  summaryInterval: {
    type: { kind: 'duration', min: 1000, max: 3_600_000, also: [0], alsoDoc: '0 disables' },
    default: 10_000,
    description: 'How often a one-line progress summary is logged.',
    example: 'summaryInterval: 1m',
  },
  shutdownTimeout: {
    type: { kind: 'duration', min: 1000, max: 600_000 },
    default: 30_000,
    description:
      'Bound of the stop on SIGINT/SIGTERM, from the signal to the exit. Workers stop fetching and wait for the target to acknowledge what is in flight until a reserve of a third of the bound (at most 10 s) is left for the final commit and closing the clients. If the stop has not finished when a tenth of the bound (at most 2.5 s) is left, kept for the exit itself, strait exits with code 124; nothing is lost, what was acknowledged after the last commit is sent again at the next start. Set Kubernetes\' `terminationGracePeriodSeconds` above it.',
    example: 'shutdownTimeout: 1m',
  },
  commitInterval: {
    type: { kind: 'duration', min: 10, max: 600_000 },
    default: 1000,
    description: 'How often progress the target acknowledged is committed. Shorter: fewer records re-sent after a crash.',
    example: 'commitInterval: 5s',
  },
  instanceId: {
    type: { kind: 'string', maxLength: 200 },
    defaultDoc: 'the host name',
    description:
      'Names this strait process in the transactional ids of `mode: exactly-once` flows (`<groupId>-<instanceId>-<worker>`). A restarted process must keep its id (its new producers then fence and abort what the old ones left open); two processes running the same flow at once need different ids.',
    example: 'instanceId: strait-eu-1',
  },
  maxInFlightRecordsPerWorker: {
    type: { kind: 'integer', min: 1, max: 10_000_000 },
    default: 100_000,
    description: "Records waiting for the target's acknowledgement in one worker before it pauses fetching.",
    example: 'maxInFlightRecordsPerWorker: 200000',
  },
} as const satisfies Table;

export const CLUSTER_KEYS = {
  'bootstrap.servers': {
    type: { kind: 'string' },
    required: true,
    description: 'Comma-separated `host:port` list (librdkafka also accepts the name `metadata.broker.list`).',
    example: 'bootstrap.servers: 10.0.0.1:9092,10.0.0.2:9092',
  },
  consumer: {
    type: { kind: 'raw', doc: 'librdkafka properties' },
    default: {},
    description: 'Properties for the consumers of this cluster only (consumer or common properties).',
    example: 'consumer: { fetch.max.bytes: 52428800 }',
  },
  producer: {
    type: { kind: 'raw', doc: 'librdkafka properties' },
    default: {},
    description: 'Properties for the producers of this cluster only (producer or common properties).',
    example: 'producer: { linger.ms: 5, compression.type: lz4 }',
  },
  admin: {
    type: { kind: 'raw', doc: 'librdkafka properties' },
    default: {},
    description: 'Properties for the admin clients of this cluster only (common properties).',
    example: 'admin: { request.timeout.ms: 60000 }',
  },
} as const satisfies Table;

export const TOP_KEYS = {
  clusters: {
    type: { kind: 'raw', doc: 'mapping: alias -> cluster' },
    required: true,
    description: 'The Kafka-API clusters, by alias: letters, digits, `_` and `-`, no dots (the alias becomes a topic-name prefix).',
    example: 'clusters: { east: { bootstrap.servers: 10.0.0.1:9092 }, west: { bootstrap.servers: 10.0.1.1:9092 } }',
  },
  flows: {
    type: { kind: 'raw', doc: 'list of flows' },
    required: true,
    description: 'What to replicate: one entry per (source, target) pair.',
    example: 'flows: [{ source: east, target: west }]',
  },
  engine: { type: { kind: 'section', keys: ENGINE_KEYS }, description: 'Process-wide settings.', example: 'engine: { workers: 4 }' },
} as const satisfies Table;

// ---------------------------------------------------------------------------------------------
// Reading a section against its table

type Converted<V extends ValueType> = V extends { kind: 'integer' | 'duration' }
  ? number
  : V extends { kind: 'boolean' }
    ? boolean
    : V extends { kind: 'enum'; values: readonly (infer E)[] }
      ? E
      : V extends { kind: 'patterns' }
        ? string[]
        : V extends { kind: 'section'; keys: infer K extends Table }
          ? Values<K>
          : V extends { kind: 'string' }
            ? string
            : unknown;

/** What readSection returns: converted values; `undefined` only for keys without a default. */
export type Values<T extends Table> = {
  -readonly [K in keyof T]: T[K] extends { default: unknown } | { type: { kind: 'section' } }
    ? Converted<T[K]['type']>
    : Converted<T[K]['type']> | undefined;
};

/**
 * Check `raw` (a mapping, or absent) against `table`: unknown keys (with a did-you-mean), missing
 * required keys, and every value's type and bounds. Invalid values are reported and replaced by
 * the default, so later checks still run on something plausible.
 */
export function readSection<T extends Table>(raw: unknown, path: string, table: T, f: Findings): Values<T> {
  const out: Record<string, unknown> = {};
  let given: Record<string, unknown> = {};
  if (isMapping(raw)) given = raw;
  else if (raw !== undefined && raw !== null && raw !== UNRESOLVED) {
    f.error(path || '(top level)', 'expected a mapping of keys to values', { value: raw, example: exampleMapping(table) });
  }
  // Keys some misspelt key was probably meant to be: their "is required" would repeat the
  // did-you-mean already reported.
  const meant = new Set<string>();
  for (const key of Object.keys(given)) {
    if (Object.hasOwn(table, key)) continue;
    const hint = reportUnknownKey(key, path, table, f);
    if (hint !== undefined) meant.add(hint);
  }
  for (const [key, spec] of Object.entries(table)) {
    const p = keyPath(path, key);
    const value = given[key];
    if (spec.type.kind === 'section') {
      out[key] = readSection(value, p, spec.type.keys, f);
      continue;
    }
    if (value === undefined || value === null) {
      if (spec.required && !meant.has(key)) f.error(p, `is required: ${lowerFirst(spec.description)}`, { example: spec.example });
      out[key] = cloneDefault(spec.default);
      continue;
    }
    const v = value === UNRESOLVED ? undefined : checkValue(spec, value, p, f);
    out[key] = v === undefined ? cloneDefault(spec.default) : v;
  }
  return out as Values<T>;
}

/** Report a key the table does not know; returns the key it was probably meant to be. */
export function reportUnknownKey(key: string, path: string, table: Table, f: Findings): string | undefined {
  const known = Object.keys(table);
  const hint = closest(key, known);
  const where = path === '' ? 'at the top level' : `in ${path}`;
  // The value of an unknown key is never shown: a misspelt `sasl.pasword` would not be
  // recognised as a secret.
  if (hint !== undefined) {
    f.error(keyPath(path, key), `unknown key ${where}; did you mean \`${hint}\`?`, { example: table[hint]?.example });
  } else {
    f.error(keyPath(path, key), `unknown key ${where}; known keys: ${known.join(', ')}`);
  }
  return hint;
}

/** Check and convert one value; undefined (after reporting) when it is invalid. */
export function checkValue(spec: KeySpec, value: unknown, path: string, f: Findings): unknown {
  const t = spec.type;
  const bad = (expected: string): undefined => {
    f.error(path, `expected ${expected}`, { value, example: spec.example });
    return undefined;
  };
  switch (t.kind) {
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return bad(describeType(t));
      const s = String(value);
      if (s.length === 0) return bad('a non-empty string');
      if (t.maxLength !== undefined && s.length > t.maxLength) return bad(`at most ${t.maxLength} characters`);
      if (t.pattern && !t.pattern.test(s)) return bad(t.expect ?? `a string matching ${String(t.pattern)}`);
      return s;
    }
    case 'integer': {
      const n = toInteger(value);
      if (n === undefined || !inBounds(n, t)) return bad(`${describeType(t)}`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(value);
      if (ms === undefined || !inBounds(ms, t)) return bad(`${describeType(t)}, like "${formatDuration(t.min === 0 ? 1000 : Math.max(t.min, 1000))}" (a bare number is milliseconds)`);
      return ms;
    }
    case 'boolean': {
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return bad('true or false');
    }
    case 'enum': {
      if (typeof value === 'string' && t.values.includes(value)) return value;
      const hint = typeof value === 'string' ? closest(value, t.values) : undefined;
      return bad(`one of ${t.values.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    case 'patterns':
      return checkPatterns(value, path, spec, f);
    case 'section':
    case 'raw':
      return value;
  }
}

function checkPatterns(value: unknown, path: string, spec: KeySpec, f: Findings): string[] | undefined {
  if (!Array.isArray(value)) {
    f.error(path, 'expected a list of regular expressions', { value, example: spec.example });
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  value.forEach((item: unknown, i) => {
    const p = indexPath(path, i);
    if (item === UNRESOLVED) {
      ok = false; // reported by the ${env:} substitution
      return;
    }
    if (typeof item !== 'string' && typeof item !== 'number') {
      f.error(p, 'expected a regular expression (a string)', { value: item, example: spec.example });
      ok = false;
      return;
    }
    const pattern = String(item);
    if (pattern.length === 0) {
      f.error(p, 'an empty pattern matches only the empty name; remove it', { value: pattern, example: spec.example });
      ok = false;
      return;
    }
    try {
      compilePattern(pattern);
      out.push(pattern);
    } catch (err) {
      f.error(p, `is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`, { value: pattern, example: spec.example });
      ok = false;
    }
  });
  return ok ? out : undefined;
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function inBounds(n: number, t: { min: number; max: number; also?: readonly number[] }): boolean {
  return (n >= t.min && n <= t.max) || (t.also?.includes(n) ?? false);
}

function cloneDefault(d: unknown): unknown {
  if (Array.isArray(d)) return [...(d as unknown[])];
  if (isMapping(d)) return { ...d };
  return d;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function exampleMapping(table: Table): string {
  const first = Object.values(table)[0];
  return first ? first.example : '{}';
}

/** How a type reads in messages and in the reference. */
export function describeType(t: ValueType): string {
  switch (t.kind) {
    case 'string':
      return t.pattern ? `a string of ${t.expect ?? String(t.pattern)}` : 'a string';
    case 'integer':
      return `a whole number from ${t.min} to ${t.max}${t.also ? ` (or ${t.alsoDoc ?? t.also.join(', ')})` : ''}`;
    case 'duration':
      return `a duration from ${formatDuration(t.min)} to ${formatDuration(t.max)}${t.also ? ` (or ${t.alsoDoc ?? t.also.join(', ')})` : ''}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'patterns':
      return 'a list of regular expressions';
    case 'section':
      return 'a mapping';
    case 'raw':
      return `a ${t.doc}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The reference in docs/config.md

function describeDefault(spec: KeySpec): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  if (spec.required) return '(required)';
  if (spec.type.kind === 'section') return '';
  const d = spec.default;
  if (d === undefined) return '';
  if (spec.type.kind === 'duration' && typeof d === 'number') return `\`${formatDuration(d)}\``;
  if (Array.isArray(d)) return `\`${JSON.stringify(d)}\``;
  if (isMapping(d)) return '`{}`';
  return `\`${typeof d === 'string' ? d : JSON.stringify(d)}\``;
}

function typeCell(t: ValueType): string {
  switch (t.kind) {
    case 'string':
      return t.pattern ? `string: ${t.expect ?? String(t.pattern)}` : 'string';
    case 'integer':
      return `integer ${t.min}..${t.max}${t.also ? `, or ${t.alsoDoc ?? t.also.join(', ')}` : ''}`;
    case 'duration':
      return `duration ${formatDuration(t.min)}..${formatDuration(t.max)}${t.also ? `, or ${t.alsoDoc ?? t.also.join(', ')}` : ''}`;
    case 'enum':
      return t.values.map((v) => `\`${v}\``).join(' \\| ');
    default:
      return describeType(t).replace(/^an? /, '');
  }
}

function tableMarkdown(prefix: string, table: Table): string[] {
  const lines = ['| Key | Type | Default | Description |', '|---|---|---|---|'];
  for (const [key, spec] of Object.entries(table)) {
    const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    lines.push(`| \`${prefix}${key}\` | ${typeCell(spec.type)} | ${describeDefault(spec)} | ${cell(spec.description)} |`);
  }
  return lines;
}

/** The key reference in docs/config.md, rendered from the tables above. */
export function renderReference(): string {
  const sections: [string, Table][] = [
    ['', TOP_KEYS],
    ['clusters.<alias>.', CLUSTER_KEYS],
    ['flows[].', FLOW_KEYS],
    ['flows[].topics.', TOPICS_KEYS],
    ['flows[].groups.', GROUPS_KEYS],
    ['flows[].replication.', REPLICATION_KEYS],
    ['engine.', ENGINE_KEYS],
    ['engine.metrics.', METRICS_KEYS],
  ];
  const out: string[] = [];
  for (const [prefix, table] of sections) {
    out.push(`### ${prefix === '' ? 'Top level' : `\`${prefix.slice(0, -1)}\``}`, '', ...tableMarkdown(prefix, table), '');
  }
  return out.join('\n');
}
