/**
 * `strait bench`: strait against Apache Kafka's MirrorMaker 2 and against the clusters' own
 * limit, on sandbox clusters of this machine. The steps:
 *
 *  1. (optional) wait until the machine is quiet;
 *  2. start a private sandbox pair (its own folder and ports, torn down at the end), each broker
 *     with the heap Kafka's start script gives brokers and a GC log (see BROKER_JVM). With the
 *     cross-region case on, the source broker gets a second listener, WAN, whose advertised
 *     address is the latency proxy's: a client that bootstraps through the proxy keeps talking to
 *     the broker through it (see proxy.ts);
 *  3. pre-load one source topic per record size (100 B, 1 KiB, 10 KiB values by default), then
 *     warm the brokers up (see warmBrokers);
 *  4. repetition after repetition, size after size, each system copies that topic once, the
 *     systems taking turns (the order rotates every repetition, so no system is always first
 *     after the pre-load or always last): MM2 with its defaults, MM2 tuned, strait with its
 *     defaults, and the limit (Kafka's perf tools). Every run copies into fresh target topics
 *     under its own cluster aliases (s007 -> t007: remote topic s007.<topic>, MM2's internal
 *     topics named after them too), which are deleted after the run;
 *  5. in each repetition, each replicator also runs once on a fresh, empty live topic that a
 *     steady producer writes at fixed rates, one after the other in the same run (phases, lowest
 *     first, each a warm-up and a measured stretch); replication latency is read from both
 *     clusters afterwards (measure.ts), per phase by the records' source append times, next to
 *     the brokers' GC pauses in each phase (gc-log.ts). Separate runs, so the copy runs replicate
 *     one topic and nothing else;
 *  6. the cross-region case: the replicators copy the same topic through the proxy;
 *  7. results.json (every raw figure), summary.md and report.html in the results folder, and the
 *     brokers' GC logs, gzipped, in its brokers/ folder.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { KafkaAdmin } from '../kafka/admin.js';
import { PacedProducer } from '../demo/produce.js';
import { formatInteger } from '../metrics/summary.js';
import { ensureKafkaDist, runKafkaTool, type KafkaDist } from '../sandbox/kafka-dist.js';
import { displayPath } from '../sandbox/paths.js';
import { formatSeconds, streamProgress, type Progress } from '../sandbox/progress.js';
import { Sandbox, type ClusterCustomization } from '../sandbox/sandbox.js';
import { sleep } from '../sandbox/processes.js';
import { bulkRecord, preloadTopic, recordBytes, sizeLabel, valuePool, writePayloadFile, type BulkTopic } from './data.js';
import { brokerGcText, parseGcLog, summarizePauses, type BrokerGc, type GcPause } from './gc-log.js';
import { describeMachine, waitForIdle, type IdleWait } from './machine.js';
import { LOG_APPEND_TIME, appendSpan, measureLatency, partitionsOf, phaseSchedule, TopicCounter, type PhaseFigures, type PhaseWindow } from './measure.js';
import { startMm2 } from './mm2.js';
import { runLimit, type LimitOutputs } from './perf-tools.js';
import { loadAverage1, MachineSampler, ProcSampler, resourceFigures } from './procstat.js';
import { DelayProxy, freePort } from './proxy.js';
import { summarizeProfiles, type ProfileSummary } from './profile.js';
import { describeExit, type ReplicatorProcess } from './replicator.js';
import { rateReached, SYSTEM_LABELS, type BenchOptions, type BenchResults, type LatencyPhase, type ReplicatorId, type RunResult, type Scenario, type SystemId } from './results.js';
import { writeReports } from './report.js';
import { BenchStatus } from './status.js';
import { startStrait } from './strait-runner.js';

const pad3 = (n: number): string => String(n).padStart(3, '0');
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export interface PlannedRun {
  rep: number;
  scenario: Scenario;
  system: SystemId;
  size: number;
  profiled?: boolean;
}

/**
 * The run plan: repetitions outermost, then sizes, then the systems in an order that rotates each
 * repetition; then the cross-region runs; then, with --profile, one profiled strait run per size
 * (and one through the proxy), apart from the measured ones.
 */
export function planRuns(o: Pick<BenchOptions, 'sizes' | 'repetitions' | 'systems' | 'latency' | 'wan' | 'profile'>): PlannedRun[] {
  const plan: PlannedRun[] = [];
  const replicators = o.systems.filter((s): s is ReplicatorId => s !== 'limit');
  for (let rep = 1; rep <= o.repetitions; rep++) {
    for (const size of o.sizes) {
      const k = (rep - 1) % o.systems.length;
      const order = [...o.systems.slice(k), ...o.systems.slice(0, k)];
      for (const system of order) plan.push({ rep, scenario: 'loopback', system, size });
    }
    if (o.latency && replicators.length > 0) {
      const k = (rep - 1) % replicators.length;
      for (const system of [...replicators.slice(k), ...replicators.slice(0, k)]) plan.push({ rep, scenario: 'latency', system, size: o.latency.size });
    }
  }
  if (o.wan) {
    for (let rep = 1; rep <= o.wan.repetitions; rep++) {
      const k = (rep - 1) % o.wan.systems.length;
      for (const system of [...o.wan.systems.slice(k), ...o.wan.systems.slice(0, k)]) plan.push({ rep, scenario: 'wan', system, size: o.wan.size });
    }
  }
  if (o.profile) {
    for (const size of o.sizes) plan.push({ rep: 1, scenario: 'loopback', system: 'strait', size, profiled: true });
    if (o.wan) plan.push({ rep: 1, scenario: 'wan', system: 'strait', size: o.wan.size, profiled: true });
  }
  return plan;
}

/** `2025-01-14_153012`: sorts by time, safe in a file name on every system. */
export function resultsStamp(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}_${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Everything a run needs from the bench. */
interface Context {
  o: BenchOptions;
  dist: KafkaDist;
  sourceBootstrap: string;
  targetBootstrap: string;
  proxy: DelayProxy | undefined;
  bulk: Map<number, BulkTopic>;
  payloadFiles: Map<number, string>;
  runId: string;
  status: BenchStatus;
  progress: Progress;
  brokerPids: { source: number | undefined; target: number | undefined };
  /** Where each broker's JVM writes its GC log (see BROKER_JVM). */
  gcLogs: { source: string; target: string };
  stopRequested: () => boolean;
}

/** Kafka's bin/kafka-server-start.sh gives brokers this heap (KAFKA_HEAP_OPTS), as -Xmx and -Xms. */
export const BROKER_HEAP = '1g';

/**
 * The brokers' JVMs. Latency tails of 100-250 ms showed up for every replicator alike, and they
 * come partly from the brokers themselves: on the sandbox's default heap (-Xmx512m, no -Xms) a GC
 * log of the target broker under the fixed load had pauses of up to 207 ms (Young) and 157 ms
 * (Remark), with about 170 MB live in a heap of 413 MB: over the 35 % occupancy at which Kafka's
 * G1 settings (InitiatingHeapOccupancyPercent) start a concurrent cycle, so one cycle followed
 * another. So the brokers get the heap Kafka's own start script gives them, its initial size equal to its
 * maximum, and are not starved into back-to-back concurrent cycles. They still share the
 * machine's cores with the replicator, where a pause stretches when its GC threads wait for a
 * core: each broker logs its GC (gc.log in its cluster's log folder), and the pauses are reported
 * next to each latency phase, to tell a replicator's tail from a broker that stood still.
 */
export const BROKER_JVM = { heap: BROKER_HEAP, jvmOptions: [`-Xms${BROKER_HEAP}`], gcLog: true } satisfies ClusterCustomization;

/** The bench sandbox's clusters: BROKER_JVM for both, and the source's WAN listener for the cross-region case. */
export function benchClusters(wan: { sourcePort: number; ports: { listener: number; proxy: number } } | undefined): Record<'source' | 'target', ClusterCustomization> {
  return { source: { ...BROKER_JVM, ...(wan ? wanListener(wan.sourcePort, wan.ports) : {}) }, target: { ...BROKER_JVM } };
}

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const progress = streamProgress(process.stderr, 5_000);
  const status = new BenchStatus(process.stderr);
  const started = new Date();
  await mkdir(o.outDir, { recursive: true });
  progress.info(`strait bench: results in ${displayPath(o.outDir)}`);

  let idleWait: IdleWait = { requested: false, waitedSec: 0, gaveUp: false, threshold: 0, holdSec: 0, checks: [] };
  if (o.idleWait) {
    progress.info(`waiting for a quiet machine: 1-minute load average below ${o.idleWait.threshold} for ${o.idleWait.holdSec} s (at most ${Math.round(o.idleWait.maxSec / 60)} min)…`);
    idleWait = await waitForIdle({
      ...o.idleWait,
      onCheck: (load1, quietSec, waitedSec) => progress.info(`  load average ${load1.toFixed(2)}, quiet for ${Math.round(quietSec)} s, waited ${waitedSec} s`),
    });
    progress.info(idleWait.gaveUp ? `the machine did not get quiet within ${Math.round(o.idleWait.maxSec / 60)} min: running anyway (the results say so)` : `quiet after ${idleWait.waitedSec} s`);
  }
  const loadStart = loadAverage1();

  const dist = await ensureKafkaDist({ progress });
  const machine = await describeMachine(dist.java);
  const madeSandboxDir = o.sandboxDir === undefined;
  const sandboxDir = o.sandboxDir ?? (await mkdtemp(path.join(os.tmpdir(), 'strait-bench-')));
  let proxy: DelayProxy | undefined;
  let sandbox: Sandbox | undefined;
  let stop = false;
  const onSignal = (): void => {
    if (stop) process.exit(130);
    stop = true;
    status.done();
    progress.info('stopping after the current run (Ctrl-C again to quit at once)…');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runs: RunResult[] = [];
  const preload: BenchResults['preload'] = [];
  const profiles: ProfileSummary[] = [];
  let brokers: BenchResults['brokers'];
  try {
    let wanPorts: { listener: number; proxy: number } | undefined;
    if (o.wan) wanPorts = { listener: await freePort(), proxy: await freePort() };
    sandbox = await Sandbox.open({
      dir: sandboxDir,
      sourcePort: o.sourcePort,
      targetPort: o.targetPort,
      progress,
      clusters: benchClusters(wanPorts ? { sourcePort: o.sourcePort, ports: wanPorts } : undefined),
    });
    progress.info(`starting the benchmark's own sandbox: source ${sandbox.bootstrapServers('source')}, target ${sandbox.bootstrapServers('target')}${madeSandboxDir ? '' : ` in ${displayPath(sandboxDir)}`}`);
    const up = await sandbox.up();
    // Brokers left running by an earlier benchmark (--keep) run with whatever JVM flags they had.
    if (up.started.length === 2) brokers = { heap: `-Xms${BROKER_HEAP} -Xmx${BROKER_HEAP}`, gcLog: true };
    const sourceBootstrap = sandbox.bootstrapServers('source');
    const targetBootstrap = sandbox.bootstrapServers('target');
    if (o.wan && wanPorts) {
      proxy = await DelayProxy.start({ port: wanPorts.proxy, upstreamHost: '127.0.0.1', upstreamPort: wanPorts.listener, delayMs: o.wan.delayMs });
      progress.info(`cross-region proxy on ${proxy.address}: +${o.wan.delayMs} ms each way (${2 * o.wan.delayMs} ms round trip) to the source's WAN listener`);
    }

    const runId = randomBytes(3).toString('hex');
    const ctx: Context = {
      o,
      dist,
      sourceBootstrap,
      targetBootstrap,
      proxy,
      bulk: new Map(),
      payloadFiles: new Map(),
      runId,
      status,
      progress,
      brokerPids: { source: await sandbox.cluster('source').pid(), target: await sandbox.cluster('target').pid() },
      gcLogs: { source: sandbox.cluster('source').gcLogFile, target: sandbox.cluster('target').gcLogFile },
      stopRequested: () => stop,
    };

    // --- pre-load
    const sizes = [...new Set([...o.sizes, ...(o.wan ? [o.wan.size] : [])])];
    for (const size of sizes) {
      const topic: BulkTopic = { name: `bulk-${size}b-${runId}`, size, partitions: o.partitions, records: o.records[size] };
      const t0 = Date.now();
      const label = `pre-loading ${formatInteger(topic.records)} records of ${sizeLabel(size)} into ${topic.name} (${topic.partitions} partitions)`;
      status.show(label);
      await preloadTopic(sourceBootstrap, topic, (acked) => status.show(`${label}: ${formatInteger(acked)} acknowledged`));
      const seconds = (Date.now() - t0) / 1000;
      status.done();
      progress.info(`pre-loaded ${formatInteger(topic.records)} × ${sizeLabel(size)} in ${formatSeconds(seconds * 1000)} (${formatInteger(topic.records / seconds)} records/s)`);
      preload.push({ size, topic: topic.name, records: topic.records, seconds: round(seconds), recordsPerSec: Math.round(topic.records / seconds) });
      ctx.bulk.set(size, topic);
      // Scratch, next to the clusters' data: the values are a pure function of the size.
      const payloadFile = path.join(sandboxDir, `payloads-${size}b.txt`);
      await writePayloadFile(payloadFile, valuePool(size));
      ctx.payloadFiles.set(size, payloadFile);
    }
    await warmBrokers(ctx, [...ctx.bulk.values()]);

    // --- the runs
    const plan = planRuns(o);
    for (let i = 0; i < plan.length; i++) {
      if (stop) break;
      const step = plan[i];
      const index = i + 1;
      const where = step.scenario === 'wan' ? ` · through the ${2 * (o.wan?.delayMs ?? 0)} ms proxy` : step.scenario === 'latency' ? ' · latency' : '';
      const head = `[${index}/${plan.length}] ${step.profiled ? 'profiling' : `rep ${step.rep}`} · ${sizeLabel(step.size)} · ${SYSTEM_LABELS[step.system]}${where}`;
      const result =
        step.system === 'limit'
          ? await limitRun(ctx, index, step.rep, step.size, head)
          : await replicatorRun(ctx, { index, rep: step.rep, scenario: step.scenario, system: step.system, size: step.size, profiled: step.profiled === true }, head);
      runs.push(result);
      await compressLogs(path.join(o.outDir, result.dir));
      status.done();
      progress.info(`${head}: ${describeRun(result)}`);
      // Results so far are kept, so an interrupted benchmark still leaves its figures.
      await writeFile(path.join(o.outDir, 'results.partial.json'), JSON.stringify({ runs }, null, 1));
    }

    for (const r of runs.filter((x) => x.profiled && x.ok)) {
      const window = r.firstAppendMs !== undefined && r.lastAppendMs !== undefined ? { processStartMs: r.processStartMs ?? 0, fromMs: r.firstAppendMs, toMs: r.lastAppendMs } : undefined;
      const summary = await summarizeProfiles(path.join(o.outDir, r.dir, 'profile'), r.index, window).catch(() => undefined);
      if (summary) profiles.push(summary);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    status.done();
    await proxy?.close();
    if (sandbox) await keepGcLogs(sandbox, path.join(o.outDir, 'brokers')).catch((err: unknown) => progress.info(`could not keep the brokers' GC logs: ${String(err)}`));
    if (sandbox && !o.keepSandbox) {
      progress.info('stopping the benchmark sandbox…');
      await sandbox.down({ clean: true }).catch((err: unknown) => progress.info(`could not stop the sandbox: ${String(err)}`));
      if (madeSandboxDir) await rm(sandboxDir, { recursive: true, force: true });
    } else if (sandbox) {
      progress.info(`the benchmark sandbox keeps running in ${displayPath(sandboxDir)} (stop it with: strait sandbox down --clean --dir ${displayPath(sandboxDir)})`);
    }
  }

  const finished = new Date();
  const { outDir: _out, sandboxDir: _sd, command, note, ...options } = o;
  const results: BenchResults = {
    version: 2,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSec: Math.round((finished.getTime() - started.getTime()) / 1000),
    command,
    note,
    machine,
    idleWait,
    options,
    load: { start: loadStart, end: loadAverage1() },
    preload,
    runs,
    profiles,
    ...(brokers ? { brokers } : {}),
  };
  await writeReports(o.outDir, results);
  await rm(path.join(o.outDir, 'results.partial.json'), { force: true });
  return results;
}

/**
 * Brokers fresh from their start run their request paths in the JVM's interpreter until the JIT
 * has compiled them: a first measured run saw the target broker spend five times the CPU per
 * record that later runs did, and every system that ran early in the first repetition looked
 * slow. So before anything is measured, each broker does the work it will do in the runs: the
 * target takes the same values as produce requests (ProducerPerformance into scratch topics,
 * deleted again), and the source serves every pre-loaded topic to a consumer
 * (ConsumerPerformance) once. Kafka's tools run in their own JVMs, so the harness's memory does
 * not grow by the data read.
 */
async function warmBrokers(ctx: Context, topics: readonly BulkTopic[]): Promise<void> {
  const started = Date.now();
  const scratch = topics.map((t) => ({ ...t, name: `warm-${t.size}b-${ctx.runId}` }));
  const tool = { dist: ctx.dist, heap: '1g', timeoutMs: ctx.o.runTimeoutSec * 1000, check: true };
  try {
    for (const t of scratch) {
      ctx.status.show(`warming up the brokers: writing ${formatInteger(t.records)} × ${sizeLabel(t.size)} to the target`);
      await createTopic(ctx.targetBootstrap, 'target', t.name, t.partitions);
      await runKafkaTool(
        'org.apache.kafka.tools.ProducerPerformance',
        ['--topic', t.name, '--num-records', String(t.records), '--payload-file', ctx.payloadFiles.get(t.size)!, '--throughput', '-1', '--command-property', `bootstrap.servers=${ctx.targetBootstrap}`, 'compression.type=lz4', 'linger.ms=5'],
        tool,
      );
    }
    for (const t of topics) {
      ctx.status.show(`warming up the brokers: reading ${t.name} from the source`);
      await runKafkaTool(
        'org.apache.kafka.tools.ConsumerPerformance',
        ['--bootstrap-server', ctx.sourceBootstrap, '--topic', t.name, '--num-records', String(t.records), '--group', `warm-${ctx.runId}`, '--timeout', '60000'],
        tool,
      );
    }
  } finally {
    await deleteTopics(ctx.targetBootstrap, 'target', (n) => scratch.some((t) => t.name === n)).catch(() => undefined);
    ctx.status.done();
  }
  ctx.progress.info(`warmed up the brokers (the same values written to the target, every source topic read once) in ${formatSeconds(Date.now() - started)}`);
}

/**
 * The source broker's extra listener for the cross-region case: it binds `listener` and is
 * advertised as the proxy's port, so metadata fetched through the proxy points back to the proxy.
 * The PLAINTEXT and CONTROLLER entries are those the sandbox writes itself (broker-config.ts).
 */
export function wanListener(sourcePort: number, ports: { listener: number; proxy: number }) {
  return {
    listeners: [{ name: 'WAN', port: ports.listener, protocol: 'PLAINTEXT' as const }],
    properties: {
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${sourcePort},CONTROLLER://127.0.0.1:${sourcePort + 1},WAN://127.0.0.1:${ports.proxy}`,
    },
  };
}

/** Logs of a finished run, gzipped in place: MM2's run to hundreds of kB each, mostly config dumps. */
async function compressLogs(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => /\.(log|out)$/.test(n))) {
    const file = path.join(dir, name);
    await pipeline(createReadStream(file), createGzip(), createWriteStream(`${file}.gz`));
    await rm(file);
  }
}

export function describeRun(r: RunResult): string {
  if (!r.ok) return `failed: ${r.error?.split('\n')[0] ?? 'unknown error'}`;
  if (r.latency) {
    const phases = r.latency.phases.map((p) => {
      const cores = p.cpu ? `, ${p.cpu.cores.toFixed(2)} cores busy` : '';
      const short = rateReached(p) ? '' : ` (NOT reached: ${formatInteger(p.achievedPerSec ?? 0)} records/s)`;
      const gc = brokerGcText(p.brokerGc);
      return `at ${formatInteger(p.ratePerSec)} records/s${short}: p50 ${p.p50} ms, p99 ${p.p99} ms, p99.9 ${p.p999} ms over ${formatInteger(p.count)} records${cores}${gc ? `, ${gc}` : ''}`;
    });
    return `latency ${phases.join('; ')}; peak RSS ${Math.round((r.peakRssBytes ?? 0) / 2 ** 20)} MiB`;
  }
  const parts = [`${formatInteger(r.recordsPerSec ?? 0)} records/s`, `${(r.mbPerSec ?? 0).toFixed(1)} MB/s`];
  if (r.cpu) parts.push(`${r.cpu.perGB.toFixed(1)} CPU s/GB`);
  if (r.peakRssBytes) parts.push(`peak RSS ${Math.round(r.peakRssBytes / 2 ** 20)} MiB`);
  if (r.limit) parts.push(`(producer ${formatInteger(r.limit.producer.recordsPerSec)}/s, consumer ${formatInteger(r.limit.consumer.recordsPerSec)}/s)`);
  return parts.join(', ');
}

async function deleteTopics(bootstrap: string, cluster: string, match: (name: string) => boolean): Promise<void> {
  const admin = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
  try {
    const names = (await admin.listTopics()).filter(match);
    for (const n of names) await admin.deleteTopic(n).catch(() => undefined);
  } finally {
    admin.close();
  }
}

async function createTopic(bootstrap: string, cluster: string, name: string, partitions: number, config: Record<string, string> = {}): Promise<void> {
  const admin = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
  try {
    await admin.createTopic(name, partitions, 1, config);
  } finally {
    admin.close();
  }
}

/** A sampler of the brokers, for the report's view of where the machine's CPU went. */
function brokerSamplers(ctx: Context): { source?: ProcSampler; target?: ProcSampler } {
  const out: { source?: ProcSampler; target?: ProcSampler } = {};
  if (ctx.brokerPids.source) out.source = new ProcSampler(ctx.brokerPids.source, 500).start();
  if (ctx.brokerPids.target) out.target = new ProcSampler(ctx.brokerPids.target, 500).start();
  return out;
}

interface RunSpec {
  index: number;
  rep: number;
  scenario: Scenario;
  system: ReplicatorId;
  size: number;
  profiled: boolean;
}

async function replicatorRun(ctx: Context, spec: RunSpec, head: string): Promise<RunResult> {
  const { o } = ctx;
  const bulk = ctx.bulk.get(spec.size)!;
  const latency = spec.scenario === 'latency' ? o.latency! : undefined;
  const dirName = `${pad3(spec.index)}-${spec.scenario}-${spec.system}${spec.profiled ? '-profiled' : ''}-${spec.size}b`;
  const dir = path.join(o.outDir, 'runs', dirName);
  await mkdir(dir, { recursive: true });
  const sourceAlias = `s${pad3(spec.index)}`;
  const targetAlias = `t${pad3(spec.index)}`;
  // A latency run replicates a fresh live topic only; a copy run the pre-loaded topic only, so no
  // idle topic shares its threads or tasks.
  const sourceTopic = latency ? `live-${pad3(spec.index)}-${ctx.runId}` : bulk.name;
  const remoteTopic = `${sourceAlias}.${sourceTopic}`;
  const replicatorSource = spec.scenario === 'wan' ? ctx.proxy!.address : ctx.sourceBootstrap;
  const result: RunResult = {
    index: spec.index,
    rep: spec.rep,
    scenario: spec.scenario,
    system: spec.system,
    size: spec.size,
    partitions: bulk.partitions,
    records: latency ? 0 : bulk.records,
    ok: false,
    startedAt: new Date().toISOString(),
    dir: path.join('runs', dirName),
    ...(spec.scenario === 'wan' ? { wanDelayMs: o.wan!.delayMs } : {}),
    ...(spec.profiled ? { profiled: true } : {}),
  };
  // Before a fixed load, the page cache's dirty data (the earlier copies wrote gigabytes) goes to
  // disk: the kernel writes it back in the background, and once enough is dirty it makes the
  // brokers' writes wait, which would land in this run's latency and not in the one that wrote it.
  if (latency) result.syncSec = await flushDirtyPages(ctx, head);
  const load1 = loadAverage1();
  if (load1 !== undefined) result.loadAvg1AtStart = load1;
  // Fresh target topics with the partition count of the source, appended with the target's clock.
  if (latency) await createTopic(ctx.sourceBootstrap, 'source', sourceTopic, bulk.partitions, LOG_APPEND_TIME);
  await createTopic(ctx.targetBootstrap, 'target', remoteTopic, bulk.partitions, LOG_APPEND_TIME);
  const counter = new TopicCounter('target', ctx.targetBootstrap);
  const brokers = brokerSamplers(ctx);
  const machine = new MachineSampler().start();
  let proc: ReplicatorProcess | undefined;
  try {
    const flow = { sourceAlias, targetAlias, sourceBootstrap: replicatorSource, targetBootstrap: ctx.targetBootstrap, topics: [sourceTopic] };
    if (spec.profiled) await mkdir(path.join(dir, 'profile'), { recursive: true });
    proc =
      spec.system === 'strait'
        ? await startStrait({ dir, flow: { ...flow, groupId: `strait-bench-${sourceAlias}-${ctx.runId}` }, ...(spec.profiled ? { profileDir: path.join(dir, 'profile') } : {}) })
        : await startMm2({ dist: ctx.dist, dir, flow: { ...flow, profile: spec.system === 'mm2-tuned' ? 'tuned' : 'default', partitions: bulk.partitions } });
    result.processStartMs = proc.startedAt;
    const parts = partitionsOf(remoteTopic, bulk.partitions);
    const window = latency ? await fixedLoad(ctx, proc, result, parts, sourceTopic, head) : await bulkCopy(ctx, proc, result, parts, bulk, head);

    const stopped = await proc.stop();
    result.exit = describeExit(stopped.exit);
    proc = undefined;
    const samples = stopped.samples;
    result.samples = samples;
    // A latency run's figures are over its whole loaded span (every phase); each phase has its own below.
    const res = resourceFigures(samples, window.fromMs, window.toMs);
    const bytes = window.records * recordBytes(spec.size);
    result.cpu = {
      windowSec: round(res.windowCpuSec, 2),
      totalSec: round(res.totalCpuSec, 2),
      perGB: round(res.windowCpuSec / (bytes / 1e9), 2),
      byThread: res.windowThreadCpuSec,
    };
    result.peakRssBytes = res.peakRssBytes;
    const context: NonNullable<RunResult['context']> = {};
    for (const [name, sampler] of Object.entries<ProcSampler>(brokers)) {
      sampler.sampleNow();
      const sec = round(resourceFigures(sampler.stop(), window.fromMs, window.toMs).windowCpuSec, 2);
      if (name === 'source') context.sourceBrokerCpuSec = sec;
      else context.targetBrokerCpuSec = sec;
    }
    machine.sampleNow();
    const busy = machine.busyShare(window.fromMs, window.toMs);
    if (busy !== undefined) context.machineBusyShare = round(busy, 3);
    result.context = context;

    if (latency) {
      const windows = window.phases ?? [];
      const measuredLatency = await measureLatency({
        sourceBootstrap: ctx.sourceBootstrap,
        sourceTopic,
        targetBootstrap: ctx.targetBootstrap,
        targetTopic: remoteTopic,
        partitions: bulk.partitions,
        windows,
      });
      const cpuSec = samples.length > 0 ? (from: number, to: number) => resourceFigures(samples, from, to).windowCpuSec : undefined;
      const gc = await readBrokerGcLogs(ctx.gcLogs, windows[0]?.fromMs ?? window.fromMs);
      const phases = latencyPhases(windows, measuredLatency.phases, recordBytes(spec.size), cpuSec, (from, to) => machine.busyShare(from, to), (from, to) => brokerGcIn(gc, from, to));
      const { missing, duplicates } = measuredLatency;
      result.latency = { size: latency.size, produced: window.produced ?? 0, missing, duplicates, phases };
      if (missing > 0) throw new Error(`${formatInteger(missing)} of ${formatInteger(window.produced ?? 0)} live records never reached the target`);
      if (duplicates > 0) result.error = `${formatInteger(duplicates)} live records reached the target more than once`;
    } else {
      const span = await appendSpan(ctx.targetBootstrap, remoteTopic, bulk.partitions);
      if (span.records < bulk.records) throw new Error(`the target holds ${formatInteger(span.records)} of ${formatInteger(bulk.records)} records`);
      if (span.records > bulk.records) result.error = `the target holds ${formatInteger(span.records - bulk.records)} records more than the source (duplicates)`;
    }
    result.ok = result.error === undefined;
  } catch (err) {
    result.ok = false;
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    for (const sampler of Object.values<ProcSampler>(brokers)) sampler.stop();
    machine.stop();
    counter.close();
    if (proc) {
      const stopped = await proc.stop(15_000);
      result.exit = describeExit(stopped.exit);
      result.killedAtStop = stopped.killed;
      if (!result.samples && stopped.samples.length > 0) result.samples = stopped.samples;
    }
    // Everything this run made, on both clusters: remote topics, MM2's and strait's internal
    // topics (named after the run's aliases), the live topic.
    const mine = (n: string): boolean => n.includes(sourceAlias) || n.includes(targetAlias) || (latency !== undefined && n === sourceTopic);
    await deleteTopics(ctx.targetBootstrap, 'target', mine).catch(() => undefined);
    await deleteTopics(ctx.sourceBootstrap, 'source', mine).catch(() => undefined);
  }
  return result;
}

/** The measured stretch of a run: from when to when, and how many records it covers. */
interface Window {
  fromMs: number;
  toMs: number;
  /** Records copied in the window (for a fixed load: offered, rate x duration). */
  records: number;
  /** For a fixed load: every record the producer wrote, warm-up included. */
  produced?: number;
  /** For a fixed load: its phases, one per rate. */
  phases?: PhaseWindow[];
}

/**
 * Waits until the target holds the whole pre-loaded topic, with the live status, then times the
 * copy from the target's append times (first to last record appended).
 */
async function bulkCopy(ctx: Context, proc: ReplicatorProcess, result: RunResult, parts: { topic: string; partition: number }[], bulk: BulkTopic, head: string): Promise<Window> {
  const counter = new TopicCounter('target', ctx.targetBootstrap);
  const startedAt = proc.startedAt;
  const deadline = startedAt + ctx.o.runTimeoutSec * 1000;
  const series: [number, number][] = [];
  result.progress = series;
  let copied = 0;
  let last = { at: Date.now(), count: 0 };
  try {
    while (copied < bulk.records) {
      if (ctx.stopRequested()) throw new Error('stopped by request');
      if (!proc.running) throw new Error(`${proc.launch.name} exited (${describeExit(await proc.exited)}) after copying ${formatInteger(copied)} of ${formatInteger(bulk.records)} records:\n${proc.tail()}`);
      if (Date.now() > deadline) throw new Error(`copied only ${formatInteger(copied)} of ${formatInteger(bulk.records)} records within ${ctx.o.runTimeoutSec} s`);
      await sleep(1000);
      noteReady(proc, result);
      copied = await counter.count(parts);
      const now = Date.now();
      series.push([now - startedAt, copied]);
      const rate = ((copied - last.count) * 1000) / Math.max(1, now - last.at);
      last = { at: now, count: copied };
      const state =
        copied === 0
          ? result.readySec === undefined
            ? 'starting'
            : 'ready, nothing copied yet'
          : `${formatInteger(copied)} / ${formatInteger(bulk.records)} copied (${Math.floor((copied * 100) / bulk.records)}%) · ${formatInteger(rate)} records/s`;
      ctx.status.show(`${head}: ${state} · ${formatSeconds(now - startedAt)}`);
    }
  } finally {
    counter.close();
  }
  const span = await appendSpan(ctx.targetBootstrap, parts[0].topic, parts.length);
  if (span.firstMs < startedAt - 1000) {
    throw new Error(`records on ${parts[0].topic} carry times from before the run: the target topic lost its LogAppendTime setting, so the copy cannot be timed`);
  }
  const copySec = Math.max(0.001, (span.lastMs - span.firstMs) / 1000);
  const records = Math.min(span.records, bulk.records);
  result.copied = span.records;
  result.bytes = span.records * recordBytes(bulk.size);
  result.firstAppendMs = span.firstMs;
  result.lastAppendMs = span.lastMs;
  result.copySec = round(copySec, 3);
  result.recordsPerSec = Math.round(records / copySec);
  result.mbPerSec = round((records * recordBytes(bulk.size)) / copySec / 1e6, 2);
  result.startupSec = round((span.firstMs - startedAt) / 1000, 2);
  return { fromMs: span.firstMs, toMs: span.lastMs, records: span.records };
}

/**
 * The fixed load: a steady producer writes the live topic from the replicator's start at the
 * lowest rate; once the first record arrived on the target (the replicator is up and copying),
 * the phases run back to back, each rate for a warm-up and then the measured stretch. Returns the
 * span from the first measured stretch to the end of the last, with the phases.
 */
async function fixedLoad(ctx: Context, proc: ReplicatorProcess, result: RunResult, parts: { topic: string; partition: number }[], liveTopic: string, head: string): Promise<Window> {
  const latency = ctx.o.latency!;
  const rates = [...latency.rates].sort((a, b) => a - b);
  const pool = valuePool(latency.size);
  const counter = new TopicCounter('target', ctx.targetBootstrap);
  const producer = new PacedProducer(ctx.sourceBootstrap, [{ name: liveTopic, kind: 'live', partitions: parts.length }], rates[0], (t, seq, ts) => ({
    ...bulkRecord(pool, t.partitions, seq, ts),
    key: Buffer.from(`L${seq}`),
  }));
  const startedAt = proc.startedAt;
  const deadline = startedAt + ctx.o.runTimeoutSec * 1000;
  let phases: PhaseWindow[];
  let produced: number;
  await producer.start();
  try {
    let copied = 0;
    while (copied === 0) {
      if (ctx.stopRequested()) throw new Error('stopped by request');
      if (!proc.running) throw new Error(`${proc.launch.name} exited (${describeExit(await proc.exited)}) before it copied anything:\n${proc.tail()}`);
      if (Date.now() > deadline) throw new Error(`copied nothing within ${ctx.o.runTimeoutSec} s`);
      await sleep(500);
      noteReady(proc, result);
      copied = await counter.count(parts);
      ctx.status.show(`${head}: ${result.readySec === undefined ? 'starting' : 'ready'}, producing ${formatInteger(rates[0])} records/s · ${formatSeconds(Date.now() - startedAt)}`);
    }
    result.startupSec = round((Date.now() - startedAt) / 1000, 2);
    phases = phaseSchedule(rates, latency.seconds, latency.warmupSeconds, Date.now());
    for (const [i, phase] of phases.entries()) {
      if (i > 0) producer.setRate(phase.ratePerSec);
      await runPhase(ctx, proc, phase, `${head}: phase ${i + 1}/${phases.length}, ${formatInteger(phase.ratePerSec)} records/s`, producer, () => counter.count(parts));
    }
  } finally {
    produced = (await producer.stop()).acked;
  }
  // Let the replicator copy what is still on its way before it is stopped.
  const catchUpUntil = Date.now() + 60_000;
  while ((await counter.count(parts)) < produced && Date.now() < catchUpUntil) await sleep(250);
  counter.close();
  const fromMs = phases[0].fromMs;
  const toMs = phases[phases.length - 1].toMs;
  return { fromMs, toMs, records: Math.round(offeredRecords(phases, fromMs, toMs)), produced, phases };
}

/** One phase of the fixed load, with the live status, until its measured stretch ends. */
async function runPhase(ctx: Context, proc: ReplicatorProcess, phase: PhaseWindow, label: string, producer: PacedProducer, copied: () => Promise<number>): Promise<void> {
  while (Date.now() < phase.toMs) {
    if (ctx.stopRequested()) throw new Error('stopped by request');
    if (!proc.running) throw new Error(`${proc.launch.name} exited during the fixed load:\n${proc.tail()}`);
    await sleep(Math.max(0, Math.min(1000, phase.toMs - Date.now())));
    const now = Date.now();
    const stage = now < phase.fromMs ? `warming up ${Math.ceil((phase.fromMs - now) / 1000)} s` : `measuring, ${Math.ceil(Math.max(0, phase.toMs - now) / 1000)} s left`;
    ctx.status.show(`${label} · ${stage} · produced ${formatInteger(producer.counts.acked)} · copied ${formatInteger(await copied())}`);
  }
}

/** Records the schedule offers between two times (each phase's rate from its switch to its end). */
export function offeredRecords(phases: readonly PhaseWindow[], fromMs: number, toMs: number): number {
  let n = 0;
  for (const p of phases) n += (p.ratePerSec * Math.max(0, Math.min(toMs, p.toMs) - Math.max(fromMs, p.startMs))) / 1000;
  return n;
}

/**
 * A latency run's phases as results: each phase's figures, the rate the source actually took
 * (records it appended in the window), the replicator's CPU, the machine's busy share and the
 * brokers' GC pauses in the window, so each rate's cost stands apart from the others'.
 */
export function latencyPhases(
  windows: readonly PhaseWindow[],
  measuredPhases: readonly PhaseFigures[],
  recordBytes: number,
  cpuSec: ((fromMs: number, toMs: number) => number) | undefined,
  busyShare: (fromMs: number, toMs: number) => number | undefined,
  brokerGc: (fromMs: number, toMs: number) => BrokerGc | undefined = () => undefined,
): LatencyPhase[] {
  return windows.map((w, i) => {
    const seconds = (w.toMs - w.fromMs) / 1000;
    const m = measuredPhases[i];
    const achievedPerSec = Math.round(m.sourceRecords / seconds);
    const phase: LatencyPhase = { ...m, ratePerSec: w.ratePerSec, achievedPerSec, seconds, fromMs: w.fromMs, toMs: w.toMs };
    if (cpuSec) {
      const sec = cpuSec(w.fromMs, w.toMs);
      phase.cpu = { windowSec: round(sec, 2), cores: round(sec / seconds, 3), perGB: round(sec / ((w.ratePerSec * seconds * recordBytes) / 1e9), 2) };
    }
    const busy = busyShare(w.fromMs, w.toMs);
    if (busy !== undefined) phase.machineBusyShare = round(busy, 3);
    const gc = brokerGc(w.fromMs, w.toMs);
    if (gc) phase.brokerGc = gc;
    return phase;
  });
}

/** `sync`: writes the page cache's dirty data; seconds it took (undefined where it could not run). */
async function flushDirtyPages(ctx: Context, head: string): Promise<number | undefined> {
  ctx.status.show(`${head}: writing the page cache's dirty data to disk first (sync)`);
  const started = Date.now();
  const ok = await new Promise<boolean>((resolve) => execFile('sync', [], { timeout: 300_000 }, (err) => resolve(err === null)));
  return ok ? round((Date.now() - started) / 1000, 1) : undefined;
}

/** Each broker's GC pauses, as far as its log could be read. */
export type BrokerPauses = { source?: readonly GcPause[]; target?: readonly GcPause[] };

/** The brokers' pauses within a window; undefined when neither broker's log was read. */
export function brokerGcIn(pauses: BrokerPauses, fromMs: number, toMs: number): BrokerGc | undefined {
  const gc: BrokerGc = {};
  if (pauses.source) gc.source = summarizePauses(pauses.source, fromMs, toMs);
  if (pauses.target) gc.target = summarizePauses(pauses.target, fromMs, toMs);
  return gc.source || gc.target ? gc : undefined;
}

/**
 * Both brokers' GC pauses. A broker whose log is missing or unreadable (brokers started without
 * one, e.g. left running by an earlier benchmark) is left out: the run goes on without it.
 */
async function readBrokerGcLogs(files: { source: string; target: string }, sinceMs: number): Promise<BrokerPauses> {
  const [source, target] = await Promise.all([readGcPauses(files.source, sinceMs), readGcPauses(files.target, sinceMs)]);
  return { ...(source ? { source } : {}), ...(target ? { target } : {}) };
}

/** The JVM's rotations of a GC log: gc.log.0, gc.log.1… */
function gcLogFiles(names: readonly string[], base: string): string[] {
  return names.filter((n) => n === base || (n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1))));
}

/**
 * The pauses in a GC log and in the files the JVM rotated it into (past 20 MB, and at each start),
 * skipping rotated files last written before `sinceMs`. Undefined without the log itself.
 */
async function readGcPauses(file: string, sinceMs: number): Promise<GcPause[] | undefined> {
  try {
    const dir = path.dirname(file);
    const base = path.basename(file);
    const names = gcLogFiles(await readdir(dir), base);
    if (!names.includes(base)) return undefined;
    const pauses: GcPause[] = [];
    for (const name of names) {
      const f = path.join(dir, name);
      if (name !== base && (await stat(f)).mtimeMs < sinceMs) continue;
      for (const p of parseGcLog(await readFile(f, 'utf8'))) pauses.push(p);
    }
    return pauses;
  } catch {
    return undefined;
  }
}

/** The brokers' GC logs (and their rotations), gzipped into the results folder before the sandbox goes. */
async function keepGcLogs(sandbox: Sandbox, dir: string): Promise<void> {
  for (const cluster of sandbox.clusters) {
    const from = path.dirname(cluster.gcLogFile);
    const names = gcLogFiles(await readdir(from).catch(() => []), path.basename(cluster.gcLogFile));
    if (names.length === 0) continue;
    await mkdir(dir, { recursive: true });
    for (const name of names) await pipeline(createReadStream(path.join(from, name)), createGzip(), createWriteStream(path.join(dir, `${cluster.name}-${name}.gz`)));
  }
}

function noteReady(proc: ReplicatorProcess, result: RunResult): void {
  if (result.readySec === undefined && proc.launch.ready.test(proc.log())) result.readySec = round((Date.now() - proc.startedAt) / 1000, 1);
}

async function limitRun(ctx: Context, index: number, rep: number, size: number, head: string): Promise<RunResult> {
  const { o } = ctx;
  const bulk = ctx.bulk.get(size)!;
  const dirName = `${pad3(index)}-loopback-limit-${size}b`;
  const dir = path.join(o.outDir, 'runs', dirName);
  await mkdir(dir, { recursive: true });
  const targetTopic = `limit-${pad3(index)}-${ctx.runId}`;
  const result: RunResult = {
    index,
    rep,
    scenario: 'loopback',
    system: 'limit',
    size,
    partitions: bulk.partitions,
    records: bulk.records,
    ok: false,
    startedAt: new Date().toISOString(),
    dir: path.join('runs', dirName),
  };
  const started = Date.now();
  let outputs: LimitOutputs | undefined;
  const ticker = setInterval(() => ctx.status.show(`${head}: ProducerPerformance → target and ConsumerPerformance ← source · ${formatSeconds(Date.now() - started)}`), 1000);
  try {
    await createTopic(ctx.targetBootstrap, 'target', targetTopic, bulk.partitions);
    const limit = await runLimit({
      dist: ctx.dist,
      sourceBootstrap: ctx.sourceBootstrap,
      targetBootstrap: ctx.targetBootstrap,
      sourceTopic: bulk.name,
      targetTopic,
      records: bulk.records,
      payloadFile: ctx.payloadFiles.get(size)!,
      group: `limit-${pad3(index)}-${ctx.runId}`,
      timeoutMs: o.runTimeoutSec * 1000,
      onProgress: (rate) => ctx.status.show(`${head}: producer at ${formatInteger(rate)} records/s · ${formatSeconds(Date.now() - started)}`),
      onOutputs: (out) => {
        outputs = out;
      },
    });
    await writeFile(path.join(dir, 'limit.json'), JSON.stringify(limit, null, 2));
    result.limit = limit;
    result.copied = bulk.records;
    result.bytes = bulk.records * recordBytes(size);
    result.recordsPerSec = Math.round(limit.recordsPerSec);
    result.mbPerSec = round((limit.recordsPerSec * recordBytes(size)) / 1e6, 2);
    result.ok = true;
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    clearInterval(ticker);
    if (outputs) {
      // The payload file lives in the scratch folder: keep its name, not the machine's path.
      const scratch = path.dirname(ctx.payloadFiles.get(size)!);
      await writeFile(path.join(dir, 'producer-performance.out'), outputs.producer.split(scratch).join('<scratch>'));
      await writeFile(path.join(dir, 'consumer-performance.out'), outputs.consumer.split(scratch).join('<scratch>'));
    }
    await deleteTopics(ctx.targetBootstrap, 'target', (n) => n === targetTopic).catch(() => undefined);
  }
  return result;
}

