import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { DEFAULT_MAX_RUNS, OffsetMap, OffsetRunOrderError, OffsetRuns } from '../../src/coordinator/offset-map.js';

/** Small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

void describe('OffsetRuns: recording', () => {
  void it('merges contiguous acknowledgements into one run', () => {
    const r = new OffsetRuns();
    r.add(100, 500);
    r.add(101, 501);
    r.add(102, 502, 8);
    assert.equal(r.size, 1);
    assert.deepEqual(r.runs(), [{ sourceOffset: 100, targetOffset: 500, count: 10 }]);
    assert.equal(r.highestSource(), 109);
    assert.equal(r.highestTarget(), 509);
  });

  void it('starts a new run on a source gap, a target gap, or both', () => {
    const r = new OffsetRuns();
    r.add(0, 0, 5); // 0..4 -> 0..4
    r.add(7, 5, 3); // source gap (compaction): 7..9 -> 5..7
    r.add(10, 10, 2); // target gap (target-side marker): 10..11 -> 10..11
    r.add(20, 30); // both
    r.add(21, 31, 4); // merges
    assert.deepEqual(r.runs(), [
      { sourceOffset: 0, targetOffset: 0, count: 5 },
      { sourceOffset: 7, targetOffset: 5, count: 3 },
      { sourceOffset: 10, targetOffset: 10, count: 2 },
      { sourceOffset: 20, targetOffset: 30, count: 5 },
    ]);
  });

  void it('refuses overlapping or backwards runs, naming the offsets, and keeps its state', () => {
    const r = new OffsetRuns({ topic: 'orders', partition: 3 });
    r.add(100, 200, 5); // 100..104 -> 200..204
    const before = r.runs();
    const cases: [number, number, number, RegExp][] = [
      [104, 205, 1, /source 104 -> target 205 .*last recorded record \(source 104 -> target 204\).*source offsets overlap/],
      [90, 300, 20, /source 90\.\.109 -> target 300\.\.319/],
      [105, 204, 1, /target offsets overlap or go backwards/],
      [50, 50, 1, /source offsets/],
    ];
    for (const [src, tgt, count, message] of cases) {
      assert.throws(
        () => r.add(src, tgt, count),
        (e: unknown) => {
          assert.ok(e instanceof OffsetRunOrderError);
          assert.equal(e.code, 'OFFSET_RUN_ORDER');
          assert.match(e.message, /^topic "orders" partition 3: /);
          assert.match(e.message, message);
          assert.equal(e.topic, 'orders');
          assert.equal(e.partition, 3);
          assert.equal(e.sourceOffset, src);
          assert.equal(e.targetOffset, tgt);
          assert.equal(e.lastSource, 104);
          assert.equal(e.lastTarget, 204);
          return true;
        },
      );
    }
    assert.deepEqual(r.runs(), before);
    assert.equal(r.highestSource(), 104);
  });

  void it('validates its inputs', () => {
    const r = new OffsetRuns();
    assert.throws(() => r.add(-1, 0), RangeError);
    assert.throws(() => r.add(0, 1.5), RangeError);
    assert.throws(() => r.add(0, 0, 0), RangeError);
    assert.throws(() => r.add(2 ** 53, 0), RangeError);
    assert.throws(() => r.add(2 ** 53 - 1, 0, 2), /below 2\^53/);
    assert.throws(() => r.translate(0.5), RangeError);
    assert.throws(() => new OffsetRuns({ maxRuns: 0 }), /maxRuns/);
    r.add(2 ** 53 - 2, 2 ** 40, 1);
    assert.equal(r.translate(2 ** 53 - 2), 2 ** 40);
    assert.equal(r.translate(2 ** 53 - 1), 2 ** 40 + 1);
    assert.equal(new OffsetRuns().maxRuns, DEFAULT_MAX_RUNS);
  });
});

void describe('OffsetRuns: translate', () => {
  // Source 10..14 -> 100..104, gap 15..19 (compacted), 20..22 -> 105..107, gap 23, 24 -> 110.
  function sample(): OffsetRuns {
    const r = new OffsetRuns();
    r.add(10, 100, 5);
    r.add(20, 105, 3);
    r.add(24, 110);
    return r;
  }

  void it('maps positions inside runs with the run delta, including both ends', () => {
    const r = sample();
    assert.equal(r.translate(10), 100);
    assert.equal(r.translate(12), 102);
    assert.equal(r.translate(14), 104);
    assert.equal(r.translate(20), 105);
    assert.equal(r.translate(22), 107);
    assert.equal(r.translate(24), 110);
  });

  void it('maps positions in a source gap to the next replicated record', () => {
    const r = sample();
    for (const p of [15, 16, 19]) assert.equal(r.translate(p), 105);
    assert.equal(r.translate(23), 110);
  });

  void it('maps the position right after the last record to lastTarget + 1', () => {
    assert.equal(sample().translate(25), 111);
  });

  void it('does not guess beyond the replicated range or below the first run', () => {
    const r = sample();
    assert.equal(r.translate(26), undefined);
    assert.equal(r.translate(1000), undefined);
    assert.equal(r.translate(9), undefined);
    assert.equal(r.translate(-1), undefined);
    assert.equal(new OffsetRuns().translate(0), undefined);
    assert.deepEqual(r.translateDetailed(26), { exact: false, reason: 'beyond-replicated', lowerBound: 111 });
    assert.deepEqual(r.translateDetailed(9), { exact: false, reason: 'below-floor' });
    assert.deepEqual(new OffsetRuns().translateDetailed(5), { exact: false, reason: 'no-progress' });
    assert.deepEqual(r.translateDetailed(16), { exact: true, target: 105 });
    assert.equal(r.lowestTranslatable, 10);
    assert.equal(new OffsetRuns().lowestTranslatable, undefined);
  });
});

void describe('OffsetRuns: bounded memory', () => {
  void it('trimBelow drops only runs that end below the offset, and keeps the gap above them exact', () => {
    const r = new OffsetRuns();
    r.add(0, 0, 10); // 0..9
    r.add(20, 10, 10); // 20..29
    r.add(40, 20, 10); // 40..49
    assert.equal(r.trimBelow(9), 0, 'run 0..9 still contains 9');
    assert.equal(r.trimBelow(15), 1);
    assert.equal(r.size, 2);
    assert.equal(r.lowestTranslatable, 10);
    assert.equal(r.translate(9), undefined, 'below the floor');
    assert.equal(r.translate(10), 10, 'in the known gap 10..19: next record is 20 -> 10');
    assert.equal(r.translate(25), 15, 'run straddling nothing is intact');
    assert.equal(r.trimBelow(45), 1, 'run 40..49 straddles 45 and is kept');
    assert.deepEqual(r.runs(), [{ sourceOffset: 40, targetOffset: 20, count: 10 }]);
    assert.equal(r.translate(30), 20);
  });

  void it('keeps translating the end position after every run was trimmed', () => {
    const r = new OffsetRuns();
    r.add(0, 0, 10);
    assert.equal(r.trimBelow(100), 1);
    assert.equal(r.size, 0);
    assert.equal(r.translate(10), 10);
    assert.equal(r.translate(9), undefined);
    assert.equal(r.highestSource(), 9);
    r.add(10, 10, 5); // contiguous with the dropped run: a new run, mapping still exact
    assert.equal(r.translate(12), 12);
    assert.throws(() => r.add(5, 100), OffsetRunOrderError, 'order is still enforced after trimming');
  });

  void it('caps the number of runs by dropping the oldest', () => {
    const r = new OffsetRuns({ maxRuns: 3 });
    for (let i = 0; i < 10; i++) r.add(i * 10, i * 5, 2); // runs i*10..i*10+1 -> i*5..i*5+1
    assert.equal(r.size, 3);
    assert.deepEqual(
      r.runs().map((x) => x.sourceOffset),
      [70, 80, 90],
    );
    assert.equal(r.lowestTranslatable, 62, 'dropped run 60..61 leaves the floor at 62');
    assert.equal(r.translate(61), undefined);
    assert.equal(r.translate(62), 35);
    assert.equal(r.translate(91), 46);
    assert.equal(r.translate(92), 47);
  });

  void it('grows past its initial storage and wraps its circular storage correctly', () => {
    const r = new OffsetRuns({ maxRuns: 1000 });
    for (let i = 0; i < 600; i++) r.add(i * 3, i * 2, 2);
    r.trimBelow(900); // drop the first 300 runs, storage now wraps on further adds
    for (let i = 600; i < 1200; i++) r.add(i * 3, i * 2, 2);
    assert.equal(r.size, 900);
    for (let i = 300; i < 1200; i++) {
      assert.equal(r.translate(i * 3), i * 2);
      assert.equal(r.translate(i * 3 + 2), (i + 1) * 2, 'gap maps to the next run');
    }
  });
});

void describe('OffsetRuns: randomized against a per-offset model', () => {
  /** The naive model: one Map entry per replicated record. */
  function modelTranslate(model: Map<number, number>, sorted: number[], position: number): number | undefined {
    if (sorted.length === 0) return undefined;
    const last = sorted[sorted.length - 1];
    if (position > last + 1) return undefined;
    if (position === last + 1) return (model.get(last) ?? Number.NaN) + 1;
    for (const s of sorted) if (s >= position) return model.get(s);
    return undefined;
  }

  /** Number of maximal runs among the model's records at or above `from`. */
  function modelRuns(model: Map<number, number>, sorted: number[], from: number): number {
    let runs = 0;
    let prev: number | undefined;
    for (const s of sorted) {
      if (s < from) continue;
      if (prev === undefined || s !== prev + 1 || model.get(s) !== (model.get(prev) ?? Number.NaN) + 1) runs++;
      prev = s;
    }
    return runs;
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    void it(`agrees with the model (seed ${seed})`, () => {
      const rand = prng(seed);
      const maxRuns = seed % 2 === 0 ? 4 + Math.floor(rand() * 8) : 100_000;
      const runs = new OffsetRuns({ maxRuns });
      const model = new Map<number, number>();
      const sorted: number[] = [];
      let nextSource = Math.floor(rand() * 50);
      let nextTarget = Math.floor(rand() * 50);
      let trimmedTo = -Infinity;
      const capped = maxRuns < 100_000;
      for (let step = 0; step < 400; step++) {
        const op = rand();
        if (op < 0.05 && sorted.length > 0) {
          // A bad acknowledgement: overlaps on one side. Must throw and change nothing.
          const sizeBefore = runs.size;
          const last = sorted[sorted.length - 1];
          assert.throws(() => runs.add(Math.max(0, last - Math.floor(rand() * 3)), nextTarget, 1), OffsetRunOrderError);
          assert.equal(runs.size, sizeBefore);
        } else if (op < 0.12 && sorted.length > 0) {
          const x = sorted[Math.floor(rand() * sorted.length)] + Math.floor(rand() * 4);
          runs.trimBelow(x);
          trimmedTo = Math.max(trimmedTo, x);
        } else {
          // Mostly contiguous, sometimes gaps on either side.
          nextSource += rand() < 0.3 ? 1 + Math.floor(rand() * 3) : 0;
          nextTarget += rand() < 0.2 ? 1 + Math.floor(rand() * 2) : 0;
          const count = 1 + Math.floor(rand() * 5);
          runs.add(nextSource, nextTarget, count);
          for (let k = 0; k < count; k++) {
            model.set(nextSource + k, nextTarget + k);
            sorted.push(nextSource + k);
          }
          nextSource += count;
          nextTarget += count;
        }
        assert.ok(runs.size <= maxRuns);
      }
      const floor = runs.lowestTranslatable ?? 0;
      const firstSource = sorted[0];
      const lastSource = sorted[sorted.length - 1];
      // Without a cap in play, the floor is exactly "first source, or above what was trimmed".
      if (!capped) assert.ok(floor <= Math.max(firstSource, trimmedTo), `floor ${floor} too high`);
      assert.equal(runs.highestSource(), lastSource);
      assert.equal(runs.size, modelRuns(model, sorted, floor), 'runs are maximal and none straddles the floor');
      for (let p = -2; p <= lastSource + 3; p++) {
        const got = runs.translate(p);
        if (p < floor) {
          assert.equal(got, undefined, `position ${p} below floor ${floor}`);
        } else {
          assert.equal(got, modelTranslate(model, sorted, p), `position ${p}`);
        }
      }
    });
  }
});

void describe('OffsetMap', () => {
  void it('keeps runs per topic and partition', () => {
    const map = new OffsetMap({ maxRunsPerPartition: 8 });
    map.add('a', 0, 0, 100, 10);
    map.add('a', 1, 0, 200, 10);
    map.add('b', 0, 5, 0, 1);
    map.add('a', 0, 10, 110, 5);
    assert.equal(map.size, 3);
    assert.equal(map.totalRuns, 3);
    assert.equal(map.translate('a', 0, 12), 112);
    assert.equal(map.translate('a', 1, 3), 203);
    assert.equal(map.translate('b', 0, 6), 1);
    assert.equal(map.translate('c', 0, 0), undefined);
    assert.deepEqual(map.translateDetailed('c', 0, 0), { exact: false, reason: 'no-progress' });
    assert.equal(map.runsFor('a', 0), map.get('a', 0));
    assert.equal(map.get('a', 0)?.maxRuns, 8);
    assert.deepEqual(
      [...map.entries()].map(([t, p, r]) => [t, p, r.size]),
      [
        ['a', 0, 1],
        ['a', 1, 1],
        ['b', 0, 1],
      ],
    );
  });

  void it('names topic and partition in ordering errors', () => {
    const map = new OffsetMap();
    map.add('orders', 7, 10, 10);
    assert.throws(() => map.add('orders', 7, 10, 11), /topic "orders" partition 7: .*source 10 -> target 11/);
  });

  void it('trims and deletes partitions', () => {
    const map = new OffsetMap();
    map.add('a', 0, 0, 0, 5);
    map.add('a', 0, 10, 5, 5);
    assert.equal(map.trimBelow('a', 0, 7), 1);
    assert.equal(map.trimBelow('zzz', 0, 7), 0);
    assert.equal(map.translate('a', 0, 5), 5);
    assert.equal(map.delete('a', 0), true);
    assert.equal(map.delete('a', 0), false);
    assert.equal(map.size, 0);
    assert.equal(map.get('a', 0), undefined);
    assert.throws(() => new OffsetMap({ maxRunsPerPartition: -1 }), /maxRunsPerPartition/);
  });
});

void test('startAt: positions between where reading began and the first record map to that record', () => {
  const runs = new OffsetRuns();
  runs.startAt(100);
  runs.add(680, 0, 20);
  assert.equal(runs.translate(100), 0, 'the start position maps to the first replicated record');
  assert.equal(runs.translate(400), 0, 'inside the hole');
  assert.equal(runs.translate(99), undefined, 'below the start: unknown');
  assert.equal(runs.translate(690), 10);
  const plain = new OffsetRuns();
  plain.add(680, 0, 20);
  assert.equal(plain.translate(400), undefined, 'without startAt nothing below the first record is known');
});
