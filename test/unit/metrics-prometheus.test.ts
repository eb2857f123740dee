/**
 * The Prometheus exposition: the output is parsed back line by line with the rules of text format
 * 0.0.4 (declared families, one TYPE each, contiguous samples, escaped labels, no NaN), and the
 * values are checked against the definitions in docs/metrics.md.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineSnapshot, FlowSnapshot, PartitionSnapshot } from '../../src/coordinator/snapshot.js';
import type { LatencyQuantiles } from '../../src/metrics/histogram.js';
import { escapeLabelValue, METRIC_FAMILIES, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../../src/metrics/prometheus.js';
import { fixedRates } from '../../src/metrics/rates.js';

const NOW = 1_700_000_000_000;

const quantiles = (over: Partial<LatencyQuantiles> = {}): LatencyQuantiles => ({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, ...over });

function partition(over: Partial<PartitionSnapshot> = {}): PartitionSnapshot {
  return {
    topic: 'orders',
    partition: 0,
    targetTopic: 'east.orders',
    replicatedOffset: 1000,
    committedOffset: 900,
    highWatermark: 1200,
    replicatedTimestamp: NOW - 800,
    records: 1000,
    bytes: 50_000,
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
    records: 5000,
    bytes: 250_000,
    recordsFailed: 0,
    partitions: [partition()],
    replicationLatency: quantiles({ count: 5000, p50: 10, p90: 20, p99: 40, p999: 90, max: 120, mean: 12.3456 }),
    relayLatency: quantiles({ count: 5000, p50: 3, p90: 5, p99: 9, p999: 15, max: 30, mean: 3.5 }),
    recentReplicationLatency: quantiles({ count: 500, p50: 11, p90: 21, p99: 41, p999: 91, max: 99, mean: 13 }),
    commits: 7,
    commitErrors: 1,
    topics: 1,
    ...over,
  };
}

function snapshot(flows: FlowSnapshot[]): EngineSnapshot {
  return { takenAt: NOW, startedAt: NOW - 65_500, flows };
}

interface Sample {
  name: string;
  family: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse label pairs `a="x",b="y\"z"`, undoing the format's escapes; throws on anything else. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    assert.ok(m, `bad label at ${i} in: ${line}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      assert.ok(i < text.length, `unterminated label value in: ${line}`);
      const c = text[i++];
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        assert.ok(e === '\\' || e === '"' || e === 'n', `bad escape \\${e} in: ${line}`);
        value += e === 'n' ? '\n' : e;
      } else {
        assert.notEqual(c, '\n');
        value += c;
      }
    }
    assert.equal(labels[m[1]], undefined, `label ${m[1]} twice in: ${line}`);
    labels[m[1]] = value;
    if (i < text.length) {
      assert.equal(text[i], ',', `expected , in: ${line}`);
      i++;
    }
  }
  return labels;
}

/** Parse the exposition, asserting the rules of format 0.0.4 along the way. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  assert.ok(text.endsWith('\n'), 'ends with a line feed');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  const series = new Set<string>();
  const samples: Sample[] = [];
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    assert.notEqual(line, '', 'no empty lines');
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
      assert.ok(m, `bad comment: ${line}`);
      const [, kind, name, rest] = m;
      if (current !== undefined && current !== name) finished.add(current);
      assert.ok(!finished.has(name), `family ${name} declared again after other families`);
      current = name;
      if (kind === 'HELP') {
        assert.ok(!helps.has(name), `two HELP lines for ${name}`);
        helps.add(name);
      } else {
        assert.ok(!types.has(name), `two TYPE lines for ${name}`);
        assert.ok(['counter', 'gauge', 'summary', 'histogram', 'untyped'].includes(rest), `bad type ${rest}`);
        types.set(name, rest);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `bad sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    let family = name;
    if (!types.has(name)) {
      const base = name.replace(/_(sum|count)$/, '');
      assert.equal(types.get(base), 'summary', `sample ${name} belongs to no declared family`);
      family = base;
    }
    assert.equal(family, current, `sample ${name} is not with the rest of its family`);
    assert.ok(!['NaN', '+Inf', '-Inf'].includes(valueText), `non-finite value in: ${line}`);
    const value = Number(valueText);
    assert.ok(Number.isFinite(value), `bad value in: ${line}`);
    const labels = labelText === undefined ? {} : parseLabels(labelText, line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!series.has(key), `duplicate series: ${line}`);
    series.add(key);
    samples.push({ name, family, labels, value });
  }
  for (const name of types.keys()) assert.ok(helps.has(name), `${name} has TYPE but no HELP`);
  return { types, samples };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(samples, name, labels);
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

void describe('prometheus exposition: format', () => {
  const snap = snapshot([
    flow({
      partitions: [
        partition(),
        partition({ partition: 1, highWatermark: -1, replicatedTimestamp: -1 }),
        partition({ partition: 2, replicatedOffset: 500, highWatermark: 500, error: 'target refused offset 500: "message too large"\nsecond line' }),
      ],
      recordsFailed: 1,
    }),
    flow({ name: 'payments', source: 'south', target: 'west', partitions: [partition({ topic: 'we"ird\\topic\nname' })], recentReplicationLatency: quantiles() }),
  ]);
  const text = renderPrometheus(snap, fixedRates(new Map([['east->west', { recordsPerSecond: 1234.5678, bytesPerSecond: 99, overMs: 10_000 }]])));
  const { types, samples } = parseExposition(text);

  void it('declares every family once, with its type, and nothing else', () => {
    assert.deepEqual(
      [...types.entries()],
      METRIC_FAMILIES.map((f) => [f.name, f.type]),
    );
    for (const f of METRIC_FAMILIES) assert.match(f.name, /^strait_[a-z0-9_]+$/);
    for (const f of METRIC_FAMILIES.filter((f) => f.type === 'counter')) assert.match(f.name, /_total$/, 'counters end in _total');
  });

  void it('gives every sample exactly the labels its family declares', () => {
    const byName = new Map(METRIC_FAMILIES.map((f) => [f.name, f]));
    for (const s of samples) {
      const f = byName.get(s.family)!;
      const expected = [...f.labels];
      if (f.type === 'summary' && s.name === s.family) expected.push('quantile');
      assert.deepEqual(Object.keys(s.labels).sort(), expected.sort(), s.name);
    }
  });

  void it('escapes backslash, quote and line feed in label values', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.ok(text.includes('topic="we\\"ird\\\\topic\\nname"'));
    const weird = find(samples, 'strait_partition_replicated_offset', { flow: 'payments' });
    assert.equal(weird.length, 1);
    assert.equal(weird[0].labels['topic'], 'we"ird\\topic\nname');
  });

  void it('never writes an error message or client setting into the output', () => {
    assert.ok(!text.includes('message too large'));
    assert.ok(!text.includes('second line'));
  });

  void it('is served with the 0.0.4 content type', () => {
    assert.equal(PROMETHEUS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  });

  void it('renders an engine with no flows', () => {
    const empty = parseExposition(renderPrometheus(snapshot([])));
    assert.deepEqual(
      empty.samples.map((s) => s.name),
      ['strait_uptime_seconds'],
    );
  });

  void it('leaves out a non-finite value rather than writing NaN', () => {
    const broken = renderPrometheus(snapshot([flow({ replicationLatency: quantiles({ count: 3, mean: Number.NaN }) })]));
    assert.ok(!broken.includes('NaN'));
    const { samples: s } = parseExposition(broken);
    assert.equal(value(s, 'strait_replication_latency_ms_sum'), undefined);
    assert.equal(value(s, 'strait_replication_latency_ms_count'), 3);
  });
});

void describe('prometheus exposition: values', () => {
  const snap = snapshot([
    flow({
      partitions: [
        partition(),
        partition({ partition: 1, highWatermark: -1, replicatedTimestamp: -1 }),
        partition({ partition: 2, replicatedOffset: 500, highWatermark: 500, error: 'refused' }),
        partition({ partition: 3, replicatedOffset: 10, highWatermark: 40, replicatedTimestamp: -1 }),
        partition({ partition: 4, replicatedOffset: 10, highWatermark: 5, replicatedTimestamp: NOW + 5000 }),
        partition({ partition: 5, replicatedOffset: -1, committedOffset: -1, highWatermark: 40, replicatedTimestamp: -1 }),
      ],
      recordsFailed: 1,
    }),
  ]);
  const { samples } = parseExposition(renderPrometheus(snap, fixedRates(new Map([['east->west', { recordsPerSecond: 1234.5678, bytesPerSecond: 99, overMs: 10_000 }]]))));
  const p = (n: number): Record<string, string> => ({ flow: 'east->west', source: 'east', target: 'west', topic: 'orders', partition: String(n) });

  void it('uptime in seconds', () => {
    assert.equal(value(samples, 'strait_uptime_seconds'), 65.5);
  });

  void it('flow counters and gauges', () => {
    const f = { flow: 'east->west' };
    assert.equal(value(samples, 'strait_records_replicated_total', f), 5000);
    assert.equal(value(samples, 'strait_bytes_replicated_total', f), 250_000);
    assert.equal(value(samples, 'strait_records_failed_total', f), 1);
    assert.equal(value(samples, 'strait_commits_total', f), 7);
    assert.equal(value(samples, 'strait_commit_errors_total', f), 1);
    assert.equal(value(samples, 'strait_flow_partitions', f), 6);
    assert.equal(value(samples, 'strait_flow_topics', f), 1);
    assert.equal(value(samples, 'strait_flow_records_per_second', f), 1234.568);
    assert.equal(value(samples, 'strait_flow_bytes_per_second', f), 99);
    // 200 (p0) + unknown (p1) + 0 (p2) + 30 (p3) + 0 (p4, high watermark behind) + 40 (p5, no position)
    assert.equal(value(samples, 'strait_flow_lag_records', f), 270);
  });

  void it('partition offsets, high watermark and lag', () => {
    assert.equal(value(samples, 'strait_partition_replicated_offset', p(0)), 1000);
    assert.equal(value(samples, 'strait_partition_committed_offset', p(0)), 900);
    assert.equal(value(samples, 'strait_partition_high_watermark', p(0)), 1200);
    assert.equal(value(samples, 'strait_partition_lag_records', p(0)), 200);
    assert.equal(value(samples, 'strait_partition_lag_seconds', p(0)), 0.8);
    assert.equal(value(samples, 'strait_partition_records_replicated_total', p(0)), 1000);
    assert.equal(value(samples, 'strait_partition_bytes_replicated_total', p(0)), 50_000);
    assert.equal(value(samples, 'strait_partition_offset_runs', p(0)), 1);
  });

  void it('leaves out high watermark and lag while the high watermark is unknown', () => {
    assert.equal(value(samples, 'strait_partition_high_watermark', p(1)), undefined);
    assert.equal(value(samples, 'strait_partition_lag_records', p(1)), undefined);
    assert.equal(value(samples, 'strait_partition_lag_seconds', p(1)), undefined);
    assert.equal(value(samples, 'strait_partition_replicated_offset', p(1)), 1000);
  });

  void it('lag seconds: 0 when caught up, absent without a replicated timestamp, never negative', () => {
    assert.equal(value(samples, 'strait_partition_lag_seconds', p(2)), 0);
    assert.equal(value(samples, 'strait_partition_lag_records', p(3)), 30);
    assert.equal(value(samples, 'strait_partition_lag_seconds', p(3)), undefined);
    assert.equal(value(samples, 'strait_partition_lag_records', p(4)), 0);
    assert.equal(value(samples, 'strait_partition_lag_seconds', p(4)), 0);
  });

  void it('a partition with no position yet: offsets absent, lag counted from offset 0', () => {
    assert.equal(value(samples, 'strait_partition_replicated_offset', p(5)), undefined);
    assert.equal(value(samples, 'strait_partition_committed_offset', p(5)), undefined);
    assert.equal(value(samples, 'strait_partition_lag_records', p(5)), 40);
    assert.equal(value(samples, 'strait_partition_lag_seconds', p(5)), undefined);
    const empty = parseExposition(renderPrometheus(snapshot([flow({ partitions: [partition({ replicatedOffset: -1, highWatermark: 0, replicatedTimestamp: -1 })] })]))).samples;
    assert.equal(value(empty, 'strait_partition_lag_records'), 0);
    assert.equal(value(empty, 'strait_partition_lag_seconds'), 0);
  });

  void it('error gauge is 1 only for a stopped partition', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => value(samples, 'strait_partition_error', p(n))),
      [0, 0, 1, 0, 0, 0],
    );
  });

  void it('replication latency: recent quantiles, since-start count and sum = mean x count', () => {
    const f = { flow: 'east->west' };
    assert.deepEqual(
      ['0.5', '0.9', '0.99', '0.999'].map((q) => value(samples, 'strait_replication_latency_ms', { ...f, quantile: q })),
      [11, 21, 41, 91],
    );
    assert.equal(value(samples, 'strait_replication_latency_ms_count', f), 5000);
    assert.equal(value(samples, 'strait_replication_latency_ms_sum', f), 61_728);
    assert.equal(value(samples, 'strait_replication_latency_max_ms', f), 99);
  });

  void it('relay latency: since-start quantiles unless the snapshot has recent ones', () => {
    const f = { flow: 'east->west' };
    assert.equal(value(samples, 'strait_relay_latency_ms', { ...f, quantile: '0.99' }), 9);
    assert.equal(value(samples, 'strait_relay_latency_ms_sum', f), 17_500);
    const recent = parseExposition(renderPrometheus(snapshot([flow({ recentRelayLatency: quantiles({ count: 2, p99: 4 }) })]))).samples;
    assert.equal(value(recent, 'strait_relay_latency_ms', { quantile: '0.99' }), 4);
    assert.equal(value(recent, 'strait_relay_latency_ms_count'), 5000);
  });

  void it('no quantiles for an interval with no records, and no rate without a rate source', () => {
    const idle = parseExposition(renderPrometheus(snapshot([flow({ recentReplicationLatency: quantiles() })]))).samples;
    assert.deepEqual(find(idle, 'strait_replication_latency_ms'), []);
    assert.equal(value(idle, 'strait_replication_latency_ms_count'), 5000);
    assert.equal(value(idle, 'strait_replication_latency_max_ms'), 0);
    assert.deepEqual(find(idle, 'strait_flow_records_per_second'), []);
  });
});
