/**
 * The machine profile strait ships with, for a plan without --profile: the strait runs of the
 * benchmark recorded in bench/results/2026-11-26_022742/results.json (a 2-core machine with both brokers on it;
 * bench/README.md has that run's command and figures). A unit test derives it again from that file
 * (test/unit/plan-profile.test.ts), so the two cannot drift.
 */
import type { MachineProfile } from './profile.js';

export const SHIPPED_PROFILE_ORIGIN = 'bench/results/2026-11-26_022742/results.json';

export const SHIPPED_PROFILE: MachineProfile = {
  kind: 'strait-machine-profile',
  version: 1,
  createdAt: '2026-11-26T02:39:44.584Z',
  source: 'bench/results/2026-11-26_022742/results.json: strait bench of 2026-11-26 02:27 UTC, `strait bench --wait-idle 10`',
  machine: {
    cpuModel: 'AMD EPYC',
    cores: 2,
    memoryGiB: 23.5,
    os: 'Debian GNU/Linux 12 (bookworm)'
  },
  software: {
    strait: '0.1.0',
    node: 'v20.20.2',
    librdkafka: '2.15.1',
    kafka: '4.2.1'
  },
  workers: 2,
  partitions: 8,
  compression: 'lz4',
  brokersOnSameMachine: true,
  points: [
    {
      recordBytes: 108,
      cpuSecPerRecord: 0.0000017809199999999999,
      recordsPerSecPerWorker: 323974,
      runs: 3
    },
    {
      recordBytes: 1032,
      cpuSecPerRecord: 0.00000493296,
      recordsPerSecPerWorker: 107991.5,
      runs: 3
    },
    {
      recordBytes: 10248,
      cpuSecPerRecord: 0.00004170936,
      recordsPerSecPerWorker: 9025.5,
      runs: 3
    }
  ],
  memory: {
    baseBytes: 178388992,
    perWorkerBytes: 74127360,
    perPartitionBytes: 65536,
    basis: 'base: peak RSS at the steady latency load (3 runs); per worker: (median peak RSS of the copies - base) / 2 workers; per partition: assumed 64 KiB (not measured)'
  },
  latency: {
    p50Ms: 2,
    p99Ms: 5,
    ratePerSec: 2000,
    recordBytes: 1032,
    cpuCores: 0.15921696
  }
};
