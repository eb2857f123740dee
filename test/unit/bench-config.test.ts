// What the benchmark feeds the systems under test and reads back from them: MM2's properties,
// strait's configuration (through strait's own validation), the data, the run plan, the
// command-line options, the Kafka perf tools' output, profiles and librdkafka statistics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../src/config/validate.js';
import { benchOptions, BENCH_DEFAULTS, commandLine, latencyRates, recordCounts } from '../../src/cli/commands/bench.js';
import { bulkRecord, keyOf, KEY_BYTES, makeValue, prng, valuePool } from '../../src/bench/data.js';
import { benchClusters, BROKER_JVM, planRuns, resultsStamp, wanListener } from '../../src/bench/harness.js';
import { mm2Properties } from '../../src/bench/mm2.js';
import { parseConsumerPerformance, parseProducerPerformance, parseProducerProgress } from '../../src/bench/perf-tools.js';
import { categorize, shortUrl, summarizeProfile, summarizeStats } from '../../src/bench/profile.js';
import { condenseStats } from '../../src/bench/rdkafka-stats-preload.js';
import { straitConfigDocument } from '../../src/bench/strait-runner.js';
import { brokerJvmOptions, brokerProperties } from '../../src/sandbox/broker-config.js';

const flow = { sourceAlias: 's007', targetAlias: 't007', sourceBootstrap: '127.0.0.1:1', targetBootstrap: '127.0.0.1:3', topics: ['bulk-100b-abc', 'live-007-abc'] };

test('MM2 defaults: the flow and replication factors of 1, nothing tuned', () => {
  const p = new Map(mm2Properties({ ...flow, profile: 'default', partitions: 8 }));
  assert.equal(p.get('clusters'), 's007, t007');
  assert.equal(p.get('s007->t007.enabled'), true);
  assert.equal(p.get('t007->s007.enabled'), false);
  assert.equal(p.get('s007->t007.topics'), 'bulk-100b-abc,live-007-abc');
  for (const k of ['replication.factor', 'offset-syncs.topic.replication.factor', 'offset.storage.replication.factor', 'config.storage.replication.factor', 'status.storage.replication.factor']) {
    assert.equal(p.get(k), 1, k);
  }
  assert.ok(![...p.keys()].some((k) => k.includes('tasks.max') || k.includes('producer.') || k.includes('consumer.')));
  assert.throws(() => mm2Properties({ ...flow, topics: ['a.b'], profile: 'default', partitions: 1 }), /literal MM2 topic pattern/);
});

test('MM2 tuned: tasks on the flow, producer settings on the target, consumer settings on the source', () => {
  const p = new Map(mm2Properties({ ...flow, profile: 'tuned', partitions: 8 }));
  assert.equal(p.get('s007->t007.tasks.max'), 8);
  assert.equal(p.get('t007.producer.batch.size'), 262_144);
  assert.equal(p.get('t007.producer.compression.type'), 'lz4');
  assert.equal(p.get('s007.consumer.max.poll.records'), 2_000);
  assert.equal(p.get('s007.consumer.max.partition.fetch.bytes'), 4_194_304);
});

test("strait's benchmark configuration passes strait's own validation with defaults intact", () => {
  const { config, problems } = buildConfig(straitConfigDocument({ ...flow, groupId: 'g-1' }), { env: {} });
  assert.deepEqual(problems, []);
  assert.equal(config.flows[0].groupId, 'g-1');
  assert.equal(config.engine.metrics.enabled, false);
  assert.deepEqual(config.clusters.get('s007')?.producer, {}, 'no producer tuning: strait runs with its defaults');
});

test('values: exact size, printable, no newline, deterministic per size, a mix of text and random', () => {
  for (const size of [1, 100, 1024, 10240]) {
    const v = makeValue(size, prng(1));
    assert.equal(v.length, size);
    assert.ok(v.every((b) => b >= 0x20 && b < 0x7f), 'printable ASCII only (a payload file holds one per line)');
  }
  assert.ok(valuePool(100, 4)[0].equals(valuePool(100, 4)[0]));
  assert.ok(!valuePool(100, 4)[0].equals(valuePool(100, 4)[1]));
  const v = makeValue(1024, prng(7)).toString();
  assert.match(v, /order|payment|customer|status/);
  assert.match(v, /[A-Z0-9]{6}/);
  const pool = valuePool(100, 4);
  assert.deepEqual([0, 1, 8, 9].map((i) => bulkRecord(pool, 8, i, 5).partition), [0, 1, 0, 1]);
  assert.equal(keyOf(42).length, KEY_BYTES);
});

test('the run plan rotates the systems every repetition, then runs the cross-region case and the profiles', () => {
  const plan = planRuns({
    sizes: [100, 1024],
    repetitions: 3,
    systems: ['mm2-default', 'mm2-tuned', 'strait', 'limit'],
    latency: { size: 1024, rates: [100, 1000], seconds: 5, warmupSeconds: 1 },
    wan: { size: 1024, delayMs: 25, repetitions: 1, systems: ['mm2-default', 'mm2-tuned', 'strait'] },
    profile: true,
  });
  const firsts = [1, 2, 3].map((rep) => plan.find((p) => p.rep === rep && p.scenario === 'loopback')!.system);
  assert.deepEqual(firsts, ['mm2-default', 'mm2-tuned', 'strait']);
  assert.equal(plan.filter((p) => p.scenario === 'loopback' && !p.profiled).length, 3 * 2 * 4);
  // Latency runs close each repetition (replicators only, rotating), so they too run side by side;
  // one run per replicator whatever the number of rates (the rates are phases of that run).
  assert.deepEqual(plan.filter((p) => p.rep === 2 && p.scenario === 'latency').map((p) => p.system), ['mm2-tuned', 'strait', 'mm2-default']);
  assert.equal(plan.findIndex((p) => p.rep === 2 && p.scenario === 'latency'), plan.findIndex((p) => p.rep === 3) - 3);
  assert.deepEqual(plan.filter((p) => p.scenario === 'wan' && !p.profiled).map((p) => p.system), ['mm2-default', 'mm2-tuned', 'strait']);
  assert.deepEqual(plan.filter((p) => p.profiled).map((p) => `${p.scenario}/${p.size}/${p.system}`), ['loopback/100/strait', 'loopback/1024/strait', 'wan/1024/strait']);
  assert.match(resultsStamp(new Date(2025, 0, 4, 5, 6, 7)), /^2025-01-04_050607$/);
});

test("the WAN listener is advertised at the proxy's port, next to the sandbox's own listeners", () => {
  const custom = wanListener(29592, { listener: 40001, proxy: 40002 });
  const props = brokerProperties({ name: 'source', port: 29592, controllerPort: 29593, dir: 'd', dataDir: 'd', logDir: 'd', ...custom });
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:29592,CONTROLLER://127.0.0.1:29593,WAN://127.0.0.1:40001');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:29592,CONTROLLER://127.0.0.1:29593,WAN://127.0.0.1:40002');
  assert.match(String(props.get('listener.security.protocol.map')), /WAN:PLAINTEXT/);
});

test("the bench's brokers: the start script's heap and a GC log on both, the WAN listener on the source", () => {
  assert.deepEqual(BROKER_JVM, { heap: '1g', jvmOptions: ['-Xms1g'], gcLog: true });
  const plain = benchClusters(undefined);
  assert.deepEqual(plain, { source: BROKER_JVM, target: BROKER_JVM });
  const wan = benchClusters({ sourcePort: 29592, ports: { listener: 40001, proxy: 40002 } });
  assert.deepEqual(wan.target, BROKER_JVM);
  const source = { name: 'source', port: 29592, controllerPort: 29593, dir: 'd', dataDir: 'd', logDir: 'logs', ...wan.source };
  assert.equal(source.heap, '1g');
  assert.equal(brokerProperties(source).get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:29592,CONTROLLER://127.0.0.1:29593,WAN://127.0.0.1:40002');
  assert.deepEqual(brokerJvmOptions(source), ['-Dstrait.sandbox.cluster=source', '-Xlog:gc*:file="logs/gc.log":time,uptime,level,tags', '-Xms1g']);
});

test('options: defaults, record counts by size and scale, and usage errors', () => {
  const o = benchOptions(['--source-port', '29592', '--target-port', '29594', '--out', 'x'], new Date(2025, 0, 1));
  assert.deepEqual(o.sizes, [100, 1024, 10240]);
  assert.equal(o.repetitions, 3);
  assert.equal(o.latency?.size, 1024);
  assert.equal(o.wan?.delayMs, 25);
  assert.equal(o.sourcePort, 29592);
  assert.equal(o.command, 'strait bench --source-port 29592 --target-port 29594 --out <path>', 'no folder of this machine in the results');
  assert.equal(commandLine(['--dir=/home/me/x', '--note', 'a b']), 'strait bench --dir=<path> --note "a b"');
  assert.deepEqual(recordCounts([100, 1024], '1024:5000', 0.5), { 100: 1_500_000, 1024: 2_500 });
  assert.deepEqual(recordCounts([100, 1024], '1024:5000', 0.5, true), { 100: 150_000, 1024: 2_500 });
  assert.throws(() => recordCounts([100], '200:5', 1), /not in --sizes/);
  assert.throws(() => benchOptions(['--systems', 'mm3']), /unknown system "mm3"/);
  assert.throws(() => benchOptions(['--latency-size', '512']), /must be one of --sizes/);
  assert.throws(() => benchOptions(['--source-port', '100', '--target-port', '101']), /overlap/);
  const bare = benchOptions(['--wan-delay', '0', '--latency-rate', '0', '--systems', 'limit']);
  assert.equal(bare.wan, undefined);
  assert.equal(bare.latency, undefined);
});

test('ProducerPerformance: the steady-state summary wins over the whole-run one; progress lines', () => {
  const out = [
    '12001 records sent, 2400.2 records/sec (2.34 MB/sec), 300.1 ms avg latency, 700.0 ms max latency.',
    '100000 records sent, 30000.000000 records/sec (29.30 MB/sec), 250.50 ms avg latency, 800.00 ms max latency, 240 ms 50th, 600 ms 95th, 700 ms 99th, 790 ms 99.9th.',
    '80000 steady state records sent, 36000.500000 records/sec (35.16 MB/sec), 200.00 ms avg latency, 500.00 ms max latency, 190 ms 50th, 400 ms 95th, 480 ms 99th, 499 ms 99.9th.',
  ].join('\n');
  const r = parseProducerPerformance(out)!;
  assert.equal(r.steadyState, true);
  assert.equal(r.records, 80000);
  assert.equal(r.recordsPerSec, 36000.5);
  assert.equal(r.p99Ms, 480);
  assert.equal(parseProducerPerformance(out.split('\n').slice(0, 2).join('\n'))!.steadyState, false);
  assert.equal(parseProducerPerformance('nothing'), undefined);
  assert.equal(parseProducerProgress('12001 records sent, 2400.2 records/sec (2.34 MB/sec), 300.1 ms avg latency'), 2400.2);
});

test('ConsumerPerformance: the fetch rate, group join excluded', () => {
  const out = [
    'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
    '2025-01-14 15:30:12:000, 2025-01-14 15:30:15:000, 97.6563, 32.5521, 100000, 33333.3333, 1000, 2000, 48.8281, 50000.0000',
  ].join('\n');
  assert.deepEqual(parseConsumerPerformance(out), { records: 100000, recordsPerSec: 50000, mbPerSec: 48.8281, fetchTimeMs: 2000, rebalanceTimeMs: 1000 });
  assert.equal(parseConsumerPerformance('WARN something'), undefined);
});

test('CPU profiles: self time per function and category, within a window', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 3, callFrame: { functionName: 'produce', url: 'file:///x/node_modules/@confluentinc/kafka-javascript/lib/producer.js', lineNumber: 9 } },
      { id: 4, callFrame: { functionName: 'run', url: 'file:///x/dist/src/worker/relay.js', lineNumber: 99 } },
    ],
    startTime: 1_000_000,
    endTime: 1_010_000,
    samples: [2, 3, 3, 4, 2],
    timeDeltas: [1000, 2000, 2000, 1000, 4000],
  };
  const all = summarizeProfile(profile, 'CPU.20250101.010101.42.3.004.cpuprofile');
  assert.equal(all.thread, 3);
  assert.equal(all.totalMs, 10);
  assert.deepEqual({ idle: all.categories.idle, binding: all.categories.binding, strait: all.categories.strait }, { idle: 0.5, binding: 0.4, strait: 0.1 });
  assert.deepEqual(all.top[0], { fn: '(idle)', where: '', selfMs: 5, share: 0.5 });
  assert.equal(all.top[1].where, 'node_modules/@confluentinc/kafka-javascript/lib/producer.js:10');
  // Samples at 1001, 1003, 1005, 1006, 1010 ms: the window 1002-1006 ms keeps the middle three.
  const part = summarizeProfile(profile, 'p', 12, 1_002_000, 1_006_000);
  assert.equal(part.totalMs, 5);
  assert.equal(categorize({ functionName: 'x', url: 'node:internal/timers', lineNumber: 0 }), 'node');
  assert.equal(shortUrl('file:///home/u/strait/dist/src/bench/x.js'), 'dist/src/bench/x.js');
});

test('librdkafka statistics: condensed per event, averaged per client kind', () => {
  const raw = {
    name: 'strait-w1#producer-1',
    type: 'producer',
    time: 1_700_000_000,
    msg_cnt: 500,
    brokers: {
      'b1': { nodeid: 1, name: '127.0.0.1:1/1', waitresp_cnt: 2, rtt: { avg: 3000 } },
      'bootstrap': { nodeid: -1, name: 'x', waitresp_cnt: 9 },
    },
    topics: { t: { topic: 't', batchsize: { avg: 50_000 }, batchcnt: { avg: 40, cnt: 3 }, partitions: { '0': { partition: 0, msgq_cnt: 7 }, '-1': { partition: -1, msgq_cnt: 100 } } } },
  };
  const line = condenseStats(raw, 2);
  assert.equal(line.thread, 2);
  assert.equal(line.ts, 1_700_000_000);
  assert.equal(line.msgqCnt, 7, 'the unassigned partition (-1) is not counted');
  assert.equal((line.brokers as unknown[]).length, 1, 'bootstrap pseudo-brokers are left out');
  const [s] = summarizeStats([line, { ...line, msgCnt: 300 }]);
  assert.deepEqual(s, { type: 'producer', clients: 1, samples: 2, msgCntAvg: 400, fetchqCntAvg: 0, waitrespAvg: 2, rttAvgMs: 3, batchSizeAvg: 50_000, batchCntAvg: 40 });
});

test('--latency-rate: a list of rates, lowest first; 0 skips latency; errors name the flag', () => {
  assert.deepEqual(latencyRates(undefined), [2000, 20000]);
  assert.deepEqual(BENCH_DEFAULTS.latencyRates, [2000, 20000]);
  assert.deepEqual(latencyRates('20000, 2000'), [2000, 20000], 'sorted: the phases run lowest first');
  assert.deepEqual(latencyRates('5_000'), [5000]);
  assert.deepEqual(latencyRates('0'), []);
  assert.throws(() => latencyRates('2000,abc'), /--latency-rate 2000,abc: each rate must be a number of records\/s from 1 to 1,000,000 \(got "abc"\)$/);
  assert.throws(() => latencyRates('2000,'), /--latency-rate 2000,: .*got ""/);
  assert.throws(() => latencyRates('0.5'), /--latency-rate 0\.5: each rate/);
  assert.throws(() => latencyRates('2000,2000'), /--latency-rate 2000,2000: a rate is listed twice/);
  assert.throws(() => latencyRates('0,2000'), /--latency-rate 0,2000: 0 skips latency/);
  const o = benchOptions([]);
  assert.deepEqual(o.latency, { size: 1024, rates: [2000, 20000], seconds: 30, warmupSeconds: 10 });
  const quick = benchOptions(['--quick']);
  assert.deepEqual(quick.latency, { size: 1024, rates: [2000, 20000], seconds: 6, warmupSeconds: 2 });
  assert.deepEqual(benchOptions(['--latency-rate', '500', '--latency-seconds', '9']).latency, { size: 1024, rates: [500], seconds: 9, warmupSeconds: 3 });
  assert.equal(benchOptions(['--latency-rate', '0']).latency, undefined);
  assert.throws(() => benchOptions(['--latency-rate', '2000,abc']), /--latency-rate 2000,abc:/);
});
