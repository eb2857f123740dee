/**
 * Records and bytes per second per flow, from consecutive engine snapshots.
 *
 * A windowed rate rather than an EWMA: "records per second over the last 10 s" is what an
 * operator expects to read, and it does not depend on how often snapshots come. Each flow keeps a
 * few (time, records, bytes) samples; the rate is measured from the newest sample back to the
 * latest one at or before the start of the window (or the oldest one while the history is shorter),
 * so it covers at least the window when samples are sparse (a 60 s summary interval gives a
 * 60 s rate) and about the window when they are frequent.
 *
 * Several readers may feed one tracker (the log summary every interval and every Prometheus
 * scrape): extra samples only make the window edge more precise. Samples closer together than
 * window / maxSamples are merged, so memory stays bounded however often /metrics is scraped.
 *
 * Flow totals count from the engine's start, so the first snapshot of a flow is measured against
 * (startedAt, 0): the very first summary line already shows a rate. A total that goes down (a
 * restarted flow) or a snapshot older than the previous one starts the flow's history again.
 */
import type { EngineSnapshot } from '../coordinator/snapshot.js';

export interface FlowRate {
  recordsPerSecond: number;
  /** Key + value bytes per second. */
  bytesPerSecond: number;
  /** The span the rate was measured over, ms. */
  overMs: number;
}

/** What the renderers need: the current rate of a flow, undefined when not known yet. */
export interface RateSource {
  rate(flow: string): FlowRate | undefined;
}

export interface RateTrackerOptions {
  /** Span the rate is measured over, ms (default 10 s). */
  windowMs?: number;
  /** Samples kept per flow within the window (default 60). */
  maxSamples?: number;
}

interface Sample {
  t: number;
  records: number;
  bytes: number;
}

export const DEFAULT_RATE_WINDOW_MS = 10_000;

export class RateTracker implements RateSource {
  readonly windowMs: number;
  private readonly minSpacingMs: number;
  private readonly flows = new Map<string, Sample[]>();

  constructor(options: RateTrackerOptions = {}) {
    const windowMs = options.windowMs ?? DEFAULT_RATE_WINDOW_MS;
    const maxSamples = options.maxSamples ?? 60;
    if (!(windowMs > 0)) throw new RangeError(`rate window must be a positive number of ms (got ${windowMs})`);
    if (!(maxSamples >= 1)) throw new RangeError(`rate maxSamples must be at least 1 (got ${maxSamples})`);
    this.windowMs = windowMs;
    this.minSpacingMs = windowMs / maxSamples;
  }

  /** Add a snapshot. Flows missing from it are forgotten. */
  observe(snapshot: EngineSnapshot): void {
    const t = snapshot.takenAt;
    const seen = new Set<string>();
    for (const flow of snapshot.flows) {
      seen.add(flow.name);
      const sample: Sample = { t, records: flow.records, bytes: flow.bytes };
      const samples = this.flows.get(flow.name);
      if (samples === undefined) {
        const first: Sample[] = snapshot.startedAt < t ? [{ t: snapshot.startedAt, records: 0, bytes: 0 }] : [];
        first.push(sample);
        this.flows.set(flow.name, first);
        continue;
      }
      const last = samples[samples.length - 1];
      if (t < last.t || sample.records < last.records || sample.bytes < last.bytes) {
        this.flows.set(flow.name, [sample]);
        continue;
      }
      // The same snapshot read twice (a cached one served to several readers) adds nothing new.
      if (t === last.t) {
        samples[samples.length - 1] = sample;
        continue;
      }
      // Only the newest sample may sit closer than minSpacing to its predecessor: replacing it
      // keeps the latest counts while bounding the number of samples.
      const previous = samples.length >= 2 ? samples[samples.length - 2] : undefined;
      if (previous !== undefined && t - previous.t < this.minSpacingMs) samples[samples.length - 1] = sample;
      else samples.push(sample);
      // Keep exactly one sample at or before the window's start: the base of the rate.
      while (samples.length > 2 && samples[1].t <= t - this.windowMs) samples.shift();
    }
    for (const name of this.flows.keys()) if (!seen.has(name)) this.flows.delete(name);
  }

  rate(flow: string): FlowRate | undefined {
    const samples = this.flows.get(flow);
    if (samples === undefined || samples.length < 2) return undefined;
    const base = samples[0];
    const newest = samples[samples.length - 1];
    const overMs = newest.t - base.t;
    return {
      recordsPerSecond: ((newest.records - base.records) * 1000) / overMs,
      bytesPerSecond: ((newest.bytes - base.bytes) * 1000) / overMs,
      overMs,
    };
  }
}

/** A RateSource over fixed values, e.g. the rates a running strait reported in /status. */
export function fixedRates(rates: ReadonlyMap<string, FlowRate>): RateSource {
  return { rate: (flow) => rates.get(flow) };
}
