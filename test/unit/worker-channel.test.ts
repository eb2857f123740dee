// The coordinator's slot table of one task: a slot is reused only after the task confirmed its
// revoke, also when the coordinator stopped waiting for that confirmation (a revoke that timed out).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WorkerChannel } from '../../src/coordinator/worker-channel.js';
import type { ProgressRingReader } from '../../src/ring/progress-ring.js';
import { decode, encode } from '../../src/util/codec.js';
import type { CoordinatorMessage, WorkerMessage } from '../../src/worker/protocol.js';

const ring = { drain: () => 0 } as unknown as ProgressRingReader;
const open: MessagePort[] = [];

/** A channel over a real MessagePort; `task` is the task's end: what it was sent, and a way to answer. */
function channel(): { channel: WorkerChannel; sent: CoordinatorMessage[]; answer: (msg: WorkerMessage) => Promise<void> } {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const sent: CoordinatorMessage[] = [];
  port2.on('message', (bytes: Uint8Array) => sent.push(decode(bytes) as CoordinatorMessage));
  const received: WorkerMessage[] = [];
  const c = new WorkerChannel(0, port1, ring, (msg) => received.push(msg));
  const answer = async (msg: WorkerMessage): Promise<void> => {
    const before = received.length;
    const bytes = encode(msg);
    port2.postMessage(bytes, [bytes.buffer]);
    while (received.length === before) await new Promise((r) => setTimeout(r, 1));
  };
  return { channel: c, sent, answer };
}

afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

void describe('WorkerChannel', () => {
  void it('reuses a slot once the task confirmed its revoke', async () => {
    const { channel: c, sent, answer } = channel();
    assert.equal(c.allocate('t\u00000'), 0);
    assert.equal(c.allocate('t\u00001'), 1);
    const revoked = c.revoke([0], 5_000);
    await answer({ type: 'revoked', workerId: 0, slots: [0] });
    assert.equal(await revoked, true);
    assert.deepEqual(sent[0], { type: 'revoke', slots: [0] });
    c.free(0);
    assert.equal(c.isDraining('t\u00000'), false);
    assert.equal(c.allocate('t\u00002'), 0, 'the confirmed slot is free again');
  });

  void it('keeps a slot whose revoke timed out reserved until the task confirms it', async () => {
    const { channel: c, answer } = channel();
    c.allocate('t\u00000');
    c.allocate('t\u00001');
    assert.equal(await c.revoke([0], 20, true), false, 'no confirmation within the timeout');
    c.free(0);
    assert.equal(c.isDraining('t\u00000'), true);
    assert.equal(c.drainingCount, 1);
    assert.equal(c.partitionAt(0), undefined, 'progress of the draining slot belongs to no partition');
    assert.equal(c.allocate('t\u00002'), 2, 'the draining slot is not handed out');
    await answer({ type: 'revoked', workerId: 0, slots: [0] });
    assert.equal(c.isDraining('t\u00000'), false);
    assert.equal(c.drainingCount, 0);
    assert.equal(c.allocate('t\u00003'), 0, 'reusable after the late confirmation');
  });

  void it('forgets draining slots when the task ends', async () => {
    const { channel: c } = channel();
    c.allocate('t\u00000');
    assert.equal(await c.revoke([0], 20), false);
    c.free(0);
    assert.equal(c.isDraining('t\u00000'), true);
    c.markEnded();
    assert.equal(c.isDraining('t\u00000'), false);
    assert.equal(c.partitionCount, 0);
  });
});
