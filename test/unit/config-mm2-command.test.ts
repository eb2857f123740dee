/** `strait validate --mm2-config` and `strait run --mm2-config`: the summary, warnings, problems and usage errors. */
import { afterEach, beforeEach, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as validate } from '../../src/cli/commands/validate.js';
import { command as runCommand } from '../../src/cli/commands/run.js';
import { UsageError } from '../../src/cli/args.js';
import type { Command } from '../../src/cli/command.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strait-mm2-command-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(t: TestContext, cmd: Command, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => void out.push(a.join(' ')));
  t.mock.method(console, 'error', (...a: unknown[]) => void err.push(a.join(' ')));
  let code: number;
  try {
    code = await cmd.run(argv);
  } finally {
    t.mock.restoreAll();
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const VALID = `clusters = east, west
east.bootstrap.servers = h1:9092
west.bootstrap.servers = h2:9092
east->west.enabled = true
east->west.topics = orders.*
replication.factor = 3
refresh.topics.interval.seconds = 60
offset.lag.max = 100
`;

void test('validate --mm2-config: the same summary as for YAML, then the warnings, exit 0', async (t) => {
  const { code, out, err } = await run(t, validate, ['--mm2-config', file('mm2.properties', VALID)]);
  assert.equal(code, 0);
  assert.equal(err, '');
  const lines = out.split('\n');
  assert.match(lines[0], /^config OK: 2 clusters, 1 flow\(s\)$/);
  assert.equal(lines[1], '  east->west: east -> west, at-least-once, topic orders -> east.orders, group strait.east.west, refresh 1m');
  assert.match(out, /^ {2}engine: \d+ worker\(s\), metrics on 127\.0\.0\.1:9464$/m);
  assert.match(out, /^warning: offset\.lag\.max: has no effect: strait records the exact offset/m);
});

void test('validate --mm2-config: every problem under its MM2 key on stderr, exit 1', async (t) => {
  const path = file('bad.properties', `${VALID}east->wset.enabled = true\nreplication.factor = many\ntopics.exlude = x\n`);
  const { code, out, err } = await run(t, validate, ['--mm2-config', path]);
  assert.equal(code, 1);
  assert.equal(out, '');
  assert.match(err, /bad\.properties: 3 configuration problems/);
  assert.match(err, /- east->wset\.enabled: names cluster wset, not in clusters \(clusters: east, west\); did you mean `east->west\.enabled`\?\n {6}example: east->west\.enabled = true/);
  assert.match(err, /- replication\.factor: expected a whole number \(got "many"\)\n {6}example: replication\.factor = 3/);
  assert.match(err, /- topics\.exlude: is not an MM2 setting; did you mean `topics\.exclude`\?/);
});

void test('validate --mm2-config: a missing file', async (t) => {
  const { code, err } = await run(t, validate, ['--mm2-config', join(dir, 'nope.properties')]);
  assert.equal(code, 1);
  assert.match(err, /cannot read the MM2 configuration file: no such file/);
});

void test('exactly one of --config and --mm2-config: usage errors for validate and run', async (t) => {
  const mm2 = file('mm2.properties', VALID);
  const yaml = file('strait.yaml', 'clusters: {}\n');
  for (const cmd of [validate, runCommand]) {
    await assert.rejects(run(t, cmd, []), (e: unknown) => e instanceof UsageError && /needs --config <file> \(strait YAML\) or --mm2-config <file> \(MM2 properties\)/.test(e.message));
    await assert.rejects(run(t, cmd, ['--config', yaml, '--mm2-config', mm2]), (e: unknown) => e instanceof UsageError && /not both/.test(e.message));
  }
  const { code, out } = await run(t, validate, ['--help']);
  assert.equal(code, 0);
  assert.match(out, /--mm2-config <value> +or: an MM2 dedicated-mode properties file/);
});

void test('run --mm2-config with an invalid file: the problems, exit 1, nothing started', async (t) => {
  const { code, err } = await run(t, runCommand, ['--mm2-config', file('bad.properties', 'clusters = a, b\n')]);
  assert.equal(code, 1);
  assert.match(err, /a\.bootstrap\.servers: is required/);
  assert.match(err, /a->b\.enabled: no replication flow is enabled/);
});
