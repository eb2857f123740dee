/**
 * What a profiled strait run (`strait bench --profile`) spent its time on, condensed for the
 * report: per thread, the V8 CPU profile (`node --cpu-prof` writes one .cpuprofile per thread at
 * exit) grouped into categories and its top functions by self time; and librdkafka's statistics
 * (rdkafka-stats-preload.ts) averaged per client kind.
 *
 * How to read it: a worker thread mostly "(idle)" waits for librdkafka (the JS side is not the
 * bound); a thread busy in binding calls or GC is. librdkafka's producer queue (msgCnt) near its
 * bound means the target is slower than the source; an empty fetch queue (fetchqCnt ~ 0) with
 * requests waiting (waitresp) means the consumer waits for the source's fetch responses.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export type Category = 'idle' | 'gc' | 'program' | 'binding' | 'strait' | 'dependencies' | 'node';

export interface ThreadProfile {
  file: string;
  /** Thread id from the file name (0 = main thread). */
  thread: number;
  totalMs: number;
  /** Share of sampled time per category (0..1). */
  categories: Record<Category, number>;
  top: { fn: string; where: string; selfMs: number; share: number }[];
}

export interface ClientStatsSummary {
  type: string;
  clients: number;
  samples: number;
  /** Mean records waiting in the producer (queued and in flight). */
  msgCntAvg: number;
  /** Mean records pre-fetched and waiting in the consumer. */
  fetchqCntAvg: number;
  /** Mean requests waiting for a broker response. */
  waitrespAvg: number;
  /** Mean broker round trip, ms. */
  rttAvgMs: number;
  /** Mean producer batch size, bytes (0 for consumers). */
  batchSizeAvg: number;
  /** Mean records per producer batch. */
  batchCntAvg: number;
}

export interface ProfileSummary {
  runIndex: number;
  threads: ThreadProfile[];
  rdkafka: ClientStatsSummary[];
}

export function categorize(frame: CallFrame): Category {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)' || fn === '(root)') return 'program';
  if (url.includes('kafka-javascript')) return 'binding';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.startsWith('node:') || url === '') return 'node';
  return 'strait';
}

/**
 * Self time per function and per category of one profile, over the samples taken between
 * `fromUs` and `toUs` (the profiler's clock, microseconds; default: all of them).
 */
export function summarizeProfile(p: CpuProfile, file: string, topN = 12, fromUs = -Infinity, toUs = Infinity): ThreadProfile {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const delta = p.timeDeltas[i] ?? 0;
    at += delta;
    if (at < fromUs || at > toUs) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + delta);
  }
  let total = 0;
  for (const v of self.values()) total += v;
  const categories: Record<Category, number> = { idle: 0, gc: 0, program: 0, binding: 0, strait: 0, dependencies: 0, node: 0 };
  const byFunction = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const cat = categorize(node.callFrame);
    categories[cat] += us;
    const where = node.callFrame.url ? `${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '';
    const fn = node.callFrame.functionName || '(anonymous)';
    const key = `${fn}@${where}`;
    const entry = byFunction.get(key) ?? { fn, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  for (const k of Object.keys(categories) as Category[]) categories[k] = total > 0 ? Math.round((categories[k] / total) * 1000) / 1000 : 0;
  const top = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), share: total > 0 ? Math.round((e.us / total) * 1000) / 1000 : 0 }));
  const m = /^CPU\.\d+\.\d+\.\d+\.(\d+)\./.exec(path.basename(file));
  return { file: path.basename(file), thread: m ? Number(m[1]) : -1, totalMs: Math.round(total / 1000), categories, top };
}

/** A URL without the machine's folders: `dist/src/worker/relay.js`, `node_modules/x/y.js`, `node:net`. */
export function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  for (const marker of ['/node_modules/', '/dist/']) {
    const i = u.lastIndexOf(marker);
    if (i >= 0) return u.slice(i + 1);
  }
  return u.startsWith('node:') ? u : path.basename(u);
}

interface StatsLine {
  /** Wall clock of the event, seconds since the epoch. */
  ts?: number;
  type?: string;
  name?: string;
  msgCnt?: number;
  fetchqCnt?: number;
  brokers?: { waitrespCnt?: number; rttAvgUs?: number }[];
  batches?: { batchSizeAvg?: number; batchCntAvg?: number }[];
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export function summarizeStats(lines: StatsLine[]): ClientStatsSummary[] {
  const byType = new Map<string, StatsLine[]>();
  for (const l of lines) {
    const t = l.type ?? 'unknown';
    const list = byType.get(t) ?? [];
    list.push(l);
    byType.set(t, list);
  }
  const out: ClientStatsSummary[] = [];
  for (const [type, list] of byType) {
    const waitresp = list.map((l) => (l.brokers ?? []).reduce((a, b) => a + (b.waitrespCnt ?? 0), 0));
    const rtts = list.flatMap((l) => (l.brokers ?? []).map((b) => b.rttAvgUs ?? 0).filter((x) => x > 0));
    const batchSizes = list.flatMap((l) => (l.batches ?? []).map((b) => b.batchSizeAvg ?? 0).filter((x) => x > 0));
    const batchCnts = list.flatMap((l) => (l.batches ?? []).map((b) => b.batchCntAvg ?? 0).filter((x) => x > 0));
    out.push({
      type,
      clients: new Set(list.map((l) => l.name)).size,
      samples: list.length,
      msgCntAvg: Math.round(mean(list.map((l) => l.msgCnt ?? 0))),
      fetchqCntAvg: Math.round(mean(list.map((l) => l.fetchqCnt ?? 0))),
      waitrespAvg: Math.round(mean(waitresp) * 100) / 100,
      rttAvgMs: Math.round(mean(rtts) / 10) / 100,
      batchSizeAvg: Math.round(mean(batchSizes)),
      batchCntAvg: Math.round(mean(batchCnts) * 10) / 10,
    });
  }
  return out;
}

/** When the copy ran, to keep start-up and shutdown out of the profile. */
export interface ProfileWindow {
  /** When the process was started, ms since the epoch. */
  processStartMs: number;
  fromMs: number;
  toMs: number;
}

/**
 * The profiles and statistics of one run's profile folder. With a window, only samples within it
 * count. All threads' profiles share one clock (V8's process-wide monotonic ticks) whose origin
 * is unknown; the main thread's profile starts with the process, so its start time is taken as
 * the process's start (off by Node's bootstrap, tens of ms).
 */
export async function summarizeProfiles(dir: string, runIndex: number, window?: ProfileWindow): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const profiles: { file: string; p: CpuProfile }[] = [];
  for (const f of files) profiles.push({ file: f, p: JSON.parse(await readFile(path.join(dir, f), 'utf8')) as CpuProfile });
  const main = profiles.find((x) => /^CPU\.\d+\.\d+\.\d+\.0\./.test(x.file));
  let fromUs = -Infinity;
  let toUs = Infinity;
  if (window && main) {
    fromUs = main.p.startTime + (window.fromMs - window.processStartMs) * 1000;
    toUs = main.p.startTime + (window.toMs - window.processStartMs) * 1000;
  }
  const threads = profiles.map(({ file, p }) => summarizeProfile(p, file, 12, fromUs, toUs));
  let stats: StatsLine[] = [];
  try {
    stats = (await readFile(path.join(dir, 'rdkafka-stats.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as StatsLine);
  } catch {
    // no statistics (the preload did not load)
  }
  if (window) {
    // librdkafka stamps each event with the wall clock in seconds; a second of slack each side.
    const inWindow = stats.filter((l) => l.ts !== undefined && l.ts * 1000 >= window.fromMs - 1000 && l.ts * 1000 <= window.toMs + 1000);
    if (inWindow.length > 0) stats = inWindow;
  }
  return { runIndex, threads, rdkafka: summarizeStats(stats) };
}
