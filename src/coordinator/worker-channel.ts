/**
 * The coordinator's end of one replication task: its message port (msgpackr-encoded control and
 * statistics), its progress ring reader, and the table of which source partition sits in which
 * of the task's slots. A slot number is reused only after the task confirmed the previous
 * partition in it was drained (`revoked`) or the task ended.
 *
 * A revoke can time out: the group took partitions away while the target was unreachable, and
 * the task keeps the slots until the records it has in flight are acknowledged or fail. The
 * coordinator gives the partitions up at once (free()), but the slot numbers stay reserved
 * ("draining") until the task's late `revoked`: handing such a slot to another partition would
 * make the task refuse the assignment, and the same partition must not get a second slot in
 * the task while the first still waits for acknowledgements on the same target partition
 * (the task finds a slot by target partition: see isDraining()).
 */
import type { MessagePort } from 'node:worker_threads';
import { decode, encode } from '../util/codec.js';
import type { ProgressRingReader, ProgressHandler } from '../ring/progress-ring.js';
import type { CoordinatorMessage, WorkerMessage } from '../worker/protocol.js';

export class WorkerChannel {
  /** slot -> partition key (undefined = free). */
  private readonly slots: (string | undefined)[] = [];
  private readonly revokeWaiters = new Map<number, () => void>();
  /** Slots asked to drain whose `revoked` has not come yet. */
  private readonly unconfirmed = new Set<number>();
  /** Partition key -> slot, for slots freed by the coordinator while still unconfirmed. */
  private readonly drainingKeys = new Map<string, number>();
  private stoppedResolve!: () => void;
  readonly stopped = new Promise<void>((r) => (this.stoppedResolve = r));
  ended = false;

  constructor(
    readonly workerId: number,
    private readonly port: MessagePort,
    readonly ring: ProgressRingReader,
    onMessage: (msg: WorkerMessage) => void,
  ) {
    port.on('message', (bytes: Uint8Array) => {
      const msg = decode(bytes) as WorkerMessage;
      if (msg.type === 'revoked') {
        // Drain first: the task published the slots' last runs before posting `revoked`.
        this.drain(this.drainHandler);
        for (const s of msg.slots) {
          this.unconfirmed.delete(s);
          this.revokeWaiters.get(s)?.();
          this.revokeWaiters.delete(s);
          const key = this.slots[s];
          if (key !== undefined && this.drainingKeys.get(key) === s) {
            // Freed by the coordinator before the task let go of it: only now reusable.
            this.drainingKeys.delete(key);
            this.slots[s] = undefined;
          }
        }
      } else if (msg.type === 'stopped') {
        this.markEnded();
      }
      onMessage(msg);
    });
  }

  /** Set by the owner: where drained progress goes. */
  drainHandler: ProgressHandler = () => undefined;

  get partitionCount(): number {
    let n = 0;
    for (const s of this.slots) if (s !== undefined) n++;
    return n;
  }

  /** The partition in the slot; undefined for a free slot or one that only drains. */
  partitionAt(slot: number): string | undefined {
    const key = this.slots[slot];
    return key !== undefined && this.drainingKeys.get(key) === slot ? undefined : key;
  }

  /**
   * True while the partition's previous slot in this task still drains after a revoke that
   * timed out: the partition must not be assigned again (to any task) until it has drained.
   */
  isDraining(key: string): boolean {
    return this.drainingKeys.has(key);
  }

  /** Slots freed by the coordinator that the task has not let go of yet. */
  get drainingCount(): number {
    return this.drainingKeys.size;
  }

  allocate(key: string): number {
    let slot = this.slots.indexOf(undefined);
    if (slot === -1) slot = this.slots.length;
    this.slots[slot] = key;
    return slot;
  }

  /** The coordinator is done with the slot; reusable now, or once the task confirmed its revoke. */
  free(slot: number): void {
    const key = this.slots[slot];
    if (this.unconfirmed.has(slot) && !this.ended && key !== undefined) this.drainingKeys.set(key, slot);
    else this.slots[slot] = undefined;
  }

  send(msg: CoordinatorMessage): void {
    if (this.ended) return;
    const bytes = encode(msg);
    this.port.postMessage(bytes, [bytes.buffer]);
  }

  /** Asks the task to drain the slots; resolves when it confirmed, or after `timeoutMs` (false). */
  revoke(slots: number[], timeoutMs: number, lost = false): Promise<boolean> {
    if (slots.length === 0) return Promise.resolve(true);
    if (!this.ended) for (const s of slots) this.unconfirmed.add(s);
    const waits = slots.map(
      (s) =>
        new Promise<boolean>((resolve) => {
          if (this.ended) return resolve(false);
          const timer = setTimeout(() => {
            this.revokeWaiters.delete(s);
            resolve(false);
          }, timeoutMs);
          this.revokeWaiters.set(s, () => {
            clearTimeout(timer);
            resolve(true);
          });
        }),
    );
    this.send({ type: 'revoke', slots, ...(lost ? { lost: true } : {}) });
    return Promise.all(waits).then((r) => r.every(Boolean));
  }

  drain(handler: ProgressHandler): number {
    return this.ring.drain(handler);
  }

  markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.revokeWaiters.values()) w();
    this.revokeWaiters.clear();
    // The task is gone, and its slots with it.
    for (const slot of this.drainingKeys.values()) this.slots[slot] = undefined;
    this.drainingKeys.clear();
    this.unconfirmed.clear();
    this.stoppedResolve();
  }

  close(): void {
    this.port.close();
  }
}
