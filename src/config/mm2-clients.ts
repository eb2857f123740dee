/**
 * Java Kafka client settings from an MM2 properties file (`east.security.protocol`,
 * `east.consumer.fetch.max.bytes`, `east.producer.sasl.jaas.config`, ...) translated to the
 * librdkafka properties strait's clients take. Three kinds:
 *
 * - the same name and meaning in both clients (security.protocol, linger.ms, fetch.max.bytes,
 *   compression.type, ...): passed on, then checked like any librdkafka property;
 * - an equivalent under another name or form (fetch.max.wait.ms -> fetch.wait.max.ms, a PEM
 *   truststore -> ssl.ca.location, sasl.jaas.config -> sasl.username + sasl.password, ...);
 * - Java-only (max.poll.records, buffer.memory, JKS stores, interceptors, ...): one warning naming
 *   the key and what to do instead, since MM2 ran with it and strait will run without it.
 *
 * Names that are neither a Kafka client nor a librdkafka property are typos: an error with the
 * closest known name. Secrets are never put in a message: values of secret-looking properties
 * are redacted by Findings, and the JAAS text is never quoted.
 */
import { closest } from '../util/suggest.js';
import { UNRESOLVED } from './env.js';
import { Findings } from './findings.js';
import { appliesTo, checkClientProperty, STRAIT_CONTROLLED, type PropertyPlace } from './client-properties.js';
import { LIBRDKAFKA_PROPERTIES } from './librdkafka-properties.js';
import { JaasSyntaxError, parseJaasConfig } from './mm2-jaas.js';
import { isSecretName } from './redact.js';

/** A value from the file, with the MM2 key and line it came from. */
export interface Sourced {
  key: string;
  /** UNRESOLVED when a `${...}` reference in it could not be resolved (already reported). */
  value: string | typeof UNRESOLVED;
  line: number;
}

/** One librdkafka property for a cluster or one of its client sections. */
export interface TranslatedProperty {
  name: string;
  value: string | typeof UNRESOLVED;
  /** The MM2 key (and line) it was translated from: where problems with it are reported. */
  from: Sourced;
}

export interface ClientScope {
  alias: string;
  place: PropertyPlace;
  /** Java property name -> value. */
  props: Map<string, Sourced>;
  /** What precedes a property name in this scope's keys, e.g. `east.` or `east.consumer.`: for examples. */
  prefix: string;
  /** For a client section: the cluster's common settings, which apply to it too (looked up, not translated again). */
  inherited?: Map<string, Sourced>;
}

/** The key prefix a setting was written with: `east.consumer.` for `east.consumer.linger.ms`, `` for a top-level one. */
function prefixOf(from: Sourced, name: string, scope: ClientScope): string {
  return from.key.endsWith(name) ? from.key.slice(0, from.key.length - name.length) : scope.prefix;
}

// ---------------------------------------------------------------------------------------------
// What MM2 applies at the cluster level

/**
 * The cluster-level settings MM2 hands to every client of a cluster (MirrorClientConfig's
 * CLIENT_CONFIG_DEF: bootstrap.servers, security.protocol, and the client ssl.* and sasl.*
 * settings). Given at the top level of the file they apply to every cluster that does not set
 * them itself. Any other `<alias>.<name>` reaches no MM2 client.
 */
export const MM2_CLUSTER_CLIENT_SETTINGS: ReadonlySet<string> = new Set([
  'bootstrap.servers',
  'security.protocol',
  'ssl.protocol',
  'ssl.provider',
  'ssl.cipher.suites',
  'ssl.enabled.protocols',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.certificates',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.keymanager.algorithm',
  'ssl.trustmanager.algorithm',
  'ssl.endpoint.identification.algorithm',
  'ssl.secure.random.implementation',
  'ssl.engine.factory.class',
  'sasl.kerberos.service.name',
  'sasl.kerberos.kinit.cmd',
  'sasl.kerberos.ticket.renew.window.factor',
  'sasl.kerberos.ticket.renew.jitter',
  'sasl.kerberos.min.time.before.relogin',
  'sasl.login.refresh.window.factor',
  'sasl.login.refresh.window.jitter',
  'sasl.login.refresh.min.period.seconds',
  'sasl.login.refresh.buffer.seconds',
  'sasl.mechanism',
  'sasl.jaas.config',
  'sasl.client.callback.handler.class',
  'sasl.login.callback.handler.class',
  'sasl.login.class',
  'sasl.login.connect.timeout.ms',
  'sasl.login.read.timeout.ms',
  'sasl.login.retry.backoff.max.ms',
  'sasl.login.retry.backoff.ms',
  'sasl.oauthbearer.scope.claim.name',
  'sasl.oauthbearer.sub.claim.name',
  'sasl.oauthbearer.token.endpoint.url',
  'sasl.oauthbearer.jwks.endpoint.url',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms',
  'sasl.oauthbearer.clock.skew.seconds',
  'sasl.oauthbearer.expected.audience',
  'sasl.oauthbearer.expected.issuer',
  'sasl.oauthbearer.header.urlencode',
]);

// ---------------------------------------------------------------------------------------------
// Java client settings and what becomes of them

/** Java consumer, producer and admin settings (Kafka 4.x), to tell a Java-only setting from a typo. */
const JAVA_CLIENT_SETTINGS: readonly string[] = [
  // common
  'bootstrap.servers', 'client.dns.lookup', 'metadata.max.age.ms', 'send.buffer.bytes', 'receive.buffer.bytes', 'client.id', 'client.rack',
  'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'retries', 'retry.backoff.ms', 'retry.backoff.max.ms', 'enable.metrics.push',
  'metrics.sample.window.ms', 'metrics.num.samples', 'metrics.recording.level', 'metric.reporters', 'auto.include.jmx.reporter',
  'security.protocol', 'security.providers', 'socket.connection.setup.timeout.ms', 'socket.connection.setup.timeout.max.ms',
  'connections.max.idle.ms', 'request.timeout.ms', 'default.api.timeout.ms', 'metadata.recovery.strategy', 'metadata.recovery.rebootstrap.trigger.ms',
  // consumer
  'group.id', 'group.instance.id', 'max.poll.records', 'max.poll.interval.ms', 'session.timeout.ms', 'heartbeat.interval.ms', 'group.protocol',
  'group.remote.assignor', 'enable.auto.commit', 'auto.commit.interval.ms', 'partition.assignment.strategy', 'auto.offset.reset', 'fetch.min.bytes',
  'fetch.max.bytes', 'fetch.max.wait.ms', 'max.partition.fetch.bytes', 'check.crcs', 'key.deserializer', 'value.deserializer', 'interceptor.classes',
  'exclude.internal.topics', 'isolation.level', 'allow.auto.create.topics',
  // producer
  'metadata.max.idle.ms', 'batch.size', 'partitioner.adaptive.partitioning.enable', 'partitioner.availability.timeout.ms', 'partitioner.ignore.keys',
  'acks', 'linger.ms', 'delivery.timeout.ms', 'max.request.size', 'max.block.ms', 'buffer.memory', 'compression.type', 'compression.gzip.level',
  'compression.lz4.level', 'compression.zstd.level', 'max.in.flight.requests.per.connection', 'key.serializer', 'value.serializer', 'partitioner.class',
  'enable.idempotence', 'transaction.timeout.ms', 'transactional.id',
  // admin
  'bootstrap.controllers',
  ...MM2_CLUSTER_CLIENT_SETTINGS,
];
const JAVA_CLIENT_SET: ReadonlySet<string> = new Set(JAVA_CLIENT_SETTINGS);

/** Java names of settings librdkafka has under another name. */
export const RENAMED: Readonly<Record<string, string>> = {
  'fetch.max.wait.ms': 'fetch.wait.max.ms',
  'max.request.size': 'message.max.bytes',
  'send.buffer.bytes': 'socket.send.buffer.bytes',
  'receive.buffer.bytes': 'socket.receive.buffer.bytes',
};

const PROMETHEUS = "strait's metrics are Prometheus metrics on its own endpoint (strait.engine.metrics.port)";
const JAVA_CLASS = 'names a Java class, which strait cannot load';

/**
 * Java settings librdkafka has no equivalent for, with why that is fine or what to use instead.
 * Some names exist in librdkafka too with another meaning; the entry here wins for those.
 */
export const WITHOUT_EQUIVALENT: Readonly<Record<string, string>> = {
  'max.poll.records': 'librdkafka has no per-poll record limit; strait reads in batches of its own, sized by fetch.max.bytes and max.partition.fetch.bytes',
  'buffer.memory': 'strait bounds what is in flight per worker with strait.engine.maxInFlightRecordsPerWorker instead of a producer buffer size',
  'max.block.ms': 'strait never blocks on a full producer queue: it pauses fetching until the target catches up',
  'metadata.max.idle.ms': 'librdkafka keeps metadata for the topics a producer uses, without an idle limit',
  'default.api.timeout.ms': 'strait sets the timeouts of its own admin and consumer calls',
  'exclude.internal.topics': 'strait never replicates internal topics',
  'partitioner.class': 'strait writes every record to the partition number it had on the source',
  'partitioner.adaptive.partitioning.enable': 'strait writes every record to the partition number it had on the source',
  'partitioner.availability.timeout.ms': 'strait writes every record to the partition number it had on the source',
  'partitioner.ignore.keys': 'strait writes every record to the partition number it had on the source',
  'key.serializer': 'strait copies keys and values as bytes',
  'value.serializer': 'strait copies keys and values as bytes',
  'key.deserializer': 'strait copies keys and values as bytes',
  'value.deserializer': 'strait copies keys and values as bytes',
  'interceptor.classes': JAVA_CLASS,
  'metric.reporters': PROMETHEUS,
  'metrics.sample.window.ms': PROMETHEUS,
  'metrics.num.samples': PROMETHEUS,
  'metrics.recording.level': PROMETHEUS,
  'auto.include.jmx.reporter': PROMETHEUS,
  'security.providers': JAVA_CLASS,
  'socket.connection.setup.timeout.max.ms': 'librdkafka has only socket.connection.setup.timeout.ms, without exponential growth',
  'group.remote.assignor': "strait's consumer group uses the classic protocol",
  'bootstrap.controllers': 'strait talks to brokers, not to KRaft controllers',
  // TLS
  'ssl.protocol': "librdkafka negotiates TLS 1.2 or newer with OpenSSL's defaults",
  'ssl.enabled.protocols': "librdkafka negotiates TLS 1.2 or newer with OpenSSL's defaults",
  'ssl.provider': "librdkafka uses OpenSSL; Java's security providers do not apply",
  'ssl.cipher.suites':
    "Java's cipher suite names are not OpenSSL's; librdkafka uses OpenSSL's defaults. To restrict them, set ssl.cipher.suites in OpenSSL's format in a strait YAML configuration",
  'ssl.keymanager.algorithm': "librdkafka uses OpenSSL; Java's key manager algorithms do not apply",
  'ssl.trustmanager.algorithm': "librdkafka uses OpenSSL; Java's trust manager algorithms do not apply",
  'ssl.secure.random.implementation': "librdkafka uses OpenSSL's random number generator",
  'ssl.engine.factory.class': JAVA_CLASS,
  // SASL
  'sasl.kerberos.kinit.cmd':
    "librdkafka's sasl.kerberos.kinit.cmd is a whole command line, not the path of kinit; its default runs kinit with sasl.kerberos.keytab and sasl.kerberos.principal (from the JAAS keyTab and principal)",
  'sasl.kerberos.ticket.renew.window.factor': 'librdkafka renews Kerberos tickets every sasl.kerberos.min.time.before.relogin',
  'sasl.kerberos.ticket.renew.jitter': 'librdkafka renews Kerberos tickets every sasl.kerberos.min.time.before.relogin',
  'sasl.login.refresh.window.factor': 'librdkafka refreshes OAUTHBEARER tokens itself, at 80% of their lifetime',
  'sasl.login.refresh.window.jitter': 'librdkafka refreshes OAUTHBEARER tokens itself, at 80% of their lifetime',
  'sasl.login.refresh.min.period.seconds': 'librdkafka refreshes OAUTHBEARER tokens itself, at 80% of their lifetime',
  'sasl.login.refresh.buffer.seconds': 'librdkafka refreshes OAUTHBEARER tokens itself, at 80% of their lifetime',
  'sasl.login.connect.timeout.ms': "librdkafka's OIDC token requests use its own timeouts",
  'sasl.login.read.timeout.ms': "librdkafka's OIDC token requests use its own timeouts",
  'sasl.login.retry.backoff.ms': "librdkafka's OIDC token requests use its own retries",
  'sasl.login.retry.backoff.max.ms': "librdkafka's OIDC token requests use its own retries",
  'sasl.login.class': JAVA_CLASS,
  'sasl.client.callback.handler.class': JAVA_CLASS,
  'sasl.oauthbearer.scope.claim.name': 'it configures how a token is read, which librdkafka does not need',
  'sasl.oauthbearer.jwks.endpoint.url': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.clock.skew.seconds': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.expected.audience': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.expected.issuer': 'it is used by brokers to validate tokens, not by clients',
  'sasl.oauthbearer.header.urlencode': 'librdkafka sends the client credentials of an OIDC token request as they are',
};

/** The mechanisms librdkafka implements. */
const SASL_MECHANISMS = ['GSSAPI', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** Java settings handled together by translateSecurity; the rest of the scope never sees them. */
const SECURITY_SETTINGS = new Set([
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.endpoint.identification.algorithm',
  'sasl.mechanism',
  'sasl.jaas.config',
  'sasl.login.callback.handler.class',
]);

const OIDC_CALLBACK_HANDLER = 'OAuthBearerLoginCallbackHandler';

const PROPERTY_NAMES = Object.keys(LIBRDKAFKA_PROPERTIES);
const KNOWN_NAMES = [...new Set([...JAVA_CLIENT_SETTINGS, ...PROPERTY_NAMES])];

/** Is `name` a Java client or librdkafka property strait knows what to do with? */
export function isKnownClientSetting(name: string): boolean {
  return JAVA_CLIENT_SET.has(name) || Object.hasOwn(LIBRDKAFKA_PROPERTIES, name);
}

export function isJavaClientSetting(name: string): boolean {
  return JAVA_CLIENT_SET.has(name);
}

/** The closest known client setting to a misspelt one. */
export function suggestClientSetting(name: string): string | undefined {
  return closest(name, KNOWN_NAMES);
}

// ---------------------------------------------------------------------------------------------
// Translating one scope

const ROLE_NAME = { C: 'consumer', P: 'producer', '*': 'common' } as const;

/**
 * Translate the Java settings of one scope (a cluster's common settings, or its consumer:,
 * producer: or admin: section) into librdkafka properties, reporting what cannot be translated.
 */
export function translateClientScope(scope: ClientScope, f: Findings): TranslatedProperty[] {
  const out: TranslatedProperty[] = [];
  translateSecurity(scope, out, f);
  for (const [name, from] of scope.props) {
    if (SECURITY_SETTINGS.has(name)) continue;
    translateOne(scope, name, from, out, f);
  }
  return out.filter((p) => keep(scope, p, f));
}

function warnNoEquivalent(from: Sourced, why: string, f: Findings): void {
  f.warn(from.key, `is a Java client setting without a librdkafka equivalent, so strait ignores it: ${why}`);
}

function translateOne(scope: ClientScope, name: string, from: Sourced, out: TranslatedProperty[], f: Findings): void {
  const why = WITHOUT_EQUIVALENT[name];
  if (why !== undefined) {
    warnNoEquivalent(from, why, f);
    return;
  }
  const renamed = RENAMED[name];
  if (renamed !== undefined) {
    let value = from.value;
    // Java's -1 ("the operating system's default") is librdkafka's 0.
    if (renamed.startsWith('socket.') && typeof value === 'string' && value.trim() === '-1') value = '0';
    out.push({ name: renamed, value, from });
    return;
  }
  if (/^compression\.(gzip|lz4|zstd)\.level$/.test(name)) {
    translateCompressionLevel(scope, name, from, out, f);
    return;
  }
  if (name === 'auto.offset.reset' && typeof from.value === 'string' && from.value.trim().toLowerCase() === 'none') {
    // Java's "none" (fail when there is no committed offset) is librdkafka's "error".
    out.push({ name, value: 'error', from });
    return;
  }
  if (Object.hasOwn(LIBRDKAFKA_PROPERTIES, name)) {
    out.push({ name, value: from.value, from });
    return;
  }
  const hint = suggestClientSetting(name);
  const prefix = prefixOf(from, name, scope);
  if (hint !== undefined) {
    f.error(from.key, `is not a Kafka client or librdkafka setting; did you mean \`${prefix}${hint}\`?`, {
      example: `${prefix}${hint} = ${isSecretName(name) || isSecretName(hint) || typeof from.value !== 'string' ? '...' : from.value}`,
    });
  } else {
    f.warn(from.key, 'is not a Kafka client or librdkafka setting, so strait ignores it (MM2 ignores unknown client settings too)');
  }
}

/** compression.<codec>.level sets librdkafka's compression.level when <codec> is the one in use. */
function translateCompressionLevel(scope: ClientScope, name: string, from: Sourced, out: TranslatedProperty[], f: Findings): void {
  const codec = name.split('.')[1];
  const type = scope.props.get('compression.type')?.value;
  if (typeof type === 'string' && type.trim().toLowerCase() === codec) {
    out.push({ name: 'compression.level', value: from.value, from });
  } else {
    f.warn(from.key, `has no effect: it applies to ${codec} compression, and ${prefixOf(from, name, scope)}compression.type is not ${codec} (librdkafka has one compression.level for the codec in use)`);
  }
}

/**
 * The last checks before a property is handed on: properties strait sets itself are ignored with
 * a warning rather than refused (MM2's own clients needed them; strait's guarantees do not
 * change), and a property for another kind of client is ignored, as the Java client ignores it.
 */
function keep(scope: ClientScope, p: TranslatedProperty, f: Findings): boolean {
  const spec = LIBRDKAFKA_PROPERTIES[p.name];
  if (spec === undefined || p.value === UNRESOLVED) return true;
  const renamed = p.from.key !== p.name && !p.from.key.endsWith(`.${p.name}`);
  if (scope.place !== 'cluster' && !appliesTo(spec.role, scope.place)) {
    const clients = scope.place === 'admin' ? 'admin clients' : `${scope.place}s`;
    const what = `${ROLE_NAME[spec.role]} setting in librdkafka`;
    f.warn(p.from.key, `${renamed ? `is librdkafka's ${p.name}, a ${what}` : `is a ${what}`}, so strait's ${clients} ignore it (as Java ${clients} ignore settings that are not theirs)`);
    return false;
  }
  if (STRAIT_CONTROLLED[p.name] !== undefined) {
    // Asked on the side: only whether strait would refuse the value, which here becomes a warning.
    const scratch = new Findings();
    checkClientProperty(p.name, p.value, scope.place, p.from.key, scratch);
    if (scratch.problems.length > 0) {
      f.warn(p.from.key, `is ignored${renamed ? ` (librdkafka's ${p.name})` : ''}: ${scratch.problems[0].message}`, { value: p.value, property: p.name });
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// TLS and SASL

function translateSecurity(scope: ClientScope, out: TranslatedProperty[], f: Findings): void {
  const get = (name: string): Sourced | undefined => scope.props.get(name);
  const lookup = (name: string): Sourced | undefined => scope.props.get(name) ?? scope.inherited?.get(name);
  const text = (s: Sourced | undefined): string | undefined => (s === undefined || s.value === UNRESOLVED ? undefined : s.value.trim());
  const put = (name: string, from: Sourced, value: string | typeof UNRESOLVED = from.value): void => {
    out.push({ name, value, from });
  };

  // Trust: a PEM file or PEM text is what librdkafka reads; JKS and PKCS#12 truststores are not.
  const trustType = (text(get('ssl.truststore.type')) ?? 'JKS').toUpperCase();
  const trustLocation = get('ssl.truststore.location');
  const trustPem = get('ssl.truststore.certificates');
  const trustPassword = get('ssl.truststore.password');
  if (trustLocation !== undefined) {
    if (trustType === 'PEM') put('ssl.ca.location', trustLocation);
    else {
      f.warn(
        trustLocation.key,
        `is a ${trustType} truststore, which librdkafka cannot read, so strait trusts the system's CA certificates instead. Export the CA certificates as PEM (keytool -exportcert -rfc -keystore <truststore> -alias <ca> -file ca.pem), then set ${prefixOf(trustLocation, 'ssl.truststore.location', scope)}ssl.truststore.type = PEM and ${prefixOf(trustLocation, 'ssl.truststore.location', scope)}ssl.truststore.location = ca.pem (MM2 reads that too)`,
      );
    }
  }
  if (trustPem !== undefined) put('ssl.ca.pem', trustPem);
  if (trustPassword !== undefined) {
    f.warn(trustPassword.key, trustLocation !== undefined && trustType !== 'PEM' ? 'belongs to the Java truststore, which strait cannot use (see ssl.truststore.location)' : 'is not needed: PEM CA certificates have no password');
  }

  // Identity: PKCS#12 and PEM keystores carry over; JKS does not.
  const keyTypeGiven = text(get('ssl.keystore.type'));
  const keyType = (keyTypeGiven ?? 'JKS').toUpperCase();
  const keyLocation = get('ssl.keystore.location');
  const keyPassword = get('ssl.keystore.password');
  let keystoreUsable = false;
  if (keyLocation !== undefined) {
    const file = text(keyLocation) ?? '';
    // Java's JKS keystore type also reads PKCS#12 files, so a .p12 file without a type works in MM2.
    if (keyType === 'PKCS12' || (keyTypeGiven === undefined && /\.(p12|pfx)$/i.test(file))) {
      put('ssl.keystore.location', keyLocation);
      if (keyPassword !== undefined) put('ssl.keystore.password', keyPassword);
      keystoreUsable = true;
    } else if (keyType === 'PEM') {
      // A PEM keystore file holds the certificate chain and the key; OpenSSL finds each in it.
      put('ssl.certificate.location', keyLocation);
      put('ssl.key.location', keyLocation);
      keystoreUsable = true;
      if (keyPassword !== undefined) f.warn(keyPassword.key, 'is not needed with a PEM keystore (its key password is ssl.key.password)');
    } else {
      f.warn(
        keyLocation.key,
        `is a ${keyType} keystore, which librdkafka cannot read, so strait presents no client certificate. Convert it (keytool -importkeystore -srckeystore <keystore> -destkeystore client.p12 -deststoretype PKCS12), then set ${prefixOf(keyLocation, 'ssl.keystore.location', scope)}ssl.keystore.type = PKCS12 and ${prefixOf(keyLocation, 'ssl.keystore.location', scope)}ssl.keystore.location = client.p12 (MM2 reads that too)`,
      );
    }
  }
  if (keyPassword !== undefined && keyLocation === undefined) f.warn(keyPassword.key, 'has no effect without ssl.keystore.location');
  if (keyPassword !== undefined && keyLocation !== undefined && !keystoreUsable && keyType !== 'PEM') {
    f.warn(keyPassword.key, 'belongs to the Java keystore, which strait cannot use (see ssl.keystore.location)');
  }
  const keyPem = get('ssl.keystore.key');
  if (keyPem !== undefined) put('ssl.key.pem', keyPem);
  const chainPem = get('ssl.keystore.certificate.chain');
  if (chainPem !== undefined) put('ssl.certificate.pem', chainPem);

  const endpoint = get('ssl.endpoint.identification.algorithm');
  if (endpoint !== undefined) {
    // Java turns host name verification off with an empty value; librdkafka with "none".
    const v = text(endpoint);
    put('ssl.endpoint.identification.algorithm', endpoint, v === undefined ? endpoint.value : v === '' ? 'none' : v.toLowerCase());
  }

  const mechanism = get('sasl.mechanism');
  const mech = text(mechanism)?.toUpperCase();
  if (mechanism !== undefined) {
    if (mech !== undefined && !SASL_MECHANISMS.includes(mech)) {
      f.error(
        mechanism.key,
        `SASL mechanism ${mech} is not available in librdkafka, which implements ${SASL_MECHANISMS.join(', ')}${mech === 'AWS_MSK_IAM' ? ' (Amazon MSK also accepts SCRAM-SHA-512 and OAUTHBEARER)' : ''}`,
        { value: mech, example: `${prefixOf(mechanism, 'sasl.mechanism', scope)}sasl.mechanism = SCRAM-SHA-512` },
      );
    } else put('sasl.mechanism', mechanism, mech ?? mechanism.value);
  }

  const handler = get('sasl.login.callback.handler.class');
  const handlerIsOidc = text(handler)?.split('.').pop() === OIDC_CALLBACK_HANDLER;
  if (handler !== undefined && !handlerIsOidc) f.warn(handler.key, `is ignored: it ${JAVA_CLASS}. librdkafka logs in with sasl.mechanism and the JAAS credentials`);

  const jaas = get('sasl.jaas.config');
  const effectiveMechanism = text(lookup('sasl.mechanism'))?.toUpperCase();
  if (jaas !== undefined && jaas.value !== UNRESOLVED) translateJaas(scope, jaas, jaas.value, effectiveMechanism, put, f);
}

const JAAS_EXAMPLE = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="strait" password="${env:KAFKA_PASSWORD}";';

function translateJaas(
  scope: ClientScope,
  from: Sourced,
  value: string,
  mechanism: string | undefined,
  put: (name: string, from: Sourced, value?: string) => void,
  f: Findings,
): void {
  const prefix = prefixOf(from, 'sasl.jaas.config', scope);
  const example = `${prefix}sasl.jaas.config = ${JAAS_EXAMPLE}`;
  let entries;
  try {
    entries = parseJaasConfig(value);
  } catch (err) {
    if (!(err instanceof JaasSyntaxError)) throw err;
    f.error(from.key, `cannot be read: ${err.message}`, { example });
    return;
  }
  if (entries.length !== 1) {
    f.error(from.key, `names ${entries.length} login modules; a Kafka client takes exactly one`, { example });
    return;
  }
  const { loginModule, options } = entries[0];
  const module = loginModule.split('.').pop() ?? loginModule;
  const need = (option: string): string | undefined => {
    const v = options.get(option);
    if (v === undefined) f.error(from.key, `the ${module} entry has no ${option} option`, { example });
    return v;
  };
  switch (module) {
    case 'PlainLoginModule':
    case 'ScramLoginModule': {
      const username = need('username');
      const password = need('password');
      if (username !== undefined) put('sasl.username', from, username);
      if (password !== undefined) put('sasl.password', from, password);
      if (options.get('tokenauth')?.toLowerCase() === 'true') {
        f.warn(from.key, 'uses delegation-token authentication (tokenauth=true), which librdkafka does not offer: the token is sent as a plain SCRAM user');
      }
      const expected = module === 'PlainLoginModule' ? ['PLAIN'] : ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
      if (mechanism === undefined || !expected.includes(mechanism)) {
        f.warn(
          from.key,
          `holds ${module} credentials, but ${prefix}sasl.mechanism is ${mechanism ?? 'not set (Kafka and librdkafka then use GSSAPI)'}; set it to ${expected.join(' or ')}`,
        );
      }
      return;
    }
    case 'OAuthBearerLoginModule': {
      translateOAuthBearer(scope, from, options, put, f);
      return;
    }
    case 'Krb5LoginModule': {
      const keyTab = options.get('keyTab');
      const principal = options.get('principal');
      if (keyTab !== undefined) put('sasl.kerberos.keytab', from, keyTab);
      if (principal !== undefined) put('sasl.kerberos.principal', from, principal);
      const service = options.get('serviceName');
      if (service !== undefined && !scope.props.has('sasl.kerberos.service.name') && !scope.inherited?.has('sasl.kerberos.service.name')) put('sasl.kerberos.service.name', from, service);
      return;
    }
    default:
      f.warn(
        from.key,
        `names the login module ${loginModule}, which has no librdkafka equivalent, so strait ignores it: librdkafka logs in with sasl.mechanism plus sasl.username/sasl.password (PLAIN, SCRAM), sasl.kerberos.* (GSSAPI) or sasl.oauthbearer.* (OAUTHBEARER)`,
      );
  }
}

function translateOAuthBearer(
  scope: ClientScope,
  from: Sourced,
  options: Map<string, string>,
  put: (name: string, from: Sourced, value?: string) => void,
  f: Findings,
): void {
  const extensions = [...options].filter(([k]) => k.startsWith('extension_')).map(([k, v]) => `${k.slice('extension_'.length)}=${v}`);
  if (extensions.length > 0) put('sasl.oauthbearer.extensions', from, extensions.join(','));
  const clientId = options.get('clientId');
  const clientSecret = options.get('clientSecret');
  if (clientId !== undefined || clientSecret !== undefined) {
    // The OIDC client credentials flow: librdkafka fetches tokens from the same endpoint.
    put('sasl.oauthbearer.method', from, 'oidc');
    if (clientId !== undefined) put('sasl.oauthbearer.client.id', from, clientId);
    if (clientSecret !== undefined) put('sasl.oauthbearer.client.secret', from, clientSecret);
    const scopeOption = options.get('scope');
    if (scopeOption !== undefined) put('sasl.oauthbearer.scope', from, scopeOption);
    if (!scope.props.has('sasl.oauthbearer.token.endpoint.url') && !scope.inherited?.has('sasl.oauthbearer.token.endpoint.url')) {
      f.error(from.key, 'holds OIDC client credentials, but sasl.oauthbearer.token.endpoint.url is not set: librdkafka needs the URL to fetch tokens from', {
        example: `${prefixOf(from, 'sasl.jaas.config', scope)}sasl.oauthbearer.token.endpoint.url = https://idp.example.com/oauth2/token`,
      });
    }
    return;
  }
  const subject = options.get('unsecuredLoginStringClaim_sub');
  if (subject !== undefined) {
    // Kafka's unsecured (development) tokens.
    put('enable.sasl.oauthbearer.unsecure.jwt', from, 'true');
    put('sasl.oauthbearer.config', from, `principal=${subject}`);
    return;
  }
  f.warn(from.key, 'holds no OAUTHBEARER credentials librdkafka can use (clientId and clientSecret for OIDC, or unsecuredLoginStringClaim_sub), so strait ignores it');
}
