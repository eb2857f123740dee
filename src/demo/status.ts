/**
 * The demo's live status line, once a second:
 *
 *   0:12  produced 60,012  replicated 59,800  5,001 rec/s  1.1 MB/s  lag 212 rec (0.1 s)  p50 4 ms  p99 18 ms
 *
 * On a terminal the line is redrawn in place; elsewhere (a pipe, a CI log) each one is a plain line.
 */
import type { FlowSnapshot } from '../coordinator/snapshot.js';
import type { FlowSummary } from '../metrics/summary.js';
import { formatInteger, formatSeconds } from '../metrics/summary.js';

/**
 * The flow as far as the given topics go: their partitions only, with the totals summed over
 * them. The flow also copies what MM2 copies regardless of topic filters (heartbeats topics, of
 * which a shared sandbox may hold a long backlog), and the demo's figures must count the demo's
 * records only. Latency histograms are the flow's: they cannot be split by topic.
 */
export function topicsView(flow: FlowSnapshot, topics: ReadonlySet<string>): FlowSnapshot {
  const partitions = flow.partitions.filter((p) => topics.has(p.topic));
  let records = 0;
  let bytes = 0;
  for (const p of partitions) {
    records += p.records;
    bytes += p.bytes;
  }
  return { ...flow, partitions, records, bytes };
}

export interface DemoStatus {
  elapsedMs: number;
  /** Records the demo's producer wrote (less those the source refused). */
  produced: number;
  /** Records strait copied (acknowledged by the target). */
  replicated: number;
  /** The flow's summary, once the engine has produced one. */
  summary: FlowSummary | undefined;
  /** Records the source refused to the demo's producer. */
  produceFailed: number;
  /** Records the producer could not send on time (the machine or cluster is slower than --rate). */
  behind: number;
  /** What the demo is doing, when not simply running (e.g. "catching up"). */
  phase?: string;
}

/** m:ss, or h:mm:ss from an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatDemoStatus(s: DemoStatus): string {
  const parts = [formatElapsed(s.elapsedMs)];
  if (s.phase !== undefined) parts.push(s.phase);
  parts.push(`produced ${formatInteger(s.produced)}`, `replicated ${formatInteger(s.replicated)}`);
  const f = s.summary;
  if (f) {
    parts.push(`${formatInteger(f.recordsPerSecond)} rec/s`, `${f.megabytesPerSecond.toFixed(1)} MB/s`);
    parts.push(f.lagRecords === null ? 'lag ?' : `lag ${formatInteger(f.lagRecords)} rec${f.lagSeconds === null ? '' : ` (${formatSeconds(f.lagSeconds)})`}`);
    const ms = (v: number | null): string => (v === null ? '-' : `${formatInteger(v)} ms`);
    parts.push(`p50 ${ms(f.p50Ms)}`, `p99 ${ms(f.p99Ms)}`);
    if (f.errors > 0) parts.push(`${formatInteger(f.errors)} partition(s) stopped`);
    if (f.recordsFailed > 0) parts.push(`${formatInteger(f.recordsFailed)} refused by target`);
  }
  if (s.produceFailed > 0) parts.push(`${formatInteger(s.produceFailed)} refused by source`);
  if (s.behind > 0) parts.push(`producer ${formatInteger(s.behind)} behind`);
  return parts.join('  ');
}

/** Writes status lines to a stream: in place on a terminal, one per line otherwise. */
export class StatusLine {
  private shown = false;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  get inPlace(): boolean {
    return this.stream.isTTY === true;
  }

  show(line: string): void {
    if (!this.inPlace) {
      this.stream.write(`${line}\n`);
      return;
    }
    const columns = this.stream.columns ?? 0;
    const width = columns > 1 ? columns - 1 : 200;
    this.stream.write(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    this.shown = true;
  }

  /** Leaves the last line on screen and moves to the next, so other output does not overwrite it. */
  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}
