/**
 * Chaos: strait replicates while its links, the target broker and its own process are broken, and
 * a verifier of the test's own (test/helpers/verifier.ts) counts every record on the target by
 * its sequence number: nothing may be lost, and duplicates stay within what the mode promises
 * (README, "What each mode promises"): none in exactly-once (read_committed), a bounded number in
 * at-least-once.
 *
 * Runs on its own pair of clusters (ports 30700-30703, or STRAIT_TEST_CHAOS_PORT and the ones
 * above it). Each broker has a second listener (port +4 / +5) advertised at a fault proxy's
 * address (+10 / +11, test/helpers/fault-proxy.ts): strait bootstraps through the proxies and,
 * since Kafka clients reconnect to the advertised address, every byte it exchanges with either
 * cluster crosses them. The test's own producer and verifier use the plain listeners directly.
 *
 * Scenarios:
 *  - both links cut for 30 s under load, then healed: connections reset and refused
 *    (at-least-once), or black-holed (exactly-once);
 *  - latency 40 ms + jitter 0-40 ms on both links (at-least-once);
 *  - the target broker killed with SIGKILL under load and started again (at-least-once,
 *    exactly-once);
 *  - exactly-once: strait frozen with SIGSTOP longer than its group session timeout; a second
 *    process takes over; the first is resumed and must not write anything twice;
 *  - a record larger than the target topic's max.message.bytes (exactly-once) and one larger than
 *    the target producer's message.max.bytes (at-least-once): the partition stops with an error
 *    naming topic, partition, offset and the setting, counted in strait_records_failed_total and
 *    shown in /status, and is not retried in a loop.
 *
 * Runs on a 2-core machine, the file alone (`node --test dist/test/integration/chaos.test.js`):
 *  - 2026-12-07, before the fixes below: 3 repetitions, 1 passed 8/8; the others failed the cuts
 *    (a revoke that timed out freed a slot the worker still held: "slot 2 is already in use",
 *    the worker ended and nothing was copied after the heal) and exactly-once record-too-large
 *    (the transaction waited for records librdkafka does not send after a refusal, until it
 *    timed out and the producer was fenced).
 *  - 2026-12-07, one repetition with the slot fix: 6/8; exactly-once blackhole cut with 15,000
 *    duplicates (a transaction that waited for acknowledgements across the cut was committed
 *    although its assignment was lost meanwhile) and record-too-large as above. Both fixed
 *    (src/worker/transactions.ts), with unit tests.
 *  - 2026-12-07, with those fixes: 1 repetition, 8/8 in 224 s; the at-least-once cut sent all
 *    80,000 records twice (the partitions, lost after the heal, restarted at the old commit).
 *    Fixed: they resume after the last acknowledged record (src/coordinator/flow.ts).
 *  - 2026-12-07, with that fix too: 3 repetitions, 3 passed 8/8 (249 s, 265 s, 264 s); 0 lost
 *    and 0 duplicates in every scenario, the at-least-once cut included.
 *  - 2026-12-07, the scenarios alone (a fresh target, no remote heartbeats topic yet): the
 *    exactly-once record-too-large case failed 3 of 3 (a heartbeat sent into the just-created
 *    remote heartbeats topic in a transaction got the producer fenced) and records stuck behind
 *    the refused one held the abort until the transaction timed out. Fixed (exactly-once waits
 *    until created topics are served; records time out at half transaction.timeout.ms): 3 of 3
 *    passed alone.
 *  - 2026-12-07, final code, in a run of every integration file: 8/8 in 285 s.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sandbox } from '../../src/sandbox/sandbox.js';
import { streamProgress } from '../../src/sandbox/progress.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { rdkafka, type RdError } from '../../src/kafka/binding.js';
import { uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { metricsUrl, sample, scrape } from '../helpers/metrics-scrape.js';
import { waitForCatchUp } from '../helpers/replication.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { describeTally, tallyTarget } from '../helpers/verifier.js';

const PORT = Number(process.env.STRAIT_TEST_CHAOS_PORT ?? 30700);
const PORTS = {
  source: PORT,
  target: PORT + 2,
  sourceListener: PORT + 4,
  targetListener: PORT + 5,
  sourceProxy: PORT + 10,
  targetProxy: PORT + 11,
  metrics: PORT + 20,
};
const PARTITIONS = 4;
const WORKERS = 2;
const MAX_IN_FLIGHT = 20_000;
const COMMIT_INTERVAL_MS = 500;
const CUT_MS = 30_000;

/** The broker's extra listener, advertised at its proxy (as wanListener in src/bench/harness.ts). */
function chaosListener(port: number, listener: number, proxy: number) {
  return {
    listeners: [{ name: 'CHAOS', port: listener, protocol: 'PLAINTEXT' as const }],
    properties: {
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1},CHAOS://127.0.0.1:${proxy}`,
      // Transactions a frozen process left open are aborted soon after transaction.timeout.ms.
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000,
    },
  };
}

const root = await mkdtemp(path.join(tmpdir(), 'strait-chaos-it-'));
const sandbox = await Sandbox.open({
  dir: root,
  sourcePort: PORTS.source,
  targetPort: PORTS.target,
  progress: streamProgress(process.stderr),
  clusters: {
    source: chaosListener(PORTS.source, PORTS.sourceListener, PORTS.sourceProxy),
    target: chaosListener(PORTS.target, PORTS.targetListener, PORTS.targetProxy),
  },
});
const source = `127.0.0.1:${PORTS.source}`;
const target = `127.0.0.1:${PORTS.target}`;
let sourceProxy: FaultProxy;
let targetProxy: FaultProxy;

before(async () => {
  await sandbox.up();
  sourceProxy = await FaultProxy.start({ port: PORTS.sourceProxy, upstreamPort: PORTS.sourceListener });
  targetProxy = await FaultProxy.start({ port: PORTS.targetProxy, upstreamPort: PORTS.targetListener });
});
after(async () => {
  await sourceProxy?.close();
  await targetProxy?.close();
  await sandbox.down().catch((err: unknown) => console.error('sandbox down failed:', err));
  await rm(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = 'at-least-once' | 'exactly-once' | 'offset-preserving';

interface Flow {
  topic: string;
  groupId: string;
  config: (instanceId?: string, extra?: { metricsPort?: number; targetProducer?: Record<string, unknown>; flow?: Record<string, unknown> }) => string;
}

/** A fresh source topic, and configs of a flow that reaches both clusters through the proxies. */
async function newFlow(name: string, mode: Mode, topicConfig: Record<string, string> = {}): Promise<Flow> {
  const topic = uniqueName(name);
  const groupId = `${topic}-group`;
  const admin = new KafkaAdmin('source', { 'bootstrap.servers': source });
  try {
    await admin.createTopic(topic, PARTITIONS, 1, topicConfig);
  } finally {
    admin.close();
  }
  return {
    topic,
    groupId,
    config: (instanceId = 'chaos', extra = {}) =>
      writeConfig(sourceProxy.address, targetProxy.address, {
        include: [topic],
        groupId,
        workers: WORKERS,
        ...(extra.metricsPort === undefined ? {} : { metricsPort: extra.metricsPort }),
        extraFlow: { mode, ...(mode === 'exactly-once' ? { transactionInterval: '300ms' } : {}), ...(extra.flow ?? {}) },
        engine: { instanceId, maxInFlightRecordsPerWorker: MAX_IN_FLIGHT, commitInterval: `${COMMIT_INTERVAL_MS}ms` },
        // Longer than the 30 s cut: a transaction open across it is not aborted (and its producer
        // fenced) by the broker's transaction coordinator.
        targetProperties: { producer: { 'transaction.timeout.ms': 60_000, ...(extra.targetProducer ?? {}) } },
      }),
  };
}

/** Produces records [from, from+count) spread over `durationMs`, in slices: load during a fault. */
async function produceSteadily(topic: string, from: number, count: number, durationMs: number): Promise<void> {
  const slices = Math.max(1, Math.round(durationMs / 500));
  const per = Math.ceil(count / slices);
  const started = Date.now();
  for (let k = 0; k < slices; k++) {
    const n = Math.min(per, count - k * per);
    if (n <= 0) break;
    await produceRecords(source, topic, PARTITIONS, from + k * per, n, topic);
    const due = started + ((k + 1) * durationMs) / slices;
    if (due > Date.now()) await sleep(due - Date.now());
  }
}

/**
 * After a fault, at-least-once may send again what was acknowledged after its last commit: at
 * most what is in flight plus a commit interval's worth (README). Generous on the throughput.
 */
const ALO_DUPLICATE_BOUND = WORKERS * MAX_IN_FLIGHT + (COMMIT_INTERVAL_MS / 1000) * 100_000;

/**
 * A partition the group took away from a live process and handed back to it (a cut longer than
 * the session timeout) resumes after the last record the target acknowledged (README): only
 * what was in flight then may be sent again.
 */
const ALO_DUPLICATE_BOUND_REASSIGNED = WORKERS * MAX_IN_FLIGHT;

async function finish(t: { diagnostic: (s: string) => void }, flow: Flow, strait: StraitProcess[], total: number, mode: Mode, what: string, duplicateBound = ALO_DUPLICATE_BOUND): Promise<void> {
  const pairs = [{ source: flow.topic, target: `source.${flow.topic}`, partitions: PARTITIONS }];
  await waitForCatchUp(source, target, pairs, 120_000, flow.groupId);
  for (const p of strait) p.kill('SIGTERM');
  for (const p of strait) assert.equal((await p.exited).code, 0, `strait stops cleanly after ${what}:\n${p.tail()}`);
  const tally = await tallyTarget(target, `source.${flow.topic}`, PARTITIONS, total);
  t.diagnostic(`${mode}, ${what}: ${describeTally(tally)}`);
  assert.equal(tally.lost, 0, describeTally(tally));
  assert.deepEqual(tally.outOfOrder, [], describeTally(tally));
  if (mode === 'at-least-once') assert.ok(tally.duplicates <= duplicateBound, `${tally.duplicates} duplicates, more than at-least-once allows (${duplicateBound})`);
  else assert.equal(tally.duplicates, 0, describeTally(tally));
  assert.equal(tally.read - tally.duplicates, total);
}

async function start(config: string, t: { after: (f: () => void) => void }): Promise<StraitProcess> {
  const p = new StraitProcess(config);
  t.after(() => {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  });
  await p.waitForLog(/assigned \d+ partition/);
  return p;
}

for (const [mode, style] of [
  ['at-least-once', 'reset'],
  ['exactly-once', 'blackhole'],
] as const) {
  void test(`${mode}: both links cut (${style}) for 30 s under load, then healed: nothing lost`, { timeout: 4 * 60_000 }, async (t) => {
    const flow = await newFlow(`cut-${mode}`, mode);
    const strait = await start(flow.config(), t);
    await produceRecords(source, flow.topic, PARTITIONS, 0, 20_000, flow.topic);
    const cutAt = Date.now();
    sourceProxy.cut(style, CUT_MS);
    targetProxy.cut(style, CUT_MS);
    // Records keep arriving at the source while strait cannot reach either cluster.
    await produceSteadily(flow.topic, 20_000, 40_000, CUT_MS - 2_000);
    while (sourceProxy.isCut || targetProxy.isCut) await sleep(100);
    t.diagnostic(`links healed after ${Date.now() - cutAt} ms`);
    await produceRecords(source, flow.topic, PARTITIONS, 60_000, 20_000, flow.topic);
    await finish(t, flow, [strait], 80_000, mode, `a ${CUT_MS / 1000} s ${style} cut`, ALO_DUPLICATE_BOUND_REASSIGNED);
  });
}

void test('at-least-once: 40 ms latency with 0-40 ms jitter on both links: nothing lost, nothing reordered', { timeout: 3 * 60_000 }, async (t) => {
  const flow = await newFlow('latency', 'at-least-once');
  sourceProxy.latency(40, 40);
  targetProxy.latency(40, 40);
  t.after(() => {
    sourceProxy.latency(0);
    targetProxy.latency(0);
  });
  const strait = await start(flow.config(), t);
  await produceSteadily(flow.topic, 0, 60_000, 10_000);
  await finish(t, flow, [strait], 60_000, 'at-least-once', 'latency and jitter');
});

for (const mode of ['at-least-once', 'exactly-once'] as const) {
  void test(`${mode}: the target broker killed with SIGKILL under load and started again: nothing lost`, { timeout: 4 * 60_000 }, async (t) => {
    const flow = await newFlow(`kill-${mode}`, mode);
    const strait = await start(flow.config(), t);
    const producing = produceSteadily(flow.topic, 0, 60_000, 12_000);
    await sleep(3_000);
    assert.equal(await sandbox.kill('target'), true, 'the target broker was running');
    const killedAt = Date.now();
    await sleep(3_000);
    await sandbox.up();
    t.diagnostic(`target broker down for ${Date.now() - killedAt} ms`);
    await producing;
    await produceRecords(source, flow.topic, PARTITIONS, 60_000, 20_000, flow.topic);
    await finish(t, flow, [strait], 80_000, mode, 'SIGKILL of the target broker');
  });
}

void test('exactly-once: strait frozen (SIGSTOP) past its group session timeout, a second process takes over, the first is resumed: nothing written twice', { timeout: 4 * 60_000 }, async (t) => {
  const flow = await newFlow('freeze', 'exactly-once');
  // The producer's default transaction timeout (60 s) outlives the freeze: the broker does not
  // abort the frozen process's open transaction for it, strait itself must not commit it.
  const first = await start(flow.config('first', { targetProducer: { 'transaction.timeout.ms': 60_000 } }), t);
  const producing = produceSteadily(flow.topic, 0, 60_000, 20_000);
  await sleep(4_000);
  first.kill('SIGSTOP');
  const frozenAt = Date.now();
  // The second process gets the partitions once the first one's session (10 s) has expired.
  const second = await start(flow.config('second', { targetProducer: { 'transaction.timeout.ms': 60_000 } }), t);
  t.diagnostic(`second process assigned ${Date.now() - frozenAt} ms after the freeze`);
  await sleep(5_000);
  first.kill('SIGCONT');
  t.diagnostic(`first process resumed after ${Date.now() - frozenAt} ms`);
  await producing;
  await produceRecords(source, flow.topic, PARTITIONS, 60_000, 20_000, flow.topic);
  const pairs = [{ source: flow.topic, target: `source.${flow.topic}`, partitions: PARTITIONS }];
  await waitForCatchUp(source, target, pairs, 120_000, flow.groupId);
  // The first process may go on (with no partitions) or stop (its producers fenced); it must not
  // have written anything once resumed, which the count below checks.
  first.kill('SIGTERM');
  const firstExit = await first.exited;
  t.diagnostic(`the resumed process exited with ${firstExit.code ?? firstExit.signal}`);
  const resumedLog = first.log().split('\n').filter((l) => /revoked|lost|fenced|"level":(40|50)/.test(l));
  t.diagnostic(`the resumed process logged:\n${resumedLog.slice(0, 12).join('\n')}`);
  await finish(t, flow, [second], 80_000, 'exactly-once', 'a freeze past the session timeout and a takeover');
});

/** Produces one record of `size` incompressible bytes to `partition` (after what is there). */
async function produceBig(topic: string, partition: number, size: number): Promise<void> {
  const producer = new rdkafka.Producer({ 'bootstrap.servers': source, 'message.max.bytes': 10_000_000, dr_cb: true });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  try {
    producer.produce(topic, partition, randomBytes(size), Buffer.from('big'), Date.now());
    await new Promise<void>((resolve) => producer.flush(10_000, () => resolve()));
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

for (const [mode, limit] of [
  ['exactly-once', 'topic'],
  ['at-least-once', 'producer'],
] as const) {
  const what = limit === 'topic' ? "the target topic's max.message.bytes" : "the target producer's message.max.bytes";
  void test(`${mode}: a record larger than ${what} stops its partition with an error naming it, once; the others go on`, { timeout: 3 * 60_000 }, async (t) => {
    const flow = await newFlow(`big-${mode}`, mode, limit === 'producer' ? { 'max.message.bytes': '2000000' } : {});
    if (limit === 'topic') {
      const admin = new KafkaAdmin('target', { 'bootstrap.servers': target });
      try {
        await admin.createTopic(`source.${flow.topic}`, PARTITIONS, 1, { 'max.message.bytes': '100000' });
      } finally {
        admin.close();
      }
    }
    await produceRecords(source, flow.topic, PARTITIONS, 0, 4_000, flow.topic);
    // Partition 1, offset 1000: 300 KB (incompressible, so compression cannot save it).
    await produceBig(flow.topic, 1, limit === 'topic' ? 300_000 : 1_500_000);
    await produceRecords(source, flow.topic, PARTITIONS, 4_000, 4_000, flow.topic);
    const strait = await start(
      flow.config('big', {
        metricsPort: 0,
        // Batches stay below the topic's limit, so only the big record is refused.
        targetProducer: { 'batch.size': '16384', ...(limit === 'producer' ? { 'message.max.bytes': 1_000_000 } : {}) },
        // The remote topic's small max.message.bytes is the point: keep the config sync off it.
        flow: { sync: { topicConfigs: { enabled: false } } },
      }),
      t,
    );
    const base = await metricsUrl(strait);
    const stopped = new RegExp(`partition ${flow.topic}-1 stopped at source offset 1000`);
    await strait.waitForLog(stopped, 60_000);
    // The other partitions all arrive; partition 1 up to the big record.
    const admin = new KafkaAdmin('target', { 'bootstrap.servers': target });
    t.after(() => admin.close());
    const until = Date.now() + 60_000;
    for (;;) {
      const ends = await admin.listOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: `source.${flow.topic}`, partition })), 'latest');
      const counts = [...ends].sort((a, b) => a.partition - b.partition).map((e) => e.offset);
      // exactly-once: each committed transaction adds a control record, so "at least".
      if ([0, 2, 3].every((p) => counts[p] >= 2_000) && counts[1] >= 1_000) break;
      assert.ok(Date.now() < until, `the other partitions did not arrive: ${JSON.stringify(counts)}`);
      await sleep(500);
    }
    // Not retried in a loop: 10 s later it is still one error, one failed record.
    await sleep(10_000);
    const lines = strait.log().split('\n').filter((l) => stopped.test(l));
    assert.equal(lines.length, 1, `the refusal is reported once:\n${lines.join('\n')}`);
    assert.match(lines[0], /cluster \\?"target\\?" topic \\?"source\./, 'the error names the target cluster and topic');
    assert.match(lines[0], limit === 'topic' ? /max\.message\.bytes/ : /message\.max\.bytes/, 'the error names the setting to raise');
    const metrics = await scrape(base);
    assert.equal(sample(metrics, 'strait_records_failed_total'), 1, 'one record failed for good');
    assert.equal(sample(metrics, 'strait_partition_error', { topic: flow.topic, partition: '1' }), 1, 'partition 1 is reported stopped');
    const status = (await (await fetch(`${base}/status`)).json()) as { flows: { partitions: { topic: string; partition: number; error?: string }[] }[] };
    const p1 = status.flows[0].partitions.find((p) => p.topic === flow.topic && p.partition === 1);
    assert.match(p1?.error ?? '', /1000|too large|max/i, `/status shows the stopped partition: ${JSON.stringify(p1)}`);
    strait.kill('SIGTERM');
    assert.equal((await strait.exited).code, 0, strait.tail());
    const tally = await tallyTarget(target, `source.${flow.topic}`, PARTITIONS, 8_000);
    t.diagnostic(`${mode}, record too large: ${describeTally(tally)}`);
    // Partition 1 stops at the big record: sequences 4000.. of it are not copied (and not
    // committed: a restart after raising the limit resumes there). Everything else arrives.
    const missing = tally.firstLost;
    assert.ok(missing.every((s) => s % PARTITIONS === 1 && s >= 4_000), `only partition 1 after the big record is missing: ${describeTally(tally)}`);
    assert.equal(tally.lost, 1_000, describeTally(tally));
    if (mode === 'exactly-once') assert.equal(tally.duplicates, 0, describeTally(tally));
  });
}
