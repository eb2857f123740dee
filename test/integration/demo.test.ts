/**
 * `strait demo --duration 8` end to end, as a user runs it: a child process against the sandbox
 * clusters, which must end with the verdict that the target holds every record, and exit code 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { getClusters } from '../helpers/clusters.js';

const CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));

void test('strait demo --duration 8 replicates live records and verifies them', { timeout: 90_000 }, async (t) => {
  const clusters = await getClusters();
  // The demo always uses the sandbox (same STRAIT_SANDBOX_DIR and port variables as this process).
  const sandbox = await Sandbox.open();
  if (sandbox.bootstrapServers('source') !== clusters.source.bootstrap || sandbox.bootstrapServers('target') !== clusters.target.bootstrap) {
    t.skip(`the test clusters (${clusters.source.bootstrap}, ${clusters.target.bootstrap}) are not the sandbox the demo uses`);
    return;
  }
  const child = spawn(process.execPath, [CLI, 'demo', '--duration', '8'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRAIT_LOG_PRETTY: '0' } });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  t.diagnostic(`strait demo took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const output = `--- stdout\n${stdout}\n--- stderr\n${stderr}`;

  assert.equal(code, 0, `strait demo exits 0 after verifying:\n${output}`);
  const verdict = /^verified: ([\d,]+) records in 12 partitions, identical on target$/m.exec(stdout);
  assert.ok(verdict, `the verdict line is on stdout:\n${output}`);
  const records = Number(verdict[1].replace(/,/g, ''));
  // 8 s at the default 5,000 records/s; far fewer would mean the producer or strait stalled.
  assert.ok(records >= 5_000, `only ${records} records in 8 s:\n${output}`);
  // Without a terminal the status is plain lines, one a second.
  const statusLines = stderr.split('\n').filter((l) => /produced [\d,]+ {2}replicated [\d,]+ {2}[\d,]+ rec\/s/.test(l));
  assert.ok(statusLines.length >= 5, `a status line every second:\n${output}`);
  assert.match(stderr, /strait caught up/);
  assert.match(stderr, /stop it with: strait sandbox down/);
});
