/**
 * Data-loss detection: is a source partition's position still inside its log?
 *
 * The relay consumer runs with auto.offset.reset=error, so librdkafka does not silently jump to
 * the log start when retention deleted records strait had not copied yet: it stops fetching that
 * partition and reports ERR__AUTO_OFFSET_RESET. The binding hands that error over without the
 * partition it concerns (and drops it when it comes in the middle of a batch), so the relay finds
 * the partition itself: it asks the cluster for the log start and end of partitions that stopped
 * delivering records and classifies the position with classifyPosition() below.
 *
 * The missing range is [next offset to copy, log start): every offset in it was never relayed
 * and no longer exists on the source. On compacted topics some of those offsets may never have
 * held a record, so the count is an upper bound there; on other topics it is exact.
 */

export type PositionCheck =
  /** The position is inside the log (or at its end): nothing is missing. */
  | { kind: 'ok' }
  /** Retention (or DeleteRecords) removed [from, to) before strait copied it. */
  | { kind: 'lost'; from: number; to: number; count: number }
  /**
   * The position is past the log end (the partition was truncated by an unclean leader election,
   * or the topic was deleted and created again): nothing is known to be missing; the relay resumes
   * at the log start, as auto.offset.reset=earliest would (duplicates possible, no loss).
   */
  | { kind: 'beyond-end'; from: number; to: number };

/**
 * Classify `next` (the next source offset the relay would copy) against the partition's log start
 * `low` and log end `high` (high watermark) as the cluster reports them now. Logical positions
 * (negative: the log beginning, never committed) are never data loss.
 */
export function classifyPosition(next: number, low: number, high: number): PositionCheck {
  if (next < 0 || low < 0) return { kind: 'ok' };
  if (next < low) return { kind: 'lost', from: next, to: low, count: low - next };
  if (high >= 0 && next > high) return { kind: 'beyond-end', from: next, to: low };
  return { kind: 'ok' };
}

/** What a slot looks like to the loss check: enough to decide whether to ask the cluster. */
export interface QuietSlot {
  /** Next source offset to copy; negative = a logical start (log beginning), not checked. */
  nextOffset: number;
  /** When the slot last got a record (or was assigned), ms. */
  lastRecordAt: number;
  /** High watermark from the consumer's last fetch response; -1 = unknown. */
  cachedHighWatermark: number;
  /** Position and time of the last check that found nothing; -1 = never checked. */
  checkedOffset: number;
  checkedAt: number;
}

/**
 * Whether a slot is worth a round trip to the cluster. A partition librdkafka stopped on an
 * out-of-range position delivers nothing more, so only slots quiet for `quietMs` are checked, and
 * only if they are not plainly caught up (position = the high watermark of the last fetch; a
 * stopped partition's last fetch answer carries no high watermark, so it reads as unknown). A slot
 * found fine at the same position is checked again only after `recheckMs` (e.g. a compacted
 * partition whose position stays below its high watermark), unless `force` (the consumer reported
 * an out-of-range position, partition unknown).
 */
export function shouldCheck(s: QuietSlot, now: number, quietMs: number, recheckMs: number, force: boolean): boolean {
  if (s.nextOffset < 0) return false;
  if (now - s.lastRecordAt < quietMs) return false;
  if (s.cachedHighWatermark >= 0 && s.cachedHighWatermark === s.nextOffset) return false;
  if (!force && s.checkedOffset === s.nextOffset && s.checkedAt >= 0 && now - s.checkedAt < recheckMs) return false;
  return true;
}
