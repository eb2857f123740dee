/**
 * A scripted SourceConsumer for unit tests of the relay loop: batches pushed by the test are
 * handed out in order, then it idles (1 ms per empty consume). Records what was assigned and
 * unassigned. Data-loss tests extend it with watermarks() (the relay only runs loss checks
 * against consumers that have it).
 */
import type { PartitionStart, SourceConsumer, SourceRecord } from '../../src/worker/relay.js';
import { RecordBatch, type SourceBatch } from '../../src/worker/source-batch.js';

export class FakeSourceConsumer implements SourceConsumer {
  batches: SourceRecord[][] = [];
  assigned: PartitionStart[] = [];
  unassigned: { topic: string; partition: number }[] = [];
  consumeCalls = 0;
  /** Cached high watermark per "topic/partition" (from fetch responses), else `defaultHighWatermark`. */
  cachedHwm = new Map<string, number>();
  defaultHighWatermark = -1;
  private outOfRange: () => void = () => undefined;

  assign(parts: PartitionStart[]): void {
    this.assigned.push(...parts);
  }

  unassign(parts: { topic: string; partition: number }[]): void {
    this.unassigned.push(...parts);
  }

  async consume(): Promise<SourceBatch> {
    this.consumeCalls++;
    const b = this.batches.shift();
    if (b) return new RecordBatch(b);
    await new Promise((r) => setTimeout(r, 1));
    return new RecordBatch([]);
  }

  highWatermark(topic: string, partition: number): number {
    return this.cachedHwm.get(`${topic}/${partition}`) ?? this.defaultHighWatermark;
  }

  onOffsetOutOfRange(handler: () => void): void {
    this.outOfRange = handler;
  }

  /** What the binding's consumer does when librdkafka reports an out-of-range position. */
  signalOutOfRange(): void {
    this.outOfRange();
  }

  async close(): Promise<void> {}
}
