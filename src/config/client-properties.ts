/**
 * librdkafka client properties given under `clusters.<alias>` (every client), or under its
 * `consumer:`, `producer:` and `admin:` sections. Checked against the property list of the
 * librdkafka strait runs on (librdkafka-properties.ts, generated): the name exists, the value is
 * in librdkafka's range, the property suits the section it is in, and it is not one strait must
 * set itself.
 */
import type { ClientProperties, ClusterConfig } from './types.js';
import { closest } from '../util/suggest.js';
import { type Findings, isMapping } from './findings.js';
import { LIBRDKAFKA_PROPERTIES, type LibrdkafkaProperty } from './librdkafka-properties.js';
import { UNRESOLVED } from './env.js';
import { isSecretName } from './redact.js';

export type ClientRole = 'consumer' | 'producer' | 'admin';
/** Where a property was written: directly under the cluster, or in one client section. */
export type PropertyPlace = 'cluster' | ClientRole;

const PROPERTY_NAMES = Object.keys(LIBRDKAFKA_PROPERTIES);

/** Does librdkafka apply a property of this role (C, P, *) to this kind of client? */
export function appliesTo(role: LibrdkafkaProperty['role'], client: ClientRole): boolean {
  if (role === '*') return true;
  // Admin clients are librdkafka producer handles, but strait never produces through them:
  // producer-only settings there would be noise at best.
  return client === 'consumer' ? role === 'C' : client === 'producer' ? role === 'P' : false;
}

/**
 * The properties for one client of a cluster: the cluster-level properties that apply to this
 * kind of client (librdkafka logs a warning for every consumer property handed to a producer and
 * vice versa), then the client's own section on top. strait's own settings go on top of this.
 */
export function propertiesFor(cluster: ClusterConfig, client: ClientRole): ClientProperties {
  const out: ClientProperties = {};
  for (const [name, value] of Object.entries(cluster.properties)) {
    const p = LIBRDKAFKA_PROPERTIES[name];
    if (p === undefined || appliesTo(p.role, client)) out[name] = value;
  }
  return Object.assign(out, cluster[client]);
}

// ---------------------------------------------------------------------------------------------
// Properties strait sets itself

interface Verdict {
  level: 'error' | 'warning';
  message: string;
}

interface Control {
  /** What the reference says about it. */
  docs: string;
  check(value: string, place: PropertyPlace): Verdict | undefined;
}

/** `why` texts follow a colon in messages; in the reference they start a sentence. */
function sentence(why: string): string {
  return why.startsWith('strait') ? why : why.charAt(0).toUpperCase() + why.slice(1);
}

const TRUE = ['true', 't', '1'];
const FALSE = ['false', 'f', '0'];

/** strait sets this value: the same value is only redundant, any other breaks an invariant. */
function fixed(spellings: readonly string[], why: string): Control {
  const v = spellings[0];
  return {
    docs: `strait sets \`${v}\`: the same value is accepted with a warning, any other is an error. ${sentence(why)}`,
    check: (value) =>
      spellings.includes(value.toLowerCase())
        ? { level: 'warning', message: `strait already sets ${v}, so this line can be removed (${why.replace(/\.$/, '')})` }
        : { level: 'error', message: `strait sets ${v} and it cannot be changed: ${why}` },
  };
}

function forbidden(why: string): Control {
  return { docs: `Error: ${why}`, check: () => ({ level: 'error', message: `is set by strait, not in the configuration: ${why}` }) };
}

function ignored(why: string): Control {
  return { docs: `Warning: has no effect; ${why}`, check: () => ({ level: 'warning', message: `has no effect: ${why}` }) };
}

const COMMIT_WHY =
  'strait commits only offsets of records the target acknowledged; automatic commits could mark records copied before they are, and a crash would then lose them.';
const IDEMPOTENT_WHY = "strait's producers are idempotent, so that retries can neither duplicate nor reorder records.";
const DELIVERY_WHY =
  'strait retries a record until the target takes it (0 = no timeout): a record is never given up on and skipped. While the target is unreachable the producer queue fills and fetching pauses. In exactly-once mode strait sets half of `transaction.timeout.ms` instead (librdkafka requires at most the transaction timeout): a record that times out aborts its transaction, whose records are then sent again from the committed offsets.';
const GROUP_WHY = "strait's coordinator moves partitions between processes incrementally and relies on the classic protocol with cooperative-sticky assignment.";

/** Decided per property; the reference in docs/config.md is rendered from this table. */
export const STRAIT_CONTROLLED: Readonly<Record<string, Control>> = {
  'group.id': forbidden("each flow's consumer group is `flows[].groupId` (default `strait.<source>.<target>`); set it there."),
  'group.instance.id': forbidden('every strait process would present the same static member id, and the group would fence all but one of them.'),
  'enable.auto.commit': fixed(FALSE, COMMIT_WHY),
  'auto.commit.enable': fixed(FALSE, COMMIT_WHY),
  'enable.auto.offset.store': fixed(FALSE, COMMIT_WHY),
  'auto.commit.interval.ms': ignored('strait commits progress itself every `engine.commitInterval`.'),
  'partition.assignment.strategy': fixed(['cooperative-sticky'], GROUP_WHY),
  'group.protocol': fixed(['classic'], GROUP_WHY),
  'enable.idempotence': fixed(TRUE, IDEMPOTENT_WHY),
  acks: fixed(['all', '-1'], 'an idempotent producer requires acks=all, and a record counts as copied only once every in-sync replica has it.'),
  'request.required.acks': fixed(['all', '-1'], 'an idempotent producer requires acks=all, and a record counts as copied only once every in-sync replica has it.'),
  'delivery.report.only.error': fixed(FALSE, 'strait learns what the target acknowledged from the delivery report of every record.'),
  'transactional.id': forbidden('in `mode: exactly-once` strait derives one transactional id per worker; in other modes there are no transactions.'),
  'auto.offset.reset': ignored(
    "strait's replication consumers use `error`, so that records the source deleted before they were copied are reported (see `flows[].onDataLoss`) instead of skipped silently; a partition with no committed offset starts at the log beginning.",
  ),
  'enable.partition.eof': fixed(FALSE, 'strait reads partitions continuously and needs no end-of-partition events.'),
  'message.timeout.ms': fixed(['0'], DELIVERY_WHY),
  'delivery.timeout.ms': fixed(['0'], DELIVERY_WHY),
  'client.id': ignored('strait gives every client it creates its own client.id, naming the flow and worker, so broker logs show which client did what.'),
  partitioner: ignored('strait writes every record to the partition number it had on the source.'),
  'max.in.flight.requests.per.connection': maxInFlight(),
  'max.in.flight': maxInFlight(),
  retries: retries(),
  'message.send.max.retries': retries(),
  dr_cb: forbidden('strait installs its own delivery report handler to learn what the target acknowledged.'),
  dr_msg_cb: forbidden('strait installs its own delivery report handler to learn what the target acknowledged.'),
  rebalance_cb: forbidden("strait's coordinator handles partition assignment."),
  offset_commit_cb: forbidden('strait commits offsets itself.'),
};

function maxInFlight(): Control {
  return {
    docs: 'At most 5 where producers use it (cluster level or `producer:`): an idempotent producer allows no more.',
    check: (value, place) =>
      (place === 'cluster' || place === 'producer') && Number(value) > 5
        ? { level: 'error', message: `must be at most 5 for producers: ${IDEMPOTENT_WHY} librdkafka refuses more than 5 in-flight requests with idempotence.` }
        : undefined,
  };
}

function retries(): Control {
  return {
    docs: 'Must not be 0 where producers use it: an idempotent producer needs retries.',
    check: (value, place) =>
      (place === 'cluster' || place === 'producer') && value.trim() === '0'
        ? { level: 'error', message: `must be greater than 0: ${IDEMPOTENT_WHY} Idempotence requires retries.` }
        : undefined,
  };
}

/** Java client settings people bring from MM2 or Kafka Connect, with what librdkafka uses instead. */
export const JAVA_ONLY: Readonly<Record<string, string>> = {
  'sasl.jaas.config':
    'is a Java client setting; librdkafka has no JAAS. For PLAIN or SCRAM set sasl.mechanism, sasl.username and sasl.password; for OAUTHBEARER the sasl.oauthbearer.* properties',
  'ssl.truststore.location': 'is a Java keystore setting; librdkafka reads PEM: export the CA certificates and set ssl.ca.location',
  'ssl.truststore.password': 'is a Java keystore setting; librdkafka reads PEM CA certificates from ssl.ca.location, which need no password',
  'ssl.truststore.type': 'is a Java keystore setting; librdkafka reads PEM CA certificates from ssl.ca.location',
  'ssl.keystore.type': 'is a Java setting; librdkafka reads a PKCS#12 keystore (ssl.keystore.location, ssl.keystore.password) or PEM (ssl.certificate.location, ssl.key.location)',
  'key.serializer': 'is not needed: strait copies keys and values as bytes',
  'value.serializer': 'is not needed: strait copies keys and values as bytes',
  'key.deserializer': 'is not needed: strait copies keys and values as bytes',
  'value.deserializer': 'is not needed: strait copies keys and values as bytes',
  'fetch.max.wait.ms': 'is the Java name; librdkafka calls it fetch.wait.max.ms',
  'buffer.memory': 'is a Java producer setting; librdkafka bounds its queue with queue.buffering.max.kbytes and queue.buffering.max.messages',
  'max.request.size': 'is the Java name; librdkafka calls it message.max.bytes',
  'send.buffer.bytes': 'is the Java name; librdkafka calls it socket.send.buffer.bytes',
  'receive.buffer.bytes': 'is the Java name; librdkafka calls it socket.receive.buffer.bytes',
};

// ---------------------------------------------------------------------------------------------
// Checking one property

const PLACE_NAME: Record<PropertyPlace, string> = { cluster: 'cluster', consumer: 'consumer:', producer: 'producer:', admin: 'admin:' };
const ROLE_NAME = { C: 'consumer', P: 'producer', '*': 'common' } as const;

/**
 * Check one property; returns its value as librdkafka takes it (a string), or undefined when the
 * property must not be passed on (after reporting why).
 */
export function checkClientProperty(name: string, raw: unknown, place: PropertyPlace, path: string, f: Findings): string | undefined {
  const details = { property: name };
  const spec = LIBRDKAFKA_PROPERTIES[name];
  if (spec === undefined) {
    const java = JAVA_ONLY[name];
    if (java !== undefined) {
      f.error(path, java);
      return undefined;
    }
    const hint = suggestProperty(name, place);
    if (hint === undefined) {
      f.error(path, `is not a librdkafka property (strait passes cluster properties to librdkafka; its CONFIGURATION.md lists them all)`);
    } else {
      // The example carries the user's value over to the right name, unless either name
      // suggests a secret.
      const shown = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '...';
      f.error(path, `is not a librdkafka property; did you mean \`${hint}\`?`, {
        example: `${hint}: ${isSecretName(name) || isSecretName(hint) ? '...' : shown}`,
      });
    }
    return undefined;
  }
  if (raw === UNRESOLVED) return undefined; // reported by the ${env:} substitution
  if (raw === null || raw === undefined) {
    f.error(path, 'needs a value (an empty value is not passed to librdkafka; remove the line to use its default)', { ...details, example: `${name}: <value>` });
    return undefined;
  }
  const value = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint' ? String(raw) : undefined;
  if (value === undefined) {
    f.error(path, 'expected a single value (string, number or boolean), not a list or mapping', { ...details, value: raw, example: `${name}: <value>` });
    return undefined;
  }

  if (spec.type === 'see dedicated API' && STRAIT_CONTROLLED[name] === undefined) {
    f.error(path, 'is a callback or pointer that is set through the client API; it cannot come from a configuration file');
    return undefined;
  }

  if (place !== 'cluster' && !appliesTo(spec.role, place)) {
    const home = spec.role === 'C' ? 'consumer:' : spec.role === 'P' ? 'producer:' : `the cluster level`;
    const why = place === 'admin' ? 'admin clients take only common properties' : `${place}s ignore it`;
    f.error(path, `is a ${ROLE_NAME[spec.role]} property, but it is under ${PLACE_NAME[place]} (${why}); move it under ${home}`, {
      ...details,
      value,
    });
    return undefined;
  }

  const control = STRAIT_CONTROLLED[name];
  const verdict = control?.check(value, place);
  if (verdict?.level === 'error') {
    f.error(path, verdict.message, { ...details, value });
    return undefined;
  }
  if (verdict?.level === 'warning') f.warn(path, verdict.message, { ...details, value });
  if (control !== undefined && spec.type === 'see dedicated API') return undefined;

  const rangeProblem = checkRange(name, spec, value);
  if (rangeProblem !== undefined) {
    f.error(path, rangeProblem, { ...details, value, example: `${name}: ${exampleValue(spec)}` });
    return undefined;
  }
  if (spec.deprecated) f.warn(path, `is deprecated in librdkafka${spec.aliasOf ? `; use ${spec.aliasOf}` : ''}`);
  if (spec.shareConsumerOnly) f.warn(path, 'applies only to share consumers in librdkafka; strait uses a classic consumer group, so it has no effect');
  return value;
}

/** The property (or, at the cluster level, section) an unknown name was probably meant to be. */
export function suggestProperty(name: string, place: PropertyPlace): string | undefined {
  return closest(name, place === 'cluster' ? [...PROPERTY_NAMES, 'consumer', 'producer', 'admin'] : PROPERTY_NAMES);
}

/** librdkafka's own range check, done early so the error names the YAML path. */
function checkRange(name: string, spec: LibrdkafkaProperty, value: string): string | undefined {
  const v = value.trim();
  switch (spec.type) {
    case 'boolean':
      return [...TRUE, ...FALSE].includes(v.toLowerCase()) ? undefined : 'expected true or false';
    case 'integer': {
      // librdkafka's only named integer: acks/request.required.acks accept "all" for -1.
      if ((name === 'acks' || name === 'request.required.acks') && v.toLowerCase() === 'all') return undefined;
      if (!/^-?\d+$/.test(v)) return `expected a whole number${rangeText(spec)}`;
      const n = Number(v);
      return outOfRange(spec, n) ? `expected a whole number${rangeText(spec)}` : undefined;
    }
    case 'float': {
      const n = Number(v);
      return v === '' || !Number.isFinite(n) || outOfRange(spec, n) ? `expected a number${rangeText(spec)}` : undefined;
    }
    case 'enum value':
      if (!spec.values) return undefined;
      if (spec.values.some((e) => e.toLowerCase() === v.toLowerCase())) return undefined;
      return `expected one of ${spec.values.join(', ')}${didYouMean(v.toLowerCase(), spec.values)}`;
    case 'CSV flags': {
      if (!spec.values) return undefined;
      const unknown = v.split(',').map((s) => s.trim()).filter((s) => s !== '' && !spec.values!.some((e) => e.toLowerCase() === s.toLowerCase()));
      return unknown.length === 0 ? undefined : `unknown flag${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected a comma-separated list of ${spec.values.join(', ')}`;
    }
    default:
      return undefined;
  }
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const hint = closest(word, candidates);
  return hint === undefined ? '' : ` (did you mean ${hint}?)`;
}

function outOfRange(spec: LibrdkafkaProperty, n: number): boolean {
  return (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max);
}

function rangeText(spec: LibrdkafkaProperty): string {
  return spec.min !== undefined && spec.max !== undefined ? ` from ${spec.min} to ${spec.max}` : '';
}

function exampleValue(spec: LibrdkafkaProperty): string {
  if (spec.default !== undefined) return spec.default;
  if (spec.type === 'boolean') return 'true';
  if (spec.values && spec.values.length > 0) return spec.values[0];
  if (spec.min !== undefined) return String(Math.max(spec.min, 0));
  return '<value>';
}

/** Read one property section (`consumer:` etc., or the cluster level minus the sections). */
export function readClientSection(raw: unknown, place: ClientRole, path: string, f: Findings): ClientProperties {
  const out: ClientProperties = {};
  if (raw === undefined || raw === null || raw === UNRESOLVED) return out;
  if (!isMapping(raw)) {
    f.error(path, `expected a mapping of librdkafka ${place} properties`, { value: raw, example: `${place}: { client.id: strait }` });
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    const v = checkClientProperty(name, value, place, `${path}.${name}`, f);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The reference table of properties strait controls, for docs/config.md. */
export function renderControlledProperties(): string {
  const lines = ['| Property | How strait treats it |', '|---|---|'];
  for (const [name, c] of Object.entries(STRAIT_CONTROLLED)) lines.push(`| \`${name}\` | ${c.docs.replace(/\|/g, '\\|')} |`);
  lines.push('| other callbacks (`error_cb`, `stats_cb`, `opaque`, ...) | Error: set through the client API, never from a file. |');
  return lines.join('\n') + '\n';
}
