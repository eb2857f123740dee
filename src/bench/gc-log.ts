/**
 * The brokers' stop-the-world GC pauses, from the JDK's unified GC log (`-Xlog:gc*:file=...`
 * with the `time` decoration first). The latency tails of every replicator come partly from the
 * brokers: both brokers and the replicator share the machine's cores, and while a broker is
 * paused it neither hands out the source's records nor appends the target's. The bench writes
 * each broker's pauses next to every latency phase, so a long tail can be told apart from a
 * broker that stood still.
 *
 * Only the one-line summaries of pauses count, on the bare `gc` tag:
 *
 *   [2026-12-08T02:43:35.040+0000][84.002s][info][gc          ] GC(239) Pause Young (Concurrent Start) (G1 Evacuation Pause) 359M->167M(413M) 207.121ms
 *   [2026-12-08T02:43:36.101+0000][85.063s][info][gc          ] GC(295) Pause Remark 171M->171M(413M) 157.050ms
 *
 * Everything else is left out: the detail lines of other tags (`gc,start` repeats the pause's
 * name without its length, `gc,phases`, `gc,heap`, `gc,cpu`), and the concurrent cycles, which
 * run beside the application instead of stopping it.
 *
 * Pure functions: the harness reads the files.
 */

/** One stop-the-world pause. */
export interface GcPause {
  /** When the pause was logged (its end), ms since the epoch: the log line's first decoration. */
  atMs: number;
  /** `Young`, `Remark`, `Cleanup` or `Full`, with the causes the JVM gave, e.g. `Young (Normal) (G1 Evacuation Pause)`. */
  kind: string;
  /** Length of the pause. */
  ms: number;
}

/** The pauses of one broker within a window. */
export interface GcPauseSummary {
  pauses: number;
  totalMs: number;
  maxMs: number;
  /** The kind of the longest pause; absent without pauses. */
  maxKind?: string;
}

/** Each broker's pauses within one window; a broker whose GC log could not be read is absent. */
export interface BrokerGc {
  source?: GcPauseSummary;
  target?: GcPauseSummary;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)$/;
// `Pause <kind>[ (<cause>)...] [<before>-><after>(<heap>)] <ms>ms`; a cause may hold parentheses, e.g. (System.gc()).
const PAUSE = /^GC\(\d+\)\s+Pause (Young|Remark|Cleanup|Full)\b(.*?)(?:\s+\d+[BKMGT]->\d+[BKMGT]\(\d+[BKMGT]\))?\s+(\d+(?:\.\d+)?)ms$/;

/** Epoch ms of a `time` decoration, e.g. `2026-12-08T02:43:35.040+0000`; undefined if it is none. */
function parseTime(text: string): number | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const zone = m[2] === 'Z' || m[2].includes(':') ? m[2] : `${m[2].slice(0, 3)}:${m[2].slice(3)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** One pause from a GC log line, or undefined for every other line. */
export function parseGcLine(line: string): GcPause | undefined {
  const decorations: string[] = [];
  let rest = line.trimEnd();
  for (let m = /^\[([^\]]*)\]/.exec(rest); m; m = /^\[([^\]]*)\]/.exec(rest)) {
    decorations.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  // At least the time and the tags; the tags are the last decoration, padded with spaces.
  if (decorations.length < 2 || decorations[decorations.length - 1].trim() !== 'gc') return undefined;
  const atMs = parseTime(decorations[0]);
  if (atMs === undefined) return undefined;
  const m = PAUSE.exec(rest.trim());
  if (!m) return undefined;
  const causes = m[2].trim();
  return { atMs, kind: causes ? `${m[1]} ${causes}` : m[1], ms: Number(m[3]) };
}

/** Every pause in a GC log's text, in the order logged. */
export function parseGcLog(text: string): GcPause[] {
  const out: GcPause[] = [];
  for (const line of text.split(/\r?\n/)) {
    const p = parseGcLine(line);
    if (p) out.push(p);
  }
  return out;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The pauses logged in [fromMs, toMs): how many, their sum, the longest and its kind. */
export function summarizePauses(pauses: readonly GcPause[], fromMs: number, toMs: number): GcPauseSummary {
  let count = 0;
  let total = 0;
  let longest: GcPause | undefined;
  for (const p of pauses) {
    if (p.atMs < fromMs || p.atMs >= toMs) continue;
    count++;
    total += p.ms;
    if (!longest || p.ms > longest.ms) longest = p;
  }
  return { pauses: count, totalMs: round3(total), maxMs: round3(longest?.ms ?? 0), ...(longest ? { maxKind: longest.kind } : {}) };
}

/** `14 ms`, `0.4 ms`: whole ms from 10 on. */
function msText(ms: number): string {
  return `${ms >= 10 ? Math.round(ms) : Math.round(ms * 10) / 10} ms`;
}

function summaryText(name: string, s: GcPauseSummary): string {
  if (s.pauses === 0) return `${name} none`;
  return `${name} max ${msText(s.maxMs)} (${s.pauses} ${s.pauses === 1 ? 'pause' : 'pauses'}, ${msText(s.totalMs)})`;
}

/** `brokers' GC: source max 14 ms (12 pauses, 90 ms), target max 10 ms (1 pause, 10 ms)`; undefined without either log. */
export function brokerGcText(gc: BrokerGc | undefined): string | undefined {
  if (!gc) return undefined;
  const parts = [...(gc.source ? [summaryText('source', gc.source)] : []), ...(gc.target ? [summaryText('target', gc.target)] : [])];
  return parts.length > 0 ? `brokers' GC: ${parts.join(', ')}` : undefined;
}
