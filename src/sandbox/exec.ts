/**
 * Run a short-lived child process (java -version, mvn, a Kafka tool) and collect its output.
 * Long-lived brokers are spawned elsewhere (cluster.ts): they must outlive this process.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed with SIGKILL after this long; `timedOut` says so. Default: no limit. */
  timeoutMs?: number;
  /** Called with each complete line of stdout and stderr as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Resolves with the result whatever the exit code; rejects only when the process could not be
 * started at all (the error's `code` is then e.g. 'ENOENT' for a missing program).
 */
export function exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    const lineSplitter = (stream: 'stdout' | 'stderr') => {
      let pending = '';
      return (chunk: Buffer) => {
        if (!options.onLine) return;
        pending += chunk.toString('utf8');
        const lines = pending.split(/\r?\n/);
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine(line, stream);
      };
    };
    const onOut = lineSplitter('stdout');
    const onErr = lineSplitter('stderr');
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      onOut(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      onErr(c);
    });
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: Date.now() - started,
        timedOut,
      });
    });
  });
}

/** True when `err` says the program itself was not found. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/** The last `n` non-empty lines of a text, for error messages. */
export function lastLines(text: string, n: number): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}

/**
 * The last `n` lines of a Java program's output that say what went wrong: stack frames
 * (`\tat ...`, `... 12 more`) are dropped so the exception lines themselves fit in a message.
 */
export function javaErrorLines(text: string, n: number): string {
  return lastLines(
    text
      .split(/\r?\n/)
      .filter((l) => !/^\s+at |^\s+\.\.\. \d+ more/.test(l))
      .join('\n'),
    n,
  );
}
