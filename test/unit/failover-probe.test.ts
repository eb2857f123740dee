/** The failover's "is the source down?" probe (src/failover/probe.ts), against real sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { accepts, bootstrapAddresses, firstAccepting } from '../../src/failover/probe.js';

test('bootstrapAddresses reads librdkafka\'s [proto://]host[:port] lists', () => {
  assert.deepEqual(bootstrapAddresses(' a:1, SASL_SSL://b.example.com:9093 ,c,[::1]:19092,'), [
    { host: 'a', port: 1 },
    { host: 'b.example.com', port: 9093 },
    { host: 'c', port: 9092 },
    { host: '::1', port: 19092 },
  ]);
  assert.deepEqual(bootstrapAddresses(''), []);
});

test('a listening port counts as up, a closed one as down', async (t) => {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => server.close());
  const open = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  // A port that was just free: bind, note, close.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const closed = { host: '127.0.0.1', port: (probe.address() as AddressInfo).port };
  await new Promise<void>((r) => probe.close(() => r()));

  assert.equal(await accepts(open, 2000), true);
  assert.equal(await accepts(closed, 2000), false);
  assert.deepEqual(await firstAccepting([closed, open], 2000), open);
  assert.equal(await firstAccepting([closed], 2000), undefined);
  assert.equal(await firstAccepting([], 2000), undefined);
});
