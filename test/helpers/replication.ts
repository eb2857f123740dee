/** Waiting for and checking replication between the two test clusters. */
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { readPartition } from './records.js';

export interface TopicPair {
  source: string;
  target: string;
  partitions: number;
}

async function endOffsets(bootstrap: string, topics: { topic: string; partitions: number }[]): Promise<Map<string, number>> {
  const admin = new KafkaAdmin('test', { 'bootstrap.servers': bootstrap });
  try {
    const parts = topics.flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.topic, partition })));
    const res = await admin.listOffsets(parts, 'latest');
    return new Map(res.map((r) => [`${r.topic}/${r.partition}`, r.offset]));
  } finally {
    admin.close();
  }
}

/**
 * Waits until every target partition holds at least as many records as its source partition.
 * With duplicates on the target (after a crash) that says nothing: pass strait's `groupId`, and
 * it waits until the group's committed offsets on the source reach the source's end instead
 * (strait commits only what the target acknowledged). Returns the source totals.
 */
export async function waitForCatchUp(source: string, target: string, pairs: TopicPair[], timeoutMs: number, groupId?: string): Promise<number> {
  const until = Date.now() + timeoutMs;
  const src = await endOffsets(source, pairs.map((p) => ({ topic: p.source, partitions: p.partitions })));
  const total = [...src.values()].reduce((a, b) => a + b, 0);
  if (groupId !== undefined) {
    const admin = new KafkaAdmin('source', { 'bootstrap.servers': source });
    try {
      for (;;) {
        const committed = new Map((await admin.groupOffsets(groupId)).map((o) => [`${o.topic}/${o.partition}`, o.offset]));
        let behind = 0;
        for (const [key, end] of src) behind += Math.max(0, end - (committed.get(key) ?? 0));
        if (behind === 0) return total;
        if (Date.now() > until) throw new Error(`group ${groupId} did not commit up to the source's end within ${timeoutMs} ms: ${behind} records behind`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      admin.close();
    }
  }
  for (;;) {
    let tgt: Map<string, number>;
    try {
      tgt = await endOffsets(target, pairs.map((p) => ({ topic: p.target, partitions: p.partitions })));
    } catch {
      tgt = new Map(); // remote topic not created yet
    }
    let copied = 0;
    let done = true;
    for (const p of pairs) {
      for (let i = 0; i < p.partitions; i++) {
        const s = src.get(`${p.source}/${i}`) ?? 0;
        const t = tgt.get(`${p.target}/${i}`) ?? 0;
        copied += Math.min(s, t);
        if (t < s) done = false;
      }
    }
    if (done) return total;
    if (Date.now() > until) throw new Error(`replication did not catch up within ${timeoutMs} ms: ${copied} of ${total} records on the target`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface Comparison {
  records: number;
  duplicates: number;
}

/**
 * Compares every partition of source and target: the target must hold every source record, in
 * source order. `exact`: byte-identical digests (no duplicates allowed); otherwise a re-sent
 * record may appear again later in the target (at-least-once after a crash), and duplicates are
 * counted: removing every record seen before must leave exactly the source sequence.
 */
export async function comparePartitions(source: string, target: string, pairs: TopicPair[], exact: boolean): Promise<Comparison> {
  let records = 0;
  let duplicates = 0;
  for (const p of pairs) {
    for (let i = 0; i < p.partitions; i++) {
      const s = await readPartition(source, p.source, i);
      const t = await readPartition(target, p.target, i);
      records += s.count;
      if (exact) {
        assert.equal(t.count, s.count, `${p.target}-${i}: ${t.count} records on the target, ${s.count} on the source`);
        assert.equal(t.digest, s.digest, `${p.target}-${i}: target records differ from the source (key, value, headers or timestamp)`);
        continue;
      }
      const seen = new Set<number>();
      const firsts: number[] = [];
      for (const seq of t.sequences) {
        if (seen.has(seq)) duplicates++;
        else {
          seen.add(seq);
          firsts.push(seq);
        }
      }
      const missing = s.sequences.filter((x) => !seen.has(x));
      assert.equal(missing.length, 0, `${p.target}-${i}: ${missing.length} source record(s) missing on the target, first sequence ${missing[0]}`);
      assert.deepEqual(firsts, s.sequences, `${p.target}-${i}: first occurrences on the target are not in source order`);
    }
  }
  return { records, duplicates };
}
