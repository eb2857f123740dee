/**
 * Where a partition starts in the offset-preserving mode (flow `mode: offset-preserving`).
 *
 * In this mode every record lands on the target at the offset it has on the source, so the
 * target partition itself is the truth about what was replicated: its end offset E is the next
 * source offset to copy. The source group's committed offsets do not decide the start (they may
 * lag behind what the target acknowledged, and starting there would write duplicates at new
 * offsets). Before resuming at E, the target's last record (E-1) must equal the source's record
 * E-1, or the target was written by someone else or holds another history.
 *
 * decideStart() is the pure decision over the four offsets and the two records;
 * PreserveStarter carries it out (reads offsets and records, aligns) over small adapters, so both
 * are unit-tested with fakes.
 *
 * Alignment: a source partition whose log start L is above zero (retention, DeleteRecords) needs
 * a target whose next offset is L before the first record is copied. strait writes L filler
 * records (src/kafka/filler.ts) and deletes them with DeleteRecords, so the target's log start
 * and end are both L, like the source's. A crash during alignment leaves fillers at the target's
 * end, which the next start recognises by their header and continues from.
 */
import type { Logger } from 'pino';
import { FILLER_HEADER } from '../kafka/filler.js';
import type { FullRecord } from '../kafka/record-at.js';
import type { LogBounds } from '../kafka/admin.js';
import type { OnDivergence } from '../config/types.js';
import { describeError } from '../util/errors.js';
import { partitionKey } from '../util/partition-key.js';

/** Partitions whose start is worked out at the same time. */
const PARALLEL_STARTS = 4;

export type { LogBounds, OnDivergence };

export interface StartInput {
  source: LogBounds;
  target: LogBounds;
  /** The target's record at target.end - 1 (read when target.logStart < target.end). */
  targetLast?: FullRecord | undefined;
  /**
   * The source's record at target.end - 1, or the first one after it if that offset holds no
   * record (read when source.logStart <= target.end - 1 < source.end); undefined if none.
   */
  sourceAtLast?: FullRecord | undefined;
  onDivergence: OnDivergence;
}

export type StartDecision =
  /** Resume (or begin) copying at `offset`; `note` says what could not be checked, if anything. */
  | { action: 'start'; offset: number; note?: string }
  /**
   * Write fillers at target offsets from..to-1 (none when from == to), DeleteRecords below
   * `to`, then start at `to`. `lost` names source records the target never got (data loss).
   */
  | { action: 'align'; from: number; to: number; lost?: { from: number; to: number } }
  /** The target cannot continue the source's offsets here: stop the partition. */
  | { action: 'stop'; offset: number; reason: string }
  /** Same, but the user chose to keep replicating this partition with offset translation. */
  | { action: 'translate'; offset: number; reason: string };

/** Which records decideStart needs: the target's and the source's at these offsets. */
export function recordsToRead(source: LogBounds, target: LogBounds): { target?: number; source?: number } {
  const last = target.end - 1;
  const out: { target?: number; source?: number } = {};
  if (target.end > 0 && target.logStart < target.end) out.target = last;
  if (target.end > 0 && last >= source.logStart && last < source.end) out.source = last;
  return out;
}

export function isFiller(r: FullRecord): boolean {
  return r.headers.length === 1 && r.headers[0][0] === FILLER_HEADER && r.key === null && (r.value === null || r.value.length === 0);
}

/** The first field in which two records differ, or undefined when they are the same record. */
export function recordDifference(a: FullRecord, b: FullRecord): string | undefined {
  if (!sameBytes(a.key, b.key)) return 'key';
  if (!sameBytes(a.value, b.value)) return 'value';
  if ((a.timestamp ?? -1) !== (b.timestamp ?? -1)) return `timestamp (${a.timestamp ?? 'none'} vs ${b.timestamp ?? 'none'})`;
  if (a.headers.length !== b.headers.length) return `headers (${a.headers.length} vs ${b.headers.length})`;
  for (let i = 0; i < a.headers.length; i++) {
    if (a.headers[i][0] !== b.headers[i][0] || !sameBytes(a.headers[i][1], b.headers[i][1])) return `header ${i + 1} ("${a.headers[i][0]}")`;
  }
  return undefined;
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

export function decideStart(input: StartInput): StartDecision {
  const { source, target, targetLast, sourceAtLast, onDivergence } = input;
  const E = target.end;
  const L = source.logStart;
  const diverged = (offset: number, reason: string): StartDecision => (onDivergence === 'translate' ? { action: 'translate', offset, reason } : { action: 'stop', offset, reason });
  const lost = (): StartDecision =>
    onDivergence === 'translate'
      ? { action: 'align', from: E, to: L, lost: { from: E, to: L } }
      : diverged(
          E,
          `the source deleted offsets ${E}..${L - 1} (its log start is ${L}) before they reached the target, which ends at ${E}: those records are lost. ` +
            'Set onDivergence: translate to fill the gap and continue from the source log start',
        );

  if (E === 0) return L === 0 ? { action: 'start', offset: 0 } : { action: 'align', from: 0, to: L };
  if (E > source.end) {
    return diverged(
      source.end,
      `the target partition ends at offset ${E}, beyond the source's end ${source.end}: it holds records the source does not have (another producer wrote to it, or it was replicated from another source)`,
    );
  }
  if (target.logStart >= E) {
    // Nothing left to read on the target (aligned and nothing copied yet, or its retention
    // deleted everything): its end is all there is to go by.
    if (E < L) return lost();
    return { action: 'start', offset: E, note: target.logStart > 0 && E > L ? `the target holds no records below ${E} to compare with the source` : undefined };
  }
  if (!targetLast || targetLast.offset !== E - 1) {
    return diverged(E - 1, `the target's last offset ${E - 1} holds no record (a transaction marker or a compacted record): the partition was written by another producer`);
  }
  if (isFiller(targetLast)) {
    // An alignment that was interrupted: continue it (fillers are only written below the source log start).
    if (E <= L) return { action: 'align', from: E, to: L };
    return diverged(E - 1, `the target's record at offset ${E - 1} is a strait filler, but the source's log starts at ${L}, so offset ${E - 1} holds a real record there`);
  }
  if (E - 1 < L) {
    if (E === L) return { action: 'start', offset: E, note: `the source no longer holds offset ${E - 1} to compare with the target's last record` };
    return lost();
  }
  if (!sourceAtLast || sourceAtLast.offset !== E - 1) {
    return diverged(E - 1, `the source has no record at offset ${E - 1} (a hole: compaction or a transaction marker) but the target does: offsets cannot be kept equal here`);
  }
  const diff = recordDifference(targetLast, sourceAtLast);
  if (diff !== undefined) {
    return diverged(E - 1, `the target's record at offset ${E - 1} differs from the source's in its ${diff}: another producer wrote to the target, or it holds another history`);
  }
  return { action: 'start', offset: E };
}

// ------------------------------------------------------------------------- carrying it out

export interface PreserveAdapters {
  /** Log start and end offsets of partitions of one cluster. */
  bounds(side: 'source' | 'target', parts: { topic: string; partition: number }[]): Promise<Map<string, LogBounds>>;
  readRecord(side: 'source' | 'target', topic: string, partition: number, offset: number): Promise<FullRecord | undefined>;
  writeFillers(topic: string, partition: number, from: number, to: number): Promise<void>;
  deleteRecords(topic: string, partition: number, before: number): Promise<number>;
}

export interface PreservePartition {
  topic: string;
  partition: number;
  targetTopic: string;
  /** The flow group's committed offset on the source; used only if the partition falls back to translation. */
  committed: number | undefined;
}

export type PreserveStart =
  /** offset: next source offset (-1 = the log start); preserve: whether offsets stay equal. */
  | { offset: number; preserve: boolean; reason?: string }
  /**
   * Not started. `retry`: the start could not be worked out (a cluster did not answer, e.g. just
   * after a broker restart), not a divergence: the coordinator asks again a little later, and the
   * decision is made afresh from what the clusters hold then.
   */
  | { stopped: true; offset: number; reason: string; retry?: true };

/** How often the coordinator asks again for a start that could not be worked out (`retry`). */
export const START_RETRY_MS = 5_000;

export class PreserveStarter {
  constructor(
    private readonly adapters: PreserveAdapters,
    private readonly onDivergence: OnDivergence,
    private readonly log: Logger,
    private readonly flow: string,
    /** Attempts at reading log offsets (about 30 s in all with the default). */
    private readonly retryAttempts = 20,
  ) {}

  /** The start of each partition, by partitionKey. */
  async starts(parts: PreservePartition[]): Promise<Map<string, PreserveStart>> {
    const out = new Map<string, PreserveStart>();
    if (parts.length === 0) return out;
    let src: Map<string, LogBounds>;
    let tgt: Map<string, LogBounds>;
    try {
      src = await this.retry(() => this.adapters.bounds('source', parts));
      tgt = await this.retry(() => this.adapters.bounds('target', parts.map((p) => ({ topic: p.targetTopic, partition: p.partition }))));
    } catch (err) {
      const reason = `cannot read the log offsets to resume with offsets preserved: ${describeError(err)}; trying again every ${START_RETRY_MS / 1000} s`;
      this.log.error({ flow: this.flow, partitions: parts.map((p) => `${p.topic}-${p.partition}`) }, `flow ${this.flow}: ${parts.length} partition(s) held but not replicated: ${reason}`);
      for (const p of parts) out.set(partitionKey(p.topic, p.partition), { stopped: true, offset: -1, reason, retry: true });
      return out;
    }
    // Each partition reads up to two records with short-lived consumers (a connection each):
    // a few at a time, so a flow with many partitions starts in reasonable time.
    await forEachLimited(parts, PARALLEL_STARTS, async (p) => {
      const name = `${p.topic}-${p.partition}`;
      try {
        const source = src.get(partitionKey(p.topic, p.partition));
        const target = tgt.get(partitionKey(p.targetTopic, p.partition));
        if (!source || !target) throw new Error(`no log offsets for ${source ? p.targetTopic : p.topic} partition ${p.partition}`);
        const read = recordsToRead(source, target);
        const targetLast = read.target === undefined ? undefined : await this.adapters.readRecord('target', p.targetTopic, p.partition, read.target);
        const sourceAtLast = read.source === undefined ? undefined : await this.adapters.readRecord('source', p.topic, p.partition, read.source);
        const d = decideStart({ source, target, targetLast, sourceAtLast, onDivergence: this.onDivergence });
        out.set(partitionKey(p.topic, p.partition), await this.carryOut(p, d, name));
      } catch (err) {
        // Also a failed alignment: the next attempt recognises the fillers already written.
        const reason = `cannot determine where to resume with offsets preserved: ${describeError(err)}; trying again every ${START_RETRY_MS / 1000} s`;
        this.log.error({ flow: this.flow, topic: p.topic, partition: p.partition }, `flow ${this.flow}: partition ${name} is held but not replicated: ${reason}`);
        out.set(partitionKey(p.topic, p.partition), { stopped: true, offset: -1, reason, retry: true });
      }
    });
    return out;
  }

  /**
   * A remote topic created a moment ago may not be known to every broker yet (listOffsets then
   * answers "unknown topic or partition"): try again for a while before giving up.
   */
  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= this.retryAttempts) throw err;
        await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 2000)));
      }
    }
  }

  private async carryOut(p: PreservePartition, d: StartDecision, name: string): Promise<PreserveStart> {
    const { log, flow } = this;
    switch (d.action) {
      case 'start':
        if (d.note) log.info({ flow, topic: p.topic, partition: p.partition, offset: d.offset }, `flow ${flow}: partition ${name} resumes at offset ${d.offset} with offsets preserved (${d.note})`);
        return { offset: d.offset, preserve: true };
      case 'align': {
        if (d.lost) {
          log.error(
            { flow, topic: p.topic, partition: p.partition, lostFrom: d.lost.from, lostTo: d.lost.to - 1 },
            `flow ${flow}: DATA LOSS on partition ${name}: source offsets ${d.lost.from}..${d.lost.to - 1} were deleted on the source before they reached ${p.targetTopic}; continuing (onDivergence: translate) with fillers at those offsets, so later offsets stay equal`,
          );
        }
        const started = Date.now();
        await this.adapters.writeFillers(p.targetTopic, p.partition, d.from, d.to);
        const logStart = await this.adapters.deleteRecords(p.targetTopic, p.partition, d.to);
        if (logStart !== d.to) throw new Error(`DeleteRecords before ${d.to} left the log start of ${p.targetTopic}-${p.partition} at ${logStart}`);
        log.info(
          { flow, topic: p.topic, partition: p.partition, fillers: d.to - d.from, ms: Date.now() - started },
          `flow ${flow}: aligned ${p.targetTopic}-${p.partition} with the source log start ${d.to} (${d.to - d.from} filler record(s) written and deleted in ${Date.now() - started} ms)`,
        );
        return { offset: d.to, preserve: true };
      }
      case 'stop':
        log.error(
          { flow, topic: p.topic, partition: p.partition, offset: d.offset },
          `flow ${flow}: partition ${name} stopped (offset-preserving mode) at offset ${d.offset} of ${p.targetTopic}: ${d.reason}. Nothing is written to it; fix the cause or set onDivergence: translate, then restart strait`,
        );
        return { stopped: true, offset: d.offset, reason: `offset ${d.offset}: ${d.reason}` };
      case 'translate':
        log.warn(
          { flow, topic: p.topic, partition: p.partition, offset: d.offset },
          `flow ${flow}: partition ${name} continues WITHOUT preserving offsets (onDivergence: translate) from the flow's committed position ${p.committed ?? 'none (log start)'}: at offset ${d.offset} of ${p.targetTopic}: ${d.reason}`,
        );
        return { offset: p.committed ?? -1, preserve: false, reason: `offset ${d.offset}: ${d.reason}` };
    }
  }
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}
