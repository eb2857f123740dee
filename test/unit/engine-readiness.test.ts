/**
 * When a process counts as ready (GET /readyz, src/engine/readiness.ts) and how the shutdown
 * bound is split and enforced (src/engine/shutdown.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineReadiness } from '../../src/engine/readiness.js';
import { armHardDeadline, settleBy, shutdownBudget } from '../../src/engine/shutdown.js';

void describe('readiness', () => {
  void it('is ready only while running with every flow past its first assignment', () => {
    assert.equal(engineReadiness('starting', []).ready, false);
    assert.equal(engineReadiness('running', [{ name: 'a', state: 'assigned' }]).ready, true);
    assert.equal(
      engineReadiness('running', [
        { name: 'a', state: 'assigned' },
        { name: 'b', state: 'starting' },
      ]).ready,
      false,
    );
    // The engine's start finished but a flow has not handled an assignment yet: not ready.
    assert.equal(engineReadiness('running', [{ name: 'a', state: 'starting' }]).ready, false);
  });

  void it('does not wait for a flow stopped on request, and is not ready once stopping', () => {
    assert.equal(
      engineReadiness('running', [
        { name: 'a', state: 'assigned' },
        { name: 'b', state: 'stopped' },
      ]).ready,
      true,
    );
    assert.equal(engineReadiness('stopping', [{ name: 'a', state: 'assigned' }]).ready, false);
  });
});

void describe('shutdown bound', () => {
  void it('gives the drain all but a close reserve (a third, at most 10 s), and exits early enough for the exit to fit', () => {
    assert.deepEqual(shutdownBudget(30_000), { totalMs: 30_000, drainMs: 20_000, hardMs: 27_500 });
    assert.deepEqual(shutdownBudget(60_000), { totalMs: 60_000, drainMs: 50_000, hardMs: 57_500 });
    assert.deepEqual(shutdownBudget(15_000), { totalMs: 15_000, drainMs: 10_000, hardMs: 13_500 });
    // The schema's smallest value still leaves a close phase and an exit.
    const min = shutdownBudget(1_000);
    assert.ok(min.drainMs < min.hardMs && min.hardMs < min.totalMs, JSON.stringify(min));
  });

  void it('waits for work until a deadline only', async () => {
    assert.equal(await settleBy(Promise.resolve(), Date.now() + 1_000), true);
    assert.equal(await settleBy(Promise.reject(new Error('closing failed')), Date.now() + 1_000), true);
    const started = Date.now();
    assert.equal(await settleBy(new Promise(() => undefined), started + 50), false);
    assert.ok(Date.now() - started < 1_000);
  });

  void it('fires the hard deadline once after its time, saying whether the stop had finished', async () => {
    const calls: boolean[] = [];
    const started = Date.now();
    let firedAt = 0;
    armHardDeadline(50, (finished) => {
      calls.push(finished);
      firedAt = Date.now();
    });
    armHardDeadline(50, (finished) => calls.push(finished)).finished();
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(calls.sort(), [false, true]);
    assert.ok(firedAt - started >= 45, `fired after ${firedAt - started} ms`);
  });
});
