/**
 * What one sandbox broker is: its config object and the files rendered from it
 * (server.properties and a log4j2 configuration). Pure functions, no I/O.
 *
 * Every cluster is a single KRaft node acting as broker and controller, so every replication
 * factor and min.insync.replicas is 1. The PLAINTEXT listener is the inter-broker one and the
 * one the sandbox reports as bootstrap address; extra listeners (e.g. SASL_PLAINTEXT for auth
 * tests) and their JAAS settings come in through `listeners`, `properties` and `jvmOptions`.
 */
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { renderProperties, type PropertyValue } from './properties.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export interface ListenerSpec {
  /** Listener name, e.g. SASL_PLAINTEXT or EXTERNAL: upper-case letters, digits, underscores. */
  name: string;
  port: number;
  protocol: SecurityProtocol;
}

export interface ClusterConfig {
  /** A label for messages and the process list, e.g. "source". */
  name: string;
  /** Interface every listener binds to and advertises. Default 127.0.0.1. */
  host?: string;
  /** The PLAINTEXT client listener. */
  port: number;
  /** The KRaft controller listener. */
  controllerPort: number;
  /** Holds server.properties, log4j2.properties and the pid file. */
  dir: string;
  /** Kafka's log.dirs: topic data and the metadata log. */
  dataDir: string;
  /** server.log and kafka.out (the JVM's own stdout/stderr). */
  logDir: string;
  /** Listeners beyond PLAINTEXT and CONTROLLER. */
  listeners?: readonly ListenerSpec[];
  /** Merged last, so they override the defaults below (e.g. authorizer.class.name, sasl.*). */
  properties?: Readonly<Record<string, PropertyValue>>;
  /** Extra JVM flags, e.g. -Djava.security.auth.login.config=<jaas file>. */
  jvmOptions?: readonly string[];
  /** -Xmx of the broker JVM. Default 512m. */
  heap?: string;
  /**
   * Have the JVM log its garbage collections (every `gc` tag, each line stamped with the time and
   * the JVM's uptime) to gc.log in logDir (see gcLogFile). Default off.
   */
  gcLog?: boolean;
  /**
   * More arguments for `kafka-storage format` at the first start, e.g. `--add-scram` for SCRAM
   * users. They may hold passwords, so they go to the tool in an argument file, not on its
   * command line: no whitespace, quotes, backslashes or `#` (the file's syntax) in them.
   */
  formatArguments?: readonly string[];
}

export const DEFAULT_HOST = '127.0.0.1';
export const STARTED_MESSAGE = 'Kafka Server started';

export function clusterHost(config: ClusterConfig): string {
  return config.host ?? DEFAULT_HOST;
}

export function bootstrapAddress(config: ClusterConfig): string {
  const host = clusterHost(config);
  return `${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

export const serverPropertiesFile = (config: ClusterConfig) => path.join(config.dir, 'server.properties');
export const log4jConfigFile = (config: ClusterConfig) => path.join(config.dir, 'log4j2.properties');
export const pidFile = (config: ClusterConfig) => path.join(config.dir, 'kafka.pid');
export const serverLogFile = (config: ClusterConfig) => path.join(config.logDir, 'server.log');
export const jvmOutFile = (config: ClusterConfig) => path.join(config.logDir, 'kafka.out');
/** The JVM's GC log, with `gcLog` on. The JVM keeps the previous one as gc.log.0 (and so on) at each start and past 20 MB. */
export const gcLogFile = (config: ClusterConfig) => path.join(config.logDir, 'gc.log');

/** The `-Xlog` option that writes the GC log of gcLogFile. */
export function gcLogOption(file: string): string {
  // Quoted, so a colon in the path does not end the file name (the JVM splits -Xlog at colons).
  return `-Xlog:gc*:file="${file}":time,uptime,level,tags`;
}

/** The broker JVM's own flags, beside the heap and Kafka's script flags (kafkaJavaCommand adds those). */
export function brokerJvmOptions(config: ClusterConfig): string[] {
  return [
    // Names the JVM in `ps` output, so a person can tell the two sandbox brokers apart.
    `-Dstrait.sandbox.cluster=${config.name}`,
    ...(config.gcLog ? [gcLogOption(gcLogFile(config))] : []),
    ...(config.jvmOptions ?? []),
  ];
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < 65536;
}

/** Every port the cluster binds, with what it is for. */
export function clusterPorts(config: ClusterConfig): { port: number; role: string }[] {
  return [
    { port: config.port, role: 'client (PLAINTEXT) listener' },
    { port: config.controllerPort, role: 'controller listener' },
    ...(config.listeners ?? []).map((l) => ({ port: l.port, role: `${l.name} listener` })),
  ];
}

/** Throws a SandboxError naming the first inconsistency. */
export function validateClusterConfig(config: ClusterConfig): void {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const { port, role } of clusterPorts(config)) {
    if (!isPort(port)) problems.push(`${role} port ${port} is not a TCP port (1-65535)`);
    const other = seen.get(port);
    if (other) problems.push(`${role} and ${other} both use port ${port}`);
    seen.set(port, role);
  }
  const names = new Set(['PLAINTEXT', 'CONTROLLER']);
  for (const l of config.listeners ?? []) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(l.name)) problems.push(`listener name "${l.name}" must be upper-case letters, digits and underscores`);
    if (names.has(l.name)) problems.push(`listener name "${l.name}" is used twice (PLAINTEXT and CONTROLLER are built in)`);
    names.add(l.name);
  }
  // Never quote the argument: it may hold a password.
  (config.formatArguments ?? []).forEach((a, i) => {
    if (/[\s"'\\#]/.test(a) || a === '') problems.push(`format argument ${i + 1} is empty or has whitespace, a quote, a backslash or #`);
  });
  if (problems.length > 0) throw new SandboxError(`cluster "${config.name}" is misconfigured: ${problems.join('; ')}`);
}

/** The broker's settings, in file order. Extra `properties` replace defaults of the same key. */
export function brokerProperties(config: ClusterConfig): Map<string, PropertyValue> {
  const host = clusterHost(config);
  const extra = config.listeners ?? [];
  const hostPort = (port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const listeners = [`PLAINTEXT://${hostPort(config.port)}`, `CONTROLLER://${hostPort(config.controllerPort)}`, ...extra.map((l) => `${l.name}://${hostPort(l.port)}`)];
  const protocolMap = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...extra.map((l) => `${l.name}:${l.protocol}`)];
  const props = new Map<string, PropertyValue>([
    // One KRaft node that is both broker and controller.
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.bootstrap.servers', hostPort(config.controllerPort)],
    ['listeners', listeners.join(',')],
    ['advertised.listeners', listeners.join(',')],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', protocolMap.join(',')],
    ['log.dirs', config.dataDir],
    // A single node: every internal topic and every default must fit on one replica.
    ['offsets.topic.replication.factor', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    ['default.replication.factor', 1],
    ['min.insync.replicas', 1],
    // Tests and benchmarks create their topics explicitly; a typo must not create a topic.
    ['auto.create.topics.enable', false],
    ['num.partitions', 1],
    // Consumers join at once instead of waiting 3 s for more members.
    ['group.initial.rebalance.delay.ms', 0],
    // Retention tests should not wait 5 minutes for the cleaner to look.
    ['log.retention.check.interval.ms', 10_000],
  ]);
  for (const [k, v] of Object.entries(config.properties ?? {})) props.set(k, v);
  return props;
}

export function renderServerProperties(config: ClusterConfig): string {
  return renderProperties(brokerProperties(config), [
    `Written by strait for the sandbox cluster "${config.name}"; rewritten at every start.`,
    'Change it through the cluster config (extra properties), not here.',
  ]);
}

/**
 * log4j2 for a broker: one File appender, so nothing reaches the terminal of the command or
 * test that started it. Appends, so a restart keeps the previous run's log for diagnosis.
 */
export function renderBrokerLog4j2(config: ClusterConfig): string {
  return renderProperties(
    [
      ['status', 'warn'],
      ['name', `strait-sandbox-${config.name}`],
      ['appender.server.type', 'File'],
      ['appender.server.name', 'SERVER'],
      ['appender.server.fileName', serverLogFile(config)],
      ['appender.server.append', true],
      ['appender.server.layout.type', 'PatternLayout'],
      ['appender.server.layout.pattern', '[%d] %p %m (%c)%n'],
      ['rootLogger.level', 'INFO'],
      ['rootLogger.appenderRef.server.ref', 'SERVER'],
      // The same quiet-downs as Kafka's shipped config: these log every request or state change.
      ['logger.request.name', 'kafka.request.logger'],
      ['logger.request.level', 'WARN'],
      ['logger.network.name', 'kafka.network.RequestChannel$'],
      ['logger.network.level', 'WARN'],
      ['logger.statechange.name', 'state.change.logger'],
      ['logger.statechange.level', 'WARN'],
      ['logger.authorizer.name', 'kafka.authorizer.logger'],
      ['logger.authorizer.level', 'WARN'],
    ],
    [`Written by strait for the sandbox cluster "${config.name}".`],
  );
}
