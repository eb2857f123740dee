/**
 * The Kafka distribution strait runs: one pinned version, its jars resolved from Maven Central
 * into a per-machine cache (there is no tarball download; see the jar list in renderPom), plus
 * the helpers to launch a Kafka Java class from it.
 *
 * Cache layout (`<cache>` is cacheRoot()):
 *   <cache>/kafka-4.2.1/pom.xml                  the dependency list given to Maven
 *   <cache>/kafka-4.2.1/lib/*.jar                the class path
 *   <cache>/kafka-4.2.1/.complete                written last; without it the fetch is redone
 *   <cache>/kafka-4.2.1/mvn.log                  Maven's output of the last fetch
 *   <cache>/kafka-4.2.1/tools-log4j2.properties  quiet logging for command-line tools
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { log } from '../util/log.js';
import { exec, isNotFound, javaErrorLines, lastLines, type ExecResult } from './exec.js';
import { checkJava, checkMaven } from './java.js';
import { withLock } from './lock.js';
import { cacheRoot, displayPath } from './paths.js';
import { formatBytes, formatSeconds, silentProgress, type Progress } from './progress.js';
import { renderProperties } from './properties.js';

/** The one Kafka version the whole project runs and measures against. */
export const KAFKA_VERSION = '4.2.1';
const SCALA_BINARY_VERSION = '2.13';
// Kafka publishes no logging backend. It logs through SLF4J 1.x, so the backend must be log4j2's
// SLF4J 1.x binding; slf4j 2.x, logback or reload4j on the class path make Kafka log nothing.
const SLF4J_VERSION = '1.7.36';
const LOG4J_VERSION = '2.25.3';
// Pinned because Maven 3.8's default for this plugin (2.8) predates today's options.
const DEPENDENCY_PLUGIN_VERSION = '3.8.1';
/**
 * connect-mirror-client 4.2.1 is not on Maven Central (its pom and jar answer 404, and its
 * maven-metadata.xml lists 4.2.0 then 4.3.0), although connect-mirror 4.2.1 depends on it; so
 * Maven cannot resolve MirrorMaker 4.2.1 as published. We take 4.2.0 of that one artifact. It
 * holds only the classes MM2 shares with clients (replication policies, Checkpoint, Heartbeat,
 * MirrorClientConfig); every method and field connect-mirror 4.2.1 calls in it exists in 4.2.0
 * with the same signature (checked with javap), and 4.2.0 to 4.3.1 only added methods. Being a
 * direct dependency, it wins over connect-mirror's transitive 4.2.1 (Maven: nearest wins).
 * Drop this when Central has the 4.2.1 artifact.
 */
export const MIRROR_CLIENT_VERSION = '4.2.0';

export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
}

export const KAFKA_ARTIFACTS: readonly MavenArtifact[] = [
  // The broker (server, raft, metadata, storage, coordinators) and kafka.tools.StorageTool.
  { groupId: 'org.apache.kafka', artifactId: `kafka_${SCALA_BINARY_VERSION}`, version: KAFKA_VERSION },
  // TopicCommand, ProducerPerformance, ConsumerPerformance: not brought by the broker.
  { groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version: KAFKA_VERSION },
  // MirrorMaker 2 (dedicated mode), the peer strait is measured against; brings connect-runtime.
  { groupId: 'org.apache.kafka', artifactId: 'connect-mirror', version: KAFKA_VERSION },
  { groupId: 'org.apache.kafka', artifactId: 'connect-mirror-client', version: MIRROR_CLIENT_VERSION },
  { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: SLF4J_VERSION },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-api', version: LOG4J_VERSION },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: LOG4J_VERSION },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: LOG4J_VERSION },
];

/** Kept off the class path: it carries its own log4j2 configuration, which would win over ours. */
export const EXCLUDED_ARTIFACTS: readonly string[] = ['org.apache.kafka:kafka-test-common-runtime'];

/** The JVM flags of Kafka's bin/kafka-run-class.sh (KAFKA_JVM_PERFORMANCE_OPTS). */
export const KAFKA_JVM_PERFORMANCE_OPTS: readonly string[] = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

export function renderPom(): string {
  const exclusions = EXCLUDED_ARTIFACTS.map((ga) => {
    const [g, a] = ga.split(':');
    return `          <exclusion><groupId>${g}</groupId><artifactId>${a}</artifactId></exclusion>`;
  }).join('\n');
  const deps = KAFKA_ARTIFACTS.map((d) =>
    [
      '    <dependency>',
      `      <groupId>${d.groupId}</groupId>`,
      `      <artifactId>${d.artifactId}</artifactId>`,
      `      <version>${d.version}</version>`,
      ...(d.groupId === 'org.apache.kafka' ? ['      <exclusions>', exclusions, '      </exclusions>'] : []),
      '    </dependency>',
    ].join('\n'),
  ).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by strait: the jars of Apache Kafka ${KAFKA_VERSION} for its local sandbox. Safe to delete with this folder. -->
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strait.sandbox</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

/** Quiet logging for one-shot tools: warnings and errors to stderr, nothing on stdout. */
export function renderToolsLog4j2(): string {
  return renderProperties(
    [
      ['status', 'warn'],
      ['name', 'strait-kafka-tools'],
      ['appender.stderr.type', 'Console'],
      ['appender.stderr.name', 'STDERR'],
      ['appender.stderr.target', 'SYSTEM_ERR'],
      ['appender.stderr.layout.type', 'PatternLayout'],
      ['appender.stderr.layout.pattern', '[%d] %p %m (%c)%n'],
      ['rootLogger.level', 'WARN'],
      ['rootLogger.appenderRef.stderr.ref', 'STDERR'],
    ],
    ['Written by strait: logging for Kafka command-line tools.'],
  );
}

export interface KafkaDist {
  version: string;
  /** The cache folder of this version. */
  home: string;
  libDir: string;
  /** A single class path entry, `<lib>/*`, passed as one argument (no shell, so no quoting). */
  classpath: string;
  /** The java executable, already checked to be 17+. */
  java: string;
  toolsLog4jConfig: string;
}

interface Stamp {
  kafkaVersion: string;
  pomSha256: string;
  jars: number;
  bytes: number;
  fetchedAt: string;
}

export function kafkaDistHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), `kafka-${KAFKA_VERSION}`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The stamp, if it records a finished fetch of exactly today's dependency list. */
async function readStamp(home: string, pom: string): Promise<Stamp | undefined> {
  try {
    const stamp = JSON.parse(await readFile(path.join(home, '.complete'), 'utf8')) as Partial<Stamp>;
    if (stamp.kafkaVersion !== KAFKA_VERSION || stamp.pomSha256 !== sha256(pom)) return undefined;
    await stat(path.join(home, 'lib'));
    return stamp as Stamp;
  } catch {
    return undefined;
  }
}

/** Parses Maven's `Downloaded from central: <url> (1.2 MB at 3.4 MB/s)` lines. */
export function parseMavenDownload(line: string): { url: string; bytes: number } | undefined {
  const m = /^(?:\[INFO\] )?Downloaded from [^:]+: (\S+) \((\d+(?:\.\d+)?) (B|kB|KB|MB|GB)/.exec(line);
  if (!m) return undefined;
  const scale: Record<string, number> = { B: 1, kB: 1024, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  return { url: m[1], bytes: Math.round(Number(m[2]) * scale[m[3]]) };
}

async function listJars(dir: string): Promise<{ jars: number; bytes: number }> {
  let jars = 0;
  let bytes = 0;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.jar')) continue;
    jars++;
    bytes += (await stat(path.join(dir, name))).size;
  }
  return { jars, bytes };
}

async function writeIfChanged(file: string, content: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== content) await writeFile(file, content);
}

export interface EnsureDistOptions {
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
}

// One check per process and cache folder: `java -version` and the stamp read are not free.
const ensured = new Map<string, Promise<KafkaDist>>();

/**
 * The Kafka jars, fetched with Maven on first use and a quick no-op afterwards. Also checks the
 * Java runtime. Safe to call from several processes at once (a lock file serialises fetches).
 */
export function ensureKafkaDist(options: EnsureDistOptions = {}): Promise<KafkaDist> {
  const env = options.env ?? process.env;
  const home = kafkaDistHome(env);
  let pending = ensured.get(home);
  if (!pending) {
    pending = resolveDist(home, env, options.progress ?? silentProgress);
    ensured.set(home, pending);
    // A failed attempt must not poison later ones (the user may install Maven and retry).
    pending.catch(() => ensured.delete(home));
  }
  return pending;
}

async function resolveDist(home: string, env: NodeJS.ProcessEnv, progress: Progress): Promise<KafkaDist> {
  const java = await checkJava(env);
  const pom = renderPom();
  const libDir = path.join(home, 'lib');
  if (!(await readStamp(home, pom))) {
    await withLock(
      path.join(home, '.lock'),
      {
        timeoutMs: 20 * 60_000,
        what: `the Kafka jar cache ${displayPath(home)}`,
        onWait: (pid) => progress.info(`waiting for another strait process${pid ? ` (pid ${pid})` : ''} fetching the Kafka jars…`),
      },
      async () => {
        // Re-check under the lock: the process we waited for may have finished the job.
        if (!(await readStamp(home, pom))) await fetchJars(home, pom, env, progress);
      },
    );
  }
  const toolsLog4jConfig = path.join(home, 'tools-log4j2.properties');
  await writeIfChanged(toolsLog4jConfig, renderToolsLog4j2());
  return { version: KAFKA_VERSION, home, libDir, classpath: path.join(libDir, '*'), java: java.command, toolsLog4jConfig };
}

async function fetchJars(home: string, pom: string, env: NodeJS.ProcessEnv, progress: Progress): Promise<void> {
  await checkMaven(env);
  await mkdir(home, { recursive: true });
  const libDir = path.join(home, 'lib');
  // Jars go to a scratch folder that replaces lib/ only when Maven succeeded, so an interrupted
  // fetch never leaves a half-filled lib/ (and the missing stamp makes the next run redo it).
  const partial = path.join(home, `lib.partial-${process.pid}`);
  for (const name of await readdir(home)) {
    if (name.startsWith('lib.partial-')) await rm(path.join(home, name), { recursive: true, force: true });
  }
  await rm(path.join(home, '.complete'), { force: true });
  const pomFile = path.join(home, 'pom.xml');
  await writeFile(pomFile, pom);
  const mvnLog = path.join(home, 'mvn.log');
  const logStream = createWriteStream(mvnLog);

  const headline = `fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central…`;
  progress.info(headline);
  let files = 0;
  let bytes = 0;
  const started = Date.now();
  const args = [
    '-B',
    '-f',
    pomFile,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${partial}`,
    `-DexcludeArtifactIds=${EXCLUDED_ARTIFACTS.map((ga) => ga.split(':')[1]).join(',')}`,
  ];
  log.debug({ cmd: ['mvn', ...args] }, 'fetching Kafka jars');
  let result: ExecResult;
  try {
    result = await exec('mvn', args, {
      env,
      cwd: home,
      onLine: (line) => {
        logStream.write(`${line}\n`);
        const d = parseMavenDownload(line);
        if (!d) return;
        files++;
        bytes += d.bytes;
        progress.update(`${headline} ${files} files, ${formatBytes(bytes)}`);
      },
    });
  } catch (err) {
    if (isNotFound(err)) throw new SandboxError('mvn not found: install Apache Maven 3.6.3+ (Debian: apt-get install maven)', undefined, { cause: err });
    throw err;
  } finally {
    await new Promise<void>((resolve) => logStream.end(resolve));
  }
  if (result.code !== 0) {
    await rm(partial, { recursive: true, force: true });
    const errors = result.stdout
      .split(/\r?\n/)
      .filter((l) => l.startsWith('[ERROR]'))
      .slice(0, 8)
      .join('\n');
    throw new SandboxError(
      `Maven could not fetch the Apache Kafka ${KAFKA_VERSION} jars (exit ${result.code ?? result.signal}). ` +
        `Check that Maven Central is reachable (proxies and mirrors go in ~/.m2/settings.xml), then run again:\n` +
        (errors || lastLines(result.stdout + result.stderr, 8)),
      mvnLog,
    );
  }
  await rm(libDir, { recursive: true, force: true });
  await rename(partial, libDir);
  const listed = await listJars(libDir);
  const stamp: Stamp = { kafkaVersion: KAFKA_VERSION, pomSha256: sha256(pom), ...listed, fetchedAt: new Date().toISOString() };
  await writeFile(path.join(home, '.complete'), `${JSON.stringify(stamp, null, 2)}\n`);
  progress.info(
    `fetched ${listed.jars} jars (${formatBytes(listed.bytes)}) into ${displayPath(libDir)} in ${formatSeconds(Date.now() - started)}` +
      (files > 0 ? ` (downloaded ${files} files, ${formatBytes(bytes)})` : ''),
  );
}

export interface JavaLaunchOptions {
  mainClass: string;
  args?: readonly string[];
  /** -Xmx, e.g. '512m'. */
  heap?: string;
  /** A log4j2 configuration file (properties, yaml or xml). */
  log4jConfig?: string;
  /** Sets -Dkafka.logs.dir, which Kafka's own log4j configurations refer to. */
  logsDir?: string;
  /** More JVM flags, e.g. -Djava.security.auth.login.config=<jaas file>. */
  jvmOptions?: readonly string[];
}

export interface JavaLaunch {
  command: string;
  args: string[];
}

/**
 * The command line for a Kafka main class with the flags of Kafka's scripts, e.g. for
 * MirrorMaker 2: `kafkaJavaCommand(dist, { mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker',
 * args: [mm2Properties], heap: '1g', log4jConfig, logsDir })`.
 */
export function kafkaJavaCommand(dist: KafkaDist, options: JavaLaunchOptions): JavaLaunch {
  const args = [
    ...(options.heap ? [`-Xmx${options.heap}`] : []),
    ...KAFKA_JVM_PERFORMANCE_OPTS,
    ...(options.log4jConfig ? [`-Dlog4j2.configurationFile=${options.log4jConfig}`] : []),
    ...(options.logsDir ? [`-Dkafka.logs.dir=${options.logsDir}`] : []),
    ...(options.jvmOptions ?? []),
    '-cp',
    dist.classpath,
    options.mainClass,
    ...(options.args ?? []),
  ];
  return { command: dist.java, args };
}

export interface KafkaToolOptions {
  dist?: KafkaDist;
  env?: NodeJS.ProcessEnv;
  /** Default 120 s; the tool is killed after that. */
  timeoutMs?: number;
  /** Default 256m, as Kafka's scripts give tools. */
  heap?: string;
  jvmOptions?: readonly string[];
  /** Throw a SandboxError unless the tool exits 0. */
  check?: boolean;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  progress?: Progress;
}

export type KafkaToolResult = ExecResult;

/** Short class name for messages: org.apache.kafka.tools.TopicCommand -> TopicCommand. */
function shortName(mainClass: string): string {
  return mainClass.slice(mainClass.lastIndexOf('.') + 1);
}

/**
 * Runs a Kafka command-line class (org.apache.kafka.tools.TopicCommand, ProducerPerformance,
 * ConsumerPerformance, kafka.tools.StorageTool…) to completion and returns its output.
 */
export async function runKafkaTool(mainClass: string, args: readonly string[], options: KafkaToolOptions = {}): Promise<KafkaToolResult> {
  const env = options.env ?? process.env;
  const dist = options.dist ?? (await ensureKafkaDist({ env, ...(options.progress ? { progress: options.progress } : {}) }));
  const launch = kafkaJavaCommand(dist, {
    mainClass,
    args,
    heap: options.heap ?? '256m',
    log4jConfig: dist.toolsLog4jConfig,
    ...(options.jvmOptions ? { jvmOptions: options.jvmOptions } : {}),
  });
  log.debug({ cmd: [launch.command, ...launch.args] }, 'running Kafka tool');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const result = await exec(launch.command, launch.args, { env, timeoutMs, ...(options.onLine ? { onLine: options.onLine } : {}) });
  if (options.check && (result.code !== 0 || result.timedOut)) {
    const what = result.timedOut ? `did not finish within ${formatSeconds(timeoutMs)}` : `failed (exit ${result.code ?? result.signal})`;
    throw new SandboxError(`${shortName(mainClass)} ${args.join(' ')} ${what}:\n${javaErrorLines(`${result.stdout}\n${result.stderr}`, 12)}`);
  }
  return result;
}
