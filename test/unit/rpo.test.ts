import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PartitionSnapshot } from '../../src/coordinator/snapshot.js';
import { flowConsistentCut, flowRpoSeconds, partitionReplicatedThrough, partitionRpoSeconds } from '../../src/metrics/rpo.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';

const NOW = 1_700_000_000_000;
const q = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };

function partition(over: Partial<PartitionSnapshot> = {}): PartitionSnapshot {
  return {
    topic: 'orders',
    partition: 0,
    targetTopic: 'east.orders',
    replicatedOffset: 100,
    committedOffset: 100,
    highWatermark: 100,
    highWatermarkAt: NOW - 700,
    replicatedTimestamp: NOW - 30_000,
    records: 100,
    bytes: 100,
    worker: 0,
    offsetRuns: 1,
    ...over,
  };
}

void describe('replicated-through time and RPO', () => {
  void it('caught up: the time the high watermark was seen', () => {
    const p = partition();
    assert.equal(partitionReplicatedThrough(p), NOW - 700);
    assert.equal(partitionRpoSeconds(p, NOW), 0.7);
    // Replicated past the sampled watermark (acknowledgements came after the sample): still caught up.
    assert.equal(partitionReplicatedThrough(partition({ replicatedOffset: 120 })), NOW - 700);
  });

  void it('an empty partition with no position yet is caught up', () => {
    assert.equal(partitionReplicatedThrough(partition({ replicatedOffset: -1, highWatermark: 0, replicatedTimestamp: -1 })), NOW - 700);
  });

  void it('a stopped partition is behind, even if the high watermark it last saw says caught up', () => {
    assert.equal(partitionReplicatedThrough(partition({ error: 'stopped' })), NOW - 30_000);
  });

  void it('behind: the newest source timestamp among the copied records', () => {
    const p = partition({ replicatedOffset: 90 });
    assert.equal(partitionReplicatedThrough(p), NOW - 30_000);
    assert.equal(partitionRpoSeconds(p, NOW), 30);
  });

  void it('unknown (absent, not 0) without a high watermark and without a copied record', () => {
    assert.equal(partitionReplicatedThrough(partition({ highWatermark: -1, highWatermarkAt: -1, replicatedTimestamp: -1 })), undefined);
    assert.equal(partitionRpoSeconds(partition({ replicatedOffset: 10, replicatedTimestamp: -1 }), NOW), undefined, 'behind, nothing copied yet');
    // No high watermark yet, but records copied: their newest timestamp.
    assert.equal(partitionReplicatedThrough(partition({ highWatermark: -1, highWatermarkAt: undefined })), NOW - 30_000);
    // A high watermark without its sampling time (an older snapshot producer) is not used.
    assert.equal(partitionReplicatedThrough(partition({ highWatermarkAt: undefined })), NOW - 30_000);
  });

  void it('never negative (producer clocks ahead of this host)', () => {
    assert.equal(partitionRpoSeconds(partition({ replicatedOffset: 90, replicatedTimestamp: NOW + 5000 }), NOW), 0);
  });
});

void describe('consistent cut of a flow', () => {
  void it('is the oldest replicated-through time over mixed partitions', () => {
    const flow = { partitions: [partition({ partition: 0 }), partition({ partition: 1, replicatedOffset: 90, replicatedTimestamp: NOW - 12_000 }), partition({ partition: 2, highWatermarkAt: NOW - 200 })] };
    assert.equal(flowConsistentCut(flow), NOW - 12_000);
    assert.equal(flowRpoSeconds(flow, NOW), 12);
  });

  void it('is unknown when any partition is, or there are none', () => {
    assert.equal(flowConsistentCut({ partitions: [partition(), partition({ partition: 1, highWatermark: -1, replicatedTimestamp: -1 })] }), undefined);
    assert.equal(flowRpoSeconds({ partitions: [] }, NOW), undefined);
  });

  void it('is exposed as metrics, absent while unknown', () => {
    const flow = {
      name: 'east->west',
      source: 'east',
      target: 'west',
      mode: 'at-least-once',
      records: 0,
      bytes: 0,
      recordsFailed: 0,
      recordsLost: 15,
      partitions: [partition({ recordsLost: 15 }), partition({ partition: 1, replicatedOffset: 90, replicatedTimestamp: NOW - 12_000 })],
      replicationLatency: q,
      relayLatency: q,
      recentReplicationLatency: q,
      commits: 0,
      commitErrors: 0,
      topics: 1,
    };
    const text = renderPrometheus({ takenAt: NOW, startedAt: NOW - 1000, flows: [flow] });
    const l = 'flow="east->west",source="east",target="west"';
    assert.match(text, new RegExp(`^strait_flow_rpo_seconds\\{${l}\\} 12$`, 'm'));
    assert.match(text, new RegExp(`^strait_flow_consistent_cut_timestamp_seconds\\{${l}\\} ${(NOW - 12_000) / 1000}$`, 'm'));
    assert.match(text, new RegExp(`^strait_partition_rpo_seconds\\{${l},topic="orders",partition="0"\\} 0.7$`, 'm'));
    assert.match(text, new RegExp(`^strait_partition_replicated_through_timestamp_seconds\\{${l},topic="orders",partition="1"\\} ${(NOW - 12_000) / 1000}$`, 'm'));
    assert.match(text, new RegExp(`^strait_records_lost_total\\{${l}\\} 15$`, 'm'));
    assert.match(text, new RegExp(`^strait_partition_records_lost_total\\{${l},topic="orders",partition="0"\\} 15$`, 'm'));
    assert.match(text, new RegExp(`^strait_partition_records_lost_total\\{${l},topic="orders",partition="1"\\} 0$`, 'm'));
    const unknown = renderPrometheus({ takenAt: NOW, startedAt: NOW - 1000, flows: [{ ...flow, partitions: [partition({ highWatermark: -1, replicatedTimestamp: -1 })] }] });
    assert.doesNotMatch(unknown, /^strait_flow_rpo_seconds\{/m);
    assert.doesNotMatch(unknown, /^strait_partition_rpo_seconds\{/m);
    assert.doesNotMatch(unknown, /^strait_flow_consistent_cut_timestamp_seconds\{/m);
  });
});
