/**
 * exactly-once: the transaction loop of one worker. Every `intervalMs` it commits what the relay
 * produced since the last commit, together with the source offsets that reach, in ONE Kafka
 * transaction on the target cluster:
 *
 *   pause intake (the relay finishes its batch and parks)
 *   wait for every delivery report                       -> all records of the transaction written
 *   sendOffsetsToTransaction(remote topic, partition, next source offset) to the offsets group
 *   commitTransaction                                    -> records and offsets visible atomically
 *   release the held progress runs to the ring, begin the next transaction, resume intake
 *
 * After a crash, the coordinator resumes each partition from the offsets committed in the
 * target (src/coordinator/flow.ts); the transactions the dead process left open are aborted
 * when its successor's producer with the same transactional.id calls initTransactions (or by the
 * broker after transaction.timeout.ms). So a read_committed consumer on the target sees every
 * source record once: records of an aborted transaction are invisible and sent again.
 *
 * A process that was frozen (SIGSTOP, a VM pause, CPU starvation) or cut off from the source's
 * group coordinator longer than the group's session timeout is no longer a member: another
 * process resumes its partitions from the offsets committed in the target, while this one may
 * still hold an open transaction with records the other writes too. Two guards keep those from
 * being committed twice:
 *   - a revocation with `lost` (librdkafka noticed the membership is gone) aborts the open
 *     transaction instead of committing it;
 *   - the loop notices a stall of its own (its timer fired more than STALL_MS late): it aborts the
 *     open transaction and commits nothing for HOLD_AFTER_STALL_MS, time for librdkafka's first
 *     heartbeat after the stall to answer and a lost assignment to arrive (as a `lost` revocation,
 *     which aborts again) before anything is committed.
 *
 * Errors, as librdkafka classifies them: a retriable commit is retried; an abortable one (e.g.
 * a record refused inside the transaction) aborts, drops the held runs and rewinds every slot to
 * its last committed offset; a fatal one (fenced by another producer with the same
 * transactional.id) ends the task with an error that says what to check.
 */
import type { KafkaError } from '../util/errors.js';

/** The transactional side of the target producer (src/kafka/relay-clients.ts). */
export interface TransactionalClient {
  readonly transactionalId: string;
  initTransactions(timeoutMs: number): Promise<void>;
  beginTransaction(): Promise<void>;
  sendOffsets(offsets: { topic: string; partition: number; offset: number }[], timeoutMs: number): Promise<void>;
  commitTransaction(timeoutMs: number): Promise<void>;
  abortTransaction(timeoutMs: number): Promise<void>;
}

/** What the loop needs of the relay (src/worker/relay.ts). */
export interface TransactionalRelay {
  readonly recordsInFlight: number;
  readonly failedSinceCommit: boolean;
  readonly lostSinceCommit: boolean;
  pauseIntake(): Promise<void>;
  resumeIntake(): void;
  positions(): { slot: number; targetTopic: string; partition: number; next: number }[];
  releaseHeld(): void;
  abortHeld(): void;
}

/** librdkafka's classification of a transaction error (RdKafkaError flags). */
export interface TransactionFailure {
  fatal: boolean;
  requiresAbort: boolean;
  retriable: boolean;
}

export function classify(err: unknown): TransactionFailure {
  const e = (err as { cause?: unknown } | undefined)?.cause ?? err;
  const flags = (e ?? {}) as { isFatal?: boolean; isTxnRequiresAbort?: boolean; isRetriable?: boolean };
  return { fatal: flags.isFatal === true, requiresAbort: flags.isTxnRequiresAbort === true, retriable: flags.isRetriable === true };
}

export interface TransactionLoopEvents {
  committed(partitions: number): void;
  aborted(reason: string): void;
  /** The producer cannot go on (fenced, or a fatal error): the task must end. */
  fatal(err: KafkaError | Error): void;
}

export interface TransactionLoopOptions {
  intervalMs: number;
  /** Per transaction call (flush, send offsets, commit, abort). */
  timeoutMs: number;
  /** Retriable commit failures retried before the transaction is aborted. */
  commitRetries?: number;
  /** Clock (tests); default Date.now. */
  clock?: () => number;
}

/** A timer this late means the thread stalled: the group membership may have expired meanwhile. */
export const STALL_MS = 1_000;
/** After a stall, nothing is committed for this long (a heartbeat interval, 2 s by default, and margin). */
export const HOLD_AFTER_STALL_MS = 3_000;

export class TransactionLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private ended = false;
  private finishing = false;
  /** After a stall: no commit before this time; `stalledMs` says how long the stall was. */
  private holdUntil = 0;
  private stalledMs = 0;
  private readonly clock: () => number;

  constructor(
    private readonly client: TransactionalClient,
    private readonly relay: TransactionalRelay,
    private readonly events: TransactionLoopEvents,
    private readonly options: TransactionLoopOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Begins the first transaction (initTransactions was called when the producer connected). */
  async start(): Promise<void> {
    await this.client.beginTransaction();
    this.schedule(this.options.intervalMs);
  }

  /** Commit now (a revocation waits for it), instead of at the next interval. */
  commitSoon(): void {
    if (!this.ended) this.schedule(0);
  }

  /** Commits what is open (the last transaction) and stops the timer. */
  async finish(): Promise<void> {
    this.finishing = true;
    clearTimeout(this.timer);
    await this.running;
    if (!this.ended) await this.cycle();
    this.ended = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    const due = this.clock() + ms;
    this.timer = setTimeout(() => {
      this.noticeStall(this.clock() - due);
      if (this.running) return this.schedule(10);
      this.running = this.cycle().finally(() => {
        this.running = undefined;
        if (!this.ended) this.schedule(this.options.intervalMs);
      });
    }, ms);
    // The task lives as long as its message port; the timer alone must not keep a thread alive.
    this.timer.unref();
  }

  /** The timer fired `lateMs` late: if that is a stall, the open transaction is aborted and commits wait. */
  noticeStall(lateMs: number): void {
    if (lateMs <= STALL_MS) return;
    this.stalledMs = lateMs;
    this.holdUntil = this.clock() + HOLD_AFTER_STALL_MS;
  }

  /** One commit (or abort) of the open transaction; never throws. */
  async cycle(): Promise<void> {
    const { client, relay } = this;
    const { timeoutMs } = this.options;
    await relay.pauseIntake();
    try {
      this.abortIfLost();
      if (this.stalledMs > 0) {
        const ms = this.stalledMs;
        this.stalledMs = 0;
        if (relay.positions().length > 0) throw Object.assign(new Error(`this process stalled for ${ms} ms (frozen or starved of CPU); its group membership may have expired meanwhile`), { isTxnRequiresAbort: true });
      }
      if (this.clock() < this.holdUntil) return; // after a stall: wait for a lost assignment to show before committing
      // Not producer.flush(): with delivery reports polled on librdkafka's background thread,
      // rd_kafka_flush() serves them from the calling (threadpool) thread too, and the two
      // threads hand reports of one partition to JavaScript out of order (native-notes/
      // flush-and-background-polling.md). Waiting costs at most linger.ms more.
      // A refusal or a loss ends the wait: the transaction aborts anyway, and a refusal puts it in
      // librdkafka's abortable state, where what is still queued is not sent, only purged by the
      // abort (waiting for those acknowledgements held the transaction until it timed out).
      await waitUntil(() => relay.recordsInFlight === 0 || relay.failedSinceCommit || relay.lostSinceCommit, timeoutMs);
      if (relay.failedSinceCommit) throw Object.assign(new Error('a record of this transaction was refused by the target'), { isTxnRequiresAbort: true });
      // Checked again after every wait: the acknowledgements can take as long as a cut link
      // lasts, and an assignment lost meanwhile must not be committed.
      this.abortIfLost();
      if (relay.recordsInFlight > 0) throw new Error(`${relay.recordsInFlight} record(s) still unacknowledged after ${timeoutMs} ms`);
      const positions = relay.positions();
      if (positions.length === 0) return; // nothing produced: the open transaction stays open
      await client.sendOffsets(
        positions.map((p) => ({ topic: p.targetTopic, partition: p.partition, offset: p.next })),
        timeoutMs,
      );
      this.abortIfLost();
      await this.commitWithRetries();
      relay.releaseHeld();
      this.events.committed(positions.length);
      await client.beginTransaction();
    } catch (err) {
      await this.abort(err);
    } finally {
      relay.resumeIntake();
    }
  }

  /** Throws (to abort) once partitions were lost since the last commit. */
  private abortIfLost(): void {
    if (this.relay.lostSinceCommit) throw Object.assign(new Error('the source group took the partitions away (assignment lost): another strait process may be writing them'), { isTxnRequiresAbort: true });
  }

  private async commitWithRetries(): Promise<void> {
    const retries = this.options.commitRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.commitTransaction(this.options.timeoutMs);
        return;
      } catch (err) {
        const c = classify(err);
        if (!c.retriable || c.fatal || c.requiresAbort || attempt >= retries) throw err;
      }
    }
  }

  /**
   * abortTransaction until it succeeds, as long as librdkafka calls the failure retriable: an
   * abort that timed out because the target is unreachable (a cut link) resumes when called
   * again, and ending the task for it would stop a process that only has to wait. Not after
   * finish() was called: shutdown does not wait for the link.
   */
  private async abortWithRetries(): Promise<void> {
    for (;;) {
      try {
        await this.client.abortTransaction(this.options.timeoutMs);
        return;
      } catch (err) {
        const c = classify(err);
        if (!c.retriable || c.fatal || this.finishing) throw err;
        await new Promise((r) => setTimeout(r, ABORT_RETRY_MS));
      }
    }
  }

  private async abort(err: unknown): Promise<void> {
    const { client, relay } = this;
    const c = classify(err);
    if (c.fatal) {
      this.ended = true;
      this.events.fatal(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    try {
      await this.abortWithRetries();
      // The abort purged what was still queued; its reports come back as purged, not failed.
      await waitUntil(() => relay.recordsInFlight === 0, this.options.timeoutMs);
      relay.abortHeld();
      this.events.aborted(err instanceof Error ? err.message : String(err));
      await client.beginTransaction();
    } catch (abortErr) {
      // Not even the abort works (fenced, or the producer is in a fatal state): end the task;
      // the coordinator resumes the partitions from the committed offsets.
      this.ended = true;
      this.events.fatal(abortErr instanceof Error ? abortErr : new Error(String(abortErr)));
    }
  }
}

/** After a retriable abort failure (the target did not answer in time), before the next try. */
export const ABORT_RETRY_MS = 500;

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
}
