/**
 * docs/metrics.md must list every metric strait exposes: its reference table is rendered from
 * the same family list as the /metrics output.
 *
 * After changing a family, rewrite the table with
 *   STRAIT_UPDATE_DOCS=1 node --test dist/test/unit/metrics-docs.test.js
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { METRIC_FAMILIES, renderMetricsReference } from '../../src/metrics/prometheus.js';

// Compiled to dist/test/unit: the repository is three levels up.
const docsPath = fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url));

function between(text: string): { start: number; end: number } {
  const open = /<!-- reference:begin[^>]*-->\n/.exec(text);
  const close = text.indexOf('<!-- reference:end -->');
  assert.ok(open && close > open.index, 'docs/metrics.md lacks the reference:begin/end markers');
  return { start: open.index + open[0].length, end: close };
}

if (process.env['STRAIT_UPDATE_DOCS'] === '1') {
  const text = readFileSync(docsPath, 'utf8');
  const { start, end } = between(text);
  writeFileSync(docsPath, text.slice(0, start) + renderMetricsReference() + text.slice(end));
}

void test('docs/metrics.md: the reference table is up to date', () => {
  const text = readFileSync(docsPath, 'utf8');
  const { start, end } = between(text);
  assert.equal(text.slice(start, end), renderMetricsReference(), 'run: STRAIT_UPDATE_DOCS=1 node --test dist/test/unit/metrics-docs.test.js');
});

void test('docs/metrics.md: every metric is named outside the table too', () => {
  // The prose and examples should at least mention each family once (definitions, caveats).
  const text = readFileSync(docsPath, 'utf8');
  const { start, end } = between(text);
  const prose = text.slice(0, start) + text.slice(end);
  const missing = METRIC_FAMILIES.filter((f) => !prose.includes(f.name)).map((f) => f.name);
  assert.deepEqual(missing, []);
});
