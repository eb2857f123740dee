/**
 * The sandbox against real Kafka: a separate pair on ports 29092-29095 in a temporary folder,
 * so it neither needs nor disturbs the shared test clusters on 19092-19095.
 * Start, answer, restart with data kept, crash (SIGKILL), recover, and down without a stray JVM.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { commandLine, isAlive, probePort } from '../../src/sandbox/processes.js';
import { streamProgress } from '../../src/sandbox/progress.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { createTopic, listTopics, runTool, uniqueName } from '../helpers/clusters.js';

const SOURCE_PORT = 29092;
const TARGET_PORT = 29094;

const root = await mkdtemp(path.join(tmpdir(), 'strait-sandbox-it-'));
const sandbox = await Sandbox.open({ dir: root, sourcePort: SOURCE_PORT, targetPort: TARGET_PORT, progress: streamProgress(process.stderr) });
/** Every broker pid this file saw: none may be alive at the end. */
const seenPids = new Set<number>();

after(async () => {
  // Also on failure: never leave a JVM behind. Data is kept when a test failed, for diagnosis.
  await sandbox.down().catch((err: unknown) => console.error('sandbox down failed:', err));
  if (!process.exitCode) await rm(root, { recursive: true, force: true });
  else console.error(`sandbox test files kept in ${root}`);
});

async function runningPid(name: 'source' | 'target'): Promise<number> {
  const s = await sandbox.cluster(name).status();
  assert.equal(s.state, 'running', `${name} should be running`);
  assert.ok(s.pid !== undefined);
  seenPids.add(s.pid);
  return s.pid;
}

void test('up starts both clusters and each answers', async (t) => {
  const result = await sandbox.up();
  t.diagnostic(`up took ${result.durationMs} ms`);
  assert.deepEqual(result.started, ['source', 'target']);
  assert.deepEqual(
    result.clusters.map((c) => [c.name, c.state, c.bootstrap, c.listening]),
    [
      ['source', 'running', `127.0.0.1:${SOURCE_PORT}`, true],
      ['target', 'running', `127.0.0.1:${TARGET_PORT}`, true],
    ],
  );
  const sourcePid = await runningPid('source');
  const targetPid = await runningPid('target');
  assert.notEqual(sourcePid, targetPid);
  for (const port of [SOURCE_PORT, SOURCE_PORT + 1, TARGET_PORT, TARGET_PORT + 1]) assert.ok(await probePort('127.0.0.1', port), `port ${port}`);
  for (const name of ['source', 'target'] as const) {
    const r = await runTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', sandbox.bootstrapServers(name), '--list']);
    assert.equal(r.code, 0, r.stderr);
  }
  // Independent clusters: different cluster ids in their metadata.
  const ids = await Promise.all(
    (['source', 'target'] as const).map(async (n) => /cluster\.id=(\S+)/.exec(await readFile(path.join(root, n, 'data', 'meta.properties'), 'utf8'))?.[1]),
  );
  assert.ok(ids[0] && ids[1] && ids[0] !== ids[1], `cluster ids ${ids.join(', ')}`);
});

void test('up again is a no-op, also from another handle that only knows the folder', async () => {
  const before = [await runningPid('source'), await runningPid('target')];
  // Only the folder: no ports, and none from the environment either (the test command may set
  // STRAIT_SANDBOX_*_PORT for the shared clusters).
  const other = await Sandbox.open({ dir: root, env: {} });
  assert.equal(other.bootstrapServers('source'), `127.0.0.1:${SOURCE_PORT}`, 'ports come from state.json');
  const result = await other.up();
  assert.deepEqual(result.started, []);
  assert.deepEqual(
    result.clusters.map((c) => c.pid),
    before,
  );
});

void test('restart keeps the data', async (t) => {
  const topic = uniqueName('sandbox-restart');
  await createTopic(sandbox.bootstrapServers('source'), topic, { partitions: 3 });
  assert.ok((await listTopics(sandbox.bootstrapServers('source'))).includes(topic));
  assert.ok(!(await listTopics(sandbox.bootstrapServers('target'))).includes(topic), 'target is another cluster');
  const oldPid = await runningPid('source');
  const started = Date.now();
  const status = await sandbox.restart('source');
  t.diagnostic(`restart took ${Date.now() - started} ms`);
  assert.equal(status.state, 'running');
  assert.notEqual(status.pid, oldPid);
  assert.ok(!isAlive(oldPid));
  await runningPid('source');
  assert.ok((await listTopics(sandbox.bootstrapServers('source'))).includes(topic), 'topic survives the restart');
});

void test('kill is a crash: status says stopped, and up brings it back', async (t) => {
  const pid = await runningPid('target');
  assert.equal(await sandbox.kill('target'), true);
  assert.ok(!isAlive(pid));
  const status = await sandbox.cluster('target').status();
  assert.equal(status.state, 'stopped');
  assert.equal(status.pid, undefined);
  assert.equal((await sandbox.cluster('source').status()).state, 'running', 'the other cluster is untouched');
  assert.equal(await sandbox.kill('target'), false, 'killing a stopped cluster is a no-op');

  const started = Date.now();
  const result = await sandbox.up();
  t.diagnostic(`start after SIGKILL took ${Date.now() - started} ms`);
  assert.deepEqual(result.started, ['target']);
  await runningPid('target');
});

void test('down stops both and leaves no JVM behind', async () => {
  const result = await sandbox.down();
  assert.deepEqual(result.stopped, ['source', 'target']);
  for (const s of await sandbox.status()) assert.equal(s.state, 'stopped');
  assert.ok(seenPids.size >= 4, `saw ${seenPids.size} pids`);
  for (const pid of seenPids) {
    const cmd = isAlive(pid) ? await commandLine(pid) : undefined;
    assert.ok(!cmd?.includes('kafka.Kafka'), `broker pid ${pid} is still running`);
  }
  assert.equal((await sandbox.down()).stopped.length, 0, 'down again is a no-op');
});
