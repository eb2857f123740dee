/**
 * The arithmetic of a capacity plan: workload (workload.ts) x machine profile (profile.ts) x the
 * deployment's settings -> processes, worker threads, cores, memory, network, latency, RPO and
 * backlog drain time. Pure functions, no I/O: every figure carries the measurement or assumption
 * it comes from (`basis`), which the table and the JSON repeat.
 *
 * The model, in the order a plan is computed:
 * - Worker load: a source partition is relayed by exactly one worker thread, and a worker copies
 *   `recordsPerSecPerWorker(size)` records/s at full speed (profile). The load of the flows in
 *   "workers at 100 %" is the sum over topics of records/s over that rate at the topic's mean
 *   record size; workers = that / headroom, rounded up.
 * - CPU: the sum over topics of records/s x `cpuSecPerRecord(size)` (all of strait's threads:
 *   JavaScript, librdkafka's fetch, compression and network), over the headroom.
 * - The link: a worker's consumer keeps one fetch in flight per source broker; each returns at
 *   most min(fetch.max.bytes, partitions x max.partition.fetch.bytes) per round trip, and a TCP
 *   connection carries at most its window per round trip. So a worker reads at most
 *   min(those) x connections / RTT. A producer far from its target is bound likewise by
 *   max.in.flight x batch.size per round trip. Whichever of CPU and link is lower is the bound.
 * - Latency at a steady load: the loopback figures of the profile plus the round trip. A record
 *   appended while the consumer's fetch is on its way back waits for the next fetch (up to one
 *   RTT) and then travels half of one: about RTT more at the median, 1.5 RTT at p99 (the
 *   conservative case of a continuous load; an idle long-polling fetch answers in RTT / 2).
 * - RPO: what a source outage would strand = the records not yet on the target = about the p99
 *   latency (plus, in exactly-once mode, the open transaction: transactionInterval).
 * - Backlog: N hours of the load, copied at full capacity while the load keeps coming.
 */
import { allocatorSlack, workerMemoryBound } from './memory.js';
import { cpuSecPerRecord, describeBasis, idleCoresPerProcess, recordsPerSecPerWorker, type MachineProfile } from './profile.js';
import { totals, type TopicLoad, type Workload } from './workload.js';

/** A figure and where it comes from. */
export interface Figure {
  value: number;
  basis: string;
}

export interface PlanSettings {
  /** Peak load as a share of capacity (0.5: capacity is twice the load). */
  headroom: number;
  /** Round trip between strait and the cluster it is far from, ms (0 = all on one network). */
  rttMs: number;
  /** Which cluster strait runs next to; the other one is `rttMs` away. */
  near: 'target' | 'source';
  /** Worker threads one process runs at most (usually its cores). */
  workersPerProcessMax: number;
  /** Hours of backlog to drain. */
  backlogHours: number;
  /** Largest TCP window one connection reaches (the OS's receive buffer bound). */
  tcpWindowBytes: number;
  mode: 'at-least-once' | 'exactly-once' | 'offset-preserving';
  transactionIntervalMs: number;
  /** The client settings the flows use (config or strait's defaults), and where each came from. */
  clients: {
    fetchMaxBytes: number;
    maxPartitionFetchBytes: number;
    queuedMaxMessagesKbytes: number;
    queuedMinMessages: number;
    queueBufferingMaxKbytes: number;
    /** engine.maxInFlightRecordsPerWorker: strait's own bound on the records a worker's producer holds. */
    maxInFlightRecords: number;
    batchSize: number;
    maxInFlight: number;
    compression: string;
    origin: string;
  };
}

export interface LinkFigures {
  /** Largest uncompressed bytes/s one worker can read from (near: target) or write to (near: source) the far cluster. */
  perWorkerBytesPerSec: number;
  /** The setting that bounds it. */
  boundBy: string;
  basis: string;
}

export interface Plan {
  load: {
    recordsPerSec: number;
    bytesPerSec: number;
    meanRecordBytes: number;
    partitions: number;
    busyTopics: number;
    idleTopics: string[];
    basis: string;
  };
  /** Records/s and bytes/s one worker thread copies at full speed, CPU-wise, at the load's mix of sizes. */
  workerCapacity: { recordsPerSec: number; bytesPerSec: number; basis: string };
  link: LinkFigures | undefined;
  /** 'cpu' or 'link': what caps a worker here. */
  bound: 'cpu' | 'link';
  workerLoad: Figure;
  workers: Figure;
  processes: Figure;
  workersPerProcess: Figure;
  /** CPU strait uses at the load itself (cores, all processes). */
  cpuAtLoad: Figure;
  /** Cores to provision: the load's CPU over the headroom, plus each process's idle cost. */
  cores: Figure;
  coresPerProcess: Figure;
  memoryBoundPerProcess: Figure;
  memoryTypicalPerProcess: Figure;
  networkInPerProcess: Figure;
  networkOutPerProcess: Figure;
  latencyP50Ms: Figure | undefined;
  latencyP99Ms: Figure | undefined;
  rpoSec: Figure | undefined;
  backlog: { hours: number; bytes: number; drainSec: number; basis: string };
  /** Capacity (uncompressed bytes/s) by total worker count, for the plot; 1..max(2 x workers, 8). */
  curve: { workers: number; bytesPerSec: number }[];
  /** What to change, and what the plan cannot promise. */
  advice: string[];
}

const busy = (w: Workload): TopicLoad[] => w.topics.filter((t) => !t.idle);
const sizeOf = (t: TopicLoad): number => t.meanRecordBytes ?? (t.recordsPerSec > 0 ? t.bytesPerSec / t.recordsPerSec : 1);

/** Source bytes on the wire per uncompressed byte, over the busy topics (1 where unmeasured). */
function sourceWireRatio(w: Workload): { ratio: number; measured: boolean } {
  const topics = busy(w);
  const bytes = topics.reduce((s, t) => s + t.bytesPerSec, 0);
  const measured = topics.filter((t) => t.wireBytesPerByte !== undefined);
  if (bytes === 0 || measured.length === 0) return { ratio: 1, measured: false };
  const wire = topics.reduce((s, t) => s + t.bytesPerSec * (t.wireBytesPerByte ?? 1), 0);
  return { ratio: wire / bytes, measured: measured.length === topics.length };
}

function linkFigures(w: Workload, s: PlanSettings, partitionsPerWorker: number, wire: number, targetWire: number): LinkFigures | undefined {
  if (!(s.rttMs > 0)) return undefined;
  const rtt = s.rttMs / 1000;
  const brokers = w.sourceBrokers ?? 3;
  const connections = Math.max(1, Math.min(brokers, Math.ceil(partitionsPerWorker)));
  const c = s.clients;
  if (s.near === 'target') {
    const perFetch = Math.min(c.fetchMaxBytes, Math.max(1, partitionsPerWorker) * c.maxPartitionFetchBytes, s.tcpWindowBytes);
    const boundBy =
      perFetch === s.tcpWindowBytes
        ? `the TCP window (${s.tcpWindowBytes} B, --tcp-window; raise the hosts' net.ipv4.tcp_rmem maximum)`
        : perFetch === c.fetchMaxBytes
          ? `fetch.max.bytes (${c.fetchMaxBytes}) of the source consumers`
          : `max.partition.fetch.bytes (${c.maxPartitionFetchBytes}) x ${partitionsPerWorker.toFixed(1)} partitions per worker`;
    return {
      perWorkerBytesPerSec: (perFetch * connections) / rtt / wire,
      boundBy,
      basis: `one fetch in flight per source broker (${connections} per worker${w.sourceBrokers === undefined ? ', 3 brokers assumed' : ''}), each returning at most ${perFetch} B per ${s.rttMs} ms round trip; ${wire.toFixed(2)} wire bytes per byte`,
    };
  }
  const perRequest = Math.min(c.batchSize, s.tcpWindowBytes);
  const boundBy = perRequest === s.tcpWindowBytes ? `the TCP window (${s.tcpWindowBytes} B, --tcp-window)` : `batch.size (${c.batchSize}) x max.in.flight (${c.maxInFlight}) of the relay producers`;
  return {
    perWorkerBytesPerSec: (Math.min(c.maxInFlight * perRequest, s.tcpWindowBytes) * connections) / rtt / targetWire,
    boundBy,
    basis: `${c.maxInFlight} produce requests in flight per target broker (${connections} per worker), each at most ${perRequest} B, per ${s.rttMs} ms round trip`,
  };
}

function ceil(x: number): number {
  return Math.max(1, Math.ceil(x - 1e-9));
}

export function computePlan(w: Workload, profile: MachineProfile, s: PlanSettings): Plan {
  const topics = busy(w);
  const t = totals(w);
  const advice: string[] = [];
  const idleTopics = w.topics.filter((x) => x.idle).map((x) => `${x.topic}`);
  const sizes = [...new Set(topics.map((x) => Math.round(sizeOf(x))))];
  const sizeBasis = sizes.length === 1 ? describeBasis(profile, sizes[0]) : `per topic at its mean record size (${sizes.length} sizes)`;
  const profileRef = `profile ${profile.source}`;

  // Worker-seconds per second and CPU-seconds per second at the full load.
  const workerLoad = topics.reduce((sum, x) => sum + x.recordsPerSec / recordsPerSecPerWorker(profile, sizeOf(x)), 0);
  const cpu = topics.reduce((sum, x) => sum + x.recordsPerSec * cpuSecPerRecord(profile, sizeOf(x)), 0);
  const meanSize = t.meanRecordBytes > 0 ? t.meanRecordBytes : (profile.points[0]?.recordBytes ?? 1);
  const perWorkerRecords = t.recordsPerSec > 0 ? t.recordsPerSec / workerLoad : recordsPerSecPerWorker(profile, meanSize);
  const perWorkerBytes = perWorkerRecords * meanSize;

  const { ratio: wire, measured: wireMeasured } = sourceWireRatio(w);
  // The target's batches: uncompressed when compression is off; otherwise about as well as the
  // source's (the same data), unknown (so 1, an upper bound) when the source sent it uncompressed.
  const targetWire = s.clients.compression === 'none' ? Math.max(1, wire) : wire;

  const workersCpu = ceil(workerLoad / s.headroom);
  const partitions = topics.reduce((sum, x) => sum + x.partitions, 0);
  let link = linkFigures(w, s, partitions / workersCpu, wire, targetWire);
  let bound: 'cpu' | 'link' = 'cpu';
  let workers = workersCpu;
  if (link && link.perWorkerBytesPerSec < perWorkerBytes) {
    bound = 'link';
    // More workers also spread the partitions thinner, which lowers each worker's fetch bound
    // when max.partition.fetch.bytes binds: iterate to a fixed point (a few steps suffice).
    for (let i = 0; i < 20; i++) {
      const capacity = Math.min(perWorkerBytes, link.perWorkerBytesPerSec);
      const next = Math.max(workersCpu, ceil(t.bytesPerSec / (capacity * s.headroom)));
      link = linkFigures(w, s, partitions / next, wire, targetWire)!;
      if (next === workers) break;
      workers = next;
    }
    advice.push(
      `The link, not the CPU, bounds a worker: ${formatMBs(link.perWorkerBytesPerSec)} per worker over ${s.rttMs} ms, bound by ${link.boundBy}. Raise that setting (or the hosts' TCP buffers) before adding workers: CPU-wise one worker copies ${formatMBs(perWorkerBytes)}.`,
    );
  }
  if (partitions > 0 && workers > partitions) {
    advice.push(`${workers} workers are needed but the topics have only ${partitions} partitions: a partition is copied by one worker, so the extra workers would idle. Add partitions to the source topics, or accept less headroom.`);
    workers = partitions;
  }
  const workerCapacityBytes = Math.min(perWorkerBytes, link?.perWorkerBytesPerSec ?? Infinity);
  for (const x of topics) {
    const one = recordsPerSecPerWorker(profile, sizeOf(x));
    if (x.hottest.recordsPerSec > one * s.headroom) {
      advice.push(
        `${x.topic} partition ${x.hottest.partition} carries ${Math.round(x.hottest.recordsPerSec)} records/s (${(x.hottest.share * 100).toFixed(0)} % of the topic), more than ${Math.round(s.headroom * 100)} % of one worker's ${Math.round(one)} records/s: one partition cannot be split across workers, so it lags first. Spread the producers' keys or add partitions.`,
      );
    }
  }

  const workersPerProcess = Math.min(s.workersPerProcessMax, workers);
  const processes = ceil(workers / workersPerProcess);
  const wpp = ceil(workers / processes);
  const partitionsPerProcess = Math.ceil(partitions / processes);
  const c = s.clients;
  const perWorker = workerMemoryBound(c, meanSize, partitionsPerProcess / wpp, wire);
  const slack = allocatorSlack(perWorker.bytes);
  const memoryBound = profile.memory.baseBytes + wpp * (perWorker.bytes + slack) + partitionsPerProcess * profile.memory.perPartitionBytes;
  const memoryTypical = profile.memory.baseBytes + wpp * profile.memory.perWorkerBytes + partitionsPerProcess * profile.memory.perPartitionBytes;
  const idle = idleCoresPerProcess(profile);
  const cpuAtLoad = processes * idle + cpu;
  const cores = processes * idle + cpu / s.headroom;
  const idleBasis = idle > 0 ? ` + ${processes} x ${idle.toFixed(2)} cores a process spends whatever its load (the profile's steady latency load less its records' cost)` : '';

  const rttSec = s.rttMs / 1000;
  let latencyP50: Figure | undefined;
  let latencyP99: Figure | undefined;
  let rpo: Figure | undefined;
  if (profile.latency) {
    const far = s.near === 'target' ? { p50: rttSec, p99: 1.5 * rttSec, how: 'a fetch round trip (RTT at the median, 1.5 RTT at p99)' } : { p50: rttSec / 2, p99: rttSec, how: 'the produce path (RTT / 2 at the median, RTT at p99)' };
    const txn = s.mode === 'exactly-once' ? { p50: s.transactionIntervalMs / 2000, p99: s.transactionIntervalMs / 1000 } : { p50: 0, p99: 0 };
    // The profile keeps its bench's lowest latency rate (plan/profile.ts): a load far below a
    // process's capacity, as a plan with headroom gives each process.
    const base = `loopback latency of the profile (p50 ${profile.latency.p50Ms} ms, p99 ${profile.latency.p99Ms} ms at ${profile.latency.ratePerSec} records/s of ${profile.latency.recordBytes} B, the lowest rate its bench measured)`;
    const extra = `${s.rttMs > 0 ? ` + ${far.how} for ${s.rttMs} ms` : ''}${txn.p99 > 0 ? ` + the exactly-once transaction (${s.transactionIntervalMs} ms, visible at commit)` : ''}`;
    latencyP50 = { value: profile.latency.p50Ms + 1000 * (far.p50 + txn.p50), basis: `${base}${extra}` };
    latencyP99 = { value: profile.latency.p99Ms + 1000 * (far.p99 + txn.p99), basis: `${base}${extra}` };
    rpo = { value: latencyP99.value / 1000, basis: 'records a source outage would strand: those not yet on the target, about the p99 latency at a steady load below capacity' };
  } else {
    advice.push('The profile has no latency measurement (its bench ran with --latency-rate 0): no latency or RPO estimate. Recalibrate with `strait bench --calibrate`.');
  }

  const capacityBytes = workers * workerCapacityBytes;
  const backlogBytes = t.bytesPerSec * s.backlogHours * 3600;
  const drainSec = capacityBytes > t.bytesPerSec ? backlogBytes / (capacityBytes - t.bytesPerSec) : Infinity;
  if (!(drainSec < Infinity) && t.bytesPerSec > 0) advice.push('At this load the plan\'s workers have no spare capacity to drain a backlog: lower the headroom figure or add workers.');

  const curveMax = Math.max(8, 2 * workers);
  const curve = Array.from({ length: curveMax }, (_, i) => {
    const n = i + 1;
    const l = linkFigures(w, s, partitions / n, wire, targetWire);
    const perWorker = Math.min(perWorkerBytes, l?.perWorkerBytesPerSec ?? Infinity);
    return { workers: n, bytesPerSec: Math.min(n, Math.max(partitions, 1)) * perWorker };
  });

  if (profile.brokersOnSameMachine) {
    advice.push(`The profile was measured with the brokers on the same ${profile.machine.cores}-core machine as strait, so a worker's capacity here is a low bound for a machine of strait's own.`);
  }
  if (!wireMeasured && t.bytesPerSec > 0) {
    advice.push(
      'The source batches\' compression was not measured for every topic: network figures count those topics uncompressed (an upper bound), and so does the memory bound, which for a compressed source is then low by the fetch responses decompressing into more (1 / the compression ratio of one response per worker; sample the topics with --config, or give --wire-ratio, to count it).',
    );
  }
  if (c.compression !== profile.compression) {
    advice.push(`The flows' target compression is ${c.compression}, the profile measured ${profile.compression}: CPU figures are those of ${profile.compression} (${c.compression === 'none' ? 'an upper bound' : 'an estimate'}).`);
  }

  return {
    load: { recordsPerSec: t.recordsPerSec, bytesPerSec: t.bytesPerSec, meanRecordBytes: t.meanRecordBytes, partitions: t.partitions, busyTopics: topics.length, idleTopics, basis: w.description },
    workerCapacity: { recordsPerSec: perWorkerRecords, bytesPerSec: perWorkerBytes, basis: `${sizeBasis}; ${profileRef}` },
    link,
    bound,
    workerLoad: { value: workerLoad, basis: `load / one worker's capacity (${sizeBasis})` },
    workers: { value: workers, basis: `worker load ${workerLoad.toFixed(2)} / headroom ${s.headroom}${bound === 'link' ? ', and the link bound' : ''}, rounded up` },
    processes: { value: processes, basis: `${workers} workers / at most ${s.workersPerProcessMax} per process (--workers-per-process)` },
    workersPerProcess: { value: wpp, basis: 'engine.workers of each process' },
    cpuAtLoad: { value: cpuAtLoad, basis: `records/s x CPU seconds per record (${sizeBasis}, ${profile.compression} on the target)${idleBasis}` },
    cores: { value: cores, basis: `CPU of the records ${cpu.toFixed(2)} cores / headroom ${s.headroom}${idleBasis}` },
    coresPerProcess: { value: cores / processes, basis: 'cores / processes' },
    memoryBoundPerProcess: {
      value: memoryBound,
      basis: `base ${mib(profile.memory.baseBytes)} + ${wpp} workers x ${mib(perWorker.bytes + slack)} (${perWorker.terms.map((x) => `${x.name} ${mib(x.bytes)}: ${x.basis}`).join('; ')}; allocator and heap slack ${mib(slack)}, the larger of 25 % and 64 MiB) + ${partitionsPerProcess} partitions x ${kib(profile.memory.perPartitionBytes)} (${c.origin})`,
    },
    memoryTypicalPerProcess: { value: memoryTypical, basis: `measured catch-up peak: base + ${wpp} x ${mib(profile.memory.perWorkerBytes)} per worker + partitions (${profile.memory.basis})` },
    networkInPerProcess: { value: (t.bytesPerSec * wire) / processes, basis: `load x ${wire.toFixed(2)} wire bytes per byte (${wireMeasured ? 'measured on the source\'s log' : 'not measured: uncompressed'}) / ${processes} processes` },
    networkOutPerProcess: {
      value: (t.bytesPerSec * targetWire) / processes,
      basis: `load x ${targetWire.toFixed(2)} (${c.compression === 'none' ? 'compression.type none on the target' : `${c.compression} on the target, assumed to compress like the source's batches`}) / ${processes} processes`,
    },
    latencyP50Ms: latencyP50,
    latencyP99Ms: latencyP99,
    rpoSec: rpo,
    backlog: {
      hours: s.backlogHours,
      bytes: backlogBytes,
      drainSec,
      basis: `${s.backlogHours} h of the load, copied at full capacity (${workers} workers x ${formatMBs(workerCapacityBytes)}) while the load goes on`,
    },
    curve,
    advice,
  };
}

function formatMBs(bytesPerSec: number): string {
  return `${(bytesPerSec / 1e6).toFixed(bytesPerSec < 1e7 ? 2 : 1)} MB/s`;
}
const mib = (b: number): string => `${Math.round(b / 1024 ** 2)} MiB`;
const kib = (b: number): string => `${Math.round(b / 1024)} KiB`;
