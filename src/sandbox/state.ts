/**
 * The sandbox state file (`<sandbox dir>/state.json`): which ports each cluster was created
 * with, so `down`, `status`, `restart` and `kill` from another process (and without the flags
 * `up` was given) find the clusters.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SandboxError } from '../util/errors.js';

export const STATE_VERSION = 1;

export interface ClusterPorts {
  port: number;
  controllerPort: number;
}

export interface SandboxState {
  version: typeof STATE_VERSION;
  kafkaVersion: string;
  host: string;
  clusters: Record<string, ClusterPorts>;
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;
}

/** Validates the parsed JSON; the error names the file and says how to recover. */
export function parseState(text: string, file: string): SandboxState {
  const bad = (what: string) =>
    new SandboxError(`sandbox state file ${file} is unreadable (${what}); stop any sandbox brokers still running (see "ps") and delete the file`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not a JSON object');
  const obj = raw as Record<string, unknown>;
  if (obj['version'] !== STATE_VERSION) throw bad(`version ${JSON.stringify(obj['version'])}, expected ${STATE_VERSION}`);
  if (typeof obj['kafkaVersion'] !== 'string') throw bad('kafkaVersion missing');
  if (typeof obj['host'] !== 'string' || obj['host'] === '') throw bad('host missing');
  const clusters = obj['clusters'];
  if (typeof clusters !== 'object' || clusters === null || Array.isArray(clusters)) throw bad('clusters missing');
  const out: Record<string, ClusterPorts> = {};
  for (const [name, value] of Object.entries(clusters as Record<string, unknown>)) {
    const c = value as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || !isPort(c['port']) || !isPort(c['controllerPort'])) {
      throw bad(`cluster "${name}" has no valid port and controllerPort`);
    }
    out[name] = { port: c['port'], controllerPort: c['controllerPort'] };
  }
  return { version: STATE_VERSION, kafkaVersion: obj['kafkaVersion'], host: obj['host'], clusters: out };
}

export function renderState(state: SandboxState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export async function readState(file: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxError(`cannot read sandbox state file ${file}: ${(err as Error).message}`, undefined, { cause: err });
  }
  return parseState(text, file);
}

/** Write-then-rename, so a reader never sees half a file. */
export async function writeState(file: string, state: SandboxState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, renderState(state));
  await rename(tmp, file);
}
