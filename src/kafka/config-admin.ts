/**
 * Topic configurations and ACLs, through the pure-JavaScript Kafka client: the librdkafka binding
 * strait uses for data has no describeConfigs/incrementalAlterConfigs/ACL calls. A thin promise
 * adapter like admin.ts: the calls the topic config and ACL sync need, each failure wrapped in a
 * KafkaError naming the cluster (and the topic where there is one). No policy lives here.
 *
 * The client is configured from the same librdkafka properties as every other client of the
 * cluster (bootstrap.servers, security.protocol, sasl.*, ssl.*), so a cluster is described once.
 * Secrets are read from those properties and handed to the client only: they never appear in a
 * message, an error or a log line (errors name the offending property, never its value).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl,
  type AclFilter,
  type AclOperationValue,
  type AdminOptions,
  type ConfigSourceValue,
  type IncrementalAlterConfigsOptions,
  type SASLOptions,
} from '@platformatic/kafka';
import { KafkaError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';
import { type Access, explainAuthorization } from './refusals.js';

/** Where a topic config's value comes from (Kafka's ConfigEntry.ConfigSource). */
export type ConfigSourceName = 'topic' | 'dynamic-broker' | 'dynamic-default-broker' | 'static-broker' | 'default' | 'unknown';

export interface TopicConfigEntry {
  name: string;
  /** Null for sensitive values the broker does not reveal. */
  value: string | null;
  source: ConfigSourceName;
  readOnly: boolean;
  sensitive: boolean;
}

export type ConfigChange = { name: string; op: 'set'; value: string } | { name: string; op: 'delete' };

export type AclOperationName =
  | 'ALL'
  | 'READ'
  | 'WRITE'
  | 'CREATE'
  | 'DELETE'
  | 'ALTER'
  | 'DESCRIBE'
  | 'CLUSTER_ACTION'
  | 'DESCRIBE_CONFIGS'
  | 'ALTER_CONFIGS'
  | 'IDEMPOTENT_WRITE'
  | 'CREATE_TOKENS'
  | 'DESCRIBE_TOKENS'
  | 'TWO_PHASE_COMMIT';

/** One ACL binding on a TOPIC resource. */
export interface TopicAcl {
  /** The resource name: a topic name (LITERAL, `*` = every topic) or a name prefix (PREFIXED). */
  topic: string;
  pattern: 'LITERAL' | 'PREFIXED';
  /** e.g. `User:alice`. */
  principal: string;
  /** `*` = any host. */
  host: string;
  operation: AclOperationName;
  permission: 'ALLOW' | 'DENY';
}

const SOURCE_NAMES = new Map<ConfigSourceValue, ConfigSourceName>([
  [ConfigSources.TOPIC_CONFIG, 'topic'],
  [ConfigSources.DYNAMIC_BROKER_CONFIG, 'dynamic-broker'],
  [ConfigSources.DYNAMIC_DEFAULT_BROKER_CONFIG, 'dynamic-default-broker'],
  [ConfigSources.STATIC_BROKER_CONFIG, 'static-broker'],
  [ConfigSources.DEFAULT_CONFIG, 'default'],
]);

const OPERATIONS = new Map<AclOperationValue, AclOperationName>(
  (Object.entries(AclOperations) as [string, AclOperationValue][]).filter(([name]) => name !== 'UNKNOWN' && name !== 'ANY').map(([name, v]) => [v, name as AclOperationName]),
);

const DEFAULT_TIMEOUT_MS = 30_000;
/** Topics per DescribeConfigs request: bounds the request and response size. */
const DESCRIBE_BATCH = 500;

/** A cluster's librdkafka admin properties (as adminConfig() in client-config.ts gives them). */
type Props = Readonly<Record<string, string | number | boolean | undefined>>;

function str(props: Props, key: string): string | undefined {
  const v = props[key];
  return v === undefined || v === '' ? undefined : String(v);
}

/** "host:port", "[::1]:9092", "SASL_SSL://host:9093" (librdkafka's forms) to host and port. */
export function parseBrokerAddress(address: string): { host: string; port: number } {
  const bare = address.trim().replace(/^[A-Za-z_]+:\/\//, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(bare);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : 9092 };
  const i = bare.lastIndexOf(':');
  if (i < 0) return { host: bare, port: 9092 };
  return { host: bare.slice(0, i), port: Number(bare.slice(i + 1)) };
}

/**
 * The pure-JS client's options from a cluster's librdkafka admin properties. Supports
 * PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL with SASL PLAIN or SCRAM-SHA-256/512 and PEM (or
 * PKCS#12) TLS material; anything else is refused up front with the property's name, so a sync
 * never runs with weaker settings than the user asked for. Throws a KafkaError naming `cluster`.
 */
export function configAdminOptions(cluster: string, props: Props, readFile: (path: string) => Buffer = readFileSync): AdminOptions {
  const refuse = (message: string) => new KafkaError('CONFIG_ADMIN_UNSUPPORTED', `topic config/ACL client: ${message}`, { cluster }, false);
  const bootstrap = str(props, 'bootstrap.servers') ?? str(props, 'metadata.broker.list');
  if (bootstrap === undefined) throw refuse('bootstrap.servers is not set');
  const brokers = bootstrap
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(parseBrokerAddress);
  for (const b of brokers) if (!Number.isInteger(b.port) || b.port <= 0 || b.port > 65535) throw refuse(`bootstrap.servers has an address without a valid port ("${b.host}")`);

  const protocol = (str(props, 'security.protocol') ?? 'plaintext').toLowerCase();
  if (!['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'].includes(protocol)) throw refuse(`security.protocol "${protocol}" is not supported`);
  const options: AdminOptions = {
    clientId: str(props, 'client.id') ?? 'strait-config-sync',
    bootstrapBrokers: brokers,
    timeout: DEFAULT_TIMEOUT_MS,
    requestTimeout: DEFAULT_TIMEOUT_MS,
    connectTimeout: 10_000,
    retries: 2,
    retryDelay: 500,
  };

  if (protocol.startsWith('sasl_')) {
    // librdkafka's name is sasl.mechanisms (sasl.mechanism is its alias); its default is GSSAPI.
    const mechanism = (str(props, 'sasl.mechanisms') ?? str(props, 'sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') {
      throw refuse(`sasl.mechanism "${mechanism}" is not supported (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)`);
    }
    const username = str(props, 'sasl.username');
    const password = str(props, 'sasl.password');
    if (username === undefined || password === undefined) throw refuse(`sasl.username and sasl.password are required for SASL ${mechanism}`);
    const sasl: SASLOptions = { mechanism, username, password };
    options.sasl = sasl;
  }

  if (protocol.endsWith('ssl')) {
    options.tls = tlsOptions(props, readFile, refuse);
    // librdkafka sends the broker's host name as SNI (proxies and some managed services route on
    // it); Node only does when asked. Not for IP addresses, which SNI does not allow.
    if (brokers.every((b) => isIP(b.host) === 0)) options.tlsServerName = true;
  }
  return options;
}

function tlsOptions(props: Props, readFile: (path: string) => Buffer, refuse: (m: string) => KafkaError): TlsOptions {
  const tls: TlsOptions = {};
  const load = (key: string): Buffer => {
    const file = str(props, key)!;
    try {
      return readFile(file);
    } catch (err) {
      throw refuse(`cannot read ${key} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const caLocation = str(props, 'ssl.ca.location');
  // "probe" asks librdkafka to look for the system store; Node uses its own store by default.
  if (caLocation !== undefined && caLocation !== 'probe') tls.ca = load('ssl.ca.location');
  if (str(props, 'ssl.ca.pem') !== undefined) tls.ca = str(props, 'ssl.ca.pem');
  if (str(props, 'ssl.certificate.location') !== undefined) tls.cert = load('ssl.certificate.location');
  if (str(props, 'ssl.certificate.pem') !== undefined) tls.cert = str(props, 'ssl.certificate.pem');
  if (str(props, 'ssl.key.location') !== undefined) tls.key = load('ssl.key.location');
  if (str(props, 'ssl.key.pem') !== undefined) tls.key = str(props, 'ssl.key.pem');
  if (str(props, 'ssl.key.password') !== undefined) tls.passphrase = str(props, 'ssl.key.password');
  if (str(props, 'ssl.keystore.location') !== undefined) {
    tls.pfx = load('ssl.keystore.location');
    const pass = str(props, 'ssl.keystore.password');
    if (pass !== undefined) tls.passphrase = pass;
  }
  if (str(props, 'ssl.engine.location') !== undefined || str(props, 'ssl.providers') !== undefined) throw refuse('OpenSSL engines and providers are not supported');
  if (String(props['enable.ssl.certificate.verification'] ?? 'true').toLowerCase() === 'false') tls.rejectUnauthorized = false;
  // librdkafka checks the broker's host name by default ("https"); "none" turns only that off.
  if (String(props['ssl.endpoint.identification.algorithm'] ?? 'https').toLowerCase() === 'none') tls.checkServerIdentity = () => undefined;
  return tls;
}

interface ProtocolLeaf {
  /** The error itself, kept as the KafkaError's cause. */
  error: unknown;
  text: string;
  apiId?: string;
  canRetry?: boolean;
}

/** The innermost errors of the client's nested MultipleErrors / ResponseError wrappers. */
function leaves(err: unknown, out: ProtocolLeaf[] = [], depth = 0): ProtocolLeaf[] {
  if (depth < 8 && err instanceof AggregateError && err.errors.length > 0) {
    for (const e of err.errors) leaves(e, out, depth + 1);
    return out;
  }
  if (!(err instanceof Error)) {
    out.push({ error: err, text: String(err) });
    return out;
  }
  const e = err as Error & { apiId?: unknown; serverErrorMessage?: unknown; canRetry?: unknown; cause?: unknown };
  const leaf: ProtocolLeaf = { error: err, text: e.message };
  if (typeof e.canRetry === 'boolean') leaf.canRetry = e.canRetry;
  if (typeof e.apiId === 'string') {
    // A broker's answer: its error name, and its own explanation when it sent one.
    leaf.apiId = e.apiId;
    leaf.text = `${e.apiId} (${typeof e.serverErrorMessage === 'string' && e.serverErrorMessage !== '' ? e.serverErrorMessage : e.message})`;
  } else if (e.cause instanceof Error) {
    // A network error's useful part (ECONNREFUSED ...) is its cause.
    leaf.text = `${e.message} (${e.cause.message})`;
  }
  out.push(leaf);
  return out;
}

/** The Kafka error name (e.g. "TOPIC_AUTHORIZATION_FAILED") of a failure, if the broker sent one. */
export function kafkaErrorName(err: unknown): string | undefined {
  return leaves(err).find((l) => l.apiId !== undefined)?.apiId;
}

export class ConfigAdmin {
  private readonly client: Admin;

  constructor(
    readonly cluster: string,
    private readonly properties: Props,
  ) {
    this.client = new Admin(configAdminOptions(cluster, properties));
  }

  /** `needed`: the permissions the call needs, so that a refusal says which ACL is missing. */
  private fail(err: unknown, what: string, needed: readonly Access[], topic?: string): KafkaError {
    const ls = leaves(err);
    const named = ls.find((l) => l.apiId !== undefined);
    // KAFKA_CLIENT = no answer from the cluster (network, timeout, authentication); otherwise
    // KAFKA_<Kafka error name>, e.g. KAFKA_TOPIC_AUTHORIZATION_FAILED.
    const code = named?.apiId ? `KAFKA_${named.apiId}` : 'KAFKA_CLIENT';
    const retriable = ls.length > 0 && ls.every((l) => l.canRetry !== false) && named?.apiId !== 'SECURITY_DISABLED';
    const refused = explainAuthorization(named?.apiId, needed, this.cluster, this.properties);
    const text = [...new Set(ls.map((l) => l.text))].join('; ') + (refused === undefined ? '' : `: ${refused}`);
    const ctx = topic === undefined ? { cluster: this.cluster } : { cluster: this.cluster, topic };
    // The innermost error as the cause: its message is already in ours, so nothing is said twice.
    return new KafkaError(code, `${what} failed: ${text}`, ctx, retriable, { cause: ls[0]?.error ?? err });
  }

  /**
   * Every config of each topic, with where its value comes from. One request per 500 topics; a
   * failure (e.g. one topic deleted meanwhile) fails its whole batch, so callers that want
   * per-topic errors ask again topic by topic.
   */
  async describeTopicConfigs(topics: string[]): Promise<Map<string, TopicConfigEntry[]>> {
    const out = new Map<string, TopicConfigEntry[]>();
    for (let i = 0; i < topics.length; i += DESCRIBE_BATCH) {
      const batch = topics.slice(i, i + DESCRIBE_BATCH);
      let result;
      try {
        result = await this.client.describeConfigs({ resources: batch.map((t) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: t })) });
      } catch (err) {
        throw this.fail(
          err,
          batch.length === 1 ? 'describing the topic configs' : `describing the configs of ${batch.length} topics`,
          [{ operation: 'DescribeConfigs', resource: 'topic', names: batch }],
          batch.length === 1 ? batch[0] : undefined,
        );
      }
      for (const r of result) {
        out.set(
          r.resourceName,
          r.configs.map((c) => ({
            name: c.name,
            value: c.value ?? null,
            source: SOURCE_NAMES.get(c.configSource) ?? 'unknown',
            readOnly: c.readOnly,
            sensitive: c.isSensitive,
          })),
        );
      }
    }
    return out;
  }

  /** Applies SET/DELETE operations to one topic's configs (IncrementalAlterConfigs). */
  async incrementalAlterTopicConfigs(topic: string, changes: readonly ConfigChange[]): Promise<void> {
    if (changes.length === 0) return;
    const configs: IncrementalAlterConfigsOptions['resources'][number]['configs'] = changes.map((c) =>
      c.op === 'set'
        ? { name: c.name, configOperation: IncrementalAlterConfigOperationTypes.SET, value: c.value }
        : { name: c.name, configOperation: IncrementalAlterConfigOperationTypes.DELETE },
    );
    try {
      await this.client.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configs }] });
    } catch (err) {
      throw this.fail(err, `altering ${changes.length} topic config(s) (${changes.map((c) => c.name).join(', ')})`, [{ operation: 'AlterConfigs', resource: 'topic', names: [topic] }], topic);
    }
  }

  /**
   * Every ACL binding on TOPIC resources (literal and prefixed). Undefined when the cluster has
   * no authorizer (Kafka answers SECURITY_DISABLED): there is nothing to sync, which is not an error.
   */
  async describeTopicAcls(): Promise<TopicAcl[] | undefined> {
    const filter: AclFilter = {
      resourceType: ResourceTypes.TOPIC,
      resourceName: null,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal: null,
      host: null,
      operation: AclOperations.ANY,
      permissionType: AclPermissionTypes.ANY,
    };
    let resources;
    try {
      resources = await this.client.describeAcls({ filter });
    } catch (err) {
      if (kafkaErrorName(err) === 'SECURITY_DISABLED') return undefined;
      throw this.fail(err, 'describing topic ACLs', [{ operation: 'Describe', resource: 'cluster' }]);
    }
    const out: TopicAcl[] = [];
    for (const r of resources) {
      const pattern = r.resourcePatternType === ResourcePatternTypes.LITERAL ? 'LITERAL' : r.resourcePatternType === ResourcePatternTypes.PREFIXED ? 'PREFIXED' : undefined;
      if (r.resourceType !== ResourceTypes.TOPIC || pattern === undefined) continue;
      for (const a of r.acls) {
        const operation = OPERATIONS.get(a.operation);
        const permission = a.permissionType === AclPermissionTypes.ALLOW ? 'ALLOW' : a.permissionType === AclPermissionTypes.DENY ? 'DENY' : undefined;
        if (operation === undefined || permission === undefined) continue;
        out.push({ topic: r.resourceName, pattern, principal: a.principal, host: a.host, operation, permission });
      }
    }
    return out;
  }

  /** Creates the bindings; creating one that exists already is not an error (Kafka's own rule). */
  async createAcls(acls: readonly TopicAcl[]): Promise<void> {
    if (acls.length === 0) return;
    try {
      await this.client.createAcls({ creations: acls.map(toAcl) });
    } catch (err) {
      throw this.fail(err, `creating ${acls.length} ACL binding(s)`, [{ operation: 'Alter', resource: 'cluster' }], singleTopic(acls));
    }
  }

  /** Deletes exactly these bindings (one exact filter each); resolves the number deleted. */
  async deleteAcls(acls: readonly TopicAcl[]): Promise<number> {
    if (acls.length === 0) return 0;
    try {
      const deleted = await this.client.deleteAcls({ filters: acls.map(toAcl) });
      return deleted.length;
    } catch (err) {
      throw this.fail(err, `deleting ${acls.length} ACL binding(s)`, [{ operation: 'Alter', resource: 'cluster' }], singleTopic(acls));
    }
  }

  /**
   * Bytes each partition takes in the brokers' log directories (DescribeLogDirs), keyed by
   * partitionKey(), summed over the replicas' directories of one broker only: the leader's
   * copy is what a consumer reads, and a replica elsewhere holds the same bytes. `strait plan`
   * compares two readings with the record bytes appended meanwhile to measure the source
   * batches' compression as it is on disk and on the wire. `brokers` counts the brokers that
   * answered (the connections a consumer of these partitions keeps).
   */
  async partitionLogSizes(partitions: readonly { topic: string; partition: number }[]): Promise<{ sizes: Map<string, number>; brokers: number }> {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    let brokers;
    try {
      brokers = await this.client.describeLogDirs({ topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })) });
    } catch (err) {
      throw this.fail(err, `describing the log directories of ${partitions.length} partition(s)`, [{ operation: 'Describe', resource: 'cluster' }]);
    }
    const out = new Map<string, number>();
    const seen = new Map<string, number>();
    for (const b of brokers) {
      for (const dir of b.results) {
        for (const t of dir.topics) {
          for (const p of t.partitions) {
            if (p.isFutureKey) continue;
            const key = partitionKey(t.name, p.partitionIndex);
            // The first broker to report a partition speaks for it (see above).
            const owner = seen.get(key);
            if (owner !== undefined && owner !== b.broker) continue;
            seen.set(key, b.broker);
            out.set(key, (out.get(key) ?? 0) + Number(p.partitionSize));
          }
        }
      }
    }
    return { sizes: out, brokers: brokers.length };
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}

function singleTopic(acls: readonly TopicAcl[]): string | undefined {
  const names = new Set(acls.map((a) => a.topic));
  return names.size === 1 ? acls[0].topic : undefined;
}

function toAcl(a: TopicAcl): Acl {
  return {
    resourceType: ResourceTypes.TOPIC,
    resourceName: a.topic,
    resourcePatternType: a.pattern === 'LITERAL' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    principal: a.principal,
    host: a.host,
    operation: AclOperations[a.operation],
    permissionType: a.permission === 'ALLOW' ? AclPermissionTypes.ALLOW : AclPermissionTypes.DENY,
  };
}
