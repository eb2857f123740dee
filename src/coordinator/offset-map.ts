/**
 * Exact source -> target offset mapping, kept as runs.
 *
 * Every acknowledged record tells the coordinator where a source offset landed on the target.
 * Consecutive records usually land consecutively, so the mapping is stored as runs: a run
 * (s, t, n) says source offsets s..s+n-1 map to target offsets t..t+n-1, one to one. A new run
 * starts only where the source has a gap (compacted records, transaction markers, records that
 * were filtered out) or the target has one (target-side transaction markers, other writers).
 *
 * Acknowledgements for one partition arrive in order (one idempotent producer per partition, and
 * the worker reports runs in order through the progress ring), so runs are appended at the end
 * and stay sorted by construction. An acknowledgement that overlaps or goes backwards, on either
 * side, means a duplicate report or a bug upstream; it throws OffsetRunOrderError naming both
 * offsets instead of being folded in, because a wrong mapping would silently send a consumer
 * group to the wrong record after failover.
 *
 * ## What translate(P) means
 *
 * P is a consumer position on the source: the NEXT offset the consumer would read (what a
 * consumer group commits). The answer is the target position that makes the consumer read the
 * same records next:
 * - r = the first replicated record with source offset >= P; the answer is r's target offset.
 *   If P falls in a source gap between replicated records, the records in the gap were never
 *   replicated, so the answer is the target offset of the next replicated record.
 * - P == lastSource + 1 (consumer caught up with everything replicated): lastTarget + 1.
 * - P > lastSource + 1: unknown. The source offsets in lastSource+1 .. P-1 are either gaps or
 *   records not replicated yet, and we cannot tell which. translate() returns undefined;
 *   translateDetailed() says so and offers lastTarget + 1 as a lower bound: resuming there never
 *   skips a replicated record, it may re-read some (MirrorMaker 2's "at or before" guarantee).
 * - P below what is retained: unknown (undefined).
 *
 * ## Bounded memory, and the "floor"
 *
 * Runs are dropped from the front by trimBelow(x) (runs that end below x: no consumer position
 * we still care about lies there) and when more than maxRuns runs would be kept (the oldest run
 * goes). Dropping a run moves the floor: the lowest position translate() still answers, which is
 * the dropped run's last source offset + 1. Positions below the floor become untranslatable. A
 * position between the floor and the first retained run lies in a gap we know about (nothing was
 * replicated there, or it would be in a run), so it still translates exactly. Before anything is
 * dropped, the floor is the first source offset ever added: below it we know nothing.
 *
 * Offsets are `number`s: Kafka offsets are int64, but every offset below 2^53 is exact in a
 * double and offsets never get near 2^53 (see the progress ring for the arithmetic). Inputs
 * outside 0..2^53-1 are refused with a RangeError rather than rounded.
 */
import { StraitError } from '../util/errors.js';

/** Default cap on runs kept per partition: 24 bytes each, so at most 96 KiB per partition. */
export const DEFAULT_MAX_RUNS = 4096;
const INITIAL_CAPACITY = 16;

export interface OffsetRunsOptions {
  /** Keep at most this many runs; older runs are dropped (positions below become unknown). */
  maxRuns?: number;
  /** For error messages: the source topic and partition these runs belong to. */
  topic?: string;
  partition?: number;
}

/** One run, as handed out by OffsetRuns.runs() (not used on the hot path). */
export interface OffsetRun {
  sourceOffset: number;
  targetOffset: number;
  count: number;
}

/** Detailed answer of translateDetailed(). */
export type Translation =
  | { readonly exact: true; readonly target: number }
  | {
      readonly exact: false;
      /**
       * no-progress: nothing was ever recorded.
       * below-floor: P is below the lowest translatable position (trimmed, capped, or before the
       *   first recorded run).
       * beyond-replicated: P > last replicated source offset + 1.
       */
      readonly reason: 'no-progress' | 'below-floor' | 'beyond-replicated';
      /**
       * Only for beyond-replicated: lastTarget + 1. The true answer is at least this, so resuming
       * here re-reads rather than skips.
       */
      readonly lowerBound?: number;
    };

/** An acknowledgement that does not come strictly after what was recorded. */
export class OffsetRunOrderError extends StraitError {
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly sourceOffset: number;
  readonly targetOffset: number;
  readonly count: number;
  readonly lastSource: number;
  readonly lastTarget: number;
  constructor(
    where: { topic?: string | undefined; partition?: number | undefined },
    run: { sourceOffset: number; targetOffset: number; count: number },
    last: { source: number; target: number },
  ) {
    const side = run.sourceOffset <= last.source ? 'source' : 'target';
    const place = where.topic !== undefined ? `topic "${where.topic}" partition ${where.partition ?? '?'}: ` : '';
    super(
      'OFFSET_RUN_ORDER',
      `${place}acknowledged run source ${describeRange(run.sourceOffset, run.count)} -> target ${describeRange(run.targetOffset, run.count)} ` +
        `does not come after the last recorded record (source ${last.source} -> target ${last.target}): ` +
        `its ${side} offsets overlap or go backwards, which means a duplicate acknowledgement or a bug`,
    );
    this.topic = where.topic;
    this.partition = where.partition;
    this.sourceOffset = run.sourceOffset;
    this.targetOffset = run.targetOffset;
    this.count = run.count;
    this.lastSource = last.source;
    this.lastTarget = last.target;
  }
}

function describeRange(first: number, count: number): string {
  return count === 1 ? String(first) : `${first}..${first + count - 1}`;
}

function checkOffset(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be an integer in 0..2^53-1, got ${value}`);
  }
}

/**
 * The runs of one source partition. Storage is a growable circular buffer of three parallel
 * Float64Arrays (source start, target start, count), so appending, merging, dropping from the
 * front and binary search are all allocation-free once grown.
 */
export class OffsetRuns {
  readonly maxRuns: number;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  private src: Float64Array;
  private tgt: Float64Array;
  private cnt: Float64Array;
  /** Physical index of the oldest run; capacity is a power of two. */
  private first = 0;
  private length = 0;
  private mask: number;
  /** Last replicated record, kept even after its run is dropped; -1 = nothing recorded. */
  private lastSource = -1;
  private lastTarget = -1;
  /** Lowest translatable position (see "the floor"); meaningful once lastSource >= 0. */
  private floor = 0;
  /** Where the replicated stream began reading (see startAt); -1 = unknown. */
  private start = -1;

  constructor(options: OffsetRunsOptions = {}) {
    const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
    if (!Number.isSafeInteger(maxRuns) || maxRuns < 1) {
      throw new RangeError(`maxRuns must be an integer >= 1, got ${maxRuns}`);
    }
    this.maxRuns = maxRuns;
    this.topic = options.topic;
    this.partition = options.partition;
    const capacity = Math.min(INITIAL_CAPACITY, nextPowerOfTwo(maxRuns));
    this.src = new Float64Array(capacity);
    this.tgt = new Float64Array(capacity);
    this.cnt = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of runs kept. */
  get size(): number {
    return this.length;
  }

  /** Last replicated source offset, or undefined if nothing was recorded. */
  highestSource(): number | undefined {
    return this.lastSource < 0 ? undefined : this.lastSource;
  }

  /** Target offset of the last replicated record, or undefined if nothing was recorded. */
  highestTarget(): number | undefined {
    return this.lastTarget < 0 ? undefined : this.lastTarget;
  }

  /** Lowest position translate() answers, or undefined if nothing was recorded. */
  get lowestTranslatable(): number | undefined {
    return this.lastSource < 0 ? undefined : this.floor;
  }

  /**
   * Declares that replication of this partition began reading at source position `position`
   * (the consumer's start offset; 0 when it started at the log's beginning). The consumer hands
   * out the first record at or after it, so every offset between `position` and the first
   * recorded run is a hole in the source log: a consumer positioned there resumes at the first
   * replicated record. Only meaningful before the first add().
   */
  startAt(position: number): void {
    checkOffset('position', position);
    if (this.lastSource < 0) this.start = position;
  }

  /**
   * Record that source offsets sourceOffset..+count-1 landed at targetOffset..+count-1. Merges
   * into the last run when both sides continue it; otherwise appends a run (dropping the oldest
   * if maxRuns is reached). Throws OffsetRunOrderError if the run does not come strictly after
   * the last recorded record on both sides.
   */
  add(sourceOffset: number, targetOffset: number, count = 1): void {
    checkOffset('sourceOffset', sourceOffset);
    checkOffset('targetOffset', targetOffset);
    // Compared as "first <= MAX - count + 1", not "first + count - 1 <= MAX": the sum could round
    // back below the limit once it passes 2^53.
    const maxFirst = Number.MAX_SAFE_INTEGER - count + 1;
    if (!Number.isSafeInteger(count) || count < 1 || sourceOffset > maxFirst || targetOffset > maxFirst) {
      throw new RangeError(`count must be an integer >= 1 keeping the run's offsets below 2^53, got ${count} (source ${sourceOffset}, target ${targetOffset})`);
    }
    const lastSource = this.lastSource;
    const lastTarget = this.lastTarget;
    if (lastSource >= 0) {
      if (sourceOffset <= lastSource || targetOffset <= lastTarget) {
        throw new OffsetRunOrderError(this, { sourceOffset, targetOffset, count }, { source: lastSource, target: lastTarget });
      }
    } else {
      // First run ever: nothing is known below it, unless we know where reading started: then
      // [start, sourceOffset) held no record (compacted away, markers, aborted) and translates to
      // this run's first target offset.
      this.floor = this.start >= 0 && this.start < sourceOffset ? this.start : sourceOffset;
    }
    this.lastSource = sourceOffset + count - 1;
    this.lastTarget = targetOffset + count - 1;
    if (this.length > 0 && sourceOffset === lastSource + 1 && targetOffset === lastTarget + 1) {
      // Contiguous on both sides: same delta, extend the last run.
      this.cnt[(this.first + this.length - 1) & this.mask] += count;
      return;
    }
    if (this.length === this.maxRuns) this.dropOldest();
    else if (this.length === this.src.length) this.grow();
    const i = (this.first + this.length) & this.mask;
    this.src[i] = sourceOffset;
    this.tgt[i] = targetOffset;
    this.cnt[i] = count;
    this.length++;
  }

  /**
   * Target position for source position P (the next offset a consumer would read), or undefined
   * when it cannot be known exactly (see the file comment). Allocation-free.
   */
  translate(position: number): number | undefined {
    if (!Number.isSafeInteger(position)) {
      throw new RangeError(`source position must be an integer below 2^53, got ${position}`);
    }
    if (this.lastSource < 0 || position < this.floor || position > this.lastSource + 1) return undefined;
    if (position === this.lastSource + 1) return this.lastTarget + 1;
    // Here floor <= P <= lastSource, so at least one run is kept (if every run had been dropped,
    // the floor would be lastSource + 1) and the last run ends at lastSource >= P. Binary search
    // for the first run whose last source offset is >= P.
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const j = (this.first + mid) & this.mask;
      if (this.src[j] + this.cnt[j] - 1 < position) lo = mid + 1;
      else hi = mid;
    }
    const k = (this.first + lo) & this.mask;
    const start = this.src[k];
    // Inside the run: same delta. Before it (in a source gap): the run's first record is next.
    return position >= start ? this.tgt[k] + (position - start) : this.tgt[k];
  }

  /** translate() with the reason when there is no exact answer, and a safe lower bound if any. */
  translateDetailed(position: number): Translation {
    const target = this.translate(position);
    if (target !== undefined) return { exact: true, target };
    if (this.lastSource < 0) return { exact: false, reason: 'no-progress' };
    if (position < this.floor) return { exact: false, reason: 'below-floor' };
    return { exact: false, reason: 'beyond-replicated', lowerBound: this.lastTarget + 1 };
  }

  /**
   * Drop every run that ends below `sourceOffset` (no position we still need lies there); a run
   * that straddles it is kept whole. Returns the number of runs dropped.
   */
  trimBelow(sourceOffset: number): number {
    let dropped = 0;
    while (this.length > 0) {
      const j = this.first;
      if (this.src[j] + this.cnt[j] - 1 >= sourceOffset) break;
      this.dropOldest();
      dropped++;
    }
    return dropped;
  }

  /** Copy of the kept runs, oldest first (for diagnostics and tests; allocates). */
  runs(): OffsetRun[] {
    const out: OffsetRun[] = [];
    for (let n = 0; n < this.length; n++) {
      const j = (this.first + n) & this.mask;
      out.push({ sourceOffset: this.src[j], targetOffset: this.tgt[j], count: this.cnt[j] });
    }
    return out;
  }

  private dropOldest(): void {
    const j = this.first;
    // Everything below the dropped run's end is now unknown; the gap after it is still known.
    this.floor = this.src[j] + this.cnt[j];
    this.first = (j + 1) & this.mask;
    this.length--;
  }

  private grow(): void {
    const capacity = Math.min(this.src.length * 2, nextPowerOfTwo(this.maxRuns));
    const src = new Float64Array(capacity);
    const tgt = new Float64Array(capacity);
    const cnt = new Float64Array(capacity);
    for (let n = 0; n < this.length; n++) {
      const j = (this.first + n) & this.mask;
      src[n] = this.src[j];
      tgt[n] = this.tgt[j];
      cnt[n] = this.cnt[j];
    }
    this.src = src;
    this.tgt = tgt;
    this.cnt = cnt;
    this.first = 0;
    this.mask = capacity - 1;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export interface OffsetMapOptions {
  /** maxRuns for each partition's OffsetRuns. */
  maxRunsPerPartition?: number;
}

/**
 * OffsetRuns for many source partitions, keyed by topic then partition (two Map lookups, no key
 * string built per call). On the coordinator's hot path, keep the OffsetRuns returned by
 * runsFor() in the slot table and call add() on it directly.
 */
export class OffsetMap {
  private readonly topics = new Map<string, Map<number, OffsetRuns>>();
  private readonly maxRuns: number;
  private count = 0;

  constructor(options: OffsetMapOptions = {}) {
    this.maxRuns = options.maxRunsPerPartition ?? DEFAULT_MAX_RUNS;
    if (!Number.isSafeInteger(this.maxRuns) || this.maxRuns < 1) {
      throw new RangeError(`maxRunsPerPartition must be an integer >= 1, got ${this.maxRuns}`);
    }
  }

  /** The partition's runs, created empty on first use. */
  runsFor(topic: string, partition: number): OffsetRuns {
    let partitions = this.topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      this.topics.set(topic, partitions);
    }
    let runs = partitions.get(partition);
    if (runs === undefined) {
      runs = new OffsetRuns({ maxRuns: this.maxRuns, topic, partition });
      partitions.set(partition, runs);
      this.count++;
    }
    return runs;
  }

  /** The partition's runs, or undefined if it was never recorded (or was deleted). */
  get(topic: string, partition: number): OffsetRuns | undefined {
    return this.topics.get(topic)?.get(partition);
  }

  add(topic: string, partition: number, sourceOffset: number, targetOffset: number, count = 1): void {
    this.runsFor(topic, partition).add(sourceOffset, targetOffset, count);
  }

  /** See OffsetRuns.translate; undefined also for a partition never recorded. */
  translate(topic: string, partition: number, position: number): number | undefined {
    return this.get(topic, partition)?.translate(position);
  }

  translateDetailed(topic: string, partition: number, position: number): Translation {
    return this.get(topic, partition)?.translateDetailed(position) ?? { exact: false, reason: 'no-progress' };
  }

  trimBelow(topic: string, partition: number, sourceOffset: number): number {
    return this.get(topic, partition)?.trimBelow(sourceOffset) ?? 0;
  }

  /** Forget a partition entirely (e.g. its topic was deleted). Returns whether it existed. */
  delete(topic: string, partition: number): boolean {
    const partitions = this.topics.get(topic);
    if (partitions === undefined || !partitions.delete(partition)) return false;
    if (partitions.size === 0) this.topics.delete(topic);
    this.count--;
    return true;
  }

  /** Number of partitions tracked. */
  get size(): number {
    return this.count;
  }

  /** Runs kept over all partitions. */
  get totalRuns(): number {
    let total = 0;
    for (const partitions of this.topics.values()) for (const runs of partitions.values()) total += runs.size;
    return total;
  }

  *entries(): IterableIterator<[topic: string, partition: number, runs: OffsetRuns]> {
    for (const [topic, partitions] of this.topics) {
      for (const [partition, runs] of partitions) yield [topic, partition, runs];
    }
  }
}
