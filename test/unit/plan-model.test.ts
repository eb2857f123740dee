// The capacity arithmetic of strait plan, against hand-computed figures from the shipped profile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computePlan, type PlanSettings } from '../../src/plan/model.js';
import { allocatorSlack, workerMemoryBound } from '../../src/plan/memory.js';
import { cpuSecPerRecord, idleCoresPerProcess, recordsPerSecPerWorker } from '../../src/plan/profile.js';
import { defaultClientSettings } from '../../src/plan/settings.js';
import { SHIPPED_PROFILE as profile } from '../../src/plan/shipped-profile.js';
import { statedWorkload, type TopicLoad, type Workload } from '../../src/plan/workload.js';

const settings = (over: Partial<PlanSettings> = {}): PlanSettings => ({
  headroom: 0.5,
  rttMs: 0,
  near: 'target',
  workersPerProcessMax: 2,
  backlogHours: 1,
  tcpWindowBytes: 6 * 1024 * 1024,
  mode: 'at-least-once',
  transactionIntervalMs: 1000,
  clients: defaultClientSettings(),
  ...over,
});

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${a} != ${b}`);

test('workers, processes and cores follow the load over one worker\'s measured capacity and the headroom', () => {
  const perWorker = recordsPerSecPerWorker(profile, 1032);
  const w = statedWorkload({ recordsPerSec: 3 * perWorker, recordBytes: 1032, partitions: 96 });
  const plan = computePlan(w, profile, settings());
  close(plan.workerLoad.value, 3);
  assert.equal(plan.workers.value, 6); // 3 workers at 100 % / 0.5
  assert.equal(plan.processes.value, 3); // 2 per process
  assert.equal(plan.workersPerProcess.value, 2);
  const records = 3 * perWorker * cpuSecPerRecord(profile, 1032);
  const idle = idleCoresPerProcess(profile);
  assert.ok(idle > 0.05 && idle < 0.5, `idle cost of a process ${idle}`);
  close(plan.cpuAtLoad.value, 3 * idle + records);
  close(plan.cores.value, 3 * idle + records / 0.5);
  assert.equal(plan.bound, 'cpu');
  assert.equal(plan.link, undefined);
  // Headroom 1: capacity equal to the load.
  assert.equal(computePlan(w, profile, settings({ headroom: 1 })).workers.value, 3);
});

test('the memory bound counts the buffers each worker may fill and the partitions it owns', () => {
  const w = statedWorkload({ recordsPerSec: 1000, recordBytes: 1032, partitions: 10 });
  const c = defaultClientSettings();
  const plan = computePlan(w, profile, settings());
  assert.equal(plan.workersPerProcess.value, 1);
  const worker = workerMemoryBound(c, 1032, 10, 1);
  assert.equal(plan.memoryBoundPerProcess.value, profile.memory.baseBytes + worker.bytes + allocatorSlack(worker.bytes) + 10 * profile.memory.perPartitionBytes);
  assert.match(plan.memoryBoundPerProcess.basis, new RegExp(`queued\\.max\\.messages\\.kbytes ${c.queuedMaxMessagesKbytes}`));
  assert.match(plan.memoryBoundPerProcess.basis, new RegExp(`queue\\.buffering\\.max\\.kbytes ${c.queueBufferingMaxKbytes}`));
  assert.match(plan.memoryBoundPerProcess.basis, /rd_kafka_op_t/);
  assert.match(plan.memoryBoundPerProcess.basis, /allocator and heap slack/);
});

test('a long round trip with small fetches makes the link the bound, and the plan names the setting to raise', () => {
  const clients = { ...defaultClientSettings(), fetchMaxBytes: 1_048_576, maxPartitionFetchBytes: 1_048_576 };
  const w = statedWorkload({ bytesPerSec: 100e6, recordBytes: 1032, partitions: 96, sourceBrokers: 3 });
  const plan = computePlan(w, profile, settings({ rttMs: 100, clients }));
  assert.equal(plan.bound, 'link');
  assert.ok(plan.link);
  // 1 MiB per fetch, 3 brokers, 100 ms: about 31 MB/s per worker.
  close(plan.link.perWorkerBytesPerSec, (1_048_576 * 3) / 0.1, 1e-9);
  assert.match(plan.link.boundBy, /fetch\.max\.bytes/);
  assert.ok(plan.advice.some((a) => /The link, not the CPU/.test(a) && /fetch\.max\.bytes/.test(a)));
  assert.equal(plan.workers.value, Math.ceil(100e6 / (plan.link.perWorkerBytesPerSec * 0.5)));
  // The same load with the defaults over the same link is CPU-bound: strait fetches more from a
  // source that far (client-config.ts, partitionFetchBytesFor).
  assert.equal(computePlan(w, profile, settings({ rttMs: 100, clients: defaultClientSettings(100) })).bound, 'cpu');
});

test('latency and RPO add the round trip, and the open transaction in exactly-once mode', () => {
  const w = statedWorkload({ recordsPerSec: 1000, recordBytes: 1032, partitions: 8 });
  const lan = computePlan(w, profile, settings());
  assert.equal(lan.latencyP99Ms?.value, profile.latency!.p99Ms);
  const wan = computePlan(w, profile, settings({ rttMs: 80 }));
  assert.equal(wan.latencyP50Ms?.value, profile.latency!.p50Ms + 80);
  assert.equal(wan.latencyP99Ms?.value, profile.latency!.p99Ms + 120);
  close(wan.rpoSec!.value, (profile.latency!.p99Ms + 120) / 1000);
  const eos = computePlan(w, profile, settings({ rttMs: 80, mode: 'exactly-once', transactionIntervalMs: 1000 }));
  assert.equal(eos.latencyP99Ms?.value, profile.latency!.p99Ms + 120 + 1000);
  assert.match(eos.latencyP99Ms.basis, /transaction/);
});

test('a backlog drains with the capacity left over the load', () => {
  const perWorker = recordsPerSecPerWorker(profile, 1032);
  const w = statedWorkload({ recordsPerSec: perWorker, recordBytes: 1032, partitions: 8 });
  const plan = computePlan(w, profile, settings({ backlogHours: 2 }));
  assert.equal(plan.workers.value, 2);
  const load = perWorker * 1032;
  close(plan.backlog.bytes, load * 7200);
  close(plan.backlog.drainSec, (load * 7200) / (2 * load - load));
});

test('more workers than partitions is capped, and a hot partition is named', () => {
  const perWorker = recordsPerSecPerWorker(profile, 1032);
  const w = statedWorkload({ recordsPerSec: 4 * perWorker, recordBytes: 1032, partitions: 4, hottestShare: 0.7 });
  const plan = computePlan(w, profile, settings());
  assert.equal(plan.workers.value, 4);
  assert.ok(plan.advice.some((a) => /only 4 partitions/.test(a)));
  assert.ok(plan.advice.some((a) => /partition 0 carries/.test(a) && /70 %/.test(a)));
});

test('idle topics are listed, not divided by; no load plans one worker', () => {
  const idle: TopicLoad = {
    flow: 'f',
    topic: 'quiet',
    partitions: 3,
    recordsPerSec: 0,
    bytesPerSec: 0,
    meanRecordBytes: undefined,
    p99RecordBytes: undefined,
    split: undefined,
    wireBytesPerByte: undefined,
    partitionRecordsPerSec: [0, 0, 0],
    hottest: { partition: 0, recordsPerSec: 0, share: 1 / 3 },
    idle: true,
    sampledRecords: 0,
  };
  const w: Workload = { origin: 'sampled', description: 'test', topics: [idle], sourceBrokers: 1 };
  const plan = computePlan(w, profile, settings());
  assert.deepEqual(plan.load.idleTopics, ['quiet']);
  assert.equal(plan.workers.value, 1);
  assert.equal(plan.backlog.drainSec, 0);
  for (const f of [plan.cores.value, plan.memoryBoundPerProcess.value, plan.networkInPerProcess.value]) assert.ok(Number.isFinite(f));
});

test('the capacity curve rises with workers up to the partition count', () => {
  const w = statedWorkload({ recordsPerSec: 10_000, recordBytes: 1032, partitions: 3 });
  const plan = computePlan(w, profile, settings());
  assert.ok(plan.curve.length >= 8);
  assert.ok(plan.curve[1].bytesPerSec > plan.curve[0].bytesPerSec);
  assert.equal(plan.curve[5].bytesPerSec, plan.curve[2].bytesPerSec);
});
