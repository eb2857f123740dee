/**
 * When a process counts as ready (GET /readyz, src/engine/readiness.ts) and how the shutdown
 * bound is split and enforced (src/engine/shutdown.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineReadiness } from '../../src/engine/readiness.js';
import { armHardDeadline, shutdownBudget } from '../../src/engine/shutdown.js';

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
  void it('gives the drain all of the bound but a close reserve of a third, at most 10 s', () => {
    assert.deepEqual(shutdownBudget(30_000), { totalMs: 30_000, drainMs: 20_000, closeMs: 10_000 });
    assert.deepEqual(shutdownBudget(60_000), { totalMs: 60_000, drainMs: 50_000, closeMs: 10_000 });
    assert.deepEqual(shutdownBudget(3_000), { totalMs: 3_000, drainMs: 2_000, closeMs: 1_000 });
    // The schema's smallest value still leaves a close phase.
    const min = shutdownBudget(1_000);
    assert.ok(min.closeMs > 0 && min.drainMs + min.closeMs === 1_000);
  });

  void it('fires the hard deadline once after its time, and never once disarmed', async () => {
    let fired = 0;
    const started = Date.now();
    let firedAt = 0;
    armHardDeadline(50, () => {
      fired++;
      firedAt = Date.now();
    });
    let disarmedFired = 0;
    const disarm = armHardDeadline(50, () => disarmedFired++);
    disarm();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(fired, 1);
    assert.ok(firedAt - started >= 45, `fired after ${firedAt - started} ms`);
    assert.equal(disarmedFired, 0);
  });
});
