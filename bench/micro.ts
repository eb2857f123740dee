/**
 * Micro-benchmarks of the per-record and per-interval building blocks, with tinybench.
 *
 *   node dist/bench/micro.js            (after `npx tsc -p tsconfig.json`)
 *   STRAIT_BENCH_TIME_MS=2000 node dist/bench/micro.js   (longer runs, steadier numbers)
 *
 * Tasks that are too small to time one at a time run in batches (`items` per op); the table shows
 * ops/s and the derived items/s. Single thread throughout: the two-thread ring throughput is
 * covered by the ring's unit test and the end-to-end benchmarks.
 *
 * Rows marked "(comparison)" are the alternatives that were measured and not chosen: plain msgpack
 * maps instead of shared record structures, hdr-histogram-js's deflate+base64 encoding instead of
 * the sparse form, its own recordValue() instead of our bucket-index shortcut, and the WebAssembly
 * histogram instead of the pure-JS one. The record loops include reading the next sample value.
 *
 * "relay loop" is the worker's replication loop itself (bench/relay-loop.ts): the real Relay, ring
 * and histograms between a consumer of prepared batches and a producer that acknowledges at
 * once, i.e. strait's own work per record without librdkafka's and the binding's.
 */
import { pathToFileURL } from 'node:url';
import hdr from 'hdr-histogram-js';
import { Packr } from 'msgpackr';
import { Bench, type FnOptions } from 'tinybench';
import {
  createLatencyHistogram,
  encodeHistogram,
  mergeEncodedHistogram,
  recordLatency,
  type LatencyHistogram,
} from '../src/metrics/histogram.js';
import { ProgressRing } from '../src/ring/progress-ring.js';
import { createMessagePackr, decode, encode } from '../src/util/codec.js';
import type { StatsMessage } from '../src/worker/protocol.js';
import { createRelayLoopBench, RELAY_BATCH } from './relay-loop.js';

export interface MicroResult {
  name: string;
  /** Task function calls per second. */
  opsPerSec: number;
  /** Items (entries, values, messages) handled per call. */
  itemsPerOp: number;
  itemsPerSec: number;
  /** Mean time per item, in nanoseconds. */
  nsPerItem: number;
  /** Median time per item, in nanoseconds (less sensitive to GC pauses than the mean). */
  medianNsPerItem: number;
  /** Relative margin of error of the latency samples, percent. */
  rmePercent: number;
  samples: number;
  /** Encoded size in bytes, for the encoding tasks. */
  bytes?: number;
}

export interface MicroOptions {
  /** Time budget per task in ms (tinybench `time`). */
  timeMs?: number;
}

const BATCH = 1000;

/** Latencies shaped like a real interval: mostly 2..40 ms, a tail to a few seconds. */
function latencySample(n: number): Float64Array {
  const out = new Float64Array(n);
  let a = 12345;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    const u = a / 4294967296;
    out[i] = u < 0.99 ? 2 + u * 38 : 40 + (u - 0.99) * 400_000;
  }
  return out;
}

function filledHistogram(values: Float64Array): LatencyHistogram {
  const h = createLatencyHistogram();
  for (const v of values) recordLatency(h, v);
  return h;
}

export async function runMicroBenchmarks(options: MicroOptions = {}): Promise<MicroResult[]> {
  const bench = new Bench({ time: options.timeMs ?? 500, warmupTime: 100 });
  const itemsPerOp = new Map<string, number>();
  const bytes = new Map<string, number>();
  const add = (name: string, items: number, fn: () => void | Promise<void>, size?: number, hooks?: FnOptions): void => {
    bench.add(name, fn, hooks);
    itemsPerOp.set(name, items);
    if (size !== undefined) bytes.set(name, size);
  };

  // --- progress ring: write a batch of 1000 runs, then drain them, one thread.
  const ring = ProgressRing.create(1024);
  const writer = ring.writer();
  const reader = ring.reader();
  let sink = 0;
  const onRun = (slot: number, count: number, src: number, tgt: number, ts: number, b: number): void => {
    sink += slot + count + src + tgt + ts + b;
  };
  let offset = 0;
  add(`ring tryWrite x${BATCH} + drain`, BATCH, () => {
    for (let i = 0; i < BATCH; i++) {
      writer.tryWrite(i & 15, 1, offset, offset + 1_000_000, 1_700_000_000_000, 512);
      offset++;
    }
    reader.drain(onRun);
  });
  // The same two halves timed apart: the other half runs in a hook, outside the timed window.
  const writeBatch = (): void => {
    for (let i = 0; i < BATCH; i++) {
      writer.tryWrite(i & 15, 1, offset, offset + 1_000_000, 1_700_000_000_000, 512);
      offset++;
    }
  };
  const drainAll = (): void => {
    reader.drain(onRun);
  };
  add(`ring tryWrite x${BATCH}`, BATCH, writeBatch, undefined, { afterEach: drainAll });
  add(`ring drain x${BATCH}`, BATCH, drainAll, undefined, { beforeEach: writeBatch });

  // --- stats message encoding (two histograms of a realistic interval).
  const values = latencySample(100_000);
  const interval = filledHistogram(values);
  const stats: StatsMessage = {
    type: 'stats',
    workerId: 3,
    startMs: 1_767_225_600_000,
    endMs: 1_767_225_601_000,
    counters: { recordsIn: 1_000_000, recordsAcked: 999_000, bytesAcked: 512_000_000, recordsFailed: 0, ringFull: 2, inFlight: 1000, pausedSlots: 0 },
    histograms: { replication: encodeHistogram(interval), relay: encodeHistogram(interval) },
    highWatermarks: Array.from({ length: 16 }, (_, slot): [number, number] => [slot, 1_000_000 + slot]),
  };
  const encodedStats = encode(stats);
  add('msgpackr encode stats (shared structures)', 1, () => {
    sink += encode(stats).length;
  }, encodedStats.length);
  add('msgpackr decode stats (shared structures)', 1, () => {
    sink += decode(encodedStats).type.length;
  });
  const plain = new Packr({ useRecords: false, int64AsType: 'bigint' });
  const plainStats = plain.pack(stats);
  add('msgpackr encode stats, plain maps (comparison)', 1, () => {
    sink += new Uint8Array(plain.pack(stats)).length;
  }, plainStats.length);
  const shared = createMessagePackr();
  const controlMsg = { type: 'revoked' as const, workerId: 1, slots: [1, 2, 3] };
  add('msgpackr encode+decode revoked', 1, () => {
    sink += (shared.unpack(shared.pack(controlMsg)) as { slots: number[] }).slots.length;
  });

  // --- histograms.
  const h = createLatencyHistogram();
  let vi = 0;
  add(`histogram record x${BATCH} (pure JS)`, BATCH, () => {
    for (let i = 0; i < BATCH; i++) {
      recordLatency(h, values[vi]);
      vi = (vi + 1) % values.length;
    }
  });
  const viaLibrary = createLatencyHistogram();
  add(`histogram record x${BATCH} (library recordValue, comparison)`, BATCH, () => {
    for (let i = 0; i < BATCH; i++) {
      viaLibrary.recordValue(Math.round(values[vi]));
      vi = (vi + 1) % values.length;
    }
  });
  let wasm: LatencyHistogram | undefined;
  try {
    hdr.initWebAssemblySync();
    const w = hdr.build({
      useWebAssembly: true,
      autoResize: false,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000,
      numberOfSignificantValueDigits: 3,
    });
    wasm = w as unknown as LatencyHistogram;
    add(`histogram record x${BATCH} (WASM, comparison)`, BATCH, () => {
      for (let i = 0; i < BATCH; i++) {
        w.recordValue(Math.round(values[vi]));
        vi = (vi + 1) % values.length;
      }
    });
  } catch {
    // WebAssembly unavailable: skip the comparison row.
  }
  const sparse = encodeHistogram(interval);
  add('histogram encode (sparse)', 1, () => {
    sink += encodeHistogram(interval).length;
  }, sparse.length);
  const acc = createLatencyHistogram('accumulator');
  add('histogram decode+merge (sparse)', 1, () => {
    sink += mergeEncodedHistogram(acc, sparse);
  });
  const base64 = hdr.encodeIntoCompressedBase64(interval);
  add('histogram encode (deflate+base64, comparison)', 1, () => {
    sink += hdr.encodeIntoCompressedBase64(interval).length;
  }, base64.length);
  const acc2 = createLatencyHistogram('accumulator');
  add('histogram decode+merge (deflate+base64, comparison)', 1, () => {
    const decoded = hdr.decodeFromCompressedBase64(base64, 32, false) as LatencyHistogram;
    acc2.add(decoded);
    sink += decoded.totalCount;
  });

  // --- the relay loop: one batch relayed and acknowledged per op (renumbering in a hook).
  const relayLoop = createRelayLoopBench();
  add(`relay loop x${RELAY_BATCH} records (fake clients, real ring + histograms)`, RELAY_BATCH, () => relayLoop.relayBatch(), undefined, { beforeEach: () => relayLoop.prepare() });

  await bench.run();
  await relayLoop.stop();
  if (relayLoop.acked === 0) throw new Error('the relay loop benchmark relayed nothing');
  wasm?.destroy();
  if (sink === 42) console.log(''); // keep results observable so nothing is optimised away

  return bench.tasks.map((task) => {
    const r = task.result;
    const items = itemsPerOp.get(task.name) ?? 1;
    if (r.state !== 'completed') {
      const why = r.state === 'errored' ? String(r.error) : r.state;
      throw new Error(`micro-benchmark "${task.name}" did not complete: ${why}`);
    }
    const opsPerSec = 1000 / r.period;
    return {
      name: task.name,
      opsPerSec,
      itemsPerOp: items,
      itemsPerSec: opsPerSec * items,
      nsPerItem: (r.period * 1e6) / items,
      medianNsPerItem: (r.latency.p50 * 1e6) / items,
      rmePercent: r.latency.rme,
      samples: task.runs,
      ...(bytes.has(task.name) ? { bytes: bytes.get(task.name) } : {}),
    };
  });
}

function formatTable(results: MicroResult[]): Record<string, string | number>[] {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  return results.map((r) => ({
    task: r.name,
    'ops/s': n(r.opsPerSec),
    'items/op': r.itemsPerOp,
    'items/s': n(r.itemsPerSec),
    'ns/item (mean)': r.nsPerItem.toFixed(1),
    'ns/item (median)': r.medianNsPerItem.toFixed(1),
    '±%': r.rmePercent.toFixed(2),
    bytes: r.bytes ?? '',
  }));
}

async function main(): Promise<void> {
  const timeMs = Number(process.env.STRAIT_BENCH_TIME_MS ?? 500);
  const results = await runMicroBenchmarks({ timeMs });
  console.log(`strait micro-benchmarks — node ${process.version}, ${timeMs} ms per task`);
  console.table(formatTable(results));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
