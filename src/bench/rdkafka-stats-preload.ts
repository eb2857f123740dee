/**
 * Loaded with `node --import` into a strait process under `strait bench --profile`: turns on
 * librdkafka's statistics (statistics.interval.ms) for every consumer and producer strait
 * creates, in every thread, and appends a condensed line per statistics event to
 * $STRAIT_BENCH_STATS_FILE.
 *
 * Why a preload: strait itself has no statistics hook (nothing in the engine listens to
 * `event.stats`), and the benchmark must measure strait as shipped, not a build with extra
 * instrumentation. The preload only wraps the binding's client constructors (through
 * src/kafka/binding.ts, the module that owns the binding): the clients' own settings are
 * untouched but for the statistics interval. Node runs --import modules in worker threads too,
 * and each thread has its own copy of the binding's module, so each is wrapped where it is used.
 *
 * A condensed line keeps what tells where time goes: queue depths (records waiting in the
 * producer, pre-fetched records in the consumer), requests waiting for a response, broker round
 * trips and internal latencies, and batch sizes; the full JSON is several kB per client per second.
 */
import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { rdkafka } from '../kafka/binding.js';

interface Window {
  avg?: number;
  p50?: number;
  p99?: number;
  max?: number;
  cnt?: number;
}

interface RawBroker {
  name?: string;
  nodeid?: number;
  outbuf_cnt?: number;
  waitresp_cnt?: number;
  tx?: number;
  rx?: number;
  rtt?: Window;
  int_latency?: Window;
  outbuf_latency?: Window;
  throttle?: Window;
}

interface RawPartition {
  partition?: number;
  fetchq_cnt?: number;
  fetchq_size?: number;
  msgq_cnt?: number;
  xmit_msgq_cnt?: number;
  consumer_lag?: number;
  fetch_state?: string;
}

interface RawTopic {
  topic?: string;
  batchsize?: Window;
  batchcnt?: Window;
  partitions?: Record<string, RawPartition>;
}

interface RawStats {
  name?: string;
  type?: string;
  ts?: number;
  time?: number;
  msg_cnt?: number;
  msg_size?: number;
  replyq?: number;
  tx?: number;
  tx_bytes?: number;
  rx?: number;
  rx_bytes?: number;
  txmsgs?: number;
  txmsg_bytes?: number;
  rxmsgs?: number;
  rxmsg_bytes?: number;
  brokers?: Record<string, RawBroker>;
  topics?: Record<string, RawTopic>;
}

/** The part of one statistics event the benchmark report uses. */
export function condenseStats(raw: RawStats, thread: number): Record<string, unknown> {
  const brokers = Object.values(raw.brokers ?? {})
    .filter((b) => (b.nodeid ?? -1) >= 0)
    .map((b) => ({
      name: b.name,
      outbufCnt: b.outbuf_cnt,
      waitrespCnt: b.waitresp_cnt,
      tx: b.tx,
      rx: b.rx,
      rttAvgUs: b.rtt?.avg,
      rttP99Us: b.rtt?.p99,
      intLatencyAvgUs: b.int_latency?.avg,
      outbufLatencyAvgUs: b.outbuf_latency?.avg,
      throttleAvgMs: b.throttle?.avg,
    }));
  let fetchqCnt = 0;
  let fetchqSize = 0;
  let msgqCnt = 0;
  let xmitMsgqCnt = 0;
  const batches: { topic: string | undefined; batchSizeAvg: number | undefined; batchCntAvg: number | undefined }[] = [];
  for (const t of Object.values(raw.topics ?? {})) {
    if ((t.batchcnt?.cnt ?? 0) > 0) batches.push({ topic: t.topic, batchSizeAvg: t.batchsize?.avg, batchCntAvg: t.batchcnt?.avg });
    for (const p of Object.values(t.partitions ?? {})) {
      if ((p.partition ?? -1) < 0) continue; // the internal UA partition
      fetchqCnt += p.fetchq_cnt ?? 0;
      fetchqSize += p.fetchq_size ?? 0;
      msgqCnt += p.msgq_cnt ?? 0;
      xmitMsgqCnt += p.xmit_msgq_cnt ?? 0;
    }
  }
  return {
    thread,
    name: raw.name,
    type: raw.type,
    ts: raw.time,
    msgCnt: raw.msg_cnt,
    msgSize: raw.msg_size,
    replyq: raw.replyq,
    txmsgs: raw.txmsgs,
    txmsgBytes: raw.txmsg_bytes,
    rxmsgs: raw.rxmsgs,
    rxmsgBytes: raw.rxmsg_bytes,
    tx: raw.tx,
    rx: raw.rx,
    fetchqCnt,
    fetchqSize,
    msgqCnt,
    xmitMsgqCnt,
    brokers,
    batches,
  };
}

type ClientCtor = new (conf: Record<string, unknown>, topicConf?: Record<string, unknown>) => {
  on(event: string, listener: (ev: { message: string }) => void): unknown;
};

function install(file: string, intervalMs: number): void {
  const mod = rdkafka as unknown as Record<string, ClientCtor>;
  for (const name of ['KafkaConsumer', 'Producer']) {
    const Base = mod[name];
    const Wrapped = class extends Base {
      constructor(conf: Record<string, unknown>, topicConf?: Record<string, unknown>) {
        super({ ...conf, 'statistics.interval.ms': intervalMs }, topicConf);
        this.on('event.stats', (ev: { message: string }) => {
          try {
            appendFileSync(file, `${JSON.stringify(condenseStats(JSON.parse(ev.message) as RawStats, threadId))}\n`);
          } catch {
            // A lost statistics line must never disturb the process being measured.
          }
        });
      }
    };
    Object.defineProperty(Wrapped, 'name', { value: name });
    mod[name] = Wrapped;
  }
}

const statsFile = process.env['STRAIT_BENCH_STATS_FILE'];
if (statsFile) install(statsFile, Number(process.env['STRAIT_BENCH_STATS_INTERVAL_MS'] ?? 1000));
