/**
 * Many partitions in one strait process: how long until every partition has replicated its first
 * record, and how much memory the process holds at a steady load across all of them.
 *
 *   npm run bench:scale -- [--topics 100] [--partitions 100] [--records 5] [--rate 5000]
 *       [--steady 120] [--workers N] [--port 30800] [--note TEXT] [--set engine.x=v ...]
 *       [--cold] [--cpu-prof DIR]
 *
 * 1. Starts its own pair of single-node clusters (ports --port and --port+2, with their
 *    controllers one above each) in a temporary folder, and creates --topics topics of
 *    --partitions partitions on the source and (unless --cold) the remote topics on the target,
 *    waiting until each broker serves every partition (a broker takes minutes to bring up
 *    10,000 new partitions on this machine; with --cold that time is in strait's start-up).
 * 2. Writes --records records to every source partition (the backlog strait starts with).
 * 3. Starts `strait run` (one process, at-least-once, the default configuration plus --workers
 *    and --set) and polls the target's end offsets of every remote partition each second: the
 *    start-up time is the time from spawning the process to the last partition's first record
 *    on the target; the catch-up time, to every partition holding the whole backlog.
 * 4. A steady load: --rate records/s spread evenly over all partitions for --steady seconds,
 *    while the process's RSS and CPU are sampled (/proc, 4 times a second). The RSS reported is
 *    the median and the maximum over the second half of the load (memory that is still growing
 *    at the end shows as a gap between the halves), with the peak (VmHWM) of the whole life.
 * 5. Waits until the target holds every record written (compares every partition's end offset
 *    with the source's: a record lost fails the run), stops strait (SIGTERM) and the clusters,
 *    prints the table and appends one JSON line to bench/results/scale.jsonl (command, machine,
 *    date, settings, figures). bench/README.md ("Many partitions") keeps them.
 */
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, flagBool, parseArgs, type FlagSpecs } from '../src/cli/args.js';
import { rdkafka, type RdError, type RdProducer } from '../src/kafka/binding.js';
import { KafkaAdmin } from '../src/kafka/admin.js';
import { Sandbox } from '../src/sandbox/sandbox.js';
import { silentProgress } from '../src/sandbox/progress.js';
import { ReplicatorProcess, describeExit } from '../src/bench/replicator.js';
import { STRAIT_CLI, STRAIT_READY } from '../src/bench/strait-runner.js';
import type { ProcSample } from '../src/bench/procstat.js';
import { median } from '../src/bench/results.js';
import { alignColumns } from '../src/cli/table.js';
import { sleep } from '../src/demo/produce.js';
import { machine, positiveInt } from './smoke.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/scale.jsonl', import.meta.url));
const PREFIX = 'scale.t';
const VALUE = Buffer.alloc(200, 'v');

const SPECS: FlagSpecs = {
  topics: { value: true, description: 'source topics (default 100)' },
  partitions: { value: true, description: 'partitions per topic (default 100)' },
  records: { value: true, description: 'records written to every partition before strait starts (default 5)' },
  rate: { value: true, description: 'records/s of the steady load, over all partitions (default 5000)' },
  steady: { value: true, description: 'seconds of steady load (default 120)' },
  workers: { value: true, description: "strait's engine.workers (default: strait's own default)" },
  port: { value: true, description: 'source port; the target takes port+2 (default 30800)' },
  set: { value: true, repeat: true, description: 'a strait setting as path=value, e.g. --set clusters.source.consumer.queued.max.messages.kbytes=1024' },
  note: { value: true, description: 'a remark stored with the results' },
  cold: { value: false, description: 'let strait create the remote topics (the start-up then includes the target broker bringing them up)' },
  'cpu-prof': { value: true, description: "write V8 CPU profiles of strait's threads into this folder (node --cpu-prof)" },
};

const MiB = 1024 * 1024;


/** `a.b.c=v` into the document (numbers and booleans as such). */
function applySetting(doc: Record<string, unknown>, setting: string): void {
  const eq = setting.indexOf('=');
  if (eq <= 0) throw new Error(`--set "${setting}": write it as path=value, e.g. engine.workers=2`);
  const keys = setting.slice(0, eq).split('.');
  const raw = setting.slice(eq + 1);
  const value: unknown = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  // librdkafka property names contain dots: everything after clusters.<name>.<consumer|producer> is one key.
  const clientAt = keys[0] === 'clusters' && (keys[2] === 'consumer' || keys[2] === 'producer') ? 3 : keys.length - 1;
  let node = doc;
  for (const k of keys.slice(0, clientAt)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys.slice(clientAt).join('.')] = value;
}

interface Partition {
  topic: string;
  partition: number;
}

/**
 * Connects a producer for the backlog and the steady load. Its delivery reports are counted: a
 * record the source refused (e.g. a topic created a moment ago, not known to the broker yet)
 * would leave a partition short and the run meaningless.
 */
async function connectProducer(bootstrap: string): Promise<{ producer: RdProducer; failures: { count: number; last: string } }> {
  const p = new rdkafka.Producer({ 'bootstrap.servers': bootstrap, 'linger.ms': 20, 'enable.idempotence': true, 'queue.buffering.max.messages': 1_000_000, dr_cb: true });
  const failures = { count: 0, last: '' };
  p.on('delivery-report', (err: RdError | null) => {
    if (!err) return;
    failures.count++;
    failures.last = err.message;
  });
  await new Promise<void>((resolve, reject) => p.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  p.setPollInterval(50);
  return { producer: p, failures };
}

function flush(p: RdProducer): Promise<void> {
  return new Promise((resolve, reject) => p.flush(300_000, (err: RdError | null) => (err ? reject(new Error(`flushing the load producer (5 minutes): ${err.message}; the source broker could not take the load`)) : resolve())));
}

/**
 * End offsets of `parts` on a cluster, keyed `topic/partition`, one request per topic, ten at a
 * time. A topic whose request fails (a remote topic not created, or not known to the broker yet)
 * is left out: its partitions count as empty.
 */
async function endOffsets(admin: KafkaAdmin, parts: Partition[]): Promise<{ ends: Map<string, number>; failedTopics: number }> {
  const byTopic = new Map<string, Partition[]>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  const out = new Map<string, number>();
  let failedTopics = 0;
  const topics = [...byTopic.values()];
  for (let i = 0; i < topics.length; i += 10) {
    await Promise.all(
      topics.slice(i, i + 10).map(async (list) => {
        try {
          for (const o of await admin.listOffsets(list, 'latest')) out.set(`${o.topic}/${o.partition}`, o.offset);
        } catch {
          failedTopics++;
        }
      }),
    );
  }
  return { ends: out, failedTopics };
}

/**
 * Creates `names` on a cluster and waits until its broker serves every partition (ListOffsets
 * answers for all of them): a broker takes a while to bring up thousands of new partitions, and
 * records produced meanwhile fail with "unknown topic or partition". Returns the seconds taken.
 */
async function createServed(cluster: string, bootstrap: string, names: string[], partitions: number): Promise<number> {
  const started = Date.now();
  const creator = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
  try {
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(names.slice(i, i + 10).map((t) => creator.createTopic(t, partitions, 1)));
      status(`creating ${cluster} topics: ${Math.min(i + 10, names.length)}/${names.length}`);
    }
  } finally {
    creator.close();
  }
  const parts = names.flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  for (;;) {
    // A fresh client each time: one whose metadata predates the topics keeps failing on them.
    const admin = new KafkaAdmin(cluster, { 'bootstrap.servers': bootstrap });
    const { failedTopics } = await endOffsets(admin, parts).finally(() => admin.close());
    if (failedTopics === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > 5 * 60_000) throw new Error(`${failedTopics} ${cluster} topic(s) still not served 5 minutes after they were created`);
    status(`waiting for the ${cluster} broker to serve every new topic: ${failedTopics} of ${names.length} not yet`);
    await sleep(1000);
  }
}

function status(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else process.stderr.write(`${line}\n`);
}

function rssFigures(samples: readonly ProcSample[], from: number, to: number): { medianMiB: number; maxMiB: number; firstHalfMedianMiB: number } {
  const inRange = samples.filter((s) => s.t >= from && s.t <= to);
  const mid = from + (to - from) / 2;
  const first = inRange.filter((s) => s.t < mid).map((s) => s.rssBytes / MiB);
  const second = inRange.filter((s) => s.t >= mid).map((s) => s.rssBytes / MiB);
  return { medianMiB: median(second), maxMiB: Math.max(...second), firstHalfMedianMiB: median(first) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), SPECS);
  const topics = positiveInt(flag(args, 'topics'), 'topics', 100, 1);
  const partitions = positiveInt(flag(args, 'partitions'), 'partitions', 100, 1);
  const records = positiveInt(flag(args, 'records'), 'records', 5, 1);
  const rate = positiveInt(flag(args, 'rate'), 'rate', 5000, 1);
  const steadySec = positiveInt(flag(args, 'steady'), 'steady', 120, 10);
  const workersFlag = flag(args, 'workers');
  const workers = workersFlag === undefined ? undefined : positiveInt(workersFlag, 'workers', 1, 1);
  const port = positiveInt(flag(args, 'port'), 'port', 30800, 1024);
  const sets = args.flags.get('set') ?? [];
  const cpuProf = flag(args, 'cpu-prof');
  const cold = flagBool(args, 'cold');
  const total = topics * partitions;

  const dir = await mkdtemp(path.join(tmpdir(), 'strait-scale-'));
  // 10,000 partitions per broker: a larger heap than the sandbox's 512 MiB, and segments that
  // preallocate small index files (10 MiB each by default, mapped: 20,000 of them).
  const broker = { heap: '2g', properties: { 'segment.index.bytes': '1048576', 'num.io.threads': '4' } };
  const sandbox = await Sandbox.open({ dir, sourcePort: port, targetPort: port + 2, progress: silentProgress, clusters: { source: broker, target: broker } });
  let strait: ReplicatorProcess | undefined;
  try {
    status(`starting two clusters on ${port} and ${port + 2}…`);
    await sandbox.up();
    const source = sandbox.bootstrapServers('source');
    const target = sandbox.bootstrapServers('target');
    const names = Array.from({ length: topics }, (_, i) => `${PREFIX}${String(i).padStart(3, '0')}`);
    const sourceParts: Partition[] = names.flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
    const remoteParts: Partition[] = sourceParts.map((p) => ({ topic: `source.${p.topic}`, partition: p.partition }));
    const createSec = await createServed('source', source, names, partitions);
    // Unless --cold: the remote topics exist and are served before strait starts, as on a target
    // that strait (or MM2) has replicated to before. With --cold strait creates them, and the
    // start-up includes the target broker bringing up every new partition.
    const targetCreateSec = cold ? undefined : await createServed('target', target, names.map((n) => `source.${n}`), partitions);
    const sourceAdmin = new KafkaAdmin('source', { 'bootstrap.servers': source });
    // Replaced after a failed poll: an admin client whose metadata predates the remote topics may
    // keep failing on them ("unknown topic") until its metadata is refreshed.
    let targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': target });
    const { producer, failures } = await connectProducer(source);
    const checkDeliveries = (what: string): void => {
      if (failures.count > 0) throw new Error(`${failures.count} record(s) of the ${what} were not delivered to the source (last error: ${failures.last})`);
    };
    let seq = 0;
    const produceTo = (p: Partition): void => {
      for (;;) {
        try {
          producer.produce(p.topic, p.partition, VALUE, Buffer.from(`k${seq}`), Date.now());
          seq++;
          return;
        } catch {
          producer.poll(); // queue full: let deliveries drain
        }
      }
    };
    for (let r = 0; r < records; r++) for (const p of sourceParts) produceTo(p);
    await flush(producer);
    checkDeliveries('backlog');
    status(`backlog: ${seq} records in ${total} partitions`);

    // strait's configuration: the defaults, the flow of all the scale topics, metrics off.
    const doc: Record<string, unknown> = {
      clusters: { source: { 'bootstrap.servers': source }, target: { 'bootstrap.servers': target } },
      flows: [{ source: 'source', target: 'target', topics: { include: ['scale\\.t\\d+'] }, groupId: 'scale-strait' }],
      engine: { metrics: { enabled: false }, ...(workers !== undefined ? { workers } : {}) },
    };
    for (const s of sets) applySetting(doc, s);
    const configFile = path.join(dir, 'strait.yaml');
    await writeFile(configFile, `${JSON.stringify(doc, null, 2)}\n`);
    strait = new ReplicatorProcess({
      name: 'strait',
      command: process.execPath,
      args: [...(cpuProf === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(cpuProf)]), STRAIT_CLI, 'run', '--config', configFile],
      env: { ...process.env, STRAIT_LOG_PRETTY: '0' },
      cwd: dir,
      outputFile: path.join(dir, 'strait.log'),
      ready: STRAIT_READY,
    });
    const spawned = strait.startedAt;
    const readyAt = await strait.waitReady(300_000);

    // Start-up: poll the target until every remote partition has a record, then all of the backlog.
    let firstAllAt: number | undefined;
    let caughtUpAt: number | undefined;
    const firstSeries: { sec: number; partitions: number }[] = [];
    const deadline = Date.now() + 15 * 60_000;
    while (caughtUpAt === undefined) {
      if (!strait.running) throw new Error(`strait exited (${describeExit(await strait.exited)}) during start-up:\n${strait.tail()}`);
      if (Date.now() > deadline) throw new Error(`the backlog was not replicated within 15 minutes:\n${strait.tail()}`);
      const { ends, failedTopics } = await endOffsets(targetAdmin, remoteParts);
      if (failedTopics > 0) {
        targetAdmin.close();
        targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': target });
      }
      const withRecord = [...ends.values()].filter((o) => o > 0).length;
      const complete = [...ends.values()].filter((o) => o >= records).length;
      const sec = (Date.now() - spawned) / 1000;
      firstSeries.push({ sec, partitions: withRecord });
      if (firstAllAt === undefined && withRecord === total) firstAllAt = Date.now();
      if (complete === total) caughtUpAt = Date.now();
      status(`${sec.toFixed(0)} s: ${withRecord}/${total} partitions have their first record on the target, ${complete} the whole backlog`);
      if (caughtUpAt === undefined) await sleep(1000);
    }

    // Steady load, evenly over the partitions, paced every 100 ms.
    const steadyStart = Date.now();
    const steadyEnd = steadyStart + steadySec * 1000;
    let next = 0;
    let sent = 0;
    while (Date.now() < steadyEnd) {
      const due = Math.floor(((Date.now() - steadyStart) / 1000) * rate);
      while (sent < due) {
        produceTo(sourceParts[next]);
        next = (next + 1) % sourceParts.length;
        sent++;
      }
      const last = strait.sampler.samples.at(-1);
      status(`steady load: ${Math.round((Date.now() - steadyStart) / 1000)}/${steadySec} s, ${sent} records, rss ${last ? (last.rssBytes / MiB).toFixed(0) : '?'} MiB`);
      if (!strait.running) throw new Error(`strait exited (${describeExit(await strait.exited)}) under the steady load:\n${strait.tail()}`);
      await sleep(100);
    }
    await flush(producer);
    checkDeliveries('steady load');
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));

    // Everything written must arrive: every partition's end offset equal on both sides.
    const { ends: sourceEnds, failedTopics: sourceFailed } = await endOffsets(sourceAdmin, sourceParts);
    if (sourceFailed > 0) throw new Error(`reading the end offsets of ${sourceFailed} source topic(s) failed`);
    const drainDeadline = Date.now() + 5 * 60_000;
    let behind = total;
    for (;;) {
      const { ends: targetEnds } = await endOffsets(targetAdmin, remoteParts);
      behind = sourceParts.filter((p) => (targetEnds.get(`source.${p.topic}/${p.partition}`) ?? 0) < sourceEnds.get(`${p.topic}/${p.partition}`)!).length;
      const over = sourceParts.filter((p) => (targetEnds.get(`source.${p.topic}/${p.partition}`) ?? 0) > sourceEnds.get(`${p.topic}/${p.partition}`)!).length;
      if (behind === 0) {
        if (over > 0) status(`${over} partitions hold more records on the target than on the source (at-least-once duplicates)`);
        break;
      }
      if (Date.now() > drainDeadline) throw new Error(`${behind} of ${total} partitions still miss records on the target 5 minutes after the load ended`);
      status(`after the load: ${behind} partitions still catching up`);
      await sleep(1000);
    }
    const lastSample = strait.sampler.sampleNow();
    const { samples, exit, killed } = await strait.stop();
    strait = undefined;
    sourceAdmin.close();
    targetAdmin.close();

    const rss = rssFigures(samples, steadyStart, steadyEnd);
    const cpuAtTime = (t: number): number => samples.find((s) => s.t >= t)?.cpuSec ?? samples.at(-1)!.cpuSec;
    const steadyCores = (cpuAtTime(steadyEnd) - cpuAtTime(steadyStart)) / steadySec;
    const result = {
      date: new Date().toISOString(),
      command: `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      node: process.version,
      topics,
      partitions,
      totalPartitions: total,
      backlogRecords: records * total,
      settings: { workers: workers ?? 'default', set: sets },
      startup: {
        cold,
        topicCreationSec: createSec,
        remoteTopicCreationSec: targetCreateSec,
        readySec: (readyAt - spawned) / 1000,
        firstRecordEveryPartitionSec: firstAllAt === undefined ? undefined : (firstAllAt - spawned) / 1000,
        backlogReplicatedSec: (caughtUpAt - spawned) / 1000,
        series: firstSeries.filter((_, i) => i % 2 === 0).map((s) => [Math.round(s.sec), s.partitions]),
      },
      steady: { recordsPerSec: rate, seconds: steadySec, records: sent, rssMedianMiB: rss.medianMiB, rssMaxMiB: rss.maxMiB, rssFirstHalfMedianMiB: rss.firstHalfMedianMiB, cores: steadyCores },
      peakRssMiB: (lastSample?.hwmBytes ?? 0) / MiB,
      exit: { ...exit, killed },
      note: flag(args, 'note'),
    };
    appendFileSync(RESULTS, `${JSON.stringify(result)}\n`);
    process.stderr.write('\n');
    const rows = [
      ['partitions', `${total} (${topics} topics x ${partitions})`],
      ['topic creation', `source ${createSec.toFixed(1)} s, target ${targetCreateSec === undefined ? 'by strait (--cold)' : `${targetCreateSec.toFixed(1)} s`} (until the broker serves every partition)`],
      ['ready (log line)', `${result.startup.readySec.toFixed(1)} s`],
      ['first record on every partition', `${result.startup.firstRecordEveryPartitionSec?.toFixed(1)} s after spawn`],
      ['whole backlog', `${result.startup.backlogReplicatedSec.toFixed(1)} s (${records * total} records)`],
      ['steady RSS', `median ${rss.medianMiB.toFixed(0)} MiB, max ${rss.maxMiB.toFixed(0)} MiB (first half ${rss.firstHalfMedianMiB.toFixed(0)} MiB) at ${rate} records/s`],
      ['steady CPU', `${steadyCores.toFixed(2)} cores`],
      ['peak RSS (VmHWM)', `${result.peakRssMiB.toFixed(0)} MiB`],
      ['stop', `${describeExit(exit)}${killed ? ' (killed after the grace period)' : ''}`],
    ];
    console.log(alignColumns(rows).join('\n'));
    console.log(`appended to ${path.relative(process.cwd(), RESULTS)}`);
  } finally {
    if (strait) await strait.stop(5_000);
    await sandbox.down().catch((err: unknown) => console.error('stopping the clusters failed:', err));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:scale failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
