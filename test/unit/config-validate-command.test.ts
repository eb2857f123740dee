/** `strait validate --config <file>`: the summary, the warnings, every problem, the exit code. */
import { afterEach, beforeEach, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../src/cli/commands/validate.js';
import { UsageError } from '../../src/cli/args.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strait-validate-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(t: TestContext, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => void out.push(a.join(' ')));
  t.mock.method(console, 'error', (...a: unknown[]) => void err.push(a.join(' ')));
  let code: number;
  try {
    code = await command.run(argv);
  } finally {
    t.mock.restoreAll();
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

void test('a valid file: summary, one line per flow, warnings, exit 0', async (t) => {
  const path = file(
    'ok.yaml',
    `
clusters:
  east: { bootstrap.servers: "h1:9092", producer: { partitioner: murmur2 } }
  west: { bootstrap.servers: "h2:9092" }
flows:
  - { source: east, target: west }
engine: { workers: 2 }
`,
  );
  const { code, out, err } = await run(t, ['--config', path]);
  assert.equal(code, 0);
  assert.equal(err, '');
  const lines = out.split('\n');
  assert.equal(lines[0], 'config OK: 2 clusters, 1 flow(s)');
  assert.equal(lines[1], '  east->west: east -> west, at-least-once, topic orders -> east.orders, group strait.east.west, refresh 30s');
  assert.match(out, /engine: 2 worker\(s\), metrics on 127\.0\.0\.1:9464/);
  assert.match(out, /^warning: clusters\.east\.producer\.partitioner: has no effect/m);
});

void test('an invalid file: every problem on stderr, exit 1', async (t) => {
  const path = file('bad.yaml', 'clusterz: {}\nflows: [{ source: a, target: a }]\n');
  const { code, out, err } = await run(t, ['--config', path]);
  assert.equal(code, 1);
  assert.equal(out, '');
  assert.match(err, /bad\.yaml: \d+ configuration problems/);
  assert.match(err, /clusterz: unknown key at the top level; did you mean `clusters`\?/);
  assert.match(err, /flows\[0\]\.source: cluster "a" is not defined under clusters \(no clusters are defined\)/);
});

void test('a missing file', async (t) => {
  const { code, err } = await run(t, ['--config', join(dir, 'nope.yaml')]);
  assert.equal(code, 1);
  assert.match(err, /cannot read the configuration file: no such file/);
});

void test('usage errors', async (t) => {
  await assert.rejects(run(t, []), UsageError);
  await assert.rejects(run(t, ['strait.yaml']), /give the file with --config/);
  await assert.rejects(run(t, ['--conifg', 'x']), /did you mean --config\?/);
  const { code, out } = await run(t, ['--help']);
  assert.equal(code, 0);
  assert.match(out, /usage: strait validate --config <file>/);
});
