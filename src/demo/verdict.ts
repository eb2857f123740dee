/**
 * The demo's verdict, from per-partition comparisons of source and target. Pure: the reading is
 * in digest.ts, the orchestration in verify.ts.
 *
 * A partition is identical when the target holds exactly the source's records, in the same
 * order (equal count and digest). Otherwise the per-record ids say what differs: records missing
 * on the target, records present twice (at-least-once allows that after a crash, but not after
 * the demo's ordered stop), records the source does not have, or the right records in another order.
 */
import { formatInteger } from '../metrics/summary.js';

export interface PartitionDiff {
  /** Source records with no copy on the target. */
  missing: number;
  /** Target records that repeat an earlier target record. */
  duplicates: number;
  /** Target records whose content matches no source record. */
  unexpected: number;
  /** The first copies of the source records are not in source order. */
  outOfOrder: boolean;
}

export interface PartitionComparison {
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  sourceCount: number;
  targetCount: number;
  identical: boolean;
  /** Filled for a partition that is not identical, when its records could be compared one by one. */
  diff?: PartitionDiff;
  /** Why the partition could not be compared (e.g. the remote topic does not exist). */
  problem?: string;
}

/**
 * Compares two partitions' record ids (see digest.ts recordId) as multisets, so a source that
 * legitimately holds two identical records is not mistaken for a duplicate on the target, and
 * then the order of the first copies. Identical lists give all zeros.
 */
export function diffRecordIds(source: readonly string[], target: readonly string[]): PartitionDiff {
  const count = (ids: readonly string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
    return m;
  };
  const inSource = count(source);
  const inTarget = count(target);
  let missing = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const [id, n] of inSource) missing += Math.max(0, n - (inTarget.get(id) ?? 0));
  for (const [id, n] of inTarget) {
    const expected = inSource.get(id);
    if (expected === undefined) unexpected += n;
    else duplicates += Math.max(0, n - expected);
  }
  const firstCopies = (ids: readonly string[], keep: Map<string, number>): string[] => {
    const seen = new Set<string>();
    return ids.filter((id) => keep.has(id) && !seen.has(id) && (seen.add(id), true));
  };
  const a = firstCopies(source, inTarget);
  const b = firstCopies(target, inSource);
  const outOfOrder = a.length !== b.length || a.some((id, i) => id !== b[i]);
  return { missing, duplicates, unexpected, outOfOrder };
}

export interface Verdict {
  ok: boolean;
  /** The first line is the verdict; the others name what differs where. */
  lines: string[];
}

const plural = (n: number, one: string, many: string): string => `${formatInteger(n)} ${n === 1 ? one : many}`;

function describePartition(c: PartitionComparison): string {
  const where = `${c.sourceTopic}-${c.partition} -> ${c.targetTopic}-${c.partition}`;
  const counts = `source ${formatInteger(c.sourceCount)}, target ${formatInteger(c.targetCount)}`;
  if (c.problem !== undefined) return `${where}: ${c.problem} (${counts})`;
  const d = c.diff;
  if (d === undefined) return `${where}: content differs (${counts})`;
  const what: string[] = [];
  if (d.missing > 0) what.push(`${plural(d.missing, 'record', 'records')} missing on the target`);
  if (d.duplicates > 0) what.push(`${plural(d.duplicates, 'duplicate', 'duplicates')}`);
  if (d.unexpected > 0) what.push(`${plural(d.unexpected, 'record', 'records')} not on the source (changed content?)`);
  if (d.outOfOrder) what.push('records out of source order');
  if (what.length === 0) what.push('content differs');
  return `${where}: ${what.join(', ')} (${counts})`;
}

/** At most this many differing partitions are listed; the rest are counted. */
export const MAX_LISTED = 20;

export function formatVerdict(comparisons: readonly PartitionComparison[]): Verdict {
  const partitions = comparisons.length;
  const records = comparisons.reduce((a, c) => a + c.sourceCount, 0);
  const differing = comparisons.filter((c) => !c.identical);
  if (partitions === 0) return { ok: false, lines: ['NOT verified: there were no partitions to compare'] };
  if (differing.length === 0) {
    return { ok: true, lines: [`verified: ${plural(records, 'record', 'records')} in ${plural(partitions, 'partition', 'partitions')}, identical on target`] };
  }
  const onTarget = comparisons.reduce((a, c) => a + c.targetCount, 0);
  const totals = { missing: 0, duplicates: 0 };
  for (const c of differing) {
    totals.missing += c.diff?.missing ?? Math.max(0, c.sourceCount - c.targetCount);
    totals.duplicates += c.diff?.duplicates ?? 0;
  }
  const summary: string[] = [];
  if (totals.missing > 0) summary.push(`${formatInteger(totals.missing)} missing`);
  if (totals.duplicates > 0) summary.push(`${plural(totals.duplicates, 'duplicate', 'duplicates')}`);
  const lines = [
    `NOT verified: ${formatInteger(differing.length)} of ${plural(partitions, 'partition', 'partitions')} differ` +
      ` (${formatInteger(records)} records on the source, ${formatInteger(onTarget)} on the target${summary.length > 0 ? `; ${summary.join(', ')}` : ''})`,
  ];
  for (const c of differing.slice(0, MAX_LISTED)) lines.push(`  ${describePartition(c)}`);
  if (differing.length > MAX_LISTED) lines.push(`  … and ${formatInteger(differing.length - MAX_LISTED)} more partitions`);
  return { ok: false, lines };
}
