// The chaos tests' fault proxy, with plain TCP sockets: a reset cut closes open connections and
// refuses new ones until healed, a black hole holds every byte and delivers it after the heal, and
// latency with jitter delays without reordering.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, test } from 'node:test';
import { FaultProxy } from '../helpers/fault-proxy.js';

/** An upstream that echoes every byte back. */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
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

/** A connected client that collects what comes back. */
async function client(port: number): Promise<{ socket: net.Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => Buffer.concat(chunks), closed };
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function setup(): Promise<FaultProxy> {
  const echo = await echoServer();
  cleanup.push(echo.close);
  const proxy = await FaultProxy.start({ port: 0, upstreamPort: echo.port });
  cleanup.push(() => proxy.close());
  return proxy;
}

test('bytes pass through untouched while the link is open', async () => {
  const proxy = await setup();
  const c = await client(proxy.port);
  const payload = randomBytes(2 * 1024 * 1024);
  c.socket.write(payload);
  await until(() => c.received().length >= payload.length, 10_000, 'the echo');
  assert.ok(c.received().equals(payload));
  c.socket.destroy();
});

test('a reset cut closes open connections and refuses new ones until it heals by itself', async () => {
  const proxy = await setup();
  const c = await client(proxy.port);
  c.socket.write('before');
  await until(() => c.received().toString() === 'before', 5_000, 'the first echo');
  proxy.cut('reset', 300);
  await c.closed;
  assert.equal(proxy.isCut, true);
  // A new connection is accepted by the kernel and closed at once, before any byte comes back.
  const refused = await client(proxy.port);
  refused.socket.write('lost');
  await refused.closed;
  assert.equal(refused.received().length, 0);
  await until(() => !proxy.isCut, 5_000, 'the heal');
  const d = await client(proxy.port);
  d.socket.write('after');
  await until(() => d.received().toString() === 'after', 5_000, 'the echo after the heal');
  assert.ok(proxy.counters.cut >= 2, `cut ${proxy.counters.cut} connections`);
  d.socket.destroy();
});

test('a black hole keeps connections open, holds every byte, and delivers it in order after the heal', async () => {
  const proxy = await setup();
  const c = await client(proxy.port);
  c.socket.write('a');
  await until(() => c.received().toString() === 'a', 5_000, 'the first echo');
  proxy.cut('blackhole');
  const held = randomBytes(256 * 1024);
  c.socket.write(held);
  // Connected during the cut: connect succeeds, nothing is forwarded.
  const late = await client(proxy.port);
  late.socket.write('late');
  await sleep(300);
  assert.equal(c.received().length, 1, 'nothing crosses a black hole');
  assert.equal(late.received().length, 0);
  assert.equal(c.socket.destroyed, false, 'the connection stays open');
  proxy.heal();
  await until(() => c.received().length >= 1 + held.length && late.received().length >= 4, 10_000, 'the held bytes');
  assert.ok(c.received().subarray(1).equals(held), 'what was held arrives intact, in order');
  assert.equal(late.received().toString(), 'late');
  c.socket.destroy();
  late.socket.destroy();
});

test('latency with jitter delays each direction by at least the base and keeps the bytes in order', async () => {
  const proxy = await setup();
  proxy.latency(40, 30);
  const c = await client(proxy.port);
  const started = performance.now();
  c.socket.write('x');
  await until(() => c.received().length >= 1, 5_000, 'the delayed echo');
  const rtt = performance.now() - started;
  assert.ok(rtt >= 78, `round trip ${rtt.toFixed(1)} ms should be at least 2 x 40 ms`);
  assert.ok(rtt < 2 * 70 + 200, `round trip ${rtt.toFixed(1)} ms adds far more than delay plus jitter`);
  // Many small writes, each with its own random delay: none may overtake another.
  const parts = Array.from({ length: 200 }, (_, i) => Buffer.from(`${i};`));
  for (const p of parts) {
    c.socket.write(p);
    await sleep(1);
  }
  const expected = Buffer.concat([Buffer.from('x'), ...parts]);
  await until(() => c.received().length >= expected.length, 10_000, 'every part');
  assert.equal(c.received().toString(), expected.toString());
  c.socket.destroy();
});
