/** Reading a strait process's Prometheus endpoint in integration tests. */
import assert from 'node:assert/strict';
import type { StraitProcess } from './strait-process.js';

/** The metrics server's base URL, once the process logged it (engine.metrics.port 0: any free port). */
export async function metricsUrl(p: StraitProcess): Promise<string> {
  await p.waitForLog(/metrics on http:\/\/[^/]+\/metrics/);
  return /metrics on (http:\/\/[^/\s"]+)\/metrics/.exec(p.log())![1];
}

export async function scrape(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of the first sample of `name` whose labels include all of `labels`; undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}
