// strait plan's command line: what-if loads, settings and the errors of bad options, before
// anything connects; the rendered table, JSON and HTML of a plan.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/args.js';
import { planInputs } from '../../src/cli/commands/plan.js';
import { computePlan } from '../../src/plan/model.js';
import { renderHtml, renderJson, renderText, type PlanReport } from '../../src/plan/render.js';
import { defaultClientSettings } from '../../src/plan/settings.js';
import { SHIPPED_PROFILE } from '../../src/plan/shipped-profile.js';

test('a what-if load from --rate, --record-size and --partitions, with the shipped profile', () => {
  const i = planInputs(['--rate', '50MB/s', '--record-size', '1KiB', '--partitions', '96', '--rtt', '80ms', '--headroom', '0.6']);
  assert.equal(i.source, undefined);
  assert.ok(i.stated);
  const t = i.stated.topics[0];
  assert.equal(t.partitions, 96);
  assert.equal(t.bytesPerSec, 50e6);
  assert.equal(t.meanRecordBytes, 1024);
  assert.equal(i.settings.rttMs, 80);
  assert.equal(i.settings.headroom, 0.6);
  assert.equal(i.profile.shipped, true);
  assert.equal(i.settings.workersPerProcessMax, SHIPPED_PROFILE.machine.cores);
  assert.equal(planInputs(['--rate', '20000/s']).stated!.topics[0].recordsPerSec, 20_000);
});

test('bad options are named with what to give instead', () => {
  const fails = (argv: string[], re: RegExp) => assert.throws(() => planInputs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  fails([], /needs --config <file>.*or --rate/s);
  fails(['--record-size', '1KiB'], /--record-size describes a what-if load: give --rate too/);
  fails(['--rate', '5 parsecs/s'], /unknown unit "parsecs\/s".*accepted units/);
  fails(['--rate', '1MB/s', '--near', 'moon'], /--near takes target or source/);
  fails(['--rate', '1MB/s', '--headroom', '2'], /--headroom must be a number from/);
  fails(['--rate', '1MB/s', '--rtt', '80'], /--rtt takes a duration with its unit/);
  fails(['--rate', '1MB/s', '--mode', 'twice'], /--mode takes at-least-once, exactly-once, offset-preserving/);
  fails(['--config', 'a.yaml', '--mm2-config', 'b.properties'], /not both/);
});

test('the table, JSON and HTML of a plan carry every figure with its basis', () => {
  const i = planInputs(['--rate', '50MB/s', '--partitions', '12', '--rtt', '40ms']);
  const settings = { ...i.settings, mode: 'at-least-once' as const, transactionIntervalMs: 1000, clients: defaultClientSettings() };
  const plan = computePlan(i.stated!, SHIPPED_PROFILE, settings);
  const report: PlanReport = { kind: 'strait-plan', version: 1, createdAt: '2026-12-07T00:00:00Z', workload: i.stated!, settings, profile: { source: SHIPPED_PROFILE.source, shipped: true, machine: SHIPPED_PROFILE.machine, workers: 2 }, plan };
  const text = renderText(report);
  for (const name of ['worker threads', 'processes', 'cores', 'memory bound per process', 'network in per process', 'replication latency', 'RPO', 'drain a 1 h backlog']) assert.match(text, new RegExp(name));
  assert.match(text, /the profile shipped with strait/);
  assert.match(text, /queued\.max\.messages\.kbytes/);
  const json = JSON.parse(renderJson(report)) as PlanReport;
  assert.equal(json.plan.workers.value, plan.workers.value);
  assert.ok(json.plan.workers.basis.length > 0);
  const html = renderHtml(report);
  assert.match(html, /<svg[^>]*aria-label="Capacity versus load"/);
  assert.match(html, /plan: \d+ workers/);
});
