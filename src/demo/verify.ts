/**
 * Checks that a target holds every record of some source topics, partition by partition, in
 * order: counts and digests first (one read of each side), and for a partition that differs a
 * second, record-by-record read that tells missing records from duplicates.
 */
import { KafkaAdmin } from '../kafka/admin.js';
import { digestPartitions, partitionRanges, recordIds, type PartitionRange } from './digest.js';
import { diffRecordIds, MAX_LISTED, type PartitionComparison } from './verdict.js';

export interface ClusterRef {
  alias: string;
  bootstrap: string;
}

export interface TopicPair {
  /** The topic on the source cluster. */
  source: string;
  /** Its copy on the target (the remote name under the flow's replication policy). */
  target: string;
  partitions: number;
}

export async function verifyReplication(source: ClusterRef, target: ClusterRef, pairs: readonly TopicPair[]): Promise<PartitionComparison[]> {
  const admin = new KafkaAdmin(target.alias, { 'bootstrap.servers': target.bootstrap });
  let targetPartitions: Map<string, number>;
  try {
    targetPartitions = new Map((await admin.describeTopics(pairs.map((p) => p.target))).map((t) => [t.name, t.partitions]));
  } finally {
    admin.close();
  }
  const slots = pairs.flatMap((p) => Array.from({ length: p.partitions }, (_, partition) => ({ pair: p, partition })));
  const onTarget = slots.filter((s) => s.partition < (targetPartitions.get(s.pair.target) ?? 0));
  const [sourceRanges, targetRanges] = await Promise.all([
    partitionRanges(source.alias, source.bootstrap, slots.map((s) => ({ topic: s.pair.source, partition: s.partition }))),
    partitionRanges(target.alias, target.bootstrap, onTarget.map((s) => ({ topic: s.pair.target, partition: s.partition }))),
  ]);
  const [sourceDigests, targetDigests] = await Promise.all([digestPartitions(source.bootstrap, sourceRanges), digestPartitions(target.bootstrap, targetRanges)]);
  const targetIndex = new Map(onTarget.map((s, i) => [`${s.pair.target}\u0000${s.partition}`, i]));

  const comparisons: PartitionComparison[] = [];
  const toDiff: { comparison: PartitionComparison; source: PartitionRange; target: PartitionRange }[] = [];
  slots.forEach((s, i) => {
    const base = { sourceTopic: s.pair.source, targetTopic: s.pair.target, partition: s.partition, sourceCount: sourceDigests[i].count };
    const t = targetIndex.get(`${s.pair.target}\u0000${s.partition}`);
    if (t === undefined) {
      const have = targetPartitions.get(s.pair.target);
      const problem = have === undefined ? 'the remote topic does not exist on the target' : `the remote topic has only ${have} partition(s)`;
      comparisons.push({ ...base, targetCount: 0, identical: base.sourceCount === 0 && have !== undefined, problem });
      return;
    }
    const d = targetDigests[t];
    const c: PartitionComparison = { ...base, targetCount: d.count, identical: d.count === base.sourceCount && d.digest === sourceDigests[i].digest };
    comparisons.push(c);
    if (!c.identical) toDiff.push({ comparison: c, source: sourceRanges[i], target: targetRanges[t] });
  });
  // Record by record only where it will be listed: the verdict names at most MAX_LISTED partitions.
  for (const x of toDiff.slice(0, MAX_LISTED)) {
    const [s, t] = await Promise.all([recordIds(source.bootstrap, x.source), recordIds(target.bootstrap, x.target)]);
    x.comparison.diff = diffRecordIds(s, t);
  }
  return comparisons;
}
