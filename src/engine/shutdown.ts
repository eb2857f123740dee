/**
 * The shutdown bound: `engine.shutdownTimeout` is the time from the stop signal to the process's
 * exit, whatever happens in between.
 *
 *   signal ──── drain ─────────────────────────▶ drain deadline ── close ──▶ hard deadline
 *               workers stop fetching and wait    final commit, last          exit now
 *               for the target's acknowledgements checkpoints, leave the      (EXIT_SHUTDOWN_TIMEOUT)
 *                                                  group, close clients
 *
 * The drain gets most of the bound; the close phase keeps a reserve, because the final commit is
 * what spares the next owner from sending the drained records again, and it can only run after
 * the drain. If the close phase does not finish either (a cluster that stopped answering can hold
 * a client's close), the hard deadline ends the process: nothing is lost then either, since
 * progress is only ever committed for records the target acknowledged; what was acknowledged
 * after the last commit is sent again at the next start, as after kill -9.
 */

/** The exit code when the hard deadline ended the process (GNU timeout's code for "timed out"). */
export const EXIT_SHUTDOWN_TIMEOUT = 124;

/** The close phase's reserve: a third of the bound, at most this. */
const MAX_CLOSE_RESERVE_MS = 10_000;

export interface ShutdownBudget {
  /** The whole bound, from the signal to the exit. */
  totalMs: number;
  /** How long workers may wait for in-flight records to be acknowledged. */
  drainMs: number;
  /** What is left after the drain for the final commit and closing clients. */
  closeMs: number;
}

export function shutdownBudget(totalMs: number): ShutdownBudget {
  const closeMs = Math.min(MAX_CLOSE_RESERVE_MS, Math.floor(totalMs / 3));
  return { totalMs, drainMs: totalMs - closeMs, closeMs };
}

/**
 * Calls `expire` once `ms` have passed, unless the returned function is called first. The timer
 * keeps the process alive on purpose: a stop left waiting on something that holds no handle (a
 * promise nothing will settle) then ends at the deadline with the timeout's exit code, instead of
 * the process running out of work and exiting 0 as if the stop had finished.
 */
export function armHardDeadline(ms: number, expire: () => void): () => void {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
}
