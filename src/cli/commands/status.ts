/**
 * `strait status [--url http://127.0.0.1:9464] [--json]`: ask a running strait for its state
 * (GET /status on its metrics endpoint) and print, per flow, the summary line and a row per
 * partition. --json prints the document as received, for scripts.
 */
import { request } from 'node:http';
import { StraitError } from '../../util/errors.js';
import { flag, flagBool, flagNumber, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, type StatusDocument, type StatusFlow } from '../../metrics/server.js';
import { partitionLagRecords } from '../../metrics/lag.js';
import { flowConsistentCut, flowRpoSeconds, partitionRpoSeconds } from '../../metrics/rpo.js';
import { fixedRates, type FlowRate } from '../../metrics/rates.js';
import { formatSummaryLine, summarizeFlow, formatInteger, formatSeconds } from '../../metrics/summary.js';
import { alignColumns } from '../table.js';

export const DEFAULT_STATUS_URL = `http://${DEFAULT_METRICS_HOST}:${DEFAULT_METRICS_PORT}`;

const SUMMARY = `Show what a running strait is doing: per flow, throughput, lag and latency, and each partition's
replicated offset, high watermark, lag and last error. Reads GET /status from the process's
metrics endpoint (engine.metrics), so that endpoint must be enabled.`;

const SPECS: FlagSpecs = {
  url: { value: true, description: `address of the metrics endpoint (default ${DEFAULT_STATUS_URL})` },
  json: { value: false, description: 'print the status document as JSON' },
  timeout: { value: true, description: 'seconds to wait for an answer (default 5)' },
  help: { value: false, description: 'show this help' },
};

function helpText(): string {
  return usage('status [--url <address>] [--json]', SUMMARY, SPECS);
}

/** The /status address for what the user typed: "host:port", "http://host:port" or a full URL. */
export function statusUrl(input: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`option --url must be an address like ${DEFAULT_STATUS_URL} (got ${JSON.stringify(input)})`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`option --url must be an http:// address: the metrics endpoint serves plain HTTP (got ${JSON.stringify(input)})`);
  // Keep a path prefix (a reverse proxy may serve strait under one); only add /status to it.
  if (!url.pathname.endsWith('/status')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/status`;
  url.search = '';
  url.hash = '';
  return url;
}

function notAnswering(url: URL, why: string): StraitError {
  return new StraitError('STATUS_UNREACHABLE', `no strait process answered at ${url.href} (${why}): is \`strait run\` running, and is engine.metrics enabled? (another address: --url)`);
}

/** GET /status. Rejects with a StraitError that says what to check. */
export function fetchStatus(url: URL, timeoutMs: number): Promise<StatusDocument> {
  return new Promise((resolve, reject) => {
    // No keep-alive agent: one request, then the process can exit at once.
    const req = request(url, { method: 'GET', agent: false, headers: { Accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(notAnswering(url, err.message)));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new StraitError('STATUS_BAD_ANSWER', `${url.href} answered HTTP ${res.statusCode}${body.trim() ? `: ${body.trim().split('\n', 1)[0]}` : ''}; is this the metrics endpoint of strait? (another address: --url)`));
          return;
        }
        let doc: unknown;
        try {
          doc = JSON.parse(body);
        } catch {
          reject(new StraitError('STATUS_BAD_ANSWER', `${url.href} did not answer with JSON; is this the metrics endpoint of strait? (another address: --url)`));
          return;
        }
        if (!isStatusDocument(doc)) {
          reject(new StraitError('STATUS_BAD_ANSWER', `${url.href} answered JSON that is not a strait status document; is this the metrics endpoint of strait?`));
          return;
        }
        resolve(doc);
      });
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      reject(notAnswering(url, `no answer within ${timeoutMs / 1000} s`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? 'unknown host' : err.message;
      reject(notAnswering(url, why));
    });
    req.end();
  });
}

function isStatusDocument(doc: unknown): doc is StatusDocument {
  if (typeof doc !== 'object' || doc === null) return false;
  const d = doc as Partial<StatusDocument>;
  return typeof d.takenAt === 'number' && typeof d.startedAt === 'number' && Array.isArray(d.flows) && d.flows.every((f) => typeof f === 'object' && f !== null && Array.isArray(f.partitions));
}

/** "45 s", "12 min", "3 h 12 min", "2 d 4 h". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function flowRates(doc: StatusDocument): Map<string, FlowRate> {
  const rates = new Map<string, FlowRate>();
  for (const f of doc.flows) {
    if (f.recordsPerSecond !== undefined && f.bytesPerSecond !== undefined) {
      rates.set(f.name, { recordsPerSecond: f.recordsPerSecond, bytesPerSecond: f.bytesPerSecond, overMs: 0 });
    }
  }
  return rates;
}

function formatFlow(flow: StatusFlow, doc: StatusDocument, rates: ReturnType<typeof fixedRates>): string[] {
  const lines = [formatSummaryLine(summarizeFlow(flow, doc.takenAt, rates))];
  lines.push(
    `  ${flow.mode}, ${formatInteger(flow.topics)} topic${flow.topics === 1 ? '' : 's'}, ${formatInteger(flow.records)} records replicated since start, ` +
      `${formatInteger(flow.recordsFailed)} failed, ${formatInteger(flow.commits)} commits (${formatInteger(flow.commitErrors)} failed)`,
  );
  lines.push(`  ${formatRecoveryPoint(flow, doc.takenAt)}`);
  if (flow.partitions.length === 0) {
    lines.push('  no partitions assigned to this process');
    return lines;
  }
  const rows = [['TOPIC', 'PARTITION', 'REPLICATED', 'HIGH WATERMARK', 'LAG', 'RPO', 'LOST', 'LAST ERROR']];
  for (const p of flow.partitions) {
    const lag = partitionLagRecords(p);
    const rpo = partitionRpoSeconds(p, doc.takenAt);
    rows.push([
      p.topic,
      String(p.partition),
      p.replicatedOffset < 0 ? '-' : String(p.replicatedOffset),
      p.highWatermark < 0 ? '?' : String(p.highWatermark),
      lag === undefined ? '?' : String(lag),
      rpo === undefined ? '?' : formatSeconds(rpo),
      p.recordsLost === undefined || p.recordsLost === 0 ? '-' : `${formatInteger(p.recordsLost)}${p.lastLoss ? ` (${p.lastLoss.from}..${p.lastLoss.to - 1})` : ''}`,
      // One row per partition: a multi-line message is folded onto it.
      p.error !== undefined ? p.error.replace(/\s*\n\s*/g, ' ') : p.translating !== undefined ? `offsets not preserved (translating): ${p.translating}` : '-',
    ]);
  }
  for (const line of alignColumns(rows, new Set([1, 2, 3, 4, 5]))) lines.push(`  ${line}`);
  return lines;
}

/** "recovery point 1.2 s: everything produced before 2026-11-25T23:35:21.000Z is on the target". */
function formatRecoveryPoint(flow: StatusFlow, takenAt: number): string {
  const cut = flowConsistentCut(flow);
  const rpo = flowRpoSeconds(flow, takenAt);
  if (cut === undefined || rpo === undefined) return 'recovery point unknown (a partition has no high watermark and no replicated record yet)';
  const lost = flow.recordsLost ?? 0;
  return (
    `recovery point ${formatSeconds(rpo)}: everything produced before ${new Date(cut).toISOString()} is on the target` +
    (lost > 0 ? `, except ${formatInteger(lost)} record${lost === 1 ? '' : 's'} the source deleted before they were copied` : '')
  );
}

/** The human-readable status report. */
export function formatStatus(doc: StatusDocument, url: URL): string {
  const flows = doc.flows.length;
  const lines = [`strait at ${url.origin}: up ${formatUptime((doc.takenAt - doc.startedAt) / 1000)}, ${flows} flow${flows === 1 ? '' : 's'}`];
  if (flows === 0) lines.push('no flows are running');
  const rates = fixedRates(flowRates(doc));
  for (const flow of doc.flows) lines.push('', ...formatFlow(flow, doc, rates));
  return lines.join('\n');
}

export const command: Command = {
  name: 'status',
  summary: 'show what a running strait is doing (from its metrics endpoint)',
  async run(argv) {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(helpText());
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"\n\n${helpText()}`);
    const timeout = flagNumber(args, 'timeout', 5);
    if (timeout <= 0) throw new UsageError('option --timeout must be a positive number of seconds');
    const url = statusUrl(flag(args, 'url') ?? DEFAULT_STATUS_URL);
    const doc = await fetchStatus(url, timeout * 1000);
    console.log(flagBool(args, 'json') ? JSON.stringify(doc, null, 2) : formatStatus(doc, url));
    return 0;
  },
};
