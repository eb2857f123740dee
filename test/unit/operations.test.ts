/**
 * docs/operations/ must not drift from the code: every PromQL expression of the Grafana dashboard
 * and the alert rules names only series strait exports (from METRIC_FAMILIES in
 * src/metrics/prometheus.ts, with the suffixes they are written with) and only labels those
 * series carry, so renaming a metric or a label fails here; the Kubernetes manifest's config
 * validates, takes its secrets from the Secret, and its probes, ports and grace period match
 * what strait serves and does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { METRIC_FAMILIES } from '../../src/metrics/prometheus.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { engineReadiness, type Readiness } from '../../src/engine/readiness.js';
import { parseConfigWithWarnings } from '../../src/config/load.js';
import { promqlRefs, resultLabels } from '../helpers/promql.js';

// Compiled to dist/test/unit: the repository is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');

/** Labels Prometheus adds to every series it scrapes (the target's). */
const TARGET_LABELS = ['instance', 'job'];

/** Every series name strait writes, with the labels its samples carry. */
function exportedSeries(): Map<string, readonly string[]> {
  const series = new Map<string, readonly string[]>();
  for (const f of METRIC_FAMILIES) {
    if (f.type === 'summary') {
      series.set(f.name, [...f.labels, 'quantile']);
      series.set(`${f.name}_sum`, f.labels);
      series.set(`${f.name}_count`, f.labels);
    } else series.set(f.name, f.labels);
  }
  // Prometheus's own series per target: the only one rules may use besides strait's.
  series.set('up', []);
  for (const [name, labels] of series) series.set(name, [...labels, ...TARGET_LABELS]);
  return series;
}

const SERIES = exportedSeries();
const labelsOf = (metric: string): readonly string[] => SERIES.get(metric) ?? [];

/** What is wrong with an expression: unknown metrics, labels a metric does not carry. */
function problems(expr: string): string[] {
  const refs = promqlRefs(expr);
  const out: string[] = [];
  for (const s of refs.selectors) {
    const labels = SERIES.get(s.metric);
    if (labels === undefined) {
      out.push(`${s.metric} is not a series strait exports`);
      continue;
    }
    for (const l of s.labels) if (!labels.includes(l)) out.push(`${s.metric} has no label ${l}`);
  }
  // A grouping label must be on every series the expression reads, or some results lose it.
  for (const g of refs.groupings) {
    for (const l of g.labels) {
      for (const s of refs.selectors) if (SERIES.has(s.metric) && !labelsOf(s.metric).includes(l)) out.push(`${g.keyword} (${l}): ${s.metric} has no label ${l}`);
    }
  }
  if (refs.selectors.length === 0) out.push('names no metric');
  return out;
}

/** `{{x}}` (legends) and `{{ $labels.x }}` (annotations): the label names used. */
function templateLabels(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(?:\$labels\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]);
}

void describe('the PromQL reader', () => {
  void it('finds metric names and label matchers, not functions, keywords, strings, ranges or Grafana variables', () => {
    const refs = promqlRefs(
      'sum by (flow) (rate(strait_records_replicated_total{job=~"$job",flow=~"a|b"}[$__rate_interval])) / ignoring(x) sum by (flow) (rate(strait_bytes_replicated_total[5m] offset 1h)) > 1e6 or vector(0)',
    );
    assert.deepEqual(refs.selectors, [
      { metric: 'strait_records_replicated_total', labels: ['job', 'flow'] },
      { metric: 'strait_bytes_replicated_total', labels: [] },
    ]);
    assert.deepEqual(refs.groupings, [
      { keyword: 'by', labels: ['flow'] },
      { keyword: 'ignoring', labels: ['x'] },
      { keyword: 'by', labels: ['flow'] },
    ]);
    assert.equal(refs.aggregates, true);
    assert.deepEqual(promqlRefs('max(x) by (a, b)').groupings, [{ keyword: 'by', labels: ['a', 'b'] }]);
  });

  void it('reports renamed metrics, labels a metric lacks and groupings by missing labels', () => {
    assert.deepEqual(problems('rate(strait_records_replicated_total[1m])'), []);
    assert.deepEqual(problems('rate(strait_records_replicated[1m])'), ['strait_records_replicated is not a series strait exports']);
    assert.deepEqual(problems('strait_flow_lag_records{topic="orders"}'), ['strait_flow_lag_records has no label topic']);
    assert.deepEqual(problems('sum by (topic) (strait_flow_lag_records)'), ['by (topic): strait_flow_lag_records has no label topic']);
    // quantile is on the summary's quantile samples only.
    assert.deepEqual(problems('strait_replication_latency_ms{quantile="0.99"}'), []);
    assert.deepEqual(problems('strait_replication_latency_ms_count{quantile="0.99"}'), ['strait_replication_latency_ms_count has no label quantile']);
  });

  void it('tells the labels of the result', () => {
    assert.deepEqual([...resultLabels(promqlRefs('max by (flow, topic) (strait_partition_lag_seconds) > 60'), labelsOf)], ['flow', 'topic']);
    assert.deepEqual([...resultLabels(promqlRefs('sum(strait_flow_lag_records)'), labelsOf)], []);
    assert.ok(resultLabels(promqlRefs('strait_partition_error == 1'), labelsOf).has('partition'));
  });
});

interface GrafanaTarget {
  expr: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}
interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}
interface GrafanaVariable {
  name: string;
  type: string;
  query: string | { query: string };
}

void describe('docs/operations/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(read('docs/operations/grafana-dashboard.json')) as { uid: string; panels: GrafanaPanel[]; templating: { list: GrafanaVariable[] } };
  const panels: GrafanaPanel[] = [];
  const walk = (list: GrafanaPanel[]): void => {
    for (const p of list) {
      panels.push(p);
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

  void it('has a Prometheus datasource variable that every panel and query uses', () => {
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.ok(ds, 'no datasource variable');
    assert.equal(ds.query, 'prometheus');
    for (const p of panels.filter((p) => p.type !== 'row')) assert.deepEqual(p.datasource, { type: 'prometheus', uid: `\${${ds.name}}` }, p.title);
    for (const t of targets) assert.deepEqual(t.datasource, { type: 'prometheus', uid: `\${${ds.name}}` }, t.panel);
  });

  void it('names only series strait exports, with their labels, in every query and variable', () => {
    assert.ok(targets.length >= 20, `only ${targets.length} queries`);
    for (const t of targets) assert.deepEqual(problems(t.expr), [], `${t.panel}: ${t.expr}`);
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const q = typeof v.query === 'string' ? v.query : v.query.query;
      const m = /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(q);
      assert.ok(m, `variable ${v.name}: ${q} is not label_values(<selector>, <label>)`);
      assert.deepEqual(problems(m[1]), [], `variable ${v.name}: ${q}`);
      for (const s of promqlRefs(m[1]).selectors) assert.ok(labelsOf(s.metric).includes(m[2]), `variable ${v.name}: ${s.metric} has no label ${m[2]}`);
    }
  });

  void it('templates by flow and topic where the series have those labels', () => {
    const vars = dashboard.templating.list.map((v) => v.name);
    for (const v of ['flow', 'topic']) assert.ok(vars.includes(v), `no ${v} variable`);
    // Every query is narrowed by the flow variable, and every per-partition query by the topic one.
    for (const t of targets) {
      for (const s of promqlRefs(t.expr).selectors) {
        if (s.metric === 'strait_uptime_seconds') continue; // per process, no flow
        assert.ok(s.labels.includes('flow'), `${t.panel}: ${s.metric} is not narrowed by $flow`);
        if (labelsOf(s.metric).includes('topic')) assert.ok(s.labels.includes('topic'), `${t.panel}: ${s.metric} is not narrowed by $topic`);
      }
    }
  });

  void it('shows throughput, lag, RPO, latency, errors and data loss, with legends of labels the results have', () => {
    const used = new Set(targets.flatMap((t) => promqlRefs(t.expr).selectors.map((s) => s.metric)));
    for (const m of [
      'strait_records_replicated_total',
      'strait_bytes_replicated_total',
      'strait_flow_lag_records',
      'strait_partition_lag_seconds',
      'strait_flow_rpo_seconds',
      'strait_replication_latency_ms',
      'strait_records_failed_total',
      'strait_partition_error',
      'strait_records_lost_total',
      'strait_partition_records_lost_total',
    ]) {
      assert.ok(used.has(m), `the dashboard does not show ${m}`);
    }
    for (const t of targets) {
      const have = resultLabels(promqlRefs(t.expr), labelsOf);
      for (const l of templateLabels(t.legendFormat ?? '')) assert.ok(have.has(l), `${t.panel}: legend {{${l}}} is not a label of ${t.expr}`);
    }
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
  });
});

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

void describe('docs/operations/alerts.yaml', () => {
  const doc = parseAllDocuments(read('docs/operations/alerts.yaml'));
  assert.equal(doc.length, 1);
  const rules = (doc[0].toJS() as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

  void it('names only series strait exports, with their labels', () => {
    for (const r of rules) assert.deepEqual(problems(r.expr), [], `${r.alert}: ${r.expr}`);
  });

  void it('covers a process down, stalled replication, lag and RPO, errors and data loss', () => {
    const names = rules.map((r) => r.alert);
    for (const a of ['StraitDown', 'StraitReplicationStalled', 'StraitLagHigh', 'StraitRpoHigh', 'StraitPartitionStopped', 'StraitRecordsFailed', 'StraitDataLoss']) {
      assert.ok(names.includes(a), `no ${a} rule`);
    }
    assert.equal(new Set(names).size, names.length, 'alert names repeat');
  });

  void it('gives every rule a severity, a summary, a description and a runbook, using only labels its result has', () => {
    for (const r of rules) {
      assert.match(r.labels?.['severity'] ?? '', /^(critical|warning|info)$/, r.alert);
      for (const k of ['summary', 'description', 'runbook']) assert.ok((r.annotations?.[k] ?? '').trim().length > 20, `${r.alert}: annotation ${k} missing or too short`);
      const have = resultLabels(promqlRefs(r.expr), labelsOf);
      // A rule without aggregation keeps the target's labels too.
      for (const text of Object.values(r.annotations ?? {})) {
        for (const l of templateLabels(text).filter((l) => l !== 'value')) assert.ok(have.has(l), `${r.alert}: {{ $labels.${l} }} is not a label of ${r.expr}`);
      }
    }
  });
});

interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    template?: {
      metadata?: { annotations?: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds?: number;
        securityContext?: { runAsUser?: number };
        containers: Container[];
        volumes?: { name: string; configMap?: { name: string } }[];
      };
    };
  };
}

void describe('docs/operations/kubernetes.yaml', () => {
  const docs = parseAllDocuments(read('docs/operations/kubernetes.yaml')).map((d) => d.toJS() as Manifest);
  const one = (kind: string): Manifest => {
    const found = docs.filter((d) => d.kind === kind);
    assert.equal(found.length, 1, `${found.length} ${kind} documents`);
    return found[0];
  };
  const deployment = one('Deployment');
  const pod = deployment.spec!.template!;
  const container = pod.spec.containers[0];
  const configMap = one('ConfigMap');
  const secret = one('Secret');

  // The config file the container runs: the ConfigMap key under the mount of --config's folder.
  const configPath = container.args?.[container.args.indexOf('--config') + 1] ?? '';
  const mount = container.volumeMounts?.find((m) => configPath.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `no volume mounted where --config ${configPath} points`);
  const volume = pod.spec.volumes?.find((v) => v.name === mount.name);
  assert.equal(volume?.configMap?.name, configMap.metadata.name, 'the config volume is not the ConfigMap');
  const configText = configMap.data?.[configPath.slice(mount.mountPath.length + 1)];
  assert.ok(configText !== undefined, `the ConfigMap has no key for ${configPath}`);
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? 'from-the-secret']));
  const { config } = parseConfigWithWarnings(configText, 'docs/operations/kubernetes.yaml (ConfigMap)', { env });

  void it('runs a config that validates, with every secret taken from the Secret through ${env:NAME}', () => {
    const refs = [...configText.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
    assert.ok(refs.length > 0, 'the config takes no secret from the environment');
    for (const name of refs) {
      const ref = container.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      assert.ok(ref, `\${env:${name}} is not set from a Secret`);
      assert.equal(ref.name, secret.metadata.name);
      assert.ok({ ...secret.data, ...secret.stringData }[ref.key] !== undefined, `the Secret has no key ${ref.key}`);
    }
    // No password is written in the config itself.
    for (const m of configText.matchAll(/password:\s*(\S+)/g)) assert.match(m[1], /^\$\{env:/, `a password in the ConfigMap: ${m[0]}`);
    // The default (the number of cores) would count the node's, not the pod's.
    assert.ok(/^\s+workers:\s*\d+/m.test(configText), 'engine.workers is not set');
  });

  void it('probes /healthz for liveness and /readyz for readiness on the metrics port strait listens on', async (t) => {
    assert.equal(config.engine.metrics.enabled, true);
    assert.equal(config.engine.metrics.host, '0.0.0.0', 'probes and scrapes come to the pod address');
    const portNamed = (p: string | number): number | undefined => (typeof p === 'number' ? p : container.ports?.find((x) => x.name === p)?.containerPort);
    const live = container.livenessProbe?.httpGet;
    const ready = container.readinessProbe?.httpGet;
    assert.ok(live && ready, 'the container needs an HTTP liveness and readiness probe');
    assert.equal(portNamed(live.port), config.engine.metrics.port);
    assert.equal(portNamed(ready.port), config.engine.metrics.port);
    const annotations = pod.metadata?.annotations ?? {};
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(Number(annotations['prometheus.io/port']), config.engine.metrics.port);

    // The paths as strait's own endpoint answers them: alive while starting, ready once assigned.
    let readiness: Readiness = engineReadiness('starting', [{ name: 'east->west', state: 'starting' }]);
    const server = await startMetricsServer({ port: 0, readiness: () => readiness }, () => ({ takenAt: 0, startedAt: 0, flows: [] }));
    t.after(() => server.close());
    const status = async (path: string): Promise<number> => {
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await status(live.path), 200);
    assert.equal(await status(ready.path), 503);
    readiness = engineReadiness('running', [{ name: 'east->west', state: 'assigned' }]);
    assert.equal(await status(ready.path), 200);
    assert.equal(await status(annotations['prometheus.io/path'] ?? '/metrics'), 200);
  });

  void it('gives the pod more time to stop than strait takes, and resources', () => {
    const grace = pod.spec.terminationGracePeriodSeconds;
    assert.ok(grace !== undefined && grace * 1000 > config.engine.shutdownTimeoutMs, `terminationGracePeriodSeconds ${grace} is not above engine.shutdownTimeout (${config.engine.shutdownTimeoutMs} ms)`);
    for (const k of ['cpu', 'memory']) {
      assert.ok(container.resources?.requests?.[k], `no ${k} request`);
      assert.ok(container.resources?.limits?.[k], `no ${k} limit`);
    }
  });

  void it('matches the image the Dockerfile builds (user and port)', () => {
    const dockerfile = read('Dockerfile');
    assert.equal(pod.spec.securityContext?.runAsUser, Number(/--uid (\d+)/.exec(dockerfile)?.[1]));
    assert.match(dockerfile, new RegExp(`^EXPOSE ${config.engine.metrics.port}$`, 'm'));
  });
});
