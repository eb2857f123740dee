/**
 * One sandbox cluster: a single-node KRaft Kafka (broker and controller in one JVM) on loopback.
 *
 * The JVM is started detached with its output in files, so `strait sandbox up` can exit and
 * leave it running; a pid file lets any later process find, stop or kill it. A pid file is
 * trusted only while its process is alive AND is `kafka.Kafka` with this cluster's
 * server.properties, so a stale file (crash, reboot, reused pid) is simply ignored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { log } from '../util/log.js';
import {
  bootstrapAddress,
  brokerJvmOptions,
  clusterHost,
  clusterPorts,
  gcLogFile,
  jvmOutFile,
  log4jConfigFile,
  pidFile,
  renderBrokerLog4j2,
  renderServerProperties,
  serverLogFile,
  serverPropertiesFile,
  STARTED_MESSAGE,
  validateClusterConfig,
  type ClusterConfig,
} from './broker-config.js';
import { javaErrorLines, lastLines } from './exec.js';
import { ensureKafkaDist, kafkaJavaCommand, runKafkaTool, type KafkaDist } from './kafka-dist.js';
import { commandLine, isAlive, portBindError, probePort, sleep, tailFile, waitForExit } from './processes.js';
import { formatSeconds, silentProgress, type Progress } from './progress.js';

export const DEFAULT_START_TIMEOUT_MS = 90_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
const KILL_WAIT_MS = 10_000;
const KAFKA_MAIN_CLASS = 'kafka.Kafka';
const STORAGE_TOOL = 'kafka.tools.StorageTool';

export type ClusterRunState = 'running' | 'stopped';

export interface ClusterStatus {
  name: string;
  state: ClusterRunState;
  pid?: number;
  host: string;
  port: number;
  controllerPort: number;
  /** host:port of the PLAINTEXT listener. */
  bootstrap: string;
  /** The client port accepted a TCP connection just now. */
  listening: boolean;
  logFile: string;
}

export interface StartOptions {
  /** Skips the jar check when the caller already has it. */
  dist?: KafkaDist;
  /** Until "Kafka Server started" and the port answers. Default 90 s. */
  timeoutMs?: number;
  progress?: Progress;
  env?: NodeJS.ProcessEnv;
}

export interface StopOptions {
  /** How long SIGTERM (a controlled shutdown) gets before SIGKILL. Default 30 s. */
  timeoutMs?: number;
}

export interface RestartOptions extends StartOptions {
  /** StopOptions.timeoutMs for the stop half. */
  stopTimeoutMs?: number;
}

/** A port of the cluster is held by something else; the sandbox adds how to pick other ports. */
export class PortInUseError extends SandboxError {
  readonly port: number;
  readonly role: string;
  constructor(message: string, port: number, role: string) {
    super(message);
    this.port = port;
    this.role = role;
  }
}

/**
 * Finds a line in a growing log, reading only what was appended since the last look. Starts at
 * the size the file had before the JVM started, so a restart ignores the previous run's line.
 */
class LogWatch {
  private position: number;
  private carry = '';
  constructor(
    private readonly file: string,
    start: number,
    private readonly needle: string,
  ) {
    this.position = start;
  }

  async found(): Promise<boolean> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch {
      return false; // not created yet
    }
    try {
      const { size } = await handle.stat();
      if (size < this.position) this.position = 0; // the file was replaced
      if (size === this.position) return false;
      const buf = Buffer.alloc(size - this.position);
      await handle.read(buf, 0, buf.length, this.position);
      this.position = size;
      const text = this.carry + buf.toString('utf8');
      if (text.includes(this.needle)) return true;
      // Keep a tail so a needle split across two reads is still seen.
      this.carry = text.slice(-this.needle.length);
      return false;
    } finally {
      await handle.close();
    }
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export class KafkaCluster {
  readonly config: ClusterConfig;

  constructor(config: ClusterConfig) {
    validateClusterConfig(config);
    this.config = config;
  }

  get name(): string {
    return this.config.name;
  }

  get bootstrap(): string {
    return bootstrapAddress(this.config);
  }

  get logFile(): string {
    return serverLogFile(this.config);
  }

  /** Where the JVM writes its GC log when the config asks for one (`gcLog`). */
  get gcLogFile(): string {
    return gcLogFile(this.config);
  }

  /** The pid of this cluster's running broker, or undefined (a stale pid file counts as none). */
  async pid(): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(pidFile(this.config), 'utf8');
    } catch {
      return undefined;
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    const cmd = await commandLine(pid);
    // Both checks: a reused pid would be another program, and another sandbox's broker has
    // another server.properties.
    if (!cmd || !cmd.includes(KAFKA_MAIN_CLASS) || !cmd.includes(serverPropertiesFile(this.config))) return undefined;
    return pid;
  }

  async status(): Promise<ClusterStatus> {
    const pid = await this.pid();
    const host = clusterHost(this.config);
    return {
      name: this.name,
      state: pid === undefined ? 'stopped' : 'running',
      ...(pid === undefined ? {} : { pid }),
      host,
      port: this.config.port,
      controllerPort: this.config.controllerPort,
      bootstrap: this.bootstrap,
      listening: pid === undefined ? false : await probePort(host, this.config.port, 500),
      logFile: this.logFile,
    };
  }

  /** Has the data dir been formatted (so a start keeps its data)? */
  async isFormatted(): Promise<boolean> {
    try {
      await stat(path.join(this.config.dataDir, 'meta.properties'));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Starts the broker and waits until it serves. Already running: waits until it listens and
   * returns. First start: formats the data dir with a fresh cluster id.
   */
  async start(options: StartOptions = {}): Promise<ClusterStatus> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const progress = options.progress ?? silentProgress;
    const running = await this.pid();
    if (running !== undefined) {
      await this.waitListening(running, deadline, timeoutMs);
      return this.status();
    }
    await rm(pidFile(this.config), { force: true });
    await this.checkPortsFree();
    const dist = options.dist ?? (await ensureKafkaDist({ progress, ...(options.env ? { env: options.env } : {}) }));
    const { config } = this;
    await mkdir(config.dir, { recursive: true });
    await mkdir(config.dataDir, { recursive: true });
    await mkdir(config.logDir, { recursive: true });
    // Rewritten every start so changed extra properties apply on the next restart.
    await writeFile(serverPropertiesFile(config), renderServerProperties(config));
    await writeFile(log4jConfigFile(config), renderBrokerLog4j2(config));
    if (!(await this.isFormatted())) await this.format(dist, options.env);

    const launch = kafkaJavaCommand(dist, {
      mainClass: KAFKA_MAIN_CLASS,
      args: [serverPropertiesFile(config)],
      heap: config.heap ?? '512m',
      log4jConfig: log4jConfigFile(config),
      logsDir: config.logDir,
      jvmOptions: brokerJvmOptions(config),
    });
    const logStart = await fileSize(this.logFile);
    const out = await open(jvmOutFile(config), 'a');
    let child: ChildProcess;
    try {
      log.debug({ cluster: config.name, cmd: [launch.command, ...launch.args] }, 'starting broker');
      // detached + file descriptors (not pipes): the broker must outlive this process and must
      // not die of SIGPIPE or a Ctrl-C meant for the command that started it.
      child = spawn(launch.command, launch.args, {
        detached: true,
        stdio: ['ignore', out.fd, out.fd],
        cwd: config.dir,
        ...(options.env ? { env: options.env } : {}),
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      throw new SandboxError(`could not start the JVM for cluster "${config.name}" (${launch.command}): ${String(err)}`, this.logFile, { cause: err });
    } finally {
      await out.close();
    }
    child.unref();
    const pid = child.pid!;
    await writeFile(pidFile(config), `${pid}\n`);
    await this.waitStarted(child, pid, logStart, deadline, timeoutMs);
    return this.status();
  }

  /** SIGTERM, then SIGKILL after the timeout. False when it was not running. */
  async stop(options: StopOptions = {}): Promise<boolean> {
    const pid = await this.pid();
    if (pid === undefined) {
      await rm(pidFile(this.config), { force: true });
      return false;
    }
    await this.terminate(pid, options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    await rm(pidFile(this.config), { force: true });
    return true;
  }

  /** Stop, then start on the same data (no reformat). */
  async restart(options: RestartOptions = {}): Promise<ClusterStatus> {
    await this.stop(options.stopTimeoutMs === undefined ? {} : { timeoutMs: options.stopTimeoutMs });
    return this.start(options);
  }

  /**
   * SIGKILL, as a crash would: no controlled shutdown, and the pid file stays behind (stale) as
   * it would after a real crash. False when it was not running.
   */
  async kill(): Promise<boolean> {
    const pid = await this.pid();
    if (pid === undefined) return false;
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, KILL_WAIT_MS))) {
      throw new SandboxError(`cluster "${this.name}" (pid ${pid}) is still alive ${formatSeconds(KILL_WAIT_MS)} after SIGKILL`);
    }
    return true;
  }

  private async terminate(pid: number, timeoutMs: number): Promise<void> {
    signal(pid, 'SIGTERM');
    if (await waitForExit(pid, timeoutMs)) return;
    log.warn({ cluster: this.name, pid }, `broker did not stop within ${formatSeconds(timeoutMs)} of SIGTERM; sending SIGKILL`);
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, KILL_WAIT_MS))) {
      throw new SandboxError(`cluster "${this.name}" (pid ${pid}) is still alive after SIGKILL`, this.logFile);
    }
  }

  /** Throws PortInUseError if any port of the cluster cannot be bound now. */
  async checkPortsFree(): Promise<void> {
    const host = clusterHost(this.config);
    for (const { port, role } of clusterPorts(this.config)) {
      const code = await portBindError(host, port);
      if (code === undefined) continue;
      const why = code === 'EADDRINUSE' ? 'is already in use by another process' : `cannot be bound (${code})`;
      throw new PortInUseError(`cannot start cluster "${this.name}": port ${port} on ${host} (its ${role}) ${why}`, port, role);
    }
  }

  private async format(dist: KafkaDist, env: NodeJS.ProcessEnv | undefined): Promise<void> {
    const toolOptions = { dist, check: true, timeoutMs: 60_000, ...(env ? { env } : {}) };
    const uuid = await runKafkaTool(STORAGE_TOOL, ['random-uuid'], toolOptions);
    const clusterId = lastLines(uuid.stdout, 1).trim();
    if (!/^[A-Za-z0-9_-]{22}$/.test(clusterId)) {
      throw new SandboxError(`StorageTool random-uuid printed no cluster id for "${this.name}" (got ${JSON.stringify(uuid.stdout.trim())})`);
    }
    // --standalone: this node is the whole controller quorum (a dynamic quorum of one voter).
    const args = ['format', '--standalone', '-t', clusterId, '-c', serverPropertiesFile(this.config)];
    const extra = this.config.formatArguments ?? [];
    // The java launcher expands `@file` anywhere on its command line, the main class's arguments
    // included, so passwords in the extra arguments are read from a file only we can read.
    const argFile = path.join(this.config.dir, 'format.args');
    if (extra.length > 0) {
      await rm(argFile, { force: true });
      await writeFile(argFile, `${extra.join('\n')}\n`, { mode: 0o600 });
      args.push(`@${argFile}`);
    }
    try {
      await runKafkaTool(STORAGE_TOOL, args, toolOptions);
    } catch (err) {
      // Formatting is where Kafka first reads server.properties, so bad extra properties land here.
      throw new SandboxError(
        `cannot format the data dir ${this.config.dataDir} of cluster "${this.name}" (check the extra properties in ${serverPropertiesFile(this.config)}): ${
          err instanceof Error ? err.message : String(err)
        }`,
        undefined,
        { cause: err },
      );
    } finally {
      if (extra.length > 0) await rm(argFile, { force: true });
    }
    log.debug({ cluster: this.name, clusterId }, 'formatted storage');
  }

  private async waitStarted(child: ChildProcess, pid: number, logStart: number, deadline: number, timeoutMs: number): Promise<void> {
    let exit: string | undefined;
    child.once('exit', (code, sig) => {
      exit = code !== null ? `exited with code ${code}` : `was killed by ${sig}`;
    });
    const watch = new LogWatch(this.logFile, logStart, STARTED_MESSAGE);
    while (!(await watch.found())) {
      if (exit !== undefined || !isAlive(pid)) {
        await this.failStart(`the broker JVM ${exit ?? 'exited'} before logging "${STARTED_MESSAGE}"`, pid);
      }
      if (Date.now() >= deadline) {
        await this.failStart(`it did not log "${STARTED_MESSAGE}" within ${formatSeconds(timeoutMs)}`, pid);
      }
      await sleep(200);
    }
    await this.waitListening(pid, deadline, timeoutMs);
  }

  private async waitListening(pid: number, deadline: number, timeoutMs: number): Promise<void> {
    const host = clusterHost(this.config);
    while (!(await probePort(host, this.config.port, 1000))) {
      if (!isAlive(pid)) await this.failStart(`the broker JVM exited before ${this.bootstrap} accepted connections`, pid);
      if (Date.now() >= deadline) await this.failStart(`${this.bootstrap} did not accept connections within ${formatSeconds(timeoutMs)}`, pid);
      await sleep(200);
    }
  }

  /** Never leaves a half-started JVM behind; the error carries the log's last lines. */
  private async failStart(reason: string, pid: number): Promise<never> {
    if (isAlive(pid)) await this.terminate(pid, 5_000).catch(() => undefined);
    await rm(pidFile(this.config), { force: true });
    const serverTail = javaErrorLines(await tailFile(this.logFile, 40), 15);
    const outTail = javaErrorLines(await tailFile(jvmOutFile(this.config), 40), 10);
    let message = `cluster "${this.name}" did not start: ${reason}.`;
    message += serverTail ? `\nLast lines of ${this.logFile}:\n${indent(serverTail)}` : `\n${this.logFile} is empty or missing.`;
    if (outTail) message += `\nLast lines of ${jvmOutFile(this.config)}:\n${indent(outTail)}`;
    // Point at the file that says something: a JVM that dies before log4j starts only has kafka.out.
    throw new SandboxError(message, serverTail || !outTail ? this.logFile : jvmOutFile(this.config));
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    // Already gone between the check and the signal: that is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
