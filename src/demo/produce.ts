/**
 * Writing sample records to a cluster: a producer that counts acknowledgements, a bulk load (the
 * smoke benchmark, the integration tests), and the demo's producer that writes continuously at a
 * steady rate until stopped.
 */
import { ErrorCodes, rdkafka, type RdError, type RdProducer } from '../kafka/binding.js';
import { TokenBucket } from './pacer.js';
import type { SampleRecord } from './records.js';

export interface ProducerCounts {
  /** Records handed to the producer. */
  sent: number;
  /** Records the cluster acknowledged. */
  acked: number;
  /** Records the cluster refused or that timed out. */
  failed: number;
  /** The first failure, for the message. */
  firstError: string | undefined;
}

/** A librdkafka producer with delivery reports counted. Idempotent, so a retry never writes a record twice. */
export class CountingProducer {
  private readonly producer: RdProducer;
  readonly counts: ProducerCounts = { sent: 0, acked: 0, failed: 0, firstError: undefined };

  constructor(
    readonly bootstrap: string,
    properties: Record<string, string | number | boolean> = {},
  ) {
    this.producer = new rdkafka.Producer({
      'bootstrap.servers': bootstrap,
      'client.id': 'strait-sample-producer',
      'enable.idempotence': true,
      'linger.ms': 10,
      'queue.buffering.max.messages': 500_000,
      dr_cb: true,
      ...properties,
    });
    this.producer.on('delivery-report', (err: RdError | null) => {
      if (err) {
        this.counts.failed++;
        this.counts.firstError ??= err.message;
      } else this.counts.acked++;
    });
  }

  async connect(): Promise<void> {
    this.producer.setPollInterval(5);
    await new Promise<void>((resolve, reject) =>
      this.producer.connect({ timeout: 10_000 }, (err) => (err ? reject(new Error(`cannot connect a producer to ${this.bootstrap}: ${err.message}`)) : resolve())),
    );
  }

  /** Records sent but not yet acknowledged or failed. */
  get outstanding(): number {
    return this.counts.sent - this.counts.acked - this.counts.failed;
  }

  /** Queues one record; false when the local queue is full (send it again later). */
  send(topic: string, r: SampleRecord): boolean {
    try {
      this.producer.produce(topic, r.partition, r.value, r.key, r.timestamp, undefined, r.headers as never);
    } catch (err) {
      if ((err as { code?: number }).code === ErrorCodes.QUEUE_FULL) return false;
      throw err;
    }
    this.counts.sent++;
    return true;
  }

  /** Waits until every record sent so far is acknowledged or failed, up to `timeoutMs`. */
  async flush(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    await new Promise<void>((resolve) => this.producer.flush(timeoutMs, () => resolve()));
    // Delivery reports arrive through the poll loop, a little after flush returns.
    while (this.outstanding > 0 && Date.now() < until) await sleep(10);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Writes records 0..count-1 of `recordAt` as fast as the cluster takes them, with at most
 * `maxOutstanding` unacknowledged; resolves when all are acknowledged, throws if any failed.
 */
export async function produceAll(
  bootstrap: string,
  count: number,
  recordAt: (i: number) => { topic: string; record: SampleRecord },
  options: { maxOutstanding?: number; onProgress?: (acked: number) => void; properties?: Record<string, string | number | boolean> } = {},
): Promise<void> {
  const maxOutstanding = options.maxOutstanding ?? 200_000;
  const producer = new CountingProducer(bootstrap, options.properties);
  await producer.connect();
  let lastReport = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      while (producer.outstanding > maxOutstanding) await sleep(2);
      const { topic, record } = recordAt(i);
      while (!producer.send(topic, record)) await sleep(5);
      if (options.onProgress && Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        options.onProgress(producer.counts.acked);
      }
    }
    await producer.flush();
  } finally {
    await producer.close();
  }
  const { acked, failed, firstError } = producer.counts;
  if (failed > 0) throw new Error(`${failed} of ${count} records were refused by ${bootstrap}: ${firstError ?? 'unknown error'}`);
  if (acked !== count) throw new Error(`only ${acked} of ${count} records were acknowledged by ${bootstrap} within the flush timeout`);
}

export interface PacedTopic {
  name: string;
  /** Kind for the record generator (orders, payments, ...). */
  kind: string;
  partitions: number;
}

/**
 * The demo's producer: `ratePerSecond` records in total, spread round-robin over the topics, each
 * with the current time as its timestamp, until stop(). It never lets more than two seconds' worth
 * of records wait for acknowledgement; when the cluster is slower, records are dropped from the
 * schedule (counted in `skipped`) rather than queued without bound.
 */
const MAX_OUTSTANDING_SECONDS = 2;

export class PacedProducer {
  private readonly producer: CountingProducer;
  private bucket: TokenBucket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly seqs: number[];
  private stopped = false;
  /** Records skipped by the buckets of earlier rates (setRate starts a fresh bucket). */
  private skippedBefore = 0;

  constructor(
    bootstrap: string,
    private readonly topics: PacedTopic[],
    private rate: number,
    private readonly makeRecord: (topic: PacedTopic, seq: number, timestamp: number) => SampleRecord,
    private readonly tickMs = 10,
    /** Extra producer properties (e.g. compression.type). */
    properties: Record<string, string | number | boolean> = {},
  ) {
    if (topics.length === 0) throw new RangeError('the paced producer needs at least one topic');
    this.producer = new CountingProducer(bootstrap, properties);
    this.seqs = topics.map(() => 0);
  }

  get counts(): Readonly<ProducerCounts> {
    return this.producer.counts;
  }

  get skipped(): number {
    return this.skippedBefore + (this.bucket?.skipped ?? 0);
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  /**
   * Switches to another rate from now on (the bench's latency phases). A fresh bucket: tokens
   * saved up at the old rate are not sent as a burst at the new one.
   */
  setRate(ratePerSecond: number): void {
    const next = new TokenBucket(ratePerSecond, Date.now());
    this.skippedBefore += this.bucket?.skipped ?? 0;
    this.rate = ratePerSecond;
    if (this.bucket) this.bucket = next;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    // The schedule starts once connected: the connection time is not owed as a burst.
    this.bucket = new TokenBucket(this.rate, Date.now());
    const tick = (): void => {
      if (this.stopped) return;
      this.sendDue();
      this.timer = setTimeout(tick, this.tickMs);
    };
    tick();
  }

  private sendDue(): void {
    const bucket = this.bucket!;
    const now = Date.now();
    const due = bucket.available(now);
    const room = Math.max(0, MAX_OUTSTANDING_SECONDS * Math.ceil(this.rate) - this.producer.outstanding);
    const n = Math.min(due, room);
    let sent = 0;
    for (; sent < n; sent++) {
      const i = this.next % this.topics.length;
      const topic = this.topics[i];
      if (!this.producer.send(topic.name, this.makeRecord(topic, this.seqs[i], now))) break;
      this.seqs[i]++;
      this.next++;
    }
    bucket.take(sent);
  }

  /** Stops sending, waits for every sent record's acknowledgement (bounded), disconnects. */
  async stop(timeoutMs = 30_000): Promise<Readonly<ProducerCounts>> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.producer.flush(timeoutMs);
    await this.producer.close();
    return this.producer.counts;
  }
}
