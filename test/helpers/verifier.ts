/**
 * The chaos tests' own count of what reached the target: every record produced by
 * produceRecords carries its sequence number (in its timestamp, which strait relays untouched;
 * see records.ts), so a read of each target partition says which records are missing and which
 * arrived more than once. Reads are read_committed (scanPartitions), the view exactly-once promises.
 */
import { readPartition } from './records.js';

export interface Tally {
  /** Records the source got (sequences 0..expected-1). */
  expected: number;
  /** Records read from the target, copies included. */
  read: number;
  lost: number;
  duplicates: number;
  /** A few missing sequences, for the failure message. */
  firstLost: number[];
  /** Partitions whose first copies are not in source order. */
  outOfOrder: number[];
}

/**
 * Counts `total` records spread by produceRecords over `partitions` partitions (record i went to
 * partition i % partitions) in the target topic.
 */
export async function tallyTarget(bootstrap: string, topic: string, partitions: number, total: number): Promise<Tally> {
  const tally: Tally = { expected: total, read: 0, lost: 0, duplicates: 0, firstLost: [], outOfOrder: [] };
  for (let p = 0; p < partitions; p++) {
    const { sequences } = await readPartition(bootstrap, topic, p);
    tally.read += sequences.length;
    const copies = new Map<number, number>();
    let last = -1;
    let ordered = true;
    for (const seq of sequences) {
      const n = copies.get(seq) ?? 0;
      copies.set(seq, n + 1);
      if (n > 0) tally.duplicates++;
      else {
        if (seq < last) ordered = false;
        last = seq;
      }
    }
    if (!ordered) tally.outOfOrder.push(p);
    for (let seq = p; seq < total; seq += partitions) {
      if (copies.has(seq)) continue;
      tally.lost++;
      if (tally.firstLost.length < 5) tally.firstLost.push(seq);
    }
  }
  return tally;
}

export function describeTally(t: Tally): string {
  return (
    `${t.expected} produced, ${t.read} read on the target, ${t.lost} lost${t.lost > 0 ? ` (first: ${t.firstLost.join(', ')})` : ''}, ` +
    `${t.duplicates} duplicates${t.outOfOrder.length > 0 ? `, partitions out of order: ${t.outOfOrder.join(', ')}` : ''}`
  );
}
