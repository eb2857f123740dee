// The benchmark's /proc readings: parsing, the process tree, and CPU over a time window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuAt,
  MachineSampler,
  machineBusy,
  parseMachineCpu,
  parseProcStat,
  parseProcStatus,
  resourceFigures,
  sampleTree,
  threadGroupName,
  treeOf,
  type ProcSample,
} from '../../src/bench/procstat.js';

test('parseProcStat counts fields after the last parenthesis, whatever the command name holds', () => {
  // comm "(java) x)" with spaces and a ')': fields 14 and 15 are utime=1200, stime=300.
  const line = '4242 ((java) x)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1200 300 0 0 20 0 55 0 123 456 789';
  assert.deepEqual(parseProcStat(line), { pid: 4242, ppid: 17, ticks: 1500 });
  assert.throws(() => parseProcStat('garbage'), /not a \/proc/);
});

test('parseProcStatus reads VmRSS and VmHWM in bytes', () => {
  const text = 'Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n';
  assert.deepEqual(parseProcStatus(text), { rssBytes: 1024 * 1024, hwmBytes: 2048 * 1024 });
  assert.deepEqual(parseProcStatus('Name: kthread\n'), { rssBytes: 0, hwmBytes: 0 });
});

test('treeOf finds every descendant of the root and nothing else', () => {
  const all = [
    { pid: 1, ppid: 0, ticks: 1 },
    { pid: 10, ppid: 1, ticks: 5 },
    { pid: 11, ppid: 10, ticks: 7 },
    { pid: 12, ppid: 11, ticks: 9 },
    { pid: 20, ppid: 1, ticks: 100 },
  ];
  assert.deepEqual(treeOf(10, all).map((s) => s.pid).sort(), [10, 11, 12]);
  assert.deepEqual(treeOf(99, all), []);
});

function sample(t: number, cpuSec: number, threads?: Record<string, number>): ProcSample {
  return { t, cpuSec, rssBytes: 100, hwmBytes: 150, processes: 1, ...(threads ? { threads } : {}) };
}

test('cpuAt interpolates between samples and clamps outside them', () => {
  const s = [sample(1000, 1), sample(2000, 3), sample(3000, 3.5)];
  assert.equal(cpuAt(s, 500), 1);
  assert.equal(cpuAt(s, 1500), 2);
  assert.equal(cpuAt(s, 2500), 3.25);
  assert.equal(cpuAt(s, 9000), 3.5);
  assert.equal(cpuAt([], 1), 0);
});

test('resourceFigures: CPU of the window, per thread name, the whole life, and the peak memory', () => {
  const s = [
    { ...sample(0, 0, { node: 0, 'rdk:broker#': 0 }), rssBytes: 10 },
    { ...sample(1000, 2, { node: 1.5, 'rdk:broker#': 0.25 }), rssBytes: 300, hwmBytes: 200 },
    { ...sample(2000, 4, { node: 3, 'rdk:broker#': 0.5 }), rssBytes: 50, hwmBytes: 320 },
  ];
  const r = resourceFigures(s, 500, 1500);
  assert.equal(r.windowCpuSec, 2);
  assert.equal(r.totalCpuSec, 4);
  assert.equal(r.peakRssBytes, 320);
  // node 0.75..2.25 = 1.5; broker 0.125..0.375 = 0.25; the rest (0.25) ran on threads that ended.
  assert.deepEqual(r.windowThreadCpuSec, { node: 1.5, 'rdk:broker#': 0.25, '(threads that ended)': 0.25 });
  assert.deepEqual(Object.keys(r.windowThreadCpuSec), ['node', 'rdk:broker#', '(threads that ended)'], 'largest first');
});

test('thread names fold their digits so pools add up under one name', () => {
  assert.equal(threadGroupName('rdk:broker1001'), 'rdk:broker#');
  assert.equal(threadGroupName('GC Thread#3'), 'GC Thread##');
  assert.equal(threadGroupName('libuv-worker'), 'libuv-worker');
  assert.equal(threadGroupName(''), '?');
});

test('machine CPU: busy share between two readings of /proc/stat', () => {
  const a = parseMachineCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
  const b = parseMachineCpu('cpu  250 0 100 850 50 0 0 0 0 0\n');
  assert.deepEqual(a, { busy: 150, total: 1000 });
  assert.equal(machineBusy(a, b), 200 / 250);
  assert.throws(() => parseMachineCpu('intr 1 2 3'), /no aggregate cpu line/);
});

test('sampleTree and MachineSampler read this very process on Linux', { skip: process.platform !== 'linux' }, async () => {
  const s = sampleTree(process.pid);
  assert.ok(s, 'this process is alive');
  assert.ok(s.cpuSec > 0 && s.rssBytes > 0 && s.hwmBytes >= s.rssBytes && s.processes >= 1);
  assert.ok(s.threads && Object.keys(s.threads).length > 0);
  assert.equal(sampleTree(2 ** 30), undefined);
  const m = new MachineSampler(20).start();
  const from = Date.now();
  let x = 0;
  while (Date.now() - from < 120) x += Math.sqrt(x + 1);
  await new Promise((r) => setTimeout(r, 30));
  m.stop();
  m.sampleNow();
  const busy = m.busyShare(from, Date.now());
  assert.ok(busy !== undefined && busy > 0 && busy <= 1, `busy share ${busy}`);
});
