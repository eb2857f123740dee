import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineSnapshot } from '../../src/coordinator/snapshot.js';
import { fixedRates, RateTracker } from '../../src/metrics/rates.js';

const START = 1_000_000;

/** A snapshot with one flow per [name, records, bytes]. */
function snap(takenAt: number, flows: Array<[string, number, number]>): EngineSnapshot {
  const q = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    takenAt,
    startedAt: START,
    flows: flows.map(([name, records, bytes]) => ({
      name,
      source: 'east',
      target: 'west',
      mode: 'at-least-once',
      records,
      bytes,
      recordsFailed: 0,
      partitions: [],
      replicationLatency: q,
      relayLatency: q,
      recentReplicationLatency: q,
      commits: 0,
      commitErrors: 0,
      topics: 0,
    })),
  };
}

function samplesOf(t: RateTracker, flow: string): number {
  return (t as unknown as { flows: Map<string, unknown[]> }).flows.get(flow)?.length ?? 0;
}

void describe('rate tracker', () => {
  void it('measures the first snapshot from the engine start', () => {
    const t = new RateTracker();
    assert.equal(t.rate('f'), undefined);
    t.observe(snap(START + 2000, [['f', 1000, 50_000]]));
    assert.deepEqual(t.rate('f'), { recordsPerSecond: 500, bytesPerSecond: 25_000, overMs: 2000 });
  });

  void it('knows no rate from a snapshot taken at the start', () => {
    const t = new RateTracker();
    t.observe(snap(START, [['f', 0, 0]]));
    assert.equal(t.rate('f'), undefined);
    t.observe(snap(START + 500, [['f', 100, 0]]));
    assert.equal(t.rate('f')?.recordsPerSecond, 200);
  });

  void it('measures over the window: from the latest sample at or before its start', () => {
    const t = new RateTracker({ windowMs: 1000 });
    t.observe(snap(START + 1000, [['f', 1000, 0]]));
    t.observe(snap(START + 2000, [['f', 3000, 0]]));
    // Base is the sample at START+1000 (exactly the window's start), not the engine start.
    assert.deepEqual(t.rate('f'), { recordsPerSecond: 2000, bytesPerSecond: 0, overMs: 1000 });
    t.observe(snap(START + 2500, [['f', 3500, 0]]));
    // Nothing at START+1500: the base stays at START+1000, so the span is longer than the window.
    assert.deepEqual(t.rate('f'), { recordsPerSecond: 1000 * (2500 / 1500), bytesPerSecond: 0, overMs: 1500 });
  });

  void it('covers the whole gap when snapshots are sparser than the window', () => {
    const t = new RateTracker({ windowMs: 10_000 });
    t.observe(snap(START + 60_000, [['f', 60_000, 0]]));
    t.observe(snap(START + 120_000, [['f', 180_000, 0]]));
    assert.deepEqual(t.rate('f'), { recordsPerSecond: 2000, bytesPerSecond: 0, overMs: 60_000 });
  });

  void it('gives the true rate of a steady flow however irregular the readings', () => {
    const t = new RateTracker({ windowMs: 5000 });
    let now = START;
    for (const gap of [13, 700, 1, 2500, 333, 4999, 5001, 10, 10, 10, 8000, 250]) {
      now += gap;
      t.observe(snap(now, [['f', (now - START) * 3, (now - START) * 300]]));
      const r = t.rate('f')!;
      assert.ok(Math.abs(r.recordsPerSecond - 3000) < 1e-9, `after gap ${gap}: ${r.recordsPerSecond}`);
      assert.ok(Math.abs(r.bytesPerSecond - 300_000) < 1e-6);
    }
  });

  void it('ignores a snapshot read twice', () => {
    const t = new RateTracker({ windowMs: 1000 });
    t.observe(snap(START + 1000, [['f', 1000, 0]]));
    t.observe(snap(START + 2000, [['f', 3000, 0]]));
    const before = t.rate('f');
    t.observe(snap(START + 2000, [['f', 3000, 0]]));
    assert.deepEqual(t.rate('f'), before);
  });

  void it('keeps a bounded history under very frequent readings', () => {
    const t = new RateTracker({ windowMs: 10_000, maxSamples: 20 });
    for (let ms = 1; ms <= 100_000; ms += 7) t.observe(snap(START + ms, [['f', ms * 2, 0]]));
    assert.ok(samplesOf(t, 'f') <= 23, `kept ${samplesOf(t, 'f')} samples`);
    const r = t.rate('f')!;
    assert.ok(Math.abs(r.recordsPerSecond - 2000) < 1e-9);
    assert.ok(r.overMs >= 10_000 && r.overMs <= 10_000 + 10_000 / 20 + 7, `over ${r.overMs} ms`);
  });

  void it('starts again when a total goes down or time goes back', () => {
    const t = new RateTracker();
    t.observe(snap(START + 1000, [['f', 1000, 10]]));
    t.observe(snap(START + 2000, [['f', 10, 10]]));
    assert.equal(t.rate('f'), undefined);
    t.observe(snap(START + 3000, [['f', 510, 10]]));
    assert.equal(t.rate('f')?.recordsPerSecond, 500);
    t.observe(snap(START + 2500, [['f', 600, 10]]));
    assert.equal(t.rate('f'), undefined);
  });

  void it('keeps flows apart and forgets a flow that is gone', () => {
    const t = new RateTracker();
    t.observe(snap(START + 1000, [['a', 100, 0], ['b', 300, 0]]));
    assert.equal(t.rate('a')?.recordsPerSecond, 100);
    assert.equal(t.rate('b')?.recordsPerSecond, 300);
    t.observe(snap(START + 2000, [['a', 300, 0]]));
    assert.equal(t.rate('a')?.recordsPerSecond, 150);
    assert.equal(t.rate('b'), undefined);
    assert.equal(samplesOf(t, 'b'), 0);
  });

  void it('rejects a window that is not positive', () => {
    assert.throws(() => new RateTracker({ windowMs: 0 }), RangeError);
    assert.throws(() => new RateTracker({ maxSamples: 0 }), RangeError);
  });

  void it('fixedRates serves given values', () => {
    const r = { recordsPerSecond: 1, bytesPerSecond: 2, overMs: 3 };
    const s = fixedRates(new Map([['f', r]]));
    assert.equal(s.rate('f'), r);
    assert.equal(s.rate('g'), undefined);
  });
});
