/**
 * What a running engine shows: the Prometheus endpoint and /status (engine.metrics), and the
 * periodic one-line summary in the log (engine.summaryInterval).
 *
 * One timer takes the engine's snapshot (closing the recent-latency window) and feeds the rate
 * tracker; the endpoint serves the latest snapshot, so scrapes never disturb the windows.
 */
import type { Engine } from './engine.js';
import { log } from '../util/log.js';
import { RateTracker } from '../metrics/rates.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { formatSummaryLine, summarizeSnapshot, type FlowSummary } from '../metrics/summary.js';
import type { EngineSnapshot } from '../coordinator/snapshot.js';
import type { EngineConfig } from '../config/types.js';

export interface Observability {
  readonly rates: RateTracker;
  readonly server: MetricsServer | undefined;
  latest(): EngineSnapshot;
  close(): Promise<void>;
}

export interface ObservabilityConfig {
  metrics: EngineConfig['metrics'];
  summaryIntervalMs: number;
}

/** Snapshots for the endpoint are refreshed at least this often even without a log summary. */
const REFRESH_MS = 2_000;

export async function startObservability(engine: Engine, config: ObservabilityConfig, onSummary?: (s: FlowSummary[]) => void): Promise<Observability> {
  const rates = new RateTracker();
  let latest = engine.snapshot(true);
  rates.observe(latest);
  const server = config.metrics.enabled
    ? await startMetricsServer(
        {
          host: config.metrics.host,
          port: config.metrics.port,
          remoteStop: config.metrics.remoteStop,
          rates,
          log,
          readiness: () => engine.readiness(),
          admin: { stopFlow: (name) => engine.stopFlow(name) },
        },
        () => latest,
      )
    : undefined;
  if (server) log.info({ url: server.url }, `metrics on ${server.url}/metrics`);
  const period = config.summaryIntervalMs > 0 ? Math.min(config.summaryIntervalMs, REFRESH_MS) : REFRESH_MS;
  let sinceSummary = 0;
  const timer = setInterval(() => {
    latest = engine.snapshot(true);
    rates.observe(latest);
    sinceSummary += period;
    if (config.summaryIntervalMs > 0 && sinceSummary >= config.summaryIntervalMs) {
      sinceSummary = 0;
      const summaries = summarizeSnapshot(latest, rates);
      for (const s of summaries) log.info(s, formatSummaryLine(s));
      onSummary?.(summaries);
    }
  }, period);
  return {
    rates,
    server,
    latest: () => latest,
    async close() {
      clearInterval(timer);
      await server?.close();
    },
  };
}
