/**
 * The sandbox: two independent single-node clusters, `source` and `target`, on loopback, with
 * their state in one folder (default `.strait/sandbox` under the current directory):
 *
 *   <dir>/state.json              ports of each cluster (see state.ts)
 *   <dir>/.lock                   held while a process starts, stops or changes the pair
 *   <dir>/<name>/server.properties, log4j2.properties, kafka.pid
 *   <dir>/<name>/data/            Kafka's log.dirs
 *   <dir>/<name>/logs/server.log  the broker log; kafka.out holds the JVM's own output (and
 *                                 gc.log its GC log, when a caller asks for one)
 *
 * Once a cluster exists its ports are those in state.json: its KRaft metadata records the
 * controller's address, so moving it means `down --clean` (which deletes its data) first.
 */
import { mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { DEFAULT_HOST, type ClusterConfig } from './broker-config.js';
import { DEFAULT_START_TIMEOUT_MS, DEFAULT_STOP_TIMEOUT_MS, KafkaCluster, PortInUseError, type ClusterStatus } from './cluster.js';
import { ensureKafkaDist, KAFKA_VERSION, type KafkaDist } from './kafka-dist.js';
import { withLock } from './lock.js';
import {
  controllerPortFor,
  resolveSandboxSettings,
  SANDBOX_CLUSTER_NAMES,
  SANDBOX_PORT_ENV,
  SANDBOX_PORT_FLAG,
  type SandboxClusterName,
  type SandboxOverrides,
  type SandboxSettings,
} from './options.js';
import { formatSeconds, silentProgress, type Progress } from './progress.js';
import { readState, STATE_VERSION, writeState, type ClusterPorts, type SandboxState } from './state.js';

/** What a caller may add to a sandbox cluster (e.g. a SASL listener and an authorizer, or a bigger heap and a GC log). */
export type ClusterCustomization = Partial<Pick<ClusterConfig, 'listeners' | 'properties' | 'jvmOptions' | 'heap' | 'gcLog' | 'formatArguments'>>;

export interface SandboxOptions extends SandboxOverrides {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  progress?: Progress;
  /** Per cluster start limit. Default 90 s. */
  startTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
  clusters?: Partial<Record<SandboxClusterName, ClusterCustomization>>;
}

export interface SandboxUpResult {
  clusters: ClusterStatus[];
  /** The clusters this call started (the others were already running). */
  started: SandboxClusterName[];
  durationMs: number;
}

export interface SandboxDownResult {
  /** The clusters that were running and were stopped. */
  stopped: SandboxClusterName[];
  cleaned: boolean;
}

// Long enough for a cold jar download by the process holding the lock.
const LOCK_TIMEOUT_MS = 25 * 60_000;

export class Sandbox {
  readonly dir: string;
  readonly host = DEFAULT_HOST;
  private readonly options: SandboxOptions;
  private readonly settings: SandboxSettings;
  private readonly recorded: SandboxState | undefined;
  private readonly byName = new Map<SandboxClusterName, KafkaCluster>();

  private constructor(settings: SandboxSettings, recorded: SandboxState | undefined, options: SandboxOptions) {
    this.dir = settings.dir;
    this.settings = settings;
    this.recorded = recorded;
    this.options = options;
    for (const name of SANDBOX_CLUSTER_NAMES) {
      // A cluster that exists keeps the ports it was made with; see up() for a requested move.
      const ports = recorded?.clusters[name] ?? this.requestedPorts(name);
      this.byName.set(name, this.makeCluster(name, ports));
    }
  }

  /** Reads the state file, if any; starts nothing. */
  static async open(options: SandboxOptions = {}): Promise<Sandbox> {
    const settings = resolveSandboxSettings(options, options.env ?? process.env, options.cwd ?? process.cwd());
    const recorded = await readState(path.join(settings.dir, 'state.json'));
    return new Sandbox(settings, recorded, options);
  }

  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }

  private get lockFile(): string {
    return path.join(this.dir, '.lock');
  }

  private get progress(): Progress {
    return this.options.progress ?? silentProgress;
  }

  private requestedPorts(name: SandboxClusterName): ClusterPorts {
    const port = this.settings.ports[name];
    return { port, controllerPort: controllerPortFor(port) };
  }

  private makeCluster(name: SandboxClusterName, ports: ClusterPorts): KafkaCluster {
    const dir = path.join(this.dir, name);
    return new KafkaCluster({
      name,
      host: this.host,
      port: ports.port,
      controllerPort: ports.controllerPort,
      dir,
      dataDir: path.join(dir, 'data'),
      logDir: path.join(dir, 'logs'),
      ...this.options.clusters?.[name],
    });
  }

  cluster(name: SandboxClusterName): KafkaCluster {
    return this.byName.get(name)!;
  }

  get clusters(): KafkaCluster[] {
    return SANDBOX_CLUSTER_NAMES.map((n) => this.cluster(n));
  }

  /** `host:port` to give a Kafka client for this cluster. */
  bootstrapServers(name: SandboxClusterName): string {
    return this.cluster(name).bootstrap;
  }

  async status(): Promise<ClusterStatus[]> {
    return Promise.all(this.clusters.map((c) => c.status()));
  }

  /**
   * Starts whichever cluster is not running (fetching the jars first if needed) and waits until
   * both serve. Idempotent: with both running it only checks they answer. All or nothing: if one
   * fails to start, the one this call started is stopped again.
   */
  async up(): Promise<SandboxUpResult> {
    const started = Date.now();
    return this.locked('start', async () => {
      await this.applyRequestedPorts();
      const before = await this.status();
      const toStart = SANDBOX_CLUSTER_NAMES.filter((_, i) => before[i].state !== 'running');
      // Port clashes first: a person should not wait for a jar download to learn of them.
      for (const name of toStart) {
        try {
          await this.cluster(name).checkPortsFree();
        } catch (err) {
          throw this.explain(name, err);
        }
      }
      let dist: KafkaDist | undefined;
      let startAt = Date.now();
      if (toStart.length > 0) {
        dist = await ensureKafkaDist({ progress: this.progress, ...(this.options.env ? { env: this.options.env } : {}) });
        await mkdir(this.dir, { recursive: true });
        await writeState(this.stateFile, this.currentState());
        startAt = Date.now();
        this.progress.info(`starting ${toStart.map((n) => `${n} (${this.bootstrapServers(n)})`).join(' and ')}…`);
      }
      const results = await Promise.allSettled(
        this.clusters.map((c) =>
          c.start({
            ...(dist ? { dist } : {}),
            timeoutMs: this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
            progress: this.progress,
            ...(this.options.env ? { env: this.options.env } : {}),
          }),
        ),
      );
      const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [this.explain(SANDBOX_CLUSTER_NAMES[i], r.reason)] : []));
      if (failures.length > 0) {
        const startedHere = toStart.filter((n) => results[SANDBOX_CLUSTER_NAMES.indexOf(n)].status === 'fulfilled');
        await Promise.allSettled(startedHere.map((n) => this.cluster(n).stop()));
        if (failures.length === 1) throw failures[0];
        throw new SandboxError(failures.map((e) => e.message).join('\n'));
      }
      if (toStart.length > 0) this.progress.info(`started ${toStart.join(' and ')} in ${formatSeconds(Date.now() - startAt)}`);
      return {
        clusters: results.map((r) => (r as PromiseFulfilledResult<ClusterStatus>).value),
        started: toStart,
        durationMs: Date.now() - started,
      };
    });
  }

  /** Stops both (SIGTERM, then SIGKILL after the stop timeout); `clean` also deletes their data. */
  async down(options: { clean?: boolean } = {}): Promise<SandboxDownResult> {
    const result = await this.locked('stop', async () => {
      const results = await Promise.allSettled(
        this.clusters.map((c) => c.stop({ timeoutMs: this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS })),
      );
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      // Never delete the data of a broker that may still be running.
      if (failed.length > 0) throw failed[0] instanceof Error ? failed[0] : new SandboxError(String(failed[0]));
      const stopped = SANDBOX_CLUSTER_NAMES.filter((_, i) => (results[i] as PromiseFulfilledResult<boolean>).value);
      if (options.clean) {
        // Only what the sandbox made: the folder may be one the user chose and shares.
        for (const name of SANDBOX_CLUSTER_NAMES) await rm(path.join(this.dir, name), { recursive: true, force: true });
        await rm(this.stateFile, { force: true });
      }
      return { stopped, cleaned: options.clean === true };
    });
    if (options.clean) await rmdir(this.dir).catch(() => undefined); // only if now empty
    return result;
  }

  /** Stop then start one cluster on the same data. */
  async restart(name: SandboxClusterName): Promise<ClusterStatus> {
    return this.locked('restart', async () => {
      await this.applyRequestedPorts();
      // restart may be the first start: record the ports as up() does.
      await mkdir(this.dir, { recursive: true });
      await writeState(this.stateFile, this.currentState());
      try {
        return await this.cluster(name).restart({
          timeoutMs: this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
          stopTimeoutMs: this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
          progress: this.progress,
          ...(this.options.env ? { env: this.options.env } : {}),
        });
      } catch (err) {
        throw this.explain(name, err);
      }
    });
  }

  /** SIGKILL one cluster, as a crash would. False when it was not running. */
  async kill(name: SandboxClusterName): Promise<boolean> {
    return this.locked('kill', () => this.cluster(name).kill());
  }

  private locked<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return withLock(
      this.lockFile,
      {
        timeoutMs: LOCK_TIMEOUT_MS,
        what: `the sandbox in ${this.dir}`,
        onWait: (pid) => this.progress.info(`waiting for another strait process${pid ? ` (pid ${pid})` : ''} using this sandbox before we ${action}…`),
      },
      fn,
    );
  }

  /**
   * Ports asked for by option or env that differ from those a cluster was created with: take them
   * if the cluster has no data yet, refuse otherwise (the metadata log pins the controller port).
   */
  private async applyRequestedPorts(): Promise<void> {
    for (const name of SANDBOX_CLUSTER_NAMES) {
      const recorded = this.recorded?.clusters[name];
      const wanted = this.requestedPorts(name);
      if (!recorded || !this.settings.explicit[name]) continue;
      if (recorded.port === wanted.port && recorded.controllerPort === wanted.controllerPort) continue;
      const current = this.cluster(name);
      if ((await current.pid()) !== undefined || (await current.isFormatted())) {
        throw new SandboxError(
          `cluster "${name}" in ${this.dir} was created on port ${recorded.port} (controller ${recorded.controllerPort}) and cannot move to ${wanted.port}: ` +
            `drop ${SANDBOX_PORT_FLAG[name]} / ${SANDBOX_PORT_ENV[name]}, or run "strait sandbox down --clean" first (this deletes its data)`,
        );
      }
      this.byName.set(name, this.makeCluster(name, wanted));
    }
  }

  private currentState(): SandboxState {
    const clusters: Record<string, ClusterPorts> = {};
    for (const c of this.clusters) clusters[c.name] = { port: c.config.port, controllerPort: c.config.controllerPort };
    return { version: STATE_VERSION, kafkaVersion: KAFKA_VERSION, host: this.host, clusters };
  }

  /** Adds to a port clash how to choose other ports. */
  private explain(name: SandboxClusterName, err: unknown): Error {
    if (!(err instanceof PortInUseError)) return err instanceof Error ? err : new SandboxError(String(err));
    return new SandboxError(
      `${err.message}: stop that process, or give the sandbox other ports (${SANDBOX_PORT_FLAG[name]} N or ${SANDBOX_PORT_ENV[name]}=N; ` +
        `the cluster uses N and N+1)`,
      undefined,
      { cause: err },
    );
  }
}
