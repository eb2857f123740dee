/**
 * Heartbeats, as MM2's MirrorHeartbeatConnector emits them: every interval, a record
 * (key: source alias, target alias; value: version 0, timestamp) into the `heartbeats` topic of
 * the target cluster of each cluster pair.
 *
 * Like MM2's dedicated mode (MirrorMakerConfig.clusterPairs), heartbeats are emitted for every
 * ordered pair of clusters in the configuration, also for pairs with no flow: that is what
 * creates a `heartbeats` topic on a flow's source cluster, which the flow then replicates
 * (as `<source>.heartbeats`) so that downstream clusters can discover their upstream clusters
 * and count hops (RemoteClusterUtils.upstreamClusters / replicationHops).
 */
import type { InternalWriter } from '../kafka/internal-producer.js';
import { encodeHeartbeatKey, encodeHeartbeatValue } from './formats.js';

export interface HeartbeatPair {
  source: string;
  target: string;
}

export interface HeartbeatOptions {
  intervalMs: number;
  topic: string;
  replicationFactor: number;
  clock?: () => number;
}

export class HeartbeatEmitter {
  private timer: NodeJS.Timeout | undefined;
  /** Last emitted heartbeat per pair ("source->target"), for the heartbeat-age metric. */
  readonly lastEmitted = new Map<string, number>();
  private readonly keys: Buffer[];

  constructor(
    private readonly pairs: HeartbeatPair[],
    /** The writer of each pair's target cluster, by alias. */
    private readonly writers: Map<string, InternalWriter>,
    private readonly options: HeartbeatOptions,
  ) {
    // Keys never change: encode them once.
    this.keys = pairs.map((p) => encodeHeartbeatKey({ sourceClusterAlias: p.source, targetClusterAlias: p.target }));
  }

  /**
   * Starts beating now. The `heartbeats` topics are created in the background (a cluster may be
   * unreachable at start); records written before that wait in the writer.
   */
  start(onError: (err: unknown) => void = () => undefined): void {
    for (const target of new Set(this.pairs.map((p) => p.target))) this.writers.get(target)!.ensureTopic(this.options.topic, this.options.replicationFactor).catch(onError);
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.intervalMs);
  }

  beat(): void {
    const now = (this.options.clock ?? Date.now)();
    const value = encodeHeartbeatValue({ timestamp: now });
    this.pairs.forEach((p, i) => {
      this.writers.get(p.target)!.write(this.options.topic, this.keys[i], value);
      this.lastEmitted.set(`${p.source}->${p.target}`, now);
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Every ordered pair of distinct cluster aliases (MM2 dedicated mode's cluster pairs). */
export function allPairs(aliases: string[]): HeartbeatPair[] {
  const out: HeartbeatPair[] = [];
  for (const source of aliases) for (const target of aliases) if (source !== target) out.push({ source, target });
  return out;
}
