/**
 * The machine a benchmark ran on, for the report: a figure means little without it. Only what
 * describes the hardware and software; no host names, users or paths.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { librdkafkaVersion } from '../kafka/binding.js';
import { exec } from '../sandbox/exec.js';
import { KAFKA_VERSION, MIRROR_CLIENT_VERSION } from '../sandbox/kafka-dist.js';
import { sleep } from '../sandbox/processes.js';
import { loadAverage1 } from './procstat.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  arch: string;
  node: string;
  java: string;
  kafka: string;
  mirrorClient: string;
  librdkafka: string;
  strait: string;
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1];
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

function straitVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(java: string): Promise<MachineInfo> {
  let javaVersion = 'unknown';
  try {
    const r = await exec(java, ['-version'], { timeoutMs: 30_000 });
    javaVersion = (r.stderr || r.stdout).split(/\r?\n/).slice(0, 2).join('; ').trim() || 'unknown';
  } catch {
    // reported as unknown
  }
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    arch: os.arch(),
    node: process.version,
    java: javaVersion,
    kafka: KAFKA_VERSION,
    mirrorClient: MIRROR_CLIENT_VERSION,
    librdkafka: librdkafkaVersion,
    strait: straitVersion(),
  };
}

export interface IdleWait {
  /** The wait was asked for. */
  requested: boolean;
  waitedSec: number;
  /** The machine never stayed quiet long enough: the run started anyway. */
  gaveUp: boolean;
  threshold: number;
  holdSec: number;
  /** 1-minute load average at each check. */
  checks: { atSec: number; load1: number }[];
}

export interface IdleWaitOptions {
  threshold: number;
  holdSec: number;
  checkSec: number;
  maxSec: number;
  onCheck?: (load1: number, quietSec: number, waitedSec: number) => void;
}

/**
 * Waits until the 1-minute load average has stayed below `threshold` for `holdSec` (checked every
 * `checkSec`), for at most `maxSec`. Other work on the machine makes every figure noisier, and
 * makes whichever system happens to run beside it look worse.
 */
export async function waitForIdle(o: IdleWaitOptions): Promise<IdleWait> {
  const started = Date.now();
  const checks: { atSec: number; load1: number }[] = [];
  let quietSince: number | undefined;
  for (;;) {
    const now = Date.now();
    const load1 = loadAverage1() ?? 0;
    const atSec = Math.round((now - started) / 1000);
    checks.push({ atSec, load1 });
    if (load1 < o.threshold) quietSince ??= now;
    else quietSince = undefined;
    const quietSec = quietSince === undefined ? 0 : (now - quietSince) / 1000;
    o.onCheck?.(load1, quietSec, atSec);
    if (quietSince !== undefined && quietSec >= o.holdSec) return { requested: true, waitedSec: atSec, gaveUp: false, threshold: o.threshold, holdSec: o.holdSec, checks };
    if (now - started >= o.maxSec * 1000) return { requested: true, waitedSec: atSec, gaveUp: true, threshold: o.threshold, holdSec: o.holdSec, checks };
    await sleep(o.checkSec * 1000);
  }
}
