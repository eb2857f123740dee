import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usage } from '../../src/cli/args.js';

test('usage: every description starts in one column, after the longest flag', () => {
  const text = usage('plan', 'Size a deployment.', {
    rate: { value: true, description: 'what-if load' },
    'workers-per-process': { value: true, description: 'worker threads per process at most' },
    json: { value: false, description: 'print JSON' },
  });
  const lines = text.split('\n').filter((l) => l.startsWith('  --'));
  assert.equal(lines.length, 3);
  const columns = lines.map((l) => l.search(/ {2}[a-z]/) + 2);
  assert.ok(columns.every((c) => c === columns[0]), text);
  assert.match(text, /--workers-per-process <value> {2,}worker threads per process at most/);
});
