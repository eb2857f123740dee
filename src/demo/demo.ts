/**
 * `strait demo`: the whole job on a laptop, start to finish, with a proof at the end.
 *
 *  1. bring the sandbox clusters up (fetching the Kafka jars on first use);
 *  2. create fresh demo topics on the source (a run id in their names, so runs never mix);
 *  3. write sample records at a steady rate (keys, headers, tombstones, explicit timestamps);
 *  4. run the engine in this process on a flow restricted to those topics, with a status line
 *     once a second;
 *  5. on Ctrl-C or after --duration: stop the producer, wait (bounded) until strait has copied
 *     everything, stop strait in order (drain, flush, commit);
 *  6. read every partition on both clusters and compare count and digest: the verdict, and the
 *     exit code, say whether the target holds exactly the source's records, in order.
 *
 * The sandbox stays up afterwards (starting it is the slow part, and the topics can be looked at).
 */
import { randomBytes } from 'node:crypto';
import { Engine } from '../engine/engine.js';
import { startObservability, type Observability } from '../engine/observe.js';
import { KafkaAdmin } from '../kafka/admin.js';
import { RateTracker } from '../metrics/rates.js';
import { formatInteger, summarizeFlow } from '../metrics/summary.js';
import { remoteTopicName } from '../mirror/policy.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { displayPath } from '../sandbox/paths.js';
import { formatSeconds, streamProgress } from '../sandbox/progress.js';
import { log } from '../util/log.js';
import { localFlowConfig } from './config.js';
import { partitionRanges, type PartitionRange } from './digest.js';
import { PacedProducer, sleep, type PacedTopic } from './produce.js';
import { sampleRecord, topicKind } from './records.js';
import { formatDemoStatus, StatusLine, topicsView } from './status.js';
import { formatVerdict } from './verdict.js';
import { verifyReplication, type TopicPair } from './verify.js';

export interface DemoOptions {
  /** Stop by itself after this many seconds of replication; undefined: until Ctrl-C. */
  durationSeconds?: number | undefined;
  /** Records per second over all demo topics. */
  rate: number;
  topics: number;
  partitions: number;
  /** Where the sandbox settings (STRAIT_SANDBOX_DIR, ports) and STRAIT_LOG_LEVEL are read. */
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export const DEMO_DEFAULTS = { rate: 5_000, topics: 3, partitions: 4 } as const;
export const DEMO_LIMITS = { rate: 1_000_000, topics: 20, partitions: 64 } as const;

/** How long strait may take to copy what is left once the producer stopped. */
export const CATCH_UP_TIMEOUT_MS = 60_000;

/** The status line's rate: short enough to follow --rate changes and the final slow-down, long enough to be steady. */
const RATE_WINDOW_MS = 5_000;

/** `20250114-153012-1f3c`: sorts by start time, readable in a topic list, unique with the random tail. */
export function newRunId(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`;
  const time = `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${date}-${time}-${randomBytes(2).toString('hex')}`;
}

/** Resolves with the reason on the first SIGINT/SIGTERM or when the duration ends; a second signal exits at once. */
class StopSignal {
  readonly reason: Promise<string>;
  private resolve!: (reason: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private fired = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.fired) {
      process.stderr.write(`\n${signal} again: exiting now, without the catch-up and the verification\n`);
      process.exit(130);
    }
    this.fire(signal === 'SIGINT' ? 'Ctrl-C' : signal);
  };

  constructor() {
    this.reason = new Promise((r) => (this.resolve = r));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  private fire(reason: string): void {
    if (this.fired) return;
    this.fired = true;
    this.resolve(reason);
  }

  after(ms: number): void {
    this.timer = setTimeout(() => this.fire('duration reached'), ms);
  }

  get requested(): boolean {
    return this.fired;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const out = o.stdout ?? process.stdout;
  const err = o.stderr ?? process.stderr;
  const env = o.env ?? process.env;
  const progress = streamProgress(err);

  const sandbox = await Sandbox.open({ progress, env });
  const up = await sandbox.up();
  const sourceBootstrap = sandbox.bootstrapServers('source');
  const targetBootstrap = sandbox.bootstrapServers('target');
  progress.info(`sandbox ${up.started.length > 0 ? 'started' : 'already running'}: source ${sourceBootstrap}, target ${targetBootstrap} (${displayPath(sandbox.dir)})`);

  const runId = newRunId();
  const topics: PacedTopic[] = Array.from({ length: o.topics }, (_, i) => ({ name: `demo.${runId}.${topicKind(i)}`, kind: topicKind(i), partitions: o.partitions }));
  await createTopics(sourceBootstrap, topics);
  progress.info(`created ${topics.length} topic(s) with ${o.partitions} partition(s) each on source: ${topics.map((t) => t.name).join(', ')}`);

  // The status line tells what the engine's info log would; warnings and errors still show.
  if (env['STRAIT_LOG_LEVEL'] === undefined) log.level = 'warn';
  const config = localFlowConfig({ sourceBootstrap, targetBootstrap, topics: topics.map((t) => t.name), groupId: `strait-demo-${runId}` });
  const flow = config.flows[0];
  const pairs: TopicPair[] = topics.map((t) => ({ source: t.name, target: remoteTopicName(flow, t.name), partitions: t.partitions }));

  const stop = new StopSignal();
  const producer = new PacedProducer(sourceBootstrap, topics, o.rate, (t, seq, timestamp) => sampleRecord(t.kind, seq, t.partitions, timestamp));
  const engine = new Engine({ config, log, clientId: 'strait-demo' });
  const status = new StatusLine(err);
  let observe: Observability | undefined;
  let producing = false;
  try {
    await producer.start();
    producing = true;
    progress.info(`producing ${formatInteger(o.rate)} records/s; starting strait (flow ${flow.name}, group ${flow.groupId})…`);
    const started = engine.start().then(() => 'started' as const);
    const first = await Promise.race([started, stop.reason]);
    if (first !== 'started') {
      started.catch(() => undefined);
      progress.info(`stopped (${first}) before replication started: nothing to verify`);
      return 130;
    }

    const startedAt = Date.now();
    let phase: string | undefined;
    // Rates of the demo topics alone, fed with the same snapshots as the engine's own tracker.
    const rates = new RateTracker({ windowMs: RATE_WINDOW_MS });
    const demoTopics = new Set(pairs.map((p) => p.source));
    observe = await startObservability(engine, config.engine, () => {
      const snapshot = observe!.latest();
      const flows = snapshot.flows.map((f) => topicsView(f, demoTopics));
      rates.observe({ ...snapshot, flows });
      const summary = summarizeFlow(flows[0], snapshot.takenAt, rates);
      status.show(
        formatDemoStatus({
          elapsedMs: Date.now() - startedAt,
          phase,
          // Written rather than acknowledged: on a busy machine the delivery reports reach this
          // thread later than strait copies the records.
          produced: producer.counts.sent - producer.counts.failed,
          replicated: flows[0].records,
          summary,
          produceFailed: producer.counts.failed,
          behind: producer.skipped,
        }),
      );
    });
    progress.info(
      `strait is replicating ${pairs.length} topic(s) to the target as ${remoteTopicName(flow, `demo.${runId}.*`)}; ` +
        (o.durationSeconds !== undefined ? `stopping after ${o.durationSeconds} s (or Ctrl-C)` : 'Ctrl-C stops and verifies'),
    );
    if (o.durationSeconds !== undefined) stop.after(o.durationSeconds * 1000);

    const reason = await stop.reason;
    phase = 'stopping';
    const counts = await producer.stop();
    producing = false;
    status.done();
    progress.info(
      `stopped (${reason}) after ${formatSeconds(Date.now() - startedAt)}: the producer wrote ${formatInteger(counts.acked)} records` +
        (counts.failed > 0 ? ` (${formatInteger(counts.failed)} refused: ${counts.firstError ?? 'unknown error'})` : '') +
        '; waiting for strait to copy the rest…',
    );

    phase = 'catching up';
    const ranges = await partitionRanges('source', sourceBootstrap, pairs.flatMap((p) => Array.from({ length: p.partitions }, (_, partition) => ({ topic: p.source, partition }))));
    const waitStart = Date.now();
    const left = await waitUntilReplicated(engine, ranges, CATCH_UP_TIMEOUT_MS);
    status.done();
    if (left.records === 0) progress.info(`strait caught up in ${formatSeconds(Date.now() - waitStart)}`);
    else {
      progress.info(
        `strait did not catch up within ${formatSeconds(CATCH_UP_TIMEOUT_MS)}: ${formatInteger(left.records)} record(s) in ${left.partitions} partition(s) not copied yet. ` +
          'The machine may be too slow for this --rate (try a lower one), or a partition stopped on an error (see the log above). Verifying what is there.',
      );
    }

    // Before the stop, which hands the partitions (and their counts) back.
    const counted = left.records === 0 ? engine.snapshot(false).flows.reduce((a, f) => a + topicsView(f, demoTopics).records, 0) : undefined;
    progress.info('stopping strait in order (drain, flush, commit)…');
    await observe.close();
    observe = undefined;
    await engine.stop();

    const partitionCount = pairs.reduce((a, p) => a + p.partitions, 0);
    progress.info(`verifying: reading ${partitionCount} partition(s) on both clusters…`);
    const comparisons = await verifyReplication({ alias: 'source', bootstrap: sourceBootstrap }, { alias: 'target', bootstrap: targetBootstrap }, pairs);
    const verdict = formatVerdict(comparisons);
    for (const line of verdict.lines) out.write(`${line}\n`);
    // The data is what counts; a mismatch here means strait's own progress figures are off.
    const copied = comparisons.reduce((a, c) => a + c.targetCount, 0);
    if (counted !== undefined && counted !== copied) progress.info(`note: strait's metrics count ${formatInteger(counted)} records copied, the target holds ${formatInteger(copied)}`);
    return verdict.ok ? 0 : 1;
  } finally {
    status.done();
    stop.dispose();
    if (producing) await producer.stop(5_000).catch(() => undefined);
    await observe?.close();
    await engine.stop();
    progress.info(`the sandbox keeps running (demo topics: demo.${runId}.*); stop it with: strait sandbox down`);
  }
}

async function createTopics(bootstrap: string, topics: readonly PacedTopic[]): Promise<void> {
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': bootstrap });
  try {
    for (const t of topics) await admin.createTopic(t.name, t.partitions, 1);
  } finally {
    admin.close();
  }
}

/**
 * Waits until the engine reports every source record below each partition's end as acknowledged
 * by the target, or the timeout passes. Returns what is left (zeros when caught up).
 */
export async function waitUntilReplicated(engine: Engine, ranges: readonly PartitionRange[], timeoutMs: number): Promise<{ records: number; partitions: number }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const replicated = new Map<string, number>();
    for (const f of engine.snapshot(false).flows) for (const p of f.partitions) replicated.set(`${p.topic}\u0000${p.partition}`, p.replicatedOffset);
    let records = 0;
    let partitions = 0;
    for (const r of ranges) {
      if (r.end <= r.start) continue;
      const at = Math.max(r.start, replicated.get(`${r.topic}\u0000${r.partition}`) ?? r.start);
      if (at < r.end) {
        records += r.end - at;
        partitions++;
      }
    }
    if (records === 0 || Date.now() >= until) return { records, partitions };
    await sleep(250);
  }
}
