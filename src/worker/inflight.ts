/**
 * Per-partition FIFO of records handed to the producer and not yet acknowledged.
 *
 * Why a FIFO and not an `opaque` per message: the binding keeps a persistent V8 handle for every
 * opaque (and leaks it without a delivery callback), which costs an allocation per record. The
 * idempotent producer instead guarantees that delivery reports of one partition arrive in the
 * order the records were produced, so the head of this queue is always the record a report is
 * about. The queue holds scalars in typed arrays (no object per record) and grows by doubling up
 * to the worker's in-flight bound.
 *
 * Source offsets are int64 in Kafka; they are kept as float64 here, exact up to 2^53, which a
 * partition would reach after 285 years at one million records per second.
 */
export class InFlightQueue {
  private offsets: Float64Array;
  private timestamps: Float64Array;
  private consumedAt: Float64Array;
  private sizes: Float64Array;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(2, 1 << Math.ceil(Math.log2(initialCapacity)));
    this.offsets = new Float64Array(cap);
    this.timestamps = new Float64Array(cap);
    this.consumedAt = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
  }

  get length(): number {
    return this.count;
  }

  push(offset: number, timestamp: number, consumedAt: number, size: number): void {
    if (this.count === this.offsets.length) this.grow();
    const i = (this.head + this.count) & (this.offsets.length - 1);
    this.offsets[i] = offset;
    this.timestamps[i] = timestamp;
    this.consumedAt[i] = consumedAt;
    this.sizes[i] = size;
    this.count++;
  }

  /** Source offset of the oldest record, or -1 when empty. */
  peekOffset(): number {
    return this.count === 0 ? -1 : this.offsets[this.head];
  }

  /**
   * Removes the oldest record; its fields are readable through `popped*` until the next pop.
   * Returns false when the queue is empty (a delivery report without a produced record: a bug).
   */
  pop(): boolean {
    if (this.count === 0) return false;
    const i = this.head;
    this.poppedOffset = this.offsets[i]!;
    this.poppedTimestamp = this.timestamps[i]!;
    this.poppedConsumedAt = this.consumedAt[i]!;
    this.poppedSize = this.sizes[i]!;
    this.head = (i + 1) & (this.offsets.length - 1);
    this.count--;
    return true;
  }

  poppedOffset = -1;
  poppedTimestamp = -1;
  poppedConsumedAt = 0;
  poppedSize = 0;

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const cap = this.offsets.length;
    const next = cap * 2;
    const copy = (src: Float64Array): Float64Array => {
      const dst = new Float64Array(next);
      for (let k = 0; k < this.count; k++) dst[k] = src[(this.head + k) & (cap - 1)]!;
      return dst;
    };
    this.offsets = copy(this.offsets);
    this.timestamps = copy(this.timestamps);
    this.consumedAt = copy(this.consumedAt);
    this.sizes = copy(this.sizes);
    this.head = 0;
  }
}
