/** POST /flows/<name>/stop on the metrics endpoint (what `strait failover` calls). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { isLoopbackPeer, startMetricsServer } from '../../src/metrics/server.js';

const empty = () => ({ takenAt: 0, startedAt: 0, flows: [] });

void describe('flow stop endpoint', () => {
  void it('stops the named flow and answers with the engine\'s result once it is stopped', async (t) => {
    const asked: string[] = [];
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const server = await startMetricsServer(
      {
        port: 0,
        admin: {
          stopFlow: async (name) => {
            asked.push(name);
            await done;
            return name === 'east->west' ? { flow: name, stopped: true } : undefined;
          },
        },
      },
      empty,
    );
    t.after(() => server.close());
    let answered = false;
    const pending = fetch(`${server.url}/flows/${encodeURIComponent('east->west')}/stop`, { method: 'POST' }).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false, 'no answer before the flow stopped');
    release();
    const res = await pending;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { flow: 'east->west', stopped: true });
    assert.deepEqual(asked, ['east->west'], 'the flow name is decoded from the path');

    const unknown = await fetch(`${server.url}/flows/nope/stop`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /no flow named "nope"/);
  });

  void it('takes only POST, refuses requests from web pages, and reports failures', async (t) => {
    const server = await startMetricsServer({ port: 0, admin: { stopFlow: () => Promise.reject(new Error('commit failed')) } }, empty);
    t.after(() => server.close());
    const get = await fetch(`${server.url}/flows/f/stop`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    await get.text();
    const browser = await fetch(`${server.url}/flows/f/stop`, { method: 'POST', headers: { Origin: 'https://example.com' } });
    assert.equal(browser.status, 403);
    await browser.text();
    const failed = await fetch(`${server.url}/flows/f/stop`, { method: 'POST' });
    assert.equal(failed.status, 500);
    assert.match(((await failed.json()) as { error: string }).error, /stopping flow "f" failed: commit failed/);
  });

  void it('is not served without an engine behind it', async (t) => {
    const server = await startMetricsServer({ port: 0 }, empty);
    t.after(() => server.close());
    const res = await fetch(`${server.url}/flows/f/stop`, { method: 'POST' });
    assert.equal(res.status, 405);
    await res.text();
  });
});

/** An address of this machine that is not loopback: a connection to it arrives from it. */
function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address to test a remote client with');
}

void describe('flow stop endpoint from another address', () => {
  void it('refuses a client that is not on loopback unless engine.metrics.remoteStop is on, naming the setting', async (t) => {
    const asked: string[] = [];
    const admin = { stopFlow: (name: string) => (asked.push(name), Promise.resolve({ flow: name, stopped: true })) };
    const address = externalAddress();
    const closed = await startMetricsServer({ host: '0.0.0.0', port: 0, admin }, empty);
    t.after(() => closed.close());
    const remote = await fetch(`http://${address}:${closed.port}/flows/f/stop`, { method: 'POST' });
    assert.equal(remote.status, 403);
    const { error } = (await remote.json()) as { error: string };
    assert.match(error, new RegExp(`this request came from ${address.replace(/\./g, '\\.')}`));
    assert.match(error, /set engine\.metrics\.remoteStop: true/);
    assert.deepEqual(asked, [], 'nothing was stopped');
    const local = await fetch(`http://127.0.0.1:${closed.port}/flows/f/stop`, { method: 'POST' });
    assert.equal(local.status, 200, 'the same server still takes it from this machine');
    await local.text();

    const open = await startMetricsServer({ host: '0.0.0.0', port: 0, admin, remoteStop: true }, empty);
    t.after(() => open.close());
    const allowed = await fetch(`http://${address}:${open.port}/flows/g/stop`, { method: 'POST' });
    assert.equal(allowed.status, 200);
    assert.deepEqual(await allowed.json(), { flow: 'g', stopped: true });
    assert.deepEqual(asked, ['f', 'g']);
  });

  void it('counts only loopback addresses as this machine', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackPeer(a), true, a);
    for (const a of [undefined, '10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '::', '0.0.0.0', '128.0.0.1', '127.0.0.1.evil']) assert.equal(isLoopbackPeer(a), false, String(a));
  });
});
