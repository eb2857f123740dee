/**
 * Runs `strait run` as a real child process (so it can be killed with SIGKILL like in
 * production), with its JSON log in a file the test can wait on and show when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));

export interface FlowSpec {
  include: string[];
  groupId: string;
  workers?: number;
  refreshTopicsInterval?: string;
  extraFlow?: Record<string, unknown>;
  metricsPort?: number;
  engine?: Record<string, unknown>;
  /** Extra librdkafka properties of the source cluster (e.g. security settings). */
  sourceProperties?: Record<string, string>;
  targetProperties?: Record<string, unknown>;
}

/** Writes a strait YAML config for one source -> target flow and returns its path. */
export function writeConfig(source: string, target: string, spec: FlowSpec): string {
  const dir = mkdtempSync(join(tmpdir(), 'strait-it-'));
  const flow = {
    source: 'source',
    target: 'target',
    topics: { include: spec.include },
    groupId: spec.groupId,
    refreshTopicsInterval: spec.refreshTopicsInterval ?? '2s',
    ...(spec.extraFlow ?? {}),
  };
  const config = {
    clusters: { source: { 'bootstrap.servers': source, ...(spec.sourceProperties ?? {}) }, target: { 'bootstrap.servers': target, ...(spec.targetProperties ?? {}) } },
    flows: [flow],
    engine: {
      workers: spec.workers ?? 2,
      metrics: { enabled: spec.metricsPort !== undefined, port: spec.metricsPort ?? 9464 },
      summaryInterval: '2s',
      commitInterval: '500ms',
      shutdownTimeout: '20s',
      ...(spec.engine ?? {}),
    },
  };
  const path = join(dir, 'strait.yaml');
  // JSON is YAML: no need for a YAML writer here.
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export class StraitProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(configPath: string, env: Record<string, string> = {}, command = 'run') {
    this.logFile = configPath.replace(/\.yaml$/, `-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.log`);
    const fd = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [CLI, command, '--config', configPath], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, STRAIT_LOG_PRETTY: '0', ...env },
    });
    closeSync(fd);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the log contains `pattern` (or the process exits, or the timeout passes). */
  async waitForLog(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let done = false;
    void this.exited.then(() => (done = true));
    while (Date.now() < until) {
      if (pattern.test(this.log())) return;
      if (done) throw new Error(`strait exited before logging ${pattern}:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`strait did not log ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
  }

  tail(lines = 40): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }
}

/**
 * The kill -9 scenario of the crash tests: `bursts` times, start strait on `config`, start
 * producing burst k (`produce(k)`), and, except after the last burst, SIGKILL strait
 * `killAfterMs(k)` into it, while records are being replicated. Returns the last process (still
 * running) and the logs of the killed ones. `onStart` registers the running process for cleanup.
 */
export async function runWithKills(
  config: string,
  bursts: number,
  produce: (k: number) => Promise<void>,
  killAfterMs: (k: number) => number,
  onStart: (p: StraitProcess) => void,
): Promise<{ last: StraitProcess; killedLogs: string[] }> {
  const killedLogs: string[] = [];
  for (let k = 0; ; k++) {
    const running = new StraitProcess(config);
    onStart(running);
    await running.waitForLog(/assigned \d+ partition/);
    const producing = produce(k);
    if (k === bursts - 1) {
      await producing;
      return { last: running, killedLogs };
    }
    await new Promise((r) => setTimeout(r, killAfterMs(k)));
    running.kill('SIGKILL');
    const exit = await running.exited;
    if (exit.signal !== 'SIGKILL') throw new Error(`strait ended by itself (${JSON.stringify(exit)}) before it was killed:\n${running.tail()}`);
    killedLogs.push(running.log());
    await producing;
  }
}
