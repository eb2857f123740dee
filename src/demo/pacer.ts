/**
 * A token bucket that paces a producer to a steady number of records per second.
 *
 * Tokens accrue continuously (fractions carry over, so 0.5 records/s gives one record every two
 * seconds and 1,000/s ticked every 7 ms still averages 1,000/s). The bucket holds at most `burst`
 * tokens: after a pause (a slow broker, a stalled event loop) the producer resumes at the steady
 * rate instead of sending the whole missed amount at once, which would show up as a fake spike in
 * the demo's rate and latency. The tokens lost that way are counted in `skipped`.
 *
 * Pure: the caller passes the clock, so tests drive it with made-up times.
 */
export class TokenBucket {
  private tokens = 0;
  private last: number;
  private skippedTokens = 0;
  readonly burst: number;

  /**
   * @param ratePerSecond records per second, > 0
   * @param now the current time in ms
   * @param burstSeconds how many seconds' worth of records may accumulate (default 0.2 s, at least one record)
   */
  constructor(
    readonly ratePerSecond: number,
    now: number,
    burstSeconds = 0.2,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate must be a positive number of records per second (got ${ratePerSecond})`);
    if (!(burstSeconds > 0)) throw new RangeError(`burst must be a positive number of seconds (got ${burstSeconds})`);
    this.burst = Math.max(1, ratePerSecond * burstSeconds);
    this.last = now;
  }

  /** Whole records that may be sent now. Taking fewer leaves the rest for later (up to `burst`). */
  available(now: number): number {
    if (now > this.last) {
      this.tokens += ((now - this.last) * this.ratePerSecond) / 1000;
      this.last = now;
      if (this.tokens > this.burst) {
        this.skippedTokens += this.tokens - this.burst;
        this.tokens = this.burst;
      }
    }
    return Math.floor(this.tokens);
  }

  /** Spends `n` tokens (n <= available(now)). */
  take(n: number): void {
    this.tokens -= n;
  }

  /** Records the producer could not send on time and dropped from the schedule, rounded down. */
  get skipped(): number {
    return Math.floor(this.skippedTokens);
  }
}
