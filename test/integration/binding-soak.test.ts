/**
 * Soak test of the patched librdkafka binding (issue: the stock binding cannot be loaded by
 * several threads). Against the real sandbox clusters:
 *   1. the main thread produces 1,000,000 records with delivery reports;
 *   2. 4 worker threads at once, each with its own consumer and idempotent producer, relay them
 *      to the target (1,000,000 more delivery reports), checked count-for-count and by offset;
 *      two through the binding's ordinary calls, two through strait's relay adapters (the
 *      patched fast path: records stay native, compact delivery reports);
 *   3. 80 cycles of starting and ending workers while their clients are busy (both paths, taking
 *      turns every two cycles), half ended by an
 *      ordered stop, half by Worker.terminate(); no crash, no lost delivery report; an ordered
 *      stop leaves nothing open (the thread ends by itself); terminate() closes the clients
 *      (their librdkafka threads are gone when terminate() resolves);
 *   4. resident memory stops growing: after the first half of the cycles warmed up, the second
 *      half may add at most a fixed bound (compared as medians of 5 readings, so that one
 *      allocator step does not decide).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rdkafka, type RdError } from '../../src/kafka/binding.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import type { SoakResult, SoakWorkerData } from '../helpers/soak-worker.js';

const WORKER = fileURLToPath(new URL('../helpers/soak-worker.js', import.meta.url));
const PARTITIONS = 4;
const RECORDS = 1_000_000;
const CYCLES = 80;
/**
 * Cycles before the warmed-up RSS is taken. glibc gives threads their own malloc arenas (up to 8
 * per core), and each new worker thread, with its librdkafka threads, lands in one: RSS climbs
 * for 10 to 40 cycles while the arenas reach their high-water marks, then levels off (with
 * MALLOC_ARENA_MAX=2 it is level after about 10 cycles). native-notes/binding-worker-threads.md
 * has the figures.
 */
const WARM_UP_CYCLES = CYCLES / 2;
/** RSS readings (one per cycle) whose median stands for the warmed-up and for the final RSS. */
const RSS_WINDOW = 5;
/**
 * Growth allowed over the second half: 40 cycles, so under 4.8 MB a cycle (the first version of
 * this test allowed 96 MB over 15 cycles, 6.4 MB a cycle). Measured with the patched binding and
 * glibc's default arenas: -7 to 106 MB in 8 runs (arena steps of 20-40 MB come at random
 * cycles); with MALLOC_ARENA_MAX=2: 3 MB. A worker left alive after its ordered stop cost about 28 MB a cycle;
 * clients left open are caught exactly by the librdkafka thread count.
 */
const RSS_GROWTH_BOUND_MB = 192;
/** How long a worker may take to end by itself after an ordered stop. */
const EXIT_TIMEOUT_MS = 30_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function rssMb(): number {
  gc();
  return process.memoryUsage().rss / 1048576;
}

async function produceSource(bootstrap: string, topic: string): Promise<number> {
  let delivered = 0;
  let failed = 0;
  const producer = new rdkafka.Producer({ 'bootstrap.servers': bootstrap, 'enable.idempotence': true, 'linger.ms': 10, 'queue.buffering.max.messages': 500_000, dr_cb: true });
  producer.on('delivery-report', (err: RdError | null) => (err ? failed++ : delivered++));
  producer.setPollInterval(5);
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())));
  const value = Buffer.alloc(100, 'v');
  for (let i = 0; i < RECORDS; i++) {
    while (i - delivered - failed > 200_000) await new Promise((r) => setTimeout(r, 2));
    const headers = i % 10 === 0 ? [{ seq: Buffer.from(String(i)) }] : undefined;
    producer.produce(topic, i % PARTITIONS, value, Buffer.from(`k${i}`), Date.now(), undefined, headers);
  }
  await new Promise<void>((resolve) => producer.flush(120_000, () => resolve()));
  // flush() returns when librdkafka's queue is empty; the reports themselves reach JS a little later.
  for (let i = 0; i < 1000 && delivered + failed < RECORDS; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  assert.equal(failed, 0, 'no delivery report with an error while loading the source');
  return delivered;
}

/**
 * librdkafka threads (named rdk:*) of this process; undefined off Linux. Every client has several,
 * so a client a worker left behind shows up here.
 */
function librdkafkaThreads(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let count = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').startsWith('rdk:')) count++;
    } catch {
      // the thread ended while listing
    }
  }
  return count;
}

/** The exit code of a worker, or a failure if it is still running after EXIT_TIMEOUT_MS. */
async function exitWithin(exited: Promise<number>, what: string): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the worker did not end within ${EXIT_TIMEOUT_MS} ms after its clients were disconnected (a handle left open?)`)), EXIT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function startWorker(data: SoakWorkerData): { worker: Worker; ready: Promise<void>; done: Promise<SoakResult>; exited: Promise<number> } {
  const worker = new Worker(WORKER, { workerData: data });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<SoakResult>((resolve, reject) => {
    worker.on('message', (m: { type: string; result?: SoakResult; message?: string }) => {
      if (m.type === 'ready') onReady();
      else if (m.type === 'done') resolve(m.result!);
      else if (m.type === 'error') reject(new Error(m.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`worker exited with code ${code} before reporting`)));
  });
  return { worker, ready, done, exited };
}

test('patched binding: 4 worker threads relay 1,000,000 records; 80 start/stop cycles; bounded memory', { timeout: 15 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const src = uniqueName('soak-src');
  const dst = uniqueName('soak-dst');
  const scratch = uniqueName('soak-churn');
  const sourceAdmin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  const targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => {
    sourceAdmin.close();
    targetAdmin.close();
  });
  await sourceAdmin.createTopic(src, PARTITIONS, 1);
  await targetAdmin.createTopic(dst, PARTITIONS, 1);
  await targetAdmin.createTopic(scratch, PARTITIONS, 1);

  const loaded = await produceSource(clusters.source.bootstrap, src);
  assert.equal(loaded, RECORDS, 'every source record has a delivery report');

  // Phase 2: 4 concurrent relay workers.
  const started = Date.now();
  const relays = Array.from({ length: PARTITIONS }, (_, p) =>
    startWorker({ mode: 'relay', fast: p % 2 === 0, source: clusters.source.bootstrap, target: clusters.target.bootstrap, srcTopic: src, dstTopic: dst, partition: p, expected: RECORDS / PARTITIONS }),
  );
  const results = await Promise.all(relays.map((r) => r.done));
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`relay: ${RECORDS} records through ${PARTITIONS} worker threads in ${seconds.toFixed(1)} s (${Math.round(RECORDS / seconds)} records/s)`);
  for (const [p, r] of results.entries()) {
    assert.equal(r.delivered, RECORDS / PARTITIONS, `partition ${p}: every relayed record has a successful delivery report`);
    assert.equal(r.deliveryErrors, 0, `partition ${p}: no delivery errors`);
    assert.equal(r.gaps, 0, `partition ${p}: consumed offsets are contiguous`);
  }
  const ends = await targetAdmin.listOffsets(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: dst, partition: p })), 'latest');
  for (const e of ends) assert.equal(e.offset, RECORDS / PARTITIONS, `target partition ${e.partition} holds every record once`);
  for (const [p, r] of relays.entries()) assert.equal(await exitWithin(r.exited, `relay ${p}`), 0, `relay ${p}: the worker ended by itself`);

  // Phase 3: start/stop cycles while busy.
  const baseThreads = librdkafkaThreads();
  const log: string[] = [];
  const stopMs: number[] = [];
  const terminateMs: number[] = [];
  const rssByCycle: number[] = [];
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const graceful = cycle % 2 === 0;
    // Two cycles (an ordered stop, a terminate()) on strait's relay fast path, then two on the
    // binding's ordinary calls, and so on.
    const fast = Math.floor(cycle / 2) % 2 === 0;
    const pair = [0, 1].map((i) =>
      startWorker({ mode: 'churn', fast, source: clusters.source.bootstrap, target: clusters.target.bootstrap, srcTopic: src, dstTopic: scratch, partition: (cycle + i) % PARTITIONS, expected: 0 }),
    );
    await Promise.all(pair.map((w) => w.ready));
    await new Promise((r) => setTimeout(r, 300 + ((cycle * 137) % 400)));
    const stopStarted = Date.now();
    let detail: string;
    if (graceful) {
      for (const w of pair) w.worker.postMessage({ type: 'stop' });
      const done = await Promise.all(pair.map((w) => w.done));
      for (const r of done) {
        assert.ok(r.produced > 0, `cycle ${cycle}: the worker was busy when asked to stop`);
        assert.equal(r.delivered + r.deliveryErrors, r.produced, `cycle ${cycle}: one delivery report for every produced record`);
        assert.equal(r.deliveryErrors, 0, `cycle ${cycle}: no delivery errors`);
      }
      for (const w of pair) assert.equal(await exitWithin(w.exited, `cycle ${cycle}`), 0, `cycle ${cycle}: the stopped worker ended by itself`);
      stopMs.push(Date.now() - stopStarted);
      detail = `produced/delivered ${done.map((r) => `${r.produced}/${r.delivered}`).join(', ')}`;
    } else {
      for (const w of pair) w.done.catch(() => undefined);
      const codes = await Promise.all(pair.map((w) => w.worker.terminate()));
      for (const c of codes) assert.equal(c, 1, `cycle ${cycle}: terminate() ended the busy worker`);
      terminateMs.push(Date.now() - stopStarted);
      detail = 'terminated';
    }
    // Both workers have ended: their clients' librdkafka threads must be gone with them.
    const threads = librdkafkaThreads();
    if (threads !== undefined) assert.equal(threads, baseThreads, `cycle ${cycle}: the ended workers left no librdkafka thread behind`);
    const rss = rssMb();
    rssByCycle.push(rss);
    log.push(`cycle ${String(cycle).padStart(2)} ${graceful ? 'stop     ' : 'terminate'} ${String(Date.now() - stopStarted).padStart(5)} ms  rss ${rss.toFixed(0)} MB  rdk threads ${threads ?? '-'}  ${detail}`);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const warmRss = median(rssByCycle.slice(WARM_UP_CYCLES - RSS_WINDOW, WARM_UP_CYCLES));
  const endRss = median(rssByCycle.slice(CYCLES - RSS_WINDOW));
  for (const line of log) t.diagnostic(line);
  const range = (xs: number[]): string => `${Math.min(...xs)}-${Math.max(...xs)} ms`;
  t.diagnostic(`ordered stop (flush, disconnect, thread end) ${range(stopMs)}; terminate() ${range(terminateMs)}`);
  t.diagnostic(`rss after ${WARM_UP_CYCLES} cycles (warm-up) ${warmRss.toFixed(0)} MB, after ${CYCLES} cycles ${endRss.toFixed(0)} MB (medians of ${RSS_WINDOW} cycles)`);
  assert.ok(endRss - warmRss < RSS_GROWTH_BOUND_MB, `resident memory grew by ${(endRss - warmRss).toFixed(0)} MB over the last ${CYCLES - WARM_UP_CYCLES} cycles (bound ${RSS_GROWTH_BOUND_MB} MB)`);
});
