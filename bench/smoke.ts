/**
 * Smoke benchmark: one fixed end-to-end setting on the sandbox clusters, so later changes have a
 * baseline to compare with. Not a tuning tool; see bench/README.md for the recorded figures.
 *
 *   npm run bench:smoke                      (bootstrap, build, then this file)
 *   UV_THREADPOOL_SIZE=64 node dist/bench/smoke.js [--records N] [--partitions N] [--size BYTES]
 *       [--load-rate R] [--load-seconds S] [--note TEXT] [--no-append]
 *
 * Phases:
 *  1. pre-load one topic (default 12 partitions, 1,000,000 records with 1 KiB values) on the source;
 *  2. start the engine in this process on a flow restricted to the run's topics and time it until
 *     every pre-loaded record is acknowledged by the target: records/s and MB/s (key + value
 *     bytes, 10^6) over the copy itself, from the first record copied, and over the whole run
 *     including the engine's start. The latency of this phase is the relay latency (from strait's
 *     consumer to the target's acknowledgement): replication latency, measured from the record
 *     timestamp, would only tell how long the records waited in the backlog;
 *  3. at a fixed offered load (default 10,000 records/s of the same size for 20 s) on a second
 *     topic: replication latency p50/p99/max, from the record timestamp (set when produced) to
 *     the target's acknowledgement, over the phase minus its first 2 s.
 *
 * Prints one JSON line on stdout and appends it (with the command, the machine, Node and the date)
 * to bench/results/smoke.jsonl. The topics are deleted from both clusters afterwards; the sandbox
 * keeps running.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Engine } from '../src/engine/engine.js';
import { KafkaAdmin } from '../src/kafka/admin.js';
import { librdkafkaVersion } from '../src/kafka/binding.js';
import { remoteTopicName } from '../src/mirror/policy.js';
import type { LatencyQuantiles } from '../src/metrics/histogram.js';
import { KAFKA_VERSION } from '../src/sandbox/kafka-dist.js';
import { streamProgress } from '../src/sandbox/progress.js';
import { Sandbox } from '../src/sandbox/sandbox.js';
import { log } from '../src/util/log.js';
import { flag, flagBool, parseArgs, type FlagSpecs } from '../src/cli/args.js';
import { localFlowConfig } from '../src/demo/config.js';
import { newRunId, waitUntilReplicated } from '../src/demo/demo.js';
import { partitionRanges } from '../src/demo/digest.js';
import { PacedProducer, produceAll, sleep } from '../src/demo/produce.js';
import { sampleRecord } from '../src/demo/records.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/smoke.jsonl', import.meta.url));
const WARMUP_MS = 2_000;
const STATS_WAIT_MS = 1_500;
const CATCH_UP_TIMEOUT_MS = 10 * 60_000;

const SPECS: FlagSpecs = {
  records: { value: true, description: 'records to pre-load (default 1000000)' },
  partitions: { value: true, description: 'partitions of the pre-loaded topic (default 12)' },
  size: { value: true, description: 'value bytes per record (default 1024)' },
  'load-rate': { value: true, description: 'records/s of the fixed-load phase (default 10000; 0 skips it)' },
  'load-seconds': { value: true, description: 'length of the fixed-load phase (default 20)' },
  note: { value: true, description: 'a remark stored with the result (e.g. what else ran on the machine)' },
  'no-append': { value: false, description: 'print the result only; do not append it to bench/results/smoke.jsonl' },
};

export interface SmokeSettings {
  records: number;
  partitions: number;
  valueBytes: number;
  loadRate: number;
  loadSeconds: number;
}

/** A whole-number flag of at least `min` (underscores allowed: 10_000), else `fallback`. */
export function positiveInt(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min} (got ${JSON.stringify(value)})`);
  return n;
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A latency figure, or null when nothing was measured (rather than a misleading 0). */
function quantile(q: LatencyQuantiles, which: 'p50' | 'p99' | 'max'): number | null {
  return q.count > 0 ? q[which] : null;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
  };
}

/** How the run was started, as a person would type it (no machine paths). */
function commandLine(argv: readonly string[]): string {
  const args = argv.map((a) => (/^[\w.,:=/+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const viaNpm = process.env['npm_lifecycle_event'] === 'bench:smoke';
  return viaNpm ? `npm run bench:smoke${args ? ` -- ${args}` : ''}` : `node dist/bench/smoke.js${args ? ` ${args}` : ''}`;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv, SPECS);
  const settings: SmokeSettings = {
    records: positiveInt(flag(args, 'records'), 'records', 1_000_000),
    partitions: positiveInt(flag(args, 'partitions'), 'partitions', 12),
    valueBytes: positiveInt(flag(args, 'size'), 'size', 1024, 100),
    loadRate: positiveInt(flag(args, 'load-rate'), 'load-rate', 10_000, 0),
    loadSeconds: positiveInt(flag(args, 'load-seconds'), 'load-seconds', 20, 5),
  };
  const progress = streamProgress(process.stderr, 5_000);
  if (process.env['STRAIT_LOG_LEVEL'] === undefined) log.level = 'warn';
  if (!process.env['UV_THREADPOOL_SIZE']) progress.info('UV_THREADPOOL_SIZE is not set: librdkafka calls share 4 pool threads and the figures will be low (npm run bench:smoke sets it)');

  const sandbox = await Sandbox.open({ progress });
  await sandbox.up();
  const source = sandbox.bootstrapServers('source');
  const target = sandbox.bootstrapServers('target');
  const runId = newRunId();
  const backlogTopic = `smoke.${runId}.backlog`;
  const loadTopic = `smoke.${runId}.load`;
  const loadPartitions = settings.partitions;
  const sourceAdmin = new KafkaAdmin('source', { 'bootstrap.servers': source });
  const targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': target });
  const config = localFlowConfig({ sourceBootstrap: source, targetBootstrap: target, topics: [backlogTopic, loadTopic], groupId: `strait-smoke-${runId}` });
  const flow = config.flows[0];
  const engine = new Engine({ config, log, clientId: 'strait-smoke' });
  try {
    await sourceAdmin.createTopic(backlogTopic, settings.partitions, 1);
    await sourceAdmin.createTopic(loadTopic, loadPartitions, 1);

    // 1. Pre-load.
    progress.info(`pre-loading ${settings.records.toLocaleString('en-US')} records of ${settings.valueBytes} B into ${backlogTopic} (${settings.partitions} partitions)…`);
    let bytes = 0;
    const loadStart = Date.now();
    await produceAll(
      source,
      settings.records,
      (i) => {
        const record = sampleRecord('orders', i, settings.partitions, Date.now(), settings.valueBytes);
        bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
        return { topic: backlogTopic, record };
      },
      { onProgress: (acked) => progress.update(`pre-loaded ${acked.toLocaleString('en-US')}`), properties: { 'linger.ms': 20, 'batch.size': 1_000_000 } },
    );
    const preloadSeconds = (Date.now() - loadStart) / 1000;
    progress.info(`pre-loaded in ${preloadSeconds.toFixed(1)} s`);
    const backlogRanges = await partitionRanges('source', source, Array.from({ length: settings.partitions }, (_, partition) => ({ topic: backlogTopic, partition })));

    // 2. The backlog.
    progress.info(`starting strait (${config.engine.workers} worker thread(s)) on the backlog…`);
    const t0 = Date.now();
    await engine.start();
    let firstCopyAt: number | undefined;
    for (;;) {
      const flowSnap = engine.snapshot(false).flows[0];
      if (firstCopyAt === undefined && flowSnap.records > 0) firstCopyAt = Date.now();
      const left = await waitUntilReplicated(engine, backlogRanges, 0);
      if (left.records === 0) break;
      if (Date.now() - t0 > CATCH_UP_TIMEOUT_MS) throw new Error(`strait did not copy the backlog within ${CATCH_UP_TIMEOUT_MS / 60_000} minutes: ${left.records} records left`);
      progress.update(`backlog: ${(settings.records - left.records).toLocaleString('en-US')} of ${settings.records.toLocaleString('en-US')} copied`);
      await sleep(100);
    }
    const doneAt = Date.now();
    const copySeconds = (doneAt - (firstCopyAt ?? t0)) / 1000;
    // Latency histograms come with the workers' stats, once a second: wait for the last ones.
    await sleep(STATS_WAIT_MS);
    const backlogSnap = engine.snapshot(true).flows[0];
    const backlog = {
      records: settings.records,
      seconds: round(copySeconds, 2),
      recordsPerSecond: Math.round(settings.records / copySeconds),
      megabytesPerSecond: round(bytes / 1e6 / copySeconds, 1),
      wallSecondsWithStart: round((doneAt - t0) / 1000, 2),
      relayP50Ms: quantile(backlogSnap.relayLatency, 'p50'),
      relayP99Ms: quantile(backlogSnap.relayLatency, 'p99'),
    };
    progress.info(`backlog copied: ${backlog.recordsPerSecond.toLocaleString('en-US')} records/s, ${backlog.megabytesPerSecond} MB/s over ${backlog.seconds} s`);

    // 3. Fixed offered load.
    let load: Record<string, number | null> | undefined;
    if (settings.loadRate > 0) {
      progress.info(`fixed load: ${settings.loadRate.toLocaleString('en-US')} records/s of ${settings.valueBytes} B for ${settings.loadSeconds} s…`);
      const producer = new PacedProducer(source, [{ name: loadTopic, kind: 'orders', partitions: loadPartitions }], settings.loadRate, (t, seq, ts) =>
        sampleRecord(t.kind, seq, t.partitions, ts, settings.valueBytes),
      );
      await producer.start();
      await sleep(WARMUP_MS);
      engine.snapshot(true); // the latency window starts here
      const copiedBefore = engine.snapshot(false).flows[0].records;
      const windowStart = Date.now();
      await sleep(settings.loadSeconds * 1000 - WARMUP_MS);
      const windowSnap = engine.snapshot(true).flows[0];
      const windowSeconds = (Date.now() - windowStart) / 1000;
      const counts = await producer.stop();
      const loadRanges = await partitionRanges('source', source, Array.from({ length: loadPartitions }, (_, partition) => ({ topic: loadTopic, partition })));
      const left = await waitUntilReplicated(engine, loadRanges, 60_000);
      load = {
        offeredRecordsPerSecond: settings.loadRate,
        producedRecords: counts.acked,
        producerBehind: producer.skipped,
        copiedRecordsPerSecond: Math.round((windowSnap.records - copiedBefore) / windowSeconds),
        replicationP50Ms: quantile(windowSnap.recentReplicationLatency, 'p50'),
        replicationP99Ms: quantile(windowSnap.recentReplicationLatency, 'p99'),
        replicationMaxMs: quantile(windowSnap.recentReplicationLatency, 'max'),
        notCopiedAfter60s: left.records,
      };
      progress.info(`fixed load: p50 ${load.replicationP50Ms} ms, p99 ${load.replicationP99Ms} ms, max ${load.replicationMaxMs} ms`);
    }
    await engine.stop();

    const result = {
      bench: 'smoke',
      date: new Date().toISOString(),
      command: commandLine(argv),
      machine: machine(),
      node: process.version,
      librdkafka: librdkafkaVersion,
      kafka: KAFKA_VERSION,
      settings: { ...settings, workers: config.engine.workers, uvThreadpoolSize: Number(process.env['UV_THREADPOOL_SIZE'] ?? 4) },
      preload: { seconds: round(preloadSeconds, 2), recordsPerSecond: Math.round(settings.records / preloadSeconds) },
      backlog,
      ...(load ? { load } : {}),
      ...(flag(args, 'note') !== undefined ? { note: flag(args, 'note') } : {}),
    };
    const line = JSON.stringify(result);
    console.log(line);
    if (!flagBool(args, 'no-append')) {
      mkdirSync(path.dirname(RESULTS), { recursive: true });
      appendFileSync(RESULTS, `${line}\n`);
      progress.info('appended to bench/results/smoke.jsonl');
    }
  } finally {
    await engine.stop();
    // Gigabytes of benchmark data are of no use once measured.
    for (const topic of [backlogTopic, loadTopic]) {
      await sourceAdmin.deleteTopic(topic).catch(() => undefined);
      await targetAdmin.deleteTopic(remoteTopicName(flow, topic)).catch(() => undefined);
    }
    sourceAdmin.close();
    targetAdmin.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`smoke benchmark: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
