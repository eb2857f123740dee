/**
 * A cross-process lock file, so that two strait processes (say, test files run in parallel by
 * node --test) do not download the jars or start the same broker twice. The file holds the
 * owner's pid; a lock whose owner died (Ctrl-C, crash) is taken over.
 */
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { isAlive, sleep } from './processes.js';

export interface LockOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Told once, with the owner's pid, when we have to wait. */
  onWait?: (ownerPid: number | undefined) => void;
  /** What the lock guards, for the timeout message. */
  what: string;
}

// Between creating the file and writing the pid, the file is empty: give its creator this long.
const EMPTY_LOCK_GRACE_MS = 5_000;

async function tryAcquire(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(String(process.pid));
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The owner's pid, or undefined if the lock is abandoned (and so may be removed). */
async function liveOwner(file: string): Promise<number | undefined | 'unknown'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return 'unknown'; // vanished between our attempts: just retry
  }
  const pid = Number(text.trim());
  if (Number.isInteger(pid) && pid > 0) return isAlive(pid) ? pid : undefined;
  try {
    const { mtimeMs } = await stat(file);
    return Date.now() - mtimeMs < EMPTY_LOCK_GRACE_MS ? 'unknown' : undefined;
  } catch {
    return 'unknown';
  }
}

export async function withLock<T>(file: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  while (!(await tryAcquire(file))) {
    const owner = await liveOwner(file);
    if (owner === undefined) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (!told) {
      options.onWait?.(owner === 'unknown' ? undefined : owner);
      told = true;
    }
    if (Date.now() >= deadline) {
      throw new SandboxError(
        `timed out waiting for another strait process${owner === 'unknown' ? '' : ` (pid ${owner})`} that holds the lock on ${options.what}; ` +
          `if no such process is running, delete ${file}`,
      );
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
