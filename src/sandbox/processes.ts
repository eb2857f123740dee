/**
 * Facts about other processes and ports, used to tell "our broker is running" from "a stale pid
 * file" or "someone else holds the port". Linux reads /proc; elsewhere `ps` answers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, open } from 'node:fs/promises';
import net from 'node:net';
import { exec } from './exec.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Signal 0 checks existence; EPERM means it exists but belongs to another user. A finished
 * zombie counts as gone: once every thread has exited it holds no ports or files, and its
 * parent may never reap it (e.g. a container whose pid 1 is not an init).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isFinishedZombie(pid);
}

function isFinishedZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // Synchronous on purpose: tiny procfs reads, and isAlive stays usable in plain loops.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which itself may contain spaces or ')'.
    const close = stat.lastIndexOf(')');
    if (stat.slice(close + 2, close + 3) !== 'Z') return false;
    // A JVM's main thread can turn zombie while its other threads are still tearing down and
    // still hold its sockets; only when they are gone (one task left) is the process finished.
    return readdirSync(`/proc/${pid}/task`).length <= 1;
  } catch {
    return false;
  }
}

/** The full command line of a process, or undefined when it is gone or unreadable. */
export async function commandLine(pid: number): Promise<string | undefined> {
  if (process.platform === 'linux') {
    try {
      const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      return raw.split('\0').filter((s) => s !== '').join(' ') || undefined;
    } catch {
      return undefined;
    }
  }
  try {
    const r = await exec('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { timeoutMs: 10_000 });
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until the process is gone; false if it is still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Does something accept a TCP connection on host:port? */
export function probePort(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Can we bind host:port right now? Binding (not connecting) also catches a listener on
 * 0.0.0.0 and ports held by a process that does not accept yet. Resolves with the errno code
 * when the port is taken (EADDRINUSE, EACCES…), undefined when free.
 */
export function portBindError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** The last `lines` non-empty lines of a file (reading at most its last 64 kB), '' if missing. */
export async function tailFile(file: string, lines = 20): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    return buf
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .join('\n');
  } finally {
    await handle.close();
  }
}
