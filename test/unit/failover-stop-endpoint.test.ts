/** POST /flows/<name>/stop on the metrics endpoint (what `strait failover` calls). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMetricsServer } from '../../src/metrics/server.js';

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
