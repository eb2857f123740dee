/**
 * A replicator under test as a child process (MirrorMaker 2's JVM or `strait run`): started with
 * its output in a log file, watched for its readiness line, sampled through /proc, stopped with
 * SIGTERM (its own orderly shutdown) and SIGKILL after a grace period.
 *
 * Both replicators run as separate processes on purpose, even though strait could run inside the
 * harness: the kernel's account of a process is the one figure that means the same for a JVM and
 * for Node, and the harness's own work (status polling, the latency producer, the proxy) then
 * never counts against either.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { ProcSampler, type ProcSample } from './procstat.js';

export interface ReplicatorLaunch {
  /** A label for messages: "MM2", "strait". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr of the process. */
  outputFile: string;
  /** The file holding the readiness line (the output file unless the process logs elsewhere). */
  logFile?: string;
  /** A line in the log that says the process is up. */
  ready: RegExp;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every replicator the harness started and has not seen exit: killed if the harness dies. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export class ReplicatorProcess {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  readonly sampler: ProcSampler;
  readonly exited: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;

  constructor(readonly launch: ReplicatorLaunch) {
    installExitHook();
    const fd = openSync(launch.outputFile, 'a');
    try {
      this.child = spawn(launch.command, launch.args, {
        stdio: ['ignore', fd, fd],
        ...(launch.env ? { env: launch.env } : {}),
        ...(launch.cwd ? { cwd: launch.cwd } : {}),
      });
    } finally {
      closeSync(fd);
    }
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
      this.child.once('error', () => {
        live.delete(this.child);
        this.exitStatus = { code: null, signal: null };
        resolve(this.exitStatus);
      });
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${launch.name} (${launch.command})`);
    this.sampler = new ProcSampler(this.child.pid).start();
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  log(): string {
    try {
      return readFileSync(this.launch.logFile ?? this.launch.outputFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of its output (and of its log, when separate), for error messages. */
  tail(lines = 25): string {
    const read = (f: string): string => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const parts = [read(this.launch.outputFile)];
    if (this.launch.logFile && this.launch.logFile !== this.launch.outputFile) parts.push(read(this.launch.logFile));
    return parts
      .join('\n')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .join('\n');
  }

  /** Resolves when the readiness line appears; rejects if the process exits first or time runs out. */
  async waitReady(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.launch.ready.test(this.log())) return Date.now();
      if (!this.running) throw new Error(`${this.launch.name} exited (${describeExit(this.exitStatus!)}) before it was ready:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.launch.name} was not ready within ${Math.round(timeoutMs / 1000)} s:\n${this.tail()}`);
  }

  /**
   * Orderly stop: a last sample (the process's peak memory is read while it still exists), then
   * SIGTERM, then SIGKILL after `graceMs`. Returns the samples taken over its life.
   */
  async stop(graceMs = 30_000): Promise<{ samples: ProcSample[]; exit: ExitStatus; killed: boolean }> {
    this.sampler.sampleNow();
    const samples = this.sampler.stop();
    let killed = false;
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
      if ((await Promise.race([this.exited, timer])) === 'timeout') {
        killed = true;
        this.child.kill('SIGKILL');
      }
    }
    return { samples, exit: await this.exited, killed };
  }
}

export function describeExit(e: ExitStatus): string {
  return e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
}
