// The cross-region proxy: it adds its delay each way, keeps every byte in order, and pushes back
// on a sender when more than its window waits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, test } from 'node:test';
import { DelayProxy, freePort } from '../../src/bench/proxy.js';

/** An upstream that echoes every byte back. */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Sends `payload` through host:port and resolves with what came back and how long it took. */
function roundTrip(port: number, payload: Buffer): Promise<{ data: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let got = 0;
    const c = net.connect({ host: '127.0.0.1', port }, () => c.write(payload));
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= payload.length) {
        c.destroy();
        resolve({ data: Buffer.concat(chunks), ms: performance.now() - started });
      }
    });
    c.on('error', reject);
  });
}

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

test('a round trip through the proxy takes twice its one-way delay', async () => {
  const echo = await echoServer();
  cleanup.push(echo.close);
  const proxy = await DelayProxy.start({ port: 0, upstreamHost: '127.0.0.1', upstreamPort: echo.port, delayMs: 40 });
  cleanup.push(() => proxy.close());
  const direct = await roundTrip(echo.port, Buffer.from('ping'));
  const proxied = await roundTrip(proxy.port, Buffer.from('ping'));
  assert.equal(proxied.data.toString(), 'ping');
  assert.ok(proxied.ms >= 78, `round trip ${proxied.ms.toFixed(1)} ms should be at least 2 x 40 ms`);
  assert.ok(proxied.ms < 78 + 150 + direct.ms, `round trip ${proxied.ms.toFixed(1)} ms adds far more than the delay`);
  assert.equal(proxy.counters.connections, 1);
  assert.equal(proxy.counters.bytesUp, 4);
  assert.equal(proxy.counters.bytesDown, 4);
});

test('every byte arrives, in order, also when the window is much smaller than the data', async () => {
  const echo = await echoServer();
  cleanup.push(echo.close);
  const proxy = await DelayProxy.start({ port: 0, upstreamHost: '127.0.0.1', upstreamPort: echo.port, delayMs: 5, windowBytes: 64 * 1024 });
  cleanup.push(() => proxy.close());
  const payload = randomBytes(3 * 1024 * 1024);
  const { data } = await roundTrip(proxy.port, payload);
  assert.equal(data.length, payload.length);
  assert.ok(data.equals(payload), 'the echoed bytes are the bytes sent, in order');
});

test('freePort hands out a port that can be bound', async () => {
  const port = await freePort();
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((r) => server.close(r));
});
