import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineSnapshot } from '../../src/coordinator/snapshot.js';
import { startMetricsServer, type StatusDocument } from '../../src/metrics/server.js';
import { StraitError } from '../../src/util/errors.js';
import { engineReadiness, type Readiness } from '../../src/engine/readiness.js';

const q = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };

function snapshotAt(takenAt: number, records: number): EngineSnapshot {
  return {
    takenAt,
    startedAt: 1_000_000,
    flows: [
      {
        name: 'east->west',
        source: 'east',
        target: 'west',
        mode: 'at-least-once',
        records,
        bytes: records * 10,
        recordsFailed: 0,
        partitions: [
          {
            topic: 'orders',
            partition: 0,
            targetTopic: 'east.orders',
            replicatedOffset: records,
            committedOffset: records,
            highWatermark: records + 5,
            replicatedTimestamp: takenAt - 100,
            records,
            bytes: records * 10,
            worker: 0,
            offsetRuns: 1,
          },
        ],
        replicationLatency: q,
        relayLatency: q,
        recentReplicationLatency: q,
        commits: 1,
        commitErrors: 0,
        topics: 1,
      },
    ],
  };
}

void describe('metrics server', () => {
  void it('serves /metrics, /status and /healthz on an ephemeral loopback port', async (t) => {
    let now = 1_010_000;
    let records = 0;
    const server = await startMetricsServer({ port: 0 }, () => snapshotAt(now, records));
    t.after(() => server.close());
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);

    const metrics = await fetch(`${server.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await metrics.text();
    assert.match(text, /^# HELP strait_uptime_seconds /);
    assert.match(text, /\nstrait_uptime_seconds 10\n/);
    assert.match(text, /\nstrait_partition_lag_records\{flow="east->west",source="east",target="west",topic="orders",partition="0"\} 5\n/);

    // The rate comes from consecutive snapshots, whichever path asked for them.
    now += 2000;
    records = 6000;
    const status = await fetch(`${server.url}/status?verbose=1`);
    assert.equal(status.status, 200);
    assert.match(status.headers.get('content-type') ?? '', /^application\/json/);
    const doc = (await status.json()) as StatusDocument;
    assert.equal(doc.takenAt, now);
    assert.equal(doc.flows[0].partitions[0].highWatermark, 6005);
    // 6000 records over the 12 s since the engine start (the latest reading at least 10 s old).
    assert.equal(doc.flows[0].recordsPerSecond, 500);
    assert.equal(doc.flows[0].bytesPerSecond, 5000);

    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { status: string; uptimeSeconds: number };
    assert.equal(body.status, 'ok');
    assert.ok(body.uptimeSeconds > 0);
  });

  void it('answers /readyz with 503 until the engine says ready, and with its phase and flows', async (t) => {
    let readiness: Readiness = engineReadiness('starting', [{ name: 'east->west', state: 'starting' }]);
    const server = await startMetricsServer({ port: 0, readiness: () => readiness }, () => snapshotAt(1_000_000, 0));
    t.after(() => server.close());
    const read = async (): Promise<{ status: number; body: { status: string; ready: boolean; phase: string; flows: unknown } }> => {
      const res = await fetch(`${server.url}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; ready: boolean; phase: string; flows: unknown } };
    };
    let r = await read();
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, { status: 'not ready', ready: false, phase: 'starting', flows: [{ name: 'east->west', state: 'starting' }] });
    readiness = engineReadiness('running', [{ name: 'east->west', state: 'assigned' }]);
    r = await read();
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ready');
    readiness = engineReadiness('stopping', [{ name: 'east->west', state: 'stopped' }]);
    r = await read();
    assert.equal(r.status, 503);
    assert.equal(r.body.phase, 'stopping');
    // Liveness is not readiness: /healthz answers 200 all along.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  void it('answers /readyz with 200 when no readiness is given (a server without an engine)', async (t) => {
    const server = await startMetricsServer({ port: 0 }, () => snapshotAt(1_000_000, 0));
    t.after(() => server.close());
    const res = await fetch(`${server.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', ready: true });
  });

  void it('answers 404 for other paths and 405 for other methods', async (t) => {
    const server = await startMetricsServer({ port: 0 }, () => snapshotAt(1_000_000, 0));
    t.after(() => server.close());
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /\/metrics, \/status, \/healthz and \/readyz/);
    const post = await fetch(`${server.url}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.text();
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  void it('answers 500 when no snapshot can be taken, and keeps serving', async (t) => {
    let fail = true;
    const warnings: unknown[] = [];
    const log = { warn: (...args: unknown[]) => void warnings.push(args) };
    const server = await startMetricsServer({ port: 0, log }, () => {
      if (fail) throw new Error('coordinator is shutting down');
      return snapshotAt(1_000_000, 0);
    });
    t.after(() => server.close());
    const bad = await fetch(`${server.url}/metrics`);
    assert.equal(bad.status, 500);
    assert.match(await bad.text(), /coordinator is shutting down/);
    assert.equal(warnings.length, 1);
    fail = false;
    assert.equal((await fetch(`${server.url}/metrics`)).status, 200);
  });

  void it('says which setting to change when the port is taken', async (t) => {
    const first = await startMetricsServer({ port: 0 }, () => snapshotAt(1_000_000, 0));
    t.after(() => first.close());
    await assert.rejects(
      startMetricsServer({ host: '127.0.0.1', port: first.port }, () => snapshotAt(1_000_000, 0)),
      (err: unknown) => {
        assert.ok(err instanceof StraitError);
        assert.equal(err.code, 'METRICS_PORT_IN_USE');
        assert.equal(err.message, `metrics port ${first.port} on 127.0.0.1 is already in use: set engine.metrics.port or stop the other process`);
        return true;
      },
    );
  });

  void it('closes, and a second close is harmless', async () => {
    const server = await startMetricsServer({ port: 0 }, () => snapshotAt(1_000_000, 0));
    await (await fetch(`${server.url}/healthz`)).text();
    await server.close();
    await server.close();
    await assert.rejects(fetch(`${server.url}/healthz`));
  });
});
