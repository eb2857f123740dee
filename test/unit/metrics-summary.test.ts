import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowSnapshot, PartitionSnapshot } from '../../src/coordinator/snapshot.js';
import type { LatencyQuantiles } from '../../src/metrics/histogram.js';
import { fixedRates, RateTracker } from '../../src/metrics/rates.js';
import { formatSeconds, formatSummaryLine, summarizeFlow, summarizeSnapshot, type FlowSummary } from '../../src/metrics/summary.js';

const NOW = 1_700_000_000_000;
const q = (over: Partial<LatencyQuantiles> = {}): LatencyQuantiles => ({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, ...over });

function partition(over: Partial<PartitionSnapshot> = {}): PartitionSnapshot {
  return {
    topic: 'orders',
    partition: 0,
    targetTopic: 'east.orders',
    replicatedOffset: 100,
    committedOffset: 100,
    highWatermark: 100,
    replicatedTimestamp: NOW - 100,
    records: 100,
    bytes: 100,
    worker: 0,
    offsetRuns: 1,
    ...over,
  };
}

function flow(over: Partial<FlowSnapshot> = {}): FlowSnapshot {
  return {
    name: 'east->west',
    source: 'east',
    target: 'west',
    mode: 'at-least-once',
    records: 0,
    bytes: 0,
    recordsFailed: 0,
    partitions: [],
    replicationLatency: q(),
    relayLatency: q(),
    recentReplicationLatency: q(),
    commits: 0,
    commitErrors: 0,
    topics: 1,
    ...over,
  };
}

const base: FlowSummary = {
  flow: 'east->west',
  source: 'east',
  target: 'west',
  recordsPerSecond: 52_310.4,
  megabytesPerSecond: 49.93,
  lagRecords: 1204,
  lagSeconds: 0.8,
  p50Ms: 12,
  p99Ms: 41,
  partitions: 24,
  errors: 0,
  recordsFailed: 0,
};

void describe('summary line', () => {
  void it('reads like the progress display', () => {
    assert.equal(formatSummaryLine(base), 'east->west  52,310 rec/s  49.9 MB/s  lag 1,204 rec (0.8 s)  p50 12 ms  p99 41 ms  24 partitions');
  });

  void it('names the cluster pair when the flow name does not', () => {
    assert.match(formatSummaryLine({ ...base, flow: 'orders' }), /^orders \(east->west\) {2}/);
  });

  void it('shows unknowns, singulars, stopped partitions and failed records', () => {
    const line = formatSummaryLine({ ...base, lagRecords: null, lagSeconds: null, p50Ms: null, p99Ms: null, partitions: 1, errors: 1, recordsFailed: 3 });
    assert.equal(line, 'east->west  52,310 rec/s  49.9 MB/s  lag ?  p50 -  p99 -  1 partition  1 partition stopped  3 records failed');
    assert.match(formatSummaryLine({ ...base, lagSeconds: null }), / {2}lag 1,204 rec {2}p50/);
    assert.match(formatSummaryLine({ ...base, lagSeconds: 1234.4 }), /lag 1,204 rec \(1,234 s\)/);
  });

  void it('shows the flow RPO when known and records lost at the source', () => {
    assert.equal(
      formatSummaryLine({ ...base, rpoSeconds: 1.25, recordsLost: 40 }),
      'east->west  52,310 rec/s  49.9 MB/s  lag 1,204 rec (0.8 s)  RPO 1.3 s  p50 12 ms  p99 41 ms  24 partitions  40 records lost at the source',
    );
    assert.doesNotMatch(formatSummaryLine({ ...base, rpoSeconds: null, recordsLost: 0 }), /RPO|lost/);
  });

  void it('formats seconds with one decimal below 10 s', () => {
    assert.equal(formatSeconds(0), '0.0 s');
    assert.equal(formatSeconds(9.94), '9.9 s');
    assert.equal(formatSeconds(12.6), '13 s');
  });
});

void describe('summary object', () => {
  void it('sums lag, takes the worst lag in seconds, counts stopped partitions', () => {
    const f = flow({
      partitions: [
        partition({ partition: 0, replicatedOffset: 100, highWatermark: 150, replicatedTimestamp: NOW - 800 }),
        partition({ partition: 1, replicatedOffset: 100, highWatermark: 1254, replicatedTimestamp: NOW - 2500 }),
        partition({ partition: 2, highWatermark: -1, error: 'refused' }),
      ],
      recentReplicationLatency: q({ count: 10, p50: 12, p99: 41 }),
      recordsFailed: 2,
    });
    const s = summarizeFlow(f, NOW, fixedRates(new Map([['east->west', { recordsPerSecond: 52_310.44, bytesPerSecond: 49_930_000, overMs: 10_000 }]])));
    assert.deepEqual(s, {
      flow: 'east->west',
      source: 'east',
      target: 'west',
      recordsPerSecond: 52_310.4,
      megabytesPerSecond: 49.93,
      lagRecords: 1204,
      lagSeconds: 2.5,
      p50Ms: 12,
      p99Ms: 41,
      partitions: 3,
      errors: 1,
      recordsFailed: 2,
      // The oldest replicated-through time: partition 1 is behind, its newest copied record is 2.5 s old.
      rpoSeconds: 2.5,
      recordsLost: 0,
    });
    // Plain data for the JSON log.
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  void it('says unknown rather than zero when nothing is known', () => {
    const s = summarizeFlow(flow({ partitions: [partition({ highWatermark: -1 })] }), NOW);
    assert.equal(s.recordsPerSecond, 0);
    assert.equal(s.lagRecords, null);
    assert.equal(s.lagSeconds, null);
    assert.equal(s.p50Ms, null);
    assert.equal(s.p99Ms, null);
    assert.equal(summarizeFlow(flow({ partitions: [partition({ highWatermark: -1, replicatedTimestamp: -1 })] }), NOW).rpoSeconds, null);
  });

  void it('summarizes every flow of a snapshot with a tracker fed the same snapshot', () => {
    const snap = { takenAt: NOW, startedAt: NOW - 4000, flows: [flow({ records: 4000, bytes: 8_000_000 }), flow({ name: 'b', records: 0 })] };
    const rates = new RateTracker();
    rates.observe(snap);
    const [a, b] = summarizeSnapshot(snap, rates);
    assert.equal(a.recordsPerSecond, 1000);
    assert.equal(a.megabytesPerSecond, 2);
    assert.equal(b.flow, 'b');
    assert.equal(b.recordsPerSecond, 0);
  });
});
