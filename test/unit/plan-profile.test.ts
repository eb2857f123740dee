// The machine profile: derived from a bench's strait runs, checked when read from a file,
// interpolated between measured sizes; the shipped profile is the recorded bench run's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { upgradeResults, type StoredResults } from '../../src/bench/results.js';
import { checkProfile, cpuSecPerRecord, describeBasis, loadProfile, profileFromBench, ProfileError, recordsPerSecPerWorker, type MachineProfile } from '../../src/plan/profile.js';
import { SHIPPED_PROFILE, SHIPPED_PROFILE_ORIGIN } from '../../src/plan/shipped-profile.js';

// An old results.json (one latency rate per run): it must still give the shipped profile.
const recorded = (): StoredResults => JSON.parse(readFileSync(SHIPPED_PROFILE_ORIGIN, 'utf8')) as StoredResults;

test('the shipped profile is exactly what the recorded bench run gives', () => {
  assert.deepEqual(SHIPPED_PROFILE, profileFromBench(recorded(), SHIPPED_PROFILE_ORIGIN));
});

test('profileFromBench: medians of the strait loopback runs, per worker, with the 8-byte keys counted', () => {
  const results = recorded();
  const p = profileFromBench(results, 'x');
  const strait1k = results.runs.filter((r) => r.system === 'strait' && r.scenario === 'loopback' && r.size === 1024 && r.ok && r.profiled !== true);
  assert.ok(strait1k.length >= 1);
  const rates = strait1k.map((r) => r.recordsPerSec!).sort((a, b) => a - b);
  const point = p.points.find((x) => x.recordBytes === 1032)!;
  assert.equal(point.recordsPerSecPerWorker, rates[Math.floor(rates.length / 2)] / results.machine.cores);
  assert.equal(point.runs, strait1k.length);
  // CPU per record = CPU per GB x bytes per record.
  const perGB = strait1k.map((r) => r.cpu!.perGB).sort((a, b) => a - b)[Math.floor(strait1k.length / 2)];
  assert.ok(Math.abs(point.cpuSecPerRecord - (perGB * 1032) / 1e9) < 1e-15);
  assert.ok(p.latency && p.latency.p99Ms > 0);
  // The steady load's CPU: CPU per GB x its bytes/s.
  const lat = results.runs.filter((r) => r.system === 'strait' && r.scenario === 'latency' && r.ok).map((r) => (r.cpu!.perGB * 2000 * 1032) / 1e9).sort((a, b) => a - b);
  assert.equal(p.latency.cpuCores, lat[Math.floor(lat.length / 2)]);
  assert.ok(p.memory.baseBytes > 0 && p.memory.perWorkerBytes > 0);
});

test('profileFromBench refuses results without a strait copy', () => {
  const results = recorded();
  results.runs = results.runs.filter((r) => r.system !== 'strait');
  assert.throws(() => profileFromBench(results, 'mm2-only.json'), (err: unknown) => err instanceof ProfileError && /mm2-only\.json/.test(err.message) && /--calibrate/.test(err.message));
});

test('interpolation: exact at measured sizes, between neighbours on log-log axes, monotonic', () => {
  const p = SHIPPED_PROFILE;
  for (const pt of p.points) {
    assert.ok(Math.abs(recordsPerSecPerWorker(p, pt.recordBytes) - pt.recordsPerSecPerWorker) < 1e-6 * pt.recordsPerSecPerWorker);
    assert.ok(Math.abs(cpuSecPerRecord(p, pt.recordBytes) - pt.cpuSecPerRecord) < 1e-6 * pt.cpuSecPerRecord);
  }
  const [a, b] = [p.points[0], p.points[1]];
  const mid = Math.sqrt(a.recordBytes * b.recordBytes);
  const expected = Math.sqrt(a.cpuSecPerRecord * b.cpuSecPerRecord); // the geometric mean on a power law
  assert.ok(Math.abs(cpuSecPerRecord(p, mid) - expected) / expected < 1e-9);
  let last = Infinity;
  for (const size of [50, 108, 300, 1032, 4096, 10248, 65536]) {
    const r = recordsPerSecPerWorker(p, size);
    assert.ok(r < last, `records/s per worker falls with size (at ${size})`);
    last = r;
  }
  assert.match(describeBasis(p, 1032), /measured at 1032 B/);
  assert.match(describeBasis(p, 4096), /interpolated between 1032 B and 10248 B/);
  assert.match(describeBasis(p, 65536), /extrapolated/);
});

test('loadProfile reads a profile or a bench results.json, and names what is wrong', () => {
  const asFile = (doc: unknown) => () => JSON.stringify(doc);
  assert.deepEqual(loadProfile('p.json', asFile(SHIPPED_PROFILE)), SHIPPED_PROFILE);
  assert.deepEqual(loadProfile(SHIPPED_PROFILE_ORIGIN), profileFromBench(recorded(), SHIPPED_PROFILE_ORIGIN));
  assert.throws(() => loadProfile('missing.json', () => { throw new Error('ENOENT'); }), (e: unknown) => e instanceof ProfileError && /missing\.json/.test(e.message) && /--profile/.test(e.message));
  assert.throws(() => loadProfile('bad.json', () => '{'), (e: unknown) => e instanceof ProfileError && /bad\.json is not JSON/.test(e.message));
  const broken: MachineProfile = structuredClone(SHIPPED_PROFILE);
  broken.points[1].cpuSecPerRecord = -1;
  assert.throws(() => checkProfile(broken, 'b.json'), (e: unknown) => e instanceof ProfileError && /points\[1\]\.cpuSecPerRecord/.test(e.message));
  assert.throws(() => checkProfile({ ...SHIPPED_PROFILE, version: 2 }, 'v.json'), (e: unknown) => e instanceof ProfileError && /version/.test(e.message));
  assert.throws(() => checkProfile({ kind: 'x' }, 'k.json'), (e: unknown) => e instanceof ProfileError && /"kind"/.test(e.message));
});

test('profileFromBench: the latency of the lowest rate when the bench ran several (phases)', () => {
  const results = recorded();
  // Give every strait latency run a second, faster phase (the current shape); the profile keeps the lowest rate.
  const upgraded = upgradeResults(results);
  for (const r of upgraded.runs) {
    if (r.scenario !== 'latency' || !r.latency) continue;
    const low = r.latency.phases[0];
    r.latency.phases.push({ ...low, ratePerSec: 20_000, p50: 50, p99: 900, cpu: { windowSec: 99, cores: 3.3, perGB: 1 } });
  }
  const before = profileFromBench(results, 'x');
  const after = profileFromBench(upgraded, 'x');
  assert.deepEqual(after.latency, before.latency);
  assert.equal(after.latency?.ratePerSec, 2000);
  // With the lower phase gone, the next rate is the lowest.
  for (const r of upgraded.runs) if (r.latency) r.latency.phases.shift();
  assert.equal(profileFromBench(upgraded, 'x').latency?.p99Ms, 900);
  assert.equal(profileFromBench(upgraded, 'x').latency?.cpuCores, 3.3);
});
