/**
 * How far each source cluster is, measured once at start: the relay's consumers fetch more per
 * partition from a distant source (client-config.ts, partitionFetchBytesFor), because the source
 * answers one fetch per round trip, and less from a near one, where the larger fetch only costs
 * memory. Kept apart from the binding: the timing takes a `ping` function, so it is unit-tested.
 */

/** Round trips timed after the first (which also pays for the connection). */
export const RTT_SAMPLES = 3;
/** Per round trip: an unreachable source is reported by the flow's own start, not waited for here. */
export const RTT_PING_TIMEOUT_MS = 3_000;

/**
 * The smallest of RTT_SAMPLES round trips after a first one, in ms; undefined when a round trip
 * failed. The smallest, because a round trip is the network's plus whatever the broker, the
 * client and this thread added; the network's share is what does not vary.
 */
export async function measureRtt(ping: () => Promise<void>, now: () => number = () => performance.now()): Promise<number | undefined> {
  try {
    await ping();
    let best = Infinity;
    for (let i = 0; i < RTT_SAMPLES; i++) {
      const t0 = now();
      await ping();
      best = Math.min(best, now() - t0);
    }
    return Math.round(best * 10) / 10;
  } catch {
    return undefined;
  }
}
