/**
 * CPU time and memory of a replicator: a process and everything it started, read from Linux's
 * /proc, sampled a few times a second while the replicator runs.
 *
 * Why /proc rather than process.cpuUsage(): the benchmark compares a JVM (MirrorMaker 2) with a
 * Node process, and the only measure that treats both alike is the kernel's own account of each
 * process: utime + stime of /proc/<pid>/stat, which covers every thread of the process (the JVM's
 * GC and JIT threads, Node's worker threads and libuv pool, librdkafka's threads) including the
 * threads that already exited. Children are found by their parent pid, so a launcher script or a
 * forked helper would be counted too (neither replicator forks today).
 *
 * Memory: VmRSS (resident now) is summed over the tree at each sample; VmHWM (the kernel's own
 * peak of VmRSS, per process) is read at each sample too, so a peak between two samples is not
 * missed for a single-process replicator.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** User + system CPU of the process (all its threads, living and exited), in clock ticks. */
  ticks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain
 * spaces and ')', so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  // After ") ": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10)
  // cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15).
  const rest = text.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return { pid, ppid, ticks: utime + stime };
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size over the process's life so far, bytes. */
  hwmBytes: number;
}

/** Parses VmRSS and VmHWM (in kB) out of /proc/<pid>/status. */
export function parseProcStatus(text: string): ProcMemory {
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

let ticksPerSecond: number | undefined;

/** The kernel's USER_HZ (what /proc/<pid>/stat counts in); 100 on every common Linux. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
      ticksPerSecond = Number.isInteger(n) && n > 0 ? n : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone between the listing and the read
  }
}

/** `root` and every process descending from it, from one pass over /proc. */
export function processTree(root: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  return treeOf(root, all);
}

/** The members of `all` that are `root` or descend from it (pure, for tests). */
export function treeOf(root: number, all: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  let rootStat: ProcStat | undefined;
  for (const s of all) {
    if (s.pid === root) rootStat = s;
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  if (!rootStat) return [];
  const out: ProcStat[] = [];
  const queue = [rootStat];
  while (queue.length > 0) {
    const s = queue.shift()!;
    out.push(s);
    for (const c of children.get(s.pid) ?? []) if (c.pid !== s.pid) queue.push(c);
  }
  return out;
}

/**
 * CPU seconds per thread name of one process (all its living threads). Names are the kernel's
 * 15-character comm with digits folded to '#', so the 64 threads of libuv's pool or a JVM's GC
 * workers add up under one name: "libuv-worker", "rdk:broker#", "G# Conc##", "kafka-producer-".
 */
export function threadGroups(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  const hz = clockTicksPerSecond();
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = threadGroupName(text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')));
      out[name] = (out[name] ?? 0) + parseProcStat(text).ticks / hz;
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export function threadGroupName(comm: string): string {
  return comm.replace(/\d+/g, '#').trim() || '?';
}

export interface ProcSample {
  /** Wall-clock time of the sample, ms since the epoch. */
  t: number;
  /** CPU time of the tree so far, seconds. */
  cpuSec: number;
  /** Sum of VmRSS over the tree, bytes. */
  rssBytes: number;
  /** Sum of VmHWM over the tree, bytes (exact peak for a single process). */
  hwmBytes: number;
  processes: number;
  /** CPU seconds so far per thread name of the root process (see threadGroups). */
  threads?: Record<string, number>;
}

/** One sample of the tree, or undefined once the root is gone. */
export function sampleTree(root: number): ProcSample | undefined {
  const t = Date.now();
  const tree = processTree(root);
  if (tree.length === 0) return undefined;
  let ticks = 0;
  let rssBytes = 0;
  let hwmBytes = 0;
  for (const s of tree) {
    ticks += s.ticks;
    try {
      const mem = parseProcStatus(readFileSync(`/proc/${s.pid}/status`, 'utf8'));
      rssBytes += mem.rssBytes;
      hwmBytes += mem.hwmBytes;
    } catch {
      // exited meanwhile
    }
  }
  return { t, cpuSec: ticks / clockTicksPerSecond(), rssBytes, hwmBytes, processes: tree.length, threads: threadGroups(root) };
}

/** Samples a process tree every `intervalMs` until stopped (or the process is gone). */
export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  start(): this {
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes a sample now (e.g. right before the process is asked to stop). */
  sampleNow(): ProcSample | undefined {
    const s = sampleTree(this.pid);
    if (s) this.samples.push(s);
    return s;
  }

  stop(): ProcSample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.samples;
  }
}

/** CPU seconds of the tree at time `t`, linearly interpolated between samples (clamped at the ends). */
export function cpuAt(samples: readonly ProcSample[], t: number): number {
  if (samples.length === 0) return 0;
  if (t <= samples[0].t) return samples[0].cpuSec;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i];
    if (t <= b.t) {
      const a = samples[i - 1];
      const span = b.t - a.t;
      return span <= 0 ? b.cpuSec : a.cpuSec + ((b.cpuSec - a.cpuSec) * (t - a.t)) / span;
    }
  }
  return samples[samples.length - 1].cpuSec;
}

export interface ResourceFigures {
  /** CPU seconds spent between `from` and `to` (the copy itself). */
  windowCpuSec: number;
  /**
   * The same per thread name, largest first; "(threads that ended)" is what the process total
   * holds beyond its living threads'.
   */
  windowThreadCpuSec: Record<string, number>;
  /** CPU seconds over the whole sampled life (start-up and shutdown included). */
  totalCpuSec: number;
  /** Highest resident set size seen: the larger of the sampled sums and the kernel's peaks. */
  peakRssBytes: number;
}

/** A thread group's CPU seconds at `t`, interpolated like cpuAt (0 before the thread existed). */
function threadCpuAt(samples: readonly ProcSample[], name: string, t: number): number {
  const v = (s: ProcSample): number => s.threads?.[name] ?? 0;
  if (t <= samples[0].t) return v(samples[0]);
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i];
    if (t <= b.t) {
      const a = samples[i - 1];
      const span = b.t - a.t;
      return span <= 0 ? v(b) : v(a) + ((v(b) - v(a)) * (t - a.t)) / span;
    }
  }
  return v(samples[samples.length - 1]);
}

export function resourceFigures(samples: readonly ProcSample[], from: number, to: number): ResourceFigures {
  if (samples.length === 0) return { windowCpuSec: 0, windowThreadCpuSec: {}, totalCpuSec: 0, peakRssBytes: 0 };
  let peak = 0;
  const names = new Set<string>();
  for (const s of samples) {
    peak = Math.max(peak, s.rssBytes, s.hwmBytes);
    for (const n of Object.keys(s.threads ?? {})) names.add(n);
  }
  const windowCpuSec = Math.max(0, cpuAt(samples, to) - cpuAt(samples, from));
  const byThread: [string, number][] = [];
  let named = 0;
  for (const n of names) {
    const sec = Math.max(0, threadCpuAt(samples, n, to) - threadCpuAt(samples, n, from));
    named += sec;
    if (sec > 0) byThread.push([n, Math.round(sec * 100) / 100]);
  }
  const ended = windowCpuSec - named;
  if (ended > 0.005) byThread.push(['(threads that ended)', Math.round(ended * 100) / 100]);
  byThread.sort((a, b) => b[1] - a[1]);
  return {
    windowCpuSec,
    windowThreadCpuSec: Object.fromEntries(byThread),
    // The process was started for this run: its whole account is the run's.
    totalCpuSec: samples[samples.length - 1].cpuSec,
    peakRssBytes: peak,
  };
}

export interface MachineCpu {
  /** Busy jiffies over all cores (user, nice, system, irq, softirq, steal). */
  busy: number;
  /** All jiffies over all cores (busy + idle + iowait). */
  total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseMachineCpu(text: string): MachineCpu {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + (steal || 0);
  return { busy, total: busy + idle + iowait };
}

export function readMachineCpu(): MachineCpu | undefined {
  try {
    return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU capacity that was busy between two readings (0..1). */
export function machineBusy(a: MachineCpu, b: MachineCpu): number {
  const total = b.total - a.total;
  // Interpolated readings (busyShare) can round a fully busy machine to 1 + 1e-12: clamp to 0..1.
  return total > 0 ? Math.min(1, Math.max(0, (b.busy - a.busy) / total)) : 0;
}

/** The 1-minute load average, or undefined off Linux. */
export function loadAverage1(): number | undefined {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** Samples the machine's CPU counters, to tell how busy all cores were during a copy. */
export class MachineSampler {
  readonly samples: ({ t: number } & MachineCpu)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 500) {}

  start(): this {
    this.sampleNow();
    this.timer = setInterval(() => this.sampleNow(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sampleNow(): void {
    const c = readMachineCpu();
    if (c) this.samples.push({ t: Date.now(), ...c });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Busy share of all cores between two times (counters interpolated between samples). */
  busyShare(from: number, to: number): number | undefined {
    if (this.samples.length < 2) return undefined;
    const at = (t: number): MachineCpu => {
      const s = this.samples;
      if (t <= s[0].t) return s[0];
      for (let i = 1; i < s.length; i++) {
        if (t <= s[i].t) {
          const a = s[i - 1];
          const b = s[i];
          const f = b.t > a.t ? (t - a.t) / (b.t - a.t) : 1;
          return { busy: a.busy + (b.busy - a.busy) * f, total: a.total + (b.total - a.total) * f };
        }
      }
      return s[s.length - 1];
    };
    return machineBusy(at(from), at(to));
  }
}
