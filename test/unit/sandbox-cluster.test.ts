/**
 * The parts of a cluster's life that need no Java: telling a stale pid file from a running
 * broker, refusing a busy port before anything is formatted or started, and the lock that keeps
 * two processes from starting the same sandbox.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { KafkaCluster, PortInUseError } from '../../src/sandbox/cluster.js';
import { withLock } from '../../src/sandbox/lock.js';
import { sleep } from '../../src/sandbox/processes.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { SandboxError } from '../../src/util/errors.js';
import { formatStatusLine } from '../../src/cli/commands/sandbox.js';

const root = await mkdtemp(path.join(tmpdir(), 'strait-cluster-'));
after(() => rm(root, { recursive: true, force: true }));

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function makeCluster(name: string): Promise<KafkaCluster> {
  const dir = path.join(root, name);
  const port = await freePort();
  return new KafkaCluster({ name, port, controllerPort: await freePort(), dir, dataDir: path.join(dir, 'data'), logDir: path.join(dir, 'logs') });
}

void test('a pid file naming a live process that is not this broker is ignored', async () => {
  const cluster = await makeCluster('stale');
  await mkdir(cluster.config.dir, { recursive: true });
  await writeFile(path.join(cluster.config.dir, 'kafka.pid'), `${process.pid}\n`);
  assert.equal(await cluster.pid(), undefined);
  const status = await cluster.status();
  assert.equal(status.state, 'stopped');
  assert.equal(status.pid, undefined);
  assert.equal(await cluster.stop(), false);
  assert.deepEqual((await readdir(cluster.config.dir)).includes('kafka.pid'), false, 'stop() removes the stale pid file');
});

void test('a pid file naming a dead process or garbage is ignored', async () => {
  const cluster = await makeCluster('dead');
  await mkdir(cluster.config.dir, { recursive: true });
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid!;
  await new Promise((resolve) => child.once('exit', resolve));
  await sleep(50);
  for (const content of [`${pid}\n`, 'not a pid', '']) {
    await writeFile(path.join(cluster.config.dir, 'kafka.pid'), content);
    assert.equal((await cluster.status()).state, 'stopped', JSON.stringify(content));
  }
  assert.equal(await cluster.kill(), false);
});

void test('a port held by another process stops start() before any Java runs', async () => {
  const cluster = await makeCluster('busy');
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(cluster.config.controllerPort, '127.0.0.1', resolve));
  try {
    await assert.rejects(cluster.start(), (err: unknown) => {
      assert.ok(err instanceof PortInUseError);
      assert.equal(err.port, cluster.config.controllerPort);
      assert.match(err.message, /cannot start cluster "busy": port \d+ on 127\.0\.0\.1 \(its controller listener\) is already in use/);
      return true;
    });
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
});

void test('sandbox up() refuses a busy port before fetching anything, and says how to pick others', async () => {
  const squatter = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  try {
    // The cache points at an empty folder: reaching the jar fetch would fail differently.
    const env = { ...process.env, STRAIT_CACHE_DIR: path.join(root, 'no-cache') };
    const sandbox = await Sandbox.open({ dir: path.join(root, 'sb'), sourcePort: port, targetPort: port + 10, env });
    await assert.rejects(sandbox.up(), (err: unknown) => {
      assert.ok(err instanceof SandboxError);
      assert.match(err.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 \\(its client \\(PLAINTEXT\\) listener\\) is already in use`));
      assert.match(err.message, /--source-port N or STRAIT_SANDBOX_SOURCE_PORT=N/);
      return true;
    });
    const status = await sandbox.status();
    assert.deepEqual(
      status.map((s) => [s.name, s.state, s.port, s.controllerPort]),
      [
        ['source', 'stopped', port, port + 1],
        ['target', 'stopped', port + 10, port + 11],
      ],
    );
    assert.equal(formatStatusLine(status[0]), `source  127.0.0.1:${port}  stopped`);
    assert.deepEqual(await readdir(path.join(root, 'sb')), [], 'nothing but the released lock was written');
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
});

void test('the lock serialises holders and takes over a lock whose owner died', async () => {
  const file = path.join(root, 'locks', '.lock');
  const order: string[] = [];
  const first = withLock(file, { timeoutMs: 5000, what: 'test' }, async () => {
    order.push('first in');
    await sleep(200);
    order.push('first out');
  });
  await sleep(20);
  let waited = false;
  const second = withLock(file, { timeoutMs: 5000, what: 'test', onWait: () => (waited = true) }, () => {
    order.push('second');
    return Promise.resolve();
  });
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first in', 'first out', 'second']);
  assert.ok(waited);

  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  await writeFile(file, String(child.pid));
  assert.equal(await withLock(file, { timeoutMs: 2000, what: 'test' }, () => Promise.resolve('taken over')), 'taken over');
});
