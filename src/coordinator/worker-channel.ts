/**
 * The coordinator's end of one replication task: its message port (msgpackr-encoded control and
 * statistics), its progress ring reader, and the table of which source partition sits in which
 * of the task's slots. A slot number is reused only after the task confirmed the previous
 * partition in it was drained (`revoked`) or the task ended.
 */
import type { MessagePort } from 'node:worker_threads';
import { decode, encode } from '../util/codec.js';
import type { ProgressRingReader, ProgressHandler } from '../ring/progress-ring.js';
import type { CoordinatorMessage, WorkerMessage } from '../worker/protocol.js';

export class WorkerChannel {
  /** slot -> partition key (undefined = free). */
  private readonly slots: (string | undefined)[] = [];
  private readonly revokeWaiters = new Map<number, () => void>();
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
          this.revokeWaiters.get(s)?.();
          this.revokeWaiters.delete(s);
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

  partitionAt(slot: number): string | undefined {
    return this.slots[slot];
  }

  allocate(key: string): number {
    let slot = this.slots.indexOf(undefined);
    if (slot === -1) slot = this.slots.length;
    this.slots[slot] = key;
    return slot;
  }

  free(slot: number): void {
    this.slots[slot] = undefined;
  }

  send(msg: CoordinatorMessage): void {
    if (this.ended) return;
    const bytes = encode(msg);
    this.port.postMessage(bytes, [bytes.buffer]);
  }

  /** Asks the task to drain the slots; resolves when it confirmed, or after `timeoutMs` (false). */
  revoke(slots: number[], timeoutMs: number, lost = false): Promise<boolean> {
    if (slots.length === 0) return Promise.resolve(true);
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
    this.stoppedResolve();
  }

  close(): void {
    this.port.close();
  }
}
