/**
 * The shutdown bound: `engine.shutdownTimeout` is the time from the stop signal to the process's
 * exit, whatever happens in between.
 *
 *   signal ── drain ──────────────▶ close ─────────────────────────▶ hard deadline ── exit ──▶ bound
 *             workers stop fetching  final commit, last checkpoints,  process.exit(124)   Node ends
 *             and wait for the       leave the group, close clients,  if still running    what is left
 *             target's acks          end the worker threads
 *
 * The drain gets most of the bound; the close phase keeps a reserve, because the final commit is
 * what spares the next owner from sending the drained records again, and it can only run after
 * the drain. If the close phase does not finish either (a cluster that stopped answering can hold
 * a client's close for ever), the hard deadline ends the process, early enough for the exit
 * itself to fit in the bound: Node ends worker threads still running one after the other, each
 * closing its clients (bounded by the binding's thread-exit cleanup, native-notes/
 * binding-worker-threads.md; 1.2 s for two workers with a frozen target). Nothing is lost then
 * either: progress is only ever committed for records the target acknowledged, and what was
 * acknowledged after the last commit is sent again at the next start, as after kill -9.
 */

/** The exit code when the hard deadline ended the process (GNU timeout's code for "timed out"). */
export const EXIT_SHUTDOWN_TIMEOUT = 124;

/** The close phase's reserve: a third of the bound, at most this. */
const MAX_CLOSE_RESERVE_MS = 10_000;
/** The exit's reserve after the hard deadline: a tenth of the bound, at most this. */
const MAX_EXIT_RESERVE_MS = 2_500;

export interface ShutdownBudget {
  /** The whole bound, from the signal to the exit. */
  totalMs: number;
  /** From the signal: how long workers may wait for in-flight records to be acknowledged. */
  drainMs: number;
  /** From the signal: when the process exits if the ordered stop is not done (the hard deadline). */
  hardMs: number;
}

export function shutdownBudget(totalMs: number): ShutdownBudget {
  const closeMs = Math.min(MAX_CLOSE_RESERVE_MS, Math.floor(totalMs / 3));
  const exitMs = Math.min(MAX_EXIT_RESERVE_MS, Math.floor(totalMs / 10));
  return { totalMs, drainMs: totalMs - closeMs, hardMs: totalMs - exitMs };
}

export interface HardDeadline {
  /**
   * The ordered stop is done: from now on the timer does not keep the process alive, which ends
   * by itself once its last clients closed. If something still holds it at the deadline (a client
   * of a cluster that does not answer, still closing), `expire(true)` runs then.
   */
  finished(): void;
}

/**
 * Calls `expire(finished)` once `ms` have passed, unless the process ended before. Until
 * `finished()` the timer keeps the process alive on purpose: a stop left waiting on something
 * that holds no handle (a promise nothing will settle) then ends at the deadline with the
 * timeout's exit code, instead of the process running out of work and exiting 0 as if the stop
 * had finished.
 */
export function armHardDeadline(ms: number, expire: (finished: boolean) => void): HardDeadline {
  let done = false;
  const timer = setTimeout(() => expire(done), ms);
  return {
    finished() {
      done = true;
      timer.unref();
    },
  };
}

/** Waits for `work` until `deadline` (epoch ms) at the latest; true if it settled in time. */
export async function settleBy(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
  try {
    const settled = work.then(
      () => true,
      () => true,
    );
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}
