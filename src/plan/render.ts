/**
 * A plan as a person reads it (a table whose last column says where each figure comes from), as
 * JSON for scripts, and as an HTML page with the capacity-versus-load plot.
 */
import { CHART_CSS, escapeXml, lineChart } from '../bench/svg.js';
import { alignColumns } from '../cli/table.js';
import type { MachineProfile } from './profile.js';
import type { Figure, Plan, PlanSettings } from './model.js';
import { formatBytes, formatRate, formatSeconds } from './units.js';
import type { Workload } from './workload.js';

export interface PlanReport {
  kind: 'strait-plan';
  version: 1;
  createdAt: string;
  workload: Workload;
  settings: PlanSettings;
  profile: { source: string; shipped: boolean; machine: MachineProfile['machine']; workers: number };
  plan: Plan;
}

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const ms = (v: number): string => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const pct = (v: number): string => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;

/** The per-topic load: what was measured (or stated). */
export function loadTable(w: Workload): string[] {
  const rows = [['flow', 'topic', 'partitions', 'records/s', 'bytes/s', 'mean B', 'p99 B', 'key/value/headers', 'wire/byte', 'hottest partition']];
  for (const t of w.topics) {
    if (t.idle) {
      rows.push([t.flow, t.topic, String(t.partitions), 'idle', '-', '-', '-', '-', '-', 'no record appended during the sample']);
      continue;
    }
    rows.push([
      t.flow,
      t.topic,
      String(t.partitions),
      int(t.recordsPerSec),
      formatRate(t.bytesPerSec),
      t.meanRecordBytes === undefined ? '-' : int(t.meanRecordBytes),
      t.p99RecordBytes === undefined ? '-' : int(t.p99RecordBytes),
      t.split ? `${pct(t.split.key)} / ${pct(t.split.value)} / ${pct(t.split.headers)}` : '-',
      t.wireBytesPerByte === undefined ? 'unmeasured' : t.wireBytesPerByte.toFixed(2),
      `p${t.hottest.partition}: ${pct(t.hottest.share)} (${int(t.hottest.recordsPerSec)}/s)`,
    ]);
  }
  return alignColumns(rows, new Set([2, 3, 5, 6]));
}

function row(name: string, value: string, f: Figure | { basis: string } | undefined): string[] {
  return [name, value, f?.basis ?? ''];
}

/** The plan's figures: name, value, basis. */
export function planRows(report: PlanReport): string[][] {
  const { plan: p, settings: s } = report;
  const rows: string[][] = [['figure', 'value', 'from']];
  rows.push(row('load', `${int(p.load.recordsPerSec)} records/s, ${formatRate(p.load.bytesPerSec)}, ${p.load.partitions} partitions`, p.load));
  rows.push(row('one worker thread', `${int(p.workerCapacity.recordsPerSec)} records/s, ${formatRate(p.workerCapacity.bytesPerSec)} (CPU-wise)`, p.workerCapacity));
  if (p.link) rows.push(row(`one worker over ${s.rttMs} ms`, `${formatRate(p.link.perWorkerBytesPerSec)} (bound by ${p.link.boundBy})`, p.link));
  rows.push(row('bound', p.bound === 'cpu' ? 'CPU' : 'the link', undefined));
  rows.push(row('worker threads', `${p.workers.value} (load = ${p.workerLoad.value.toFixed(2)} workers at 100 %)`, p.workers));
  rows.push(row('processes', String(p.processes.value), p.processes));
  rows.push(row('workers per process', String(p.workersPerProcess.value), p.workersPerProcess));
  rows.push(row('CPU at the load', `${p.cpuAtLoad.value.toFixed(2)} cores`, p.cpuAtLoad));
  rows.push(row('cores to provision', `${p.cores.value.toFixed(2)} in all, ${p.coresPerProcess.value.toFixed(2)} per process`, p.cores));
  rows.push(row('memory bound per process', formatBytes(p.memoryBoundPerProcess.value), p.memoryBoundPerProcess));
  rows.push(row('memory typical per process', formatBytes(p.memoryTypicalPerProcess.value), p.memoryTypicalPerProcess));
  rows.push(row('network in per process', formatRate(p.networkInPerProcess.value), p.networkInPerProcess));
  rows.push(row('network out per process', formatRate(p.networkOutPerProcess.value), p.networkOutPerProcess));
  if (p.latencyP50Ms && p.latencyP99Ms) rows.push(row('replication latency', `p50 ${ms(p.latencyP50Ms.value)}, p99 ${ms(p.latencyP99Ms.value)}`, p.latencyP99Ms));
  if (p.rpoSec) rows.push(row('RPO', formatSeconds(p.rpoSec.value), p.rpoSec));
  rows.push(row(`drain a ${p.backlog.hours} h backlog`, `${formatBytes(p.backlog.bytes, false)} in ${formatSeconds(p.backlog.drainSec)}`, p.backlog));
  return rows;
}

export function renderText(report: PlanReport): string {
  const lines: string[] = [];
  lines.push(`strait plan: ${report.workload.description}`);
  lines.push(`profile: ${report.profile.shipped ? 'the profile shipped with strait (pass --profile to use your own machine\'s): ' : ''}${report.profile.source}`);
  lines.push(`settings: headroom ${report.settings.headroom}, RTT ${report.settings.rttMs} ms (strait near the ${report.settings.near}), mode ${report.settings.mode}; client settings: ${report.settings.clients.origin}`);
  lines.push('');
  lines.push(...loadTable(report.workload));
  lines.push('');
  lines.push(...alignColumns(planRows(report)));
  if (report.plan.advice.length > 0) {
    lines.push('');
    for (const a of report.plan.advice) lines.push(`- ${a}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: PlanReport): string {
  // Infinity (a backlog that never drains) is not JSON: written as null.
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`;
}

/** Capacity of the plan's processes by worker count, against the load and the load over the headroom. */
export function capacityChart(report: PlanReport): string {
  const p = report.plan;
  const maxX = p.curve.length;
  return lineChart({
    title: 'Capacity versus load',
    xLabel: 'worker threads (all processes)',
    yLabel: 'bytes/s (uncompressed)',
    format: (v) => formatRate(v),
    marker: { x: p.workers.value, label: `plan: ${p.workers.value} workers` },
    series: [
      { label: `capacity (${p.bound === 'cpu' ? 'CPU' : 'link'}-bound)`, color: '#2680c2', points: p.curve.map((c) => [c.workers, c.bytesPerSec]) },
      { label: 'load', color: '#e66a00', points: [[0, p.load.bytesPerSec], [maxX, p.load.bytesPerSec]], dashed: true },
      { label: `load / headroom ${report.settings.headroom}`, color: '#9f3a38', points: [[0, p.load.bytesPerSec / report.settings.headroom], [maxX, p.load.bytesPerSec / report.settings.headroom]], dashed: true },
    ],
  });
}

export function renderHtml(report: PlanReport): string {
  const table = (rows: string[][]) =>
    `<table><tr>${rows[0].map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>${rows
      .slice(1)
      .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`)
      .join('')}</table>`;
  const w = report.workload;
  const loadRows: string[][] = [['flow', 'topic', 'partitions', 'records/s', 'bytes/s', 'mean B', 'p99 B', 'wire/byte', 'hottest share']];
  for (const t of w.topics) {
    loadRows.push(
      t.idle
        ? [t.flow, t.topic, String(t.partitions), 'idle', '-', '-', '-', '-', '-']
        : [t.flow, t.topic, String(t.partitions), int(t.recordsPerSec), formatRate(t.bytesPerSec), t.meanRecordBytes === undefined ? '-' : int(t.meanRecordBytes), t.p99RecordBytes === undefined ? '-' : int(t.p99RecordBytes), t.wireBytesPerByte?.toFixed(2) ?? 'unmeasured', pct(t.hottest.share)],
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strait plan ${escapeXml(report.createdAt.slice(0, 10))}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #1f2933; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #d9e2ec; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
${CHART_CSS}
</style></head><body>
<h1>strait plan</h1>
<p>${escapeXml(w.description)}</p>
<p>Profile: ${escapeXml(report.profile.shipped ? 'shipped with strait: ' : '')}${escapeXml(report.profile.source)}</p>
${capacityChart(report)}
<h2>Plan</h2>
${table(planRows(report))}
<h2>Load</h2>
${table(loadRows)}
${report.plan.advice.length > 0 ? `<h2>Notes</h2><ul>${report.plan.advice.map((a) => `<li>${escapeXml(a)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
