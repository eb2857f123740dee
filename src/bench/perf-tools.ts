/**
 * "The limit": what the two clusters allow on this machine, measured with Kafka's own tools at the
 * same time, as a replicator would load them: ConsumerPerformance reads the pre-loaded source
 * topic while ProducerPerformance writes the same number of records of the same values (through
 * a payload file of the benchmark's value pool) into a fresh topic on the target. A replicator
 * cannot copy faster than the slower of the two, so the limit is that one's rate.
 *
 * The producer writes with strait's client settings (acks=all, lz4, linger 1 ms, 1 MB batches),
 * so "strait / limit" tells how much of the clusters' capacity strait's pipeline leaves unused.
 * ProducerPerformance sends without keys (it has no option for them): the 8-byte keys of the
 * replicated records are the only difference in what is written. Its first fifth of the records
 * is a warm-up and not counted (--warmup-records): the limit is what the clusters take once the
 * tool's JVM runs at speed. ConsumerPerformance has no such option, and its progress reports are
 * too coarse for a copy of a few seconds: its rate is its own fetch rate (group join excluded),
 * JVM warm-up included, as the replicators' are.
 */
import { runKafkaTool, type KafkaDist } from '../sandbox/kafka-dist.js';

const PRODUCER_PERFORMANCE = 'org.apache.kafka.tools.ProducerPerformance';
const CONSUMER_PERFORMANCE = 'org.apache.kafka.tools.ConsumerPerformance';

export const LIMIT_PRODUCER_PROPS: Readonly<Record<string, string | number>> = {
  acks: 'all',
  'compression.type': 'lz4',
  'linger.ms': 1,
  'batch.size': 1_000_000,
};

export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The summary line of ProducerPerformance (the periodic progress lines share its start but have
 * no percentiles):
 * `100000 records sent, 51282.100000 records/sec (50.08 MB/sec), 321.40 ms avg latency, 603.00 ms
 * max latency, 320 ms 50th, 560 ms 95th, 598 ms 99th, 603 ms 99.9th.`
 * With --warmup-records it prints a second one, `75000 steady state records sent, ...`, over the
 * records after the warm-up: that one is taken when present.
 */
export function parseProducerPerformance(output: string): (ProducerPerfResult & { steadyState: boolean }) | undefined {
  const re = /(\d+)( steady state)? records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/g;
  let whole: RegExpExecArray | undefined;
  let steady: RegExpExecArray | undefined;
  for (let m = re.exec(output); m !== null; m = re.exec(output)) {
    if (m[2]) steady = m;
    else whole = m;
  }
  const line = steady ?? whole;
  if (!line) return undefined;
  return {
    records: Number(line[1]),
    recordsPerSec: Number(line[3]),
    mbPerSec: Number(line[4]),
    avgLatencyMs: Number(line[5]),
    maxLatencyMs: Number(line[6]),
    p50Ms: Number(line[7]),
    p99Ms: Number(line[9]),
    steadyState: steady !== undefined,
  };
}

/** A periodic progress line of ProducerPerformance: records/s of the last interval. */
export function parseProducerProgress(line: string): number | undefined {
  const m = /^(\d+) records sent, ([\d.]+) records\/sec/.exec(line.trim());
  return m ? Number(m[2]) : undefined;
}

export interface ConsumerPerfResult {
  records: number;
  /** Over the fetch time alone (group join excluded). */
  recordsPerSec: number;
  mbPerSec: number;
  fetchTimeMs: number;
  rebalanceTimeMs: number;
}

/**
 * ConsumerPerformance prints a header line and a line of values:
 * `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
 * rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec`.
 */
export function parseConsumerPerformance(output: string): ConsumerPerfResult | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith('start.time,'));
  if (h < 0 || h + 1 >= lines.length) return undefined;
  const names = lines[h].split(',').map((s) => s.trim());
  // The dates contain no comma; the values split the same way as the names.
  const values = lines[h + 1].split(',').map((s) => s.trim());
  const get = (name: string): number => Number(values[names.indexOf(name)]);
  const records = get('data.consumed.in.nMsg');
  if (!Number.isFinite(records)) return undefined;
  return {
    records,
    recordsPerSec: get('fetch.nMsg.sec'),
    mbPerSec: get('fetch.MB.sec'),
    fetchTimeMs: get('fetch.time.ms'),
    rebalanceTimeMs: get('rebalance.time.ms'),
  };
}

export interface LimitOptions {
  dist: KafkaDist;
  sourceBootstrap: string;
  targetBootstrap: string;
  sourceTopic: string;
  targetTopic: string;
  records: number;
  payloadFile: string;
  group: string;
  timeoutMs: number;
  /** Records/s of the producer's last progress interval, for the live status. */
  onProgress?: (recordsPerSec: number) => void;
  /** The tools' output, to keep with the run. */
  onOutputs?: (outputs: LimitOutputs) => void;
}

export interface LimitOutputs {
  producer: string;
  consumer: string;
}

export interface LimitResult {
  producer: ProducerPerfResult & { steadyState: boolean };
  consumer: ConsumerPerfResult;
  /** The slower of the two. */
  recordsPerSec: number;
  bound: 'producer' | 'consumer';
}

export async function runLimit(o: LimitOptions): Promise<LimitResult> {
  const producerProps = Object.entries({ 'bootstrap.servers': o.targetBootstrap, ...LIMIT_PRODUCER_PROPS }).map(([k, v]) => `${k}=${v}`);
  const [produced, consumed] = await Promise.all([
    runKafkaTool(
      PRODUCER_PERFORMANCE,
      [
        '--topic', o.targetTopic, '--num-records', String(o.records), '--payload-file', o.payloadFile, '--throughput', '-1',
        // The JVM's first seconds (class loading, JIT) are not the clusters' limit.
        '--warmup-records', String(Math.floor(o.records / 5)),
        '--command-property', ...producerProps,
      ],
      {
        dist: o.dist,
        heap: '1g',
        timeoutMs: o.timeoutMs,
        onLine: (line) => {
          const rate = parseProducerProgress(line);
          if (rate !== undefined) o.onProgress?.(rate);
        },
      },
    ),
    runKafkaTool(
      CONSUMER_PERFORMANCE,
      ['--bootstrap-server', o.sourceBootstrap, '--topic', o.sourceTopic, '--num-records', String(o.records), '--group', o.group, '--timeout', '60000'],
      { dist: o.dist, heap: '1g', timeoutMs: o.timeoutMs },
    ),
  ]);
  o.onOutputs?.({ producer: produced.stdout + produced.stderr, consumer: consumed.stdout + consumed.stderr });
  const producer = parseProducerPerformance(produced.stdout);
  const consumer = parseConsumerPerformance(consumed.stdout);
  if (!producer || produced.code !== 0) throw new Error(`ProducerPerformance failed (${produced.timedOut ? 'timed out' : `exit ${produced.code}`}):\n${(produced.stdout + produced.stderr).trim().split('\n').slice(-8).join('\n')}`);
  if (!consumer || consumed.code !== 0) throw new Error(`ConsumerPerformance failed (${consumed.timedOut ? 'timed out' : `exit ${consumed.code}`}):\n${(consumed.stdout + consumed.stderr).trim().split('\n').slice(-8).join('\n')}`);
  const bound = producer.recordsPerSec <= consumer.recordsPerSec ? 'producer' : 'consumer';
  return { producer, consumer, recordsPerSec: Math.min(producer.recordsPerSec, consumer.recordsPerSec), bound };
}
