/**
 * strait plan against real clusters: a known load (a paced producer, skewed onto one partition,
 * lz4-compressed, beside an idle topic) is sampled, and the sampled figures are held against what
 * the producer wrote; then strait runs at that load with the plan's worker count and must keep up,
 * and its CPU is compared with the plan's. An unreachable source cluster is named and stops the
 * plan. The planned-versus-measured capacity runs (full speed, several record sizes, one through
 * the latency proxy) are bench/plan-check.ts, recorded in bench/README.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { PacedProducer } from '../../src/demo/produce.js';
import { keyOf, valuePool } from '../../src/bench/data.js';
import { ProcSampler, cpuAt } from '../../src/bench/procstat.js';
import type { PlanReport } from '../../src/plan/render.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { waitForCatchUp } from '../helpers/replication.js';

const CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));
const RATE = 10_000;
const VALUE_BYTES = 1024;
const PARTITIONS = 4;
const SAMPLE_SECONDS = 10;

function runPlan(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'plan', ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function endsOf(bootstrap: string, topic: string): Promise<number> {
  const admin = new KafkaAdmin('test', { 'bootstrap.servers': bootstrap });
  try {
    const offs = await admin.listOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })), 'latest');
    return offs.reduce((s, o) => s + o.offset, 0);
  } finally {
    admin.close();
  }
}

void test('strait plan samples a known load, and strait keeps up at it with the planned workers', { timeout: 6 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const hot = uniqueName('plan-hot');
  const quiet = uniqueName('plan-quiet');
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => admin.close());
  await admin.createTopic(hot, PARTITIONS, 1);
  await admin.createTopic(quiet, 2, 1);

  // Half the records on partition 0, the rest spread over 1-3; 8-byte keys, one 2-byte header.
  const pool = valuePool(VALUE_BYTES);
  const producer = new PacedProducer(
    clusters.source.bootstrap,
    [{ name: hot, kind: 'orders', partitions: PARTITIONS }],
    RATE,
    (_topic, seq, timestamp) => ({ partition: seq % 2 === 0 ? 0 : 1 + (seq % 3), key: keyOf(seq), value: pool[seq % pool.length], timestamp, headers: [{ h: Buffer.from('v') }] }),
    10,
    { 'compression.type': 'lz4', 'linger.ms': 20 },
  );
  await producer.start();
  let producing = true;
  t.after(async () => {
    if (producing) await producer.stop();
  });
  await new Promise((r) => setTimeout(r, 3000));

  const config = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [hot, quiet], groupId: `${hot}-group`, workers: 1 });
  const out = mkdtempSync(join(tmpdir(), 'strait-plan-'));
  const html = join(out, 'plan.html');
  // What was really appended meanwhile, from the log's end offsets: the producer may fall behind
  // its schedule on a busy machine, and the sample must measure what happened, not the schedule.
  const before = await endsOf(clusters.source.bootstrap, hot);
  const startedAt = Date.now();
  const planned = await runPlan(['--config', config, '--sample', `${SAMPLE_SECONDS}s`, '--json', '--html', html]);
  const producedRate = ((await endsOf(clusters.source.bootstrap, hot)) - before) / ((Date.now() - startedAt) / 1000);
  assert.equal(planned.code, 0, planned.stderr);
  const report = JSON.parse(planned.stdout) as PlanReport;
  const load = report.workload.topics.find((x) => x.topic === hot)!;
  const idle = report.workload.topics.find((x) => x.topic === quiet)!;
  t.diagnostic(`sampled ${Math.round(load.recordsPerSec)} records/s (producer: ${Math.round(producedRate)}/s), mean ${load.meanRecordBytes?.toFixed(1)} B, wire ${load.wireBytesPerByte?.toFixed(3)}, hottest ${load.hottest.share.toFixed(3)}; plan: ${report.plan.workers.value} workers, ${report.plan.cores.value.toFixed(3)} cores`);

  // The sample against what the producer wrote.
  assert.ok(Math.abs(load.recordsPerSec - producedRate) / producedRate < 0.15, `sampled ${load.recordsPerSec} records/s, appended at ${producedRate}/s`);
  assert.equal(load.meanRecordBytes, 8 + VALUE_BYTES + 2);
  assert.equal(load.p99RecordBytes, 8 + VALUE_BYTES + 2);
  assert.ok(load.split && Math.abs(load.split.value - VALUE_BYTES / (VALUE_BYTES + 10)) < 1e-9 && load.split.headers > 0);
  assert.equal(load.hottest.partition, 0);
  assert.equal(load.partitionRecordsPerSec.length, PARTITIONS);
  assert.ok(Math.abs(load.partitionRecordsPerSec[0] / load.recordsPerSec - 0.5) < 0.05);
  assert.ok(Math.abs(load.hottest.share - 0.5) < 0.05, `hottest share ${load.hottest.share}`);
  // lz4 batches of text values: smaller on disk than the record bytes.
  assert.ok(load.wireBytesPerByte !== undefined && load.wireBytesPerByte > 0.05 && load.wireBytesPerByte < 0.9, `wire bytes per byte ${load.wireBytesPerByte}`);
  assert.equal(idle.idle, true);
  assert.deepEqual(report.plan.load.idleTopics, [quiet]);
  assert.equal(report.profile.shipped, true);
  assert.match(planned.stderr, /sampled 2 topic\(s\)/);
  assert.match(readFileSync(html, 'utf8'), /<svg[^>]*Capacity versus load/);

  // strait at this load with the planned worker count: it keeps up, and costs what was planned.
  const workers = report.plan.workers.value;
  const runConfig = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, { include: [hot], groupId: `${hot}-run`, workers });
  const strait = new StraitProcess(runConfig);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(/assigned \d+ partition/);
  const sampler = new ProcSampler(strait.child.pid!, 250).start();
  // Past the catch-up of what was written before strait started: a steady window.
  await waitUntil(async () => (await endsOf(clusters.source.bootstrap, hot)) - (await endsOf(clusters.target.bootstrap, `source.${hot}`).catch(() => 0)) < RATE / 4, 90_000, 'strait to catch up with the load');
  const w0 = Date.now();
  const [s0, d0] = await Promise.all([endsOf(clusters.source.bootstrap, hot), endsOf(clusters.target.bootstrap, `source.${hot}`)]);
  await new Promise((r) => setTimeout(r, 15_000));
  const [s1, d1] = await Promise.all([endsOf(clusters.source.bootstrap, hot), endsOf(clusters.target.bootstrap, `source.${hot}`)]);
  const w1 = Date.now();
  sampler.sampleNow();
  const cpuCores = (cpuAt(sampler.samples, w1) - cpuAt(sampler.samples, w0)) / ((w1 - w0) / 1000);
  sampler.stop();
  const lagAtEnd = s1 - d1;
  const plannedCores = report.plan.cpuAtLoad.value;
  t.diagnostic(`steady window: source +${s1 - s0}, target +${d1 - d0}, lag at the end ${lagAtEnd} records; strait used ${cpuCores.toFixed(3)} cores, plan ${plannedCores.toFixed(3)}`);
  assert.ok(d1 - d0 >= 0.9 * (s1 - s0), `target grew by ${d1 - d0}, source by ${s1 - s0}`);
  // Less than a second of the load behind at the end of the window.
  assert.ok(lagAtEnd < RATE, `lag ${lagAtEnd} records at the end of the window`);
  assert.ok(cpuCores < 2 * plannedCores && cpuCores > plannedCores / 2, `strait used ${cpuCores.toFixed(3)} cores, the plan said ${plannedCores.toFixed(3)}`);

  producing = false;
  await producer.stop();
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, [{ source: hot, target: `source.${hot}`, partitions: PARTITIONS }], 60_000);
});

void test('strait plan names an unreachable source cluster and stops', { timeout: 2 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strait-plan-'));
  const config = join(dir, 'strait.yaml');
  writeFileSync(config, JSON.stringify({ clusters: { east: { 'bootstrap.servers': '127.0.0.1:1' }, west: { 'bootstrap.servers': '127.0.0.1:2' } }, flows: [{ source: 'east', target: 'west', topics: { include: ['orders'] } }] }));
  const r = await runPlan(['--config', config, '--sample', '5s']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /source cluster "east"/);
  assert.match(r.stderr, /clusters\.east/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(r.stdout, '');
});
