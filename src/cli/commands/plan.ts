/**
 * `strait plan`: size a deployment. Measures the load of the configured flows on their source
 * clusters (read-only, for --sample), or takes a stated what-if load (--rate, --record-size,
 * --partitions), and computes processes, worker threads, cores, memory, network, latency, RPO
 * and backlog drain time from a machine profile (--profile, or the one shipped with strait).
 * The arithmetic is src/plan/model.ts; every figure says what it comes from.
 */
import { writeFileSync } from 'node:fs';
import { flag, flagBool, parseArgs, usage, UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { numberOption } from './demo.js';
import { CONFIG_FLAGS, loadSources, type ConfigSource } from './validate.js';
import { parseDuration } from '../../config/duration.js';
import { DEFAULT_TRANSACTION_INTERVAL_MS, type FlowConfig, type StraitConfig } from '../../config/types.js';
import { ConfigError } from '../../util/errors.js';
import { streamProgress } from '../../sandbox/progress.js';
import { computePlan, type PlanSettings } from '../../plan/model.js';
import { loadProfile, type MachineProfile } from '../../plan/profile.js';
import { renderHtml, renderJson, renderText, type PlanReport } from '../../plan/render.js';
import { configClientSettings, defaultClientSettings } from '../../plan/settings.js';
import { SHIPPED_PROFILE } from '../../plan/shipped-profile.js';
import { parseRate, parseSize } from '../../plan/units.js';
import { statedWorkload, type Workload } from '../../plan/workload.js';

const SUMMARY = `Size a strait deployment: processes, worker threads, cores, memory, network, replication
latency and RPO over a link, and how long a backlog takes to drain.

With --config, the source clusters of the flows are sampled for --sample (read-only: nothing is
joined, committed or written): records/s, bytes/s, record sizes, compression and skew of every
topic the flows replicate. With --rate, --record-size and --partitions, a what-if load is planned
without any cluster. Costs come from a machine profile: --profile <file> (written by
\`strait bench --calibrate\`, or any bench results.json), else the profile shipped with strait.

options:`;

const SPECS: FlagSpecs = {
  ...CONFIG_FLAGS,
  flow: { value: true, description: 'plan only this flow (repeatable; default every enabled flow)' },
  sample: { value: true, description: 'how long to sample the source topics (default 60s)' },
  rate: { value: true, description: 'what-if load instead of sampling: e.g. 50MB/s, 400Mbit/s, 20000/s (records)' },
  'record-size': { value: true, description: 'what-if: key + value + header bytes per record, e.g. 1KiB (default 1KiB)' },
  partitions: { value: true, description: 'what-if: partitions of the load (default 96)' },
  'hottest-share': { value: true, description: 'what-if: share of the records on the busiest partition, 0-1 (default even)' },
  'wire-ratio': { value: true, description: 'what-if: source bytes on the wire per uncompressed byte (default 1: uncompressed)' },
  brokers: { value: true, description: 'what-if: brokers of the source cluster (default 3)' },
  mode: { value: true, description: 'what-if: at-least-once, exactly-once or offset-preserving (default: the flows\' mode, else at-least-once)' },
  profile: { value: true, description: 'machine profile: a profile.json of `strait bench --calibrate`, or a bench results.json' },
  headroom: { value: true, description: 'peak load as a share of capacity (default 0.5: capacity twice the load)' },
  rtt: { value: true, description: 'round trip between strait and the far cluster, e.g. 80ms (default 0: one network)' },
  near: { value: true, description: 'which cluster strait runs next to: target (default) or source' },
  'backlog-hours': { value: true, description: 'hours of backlog to drain (default 1)' },
  'workers-per-process': { value: true, description: 'worker threads per process at most (default the profile machine\'s cores)' },
  'tcp-window': { value: true, description: 'largest TCP window of one connection, e.g. 6MiB (default 6MiB, Linux\'s tcp_rmem maximum)' },
  json: { value: false, description: 'print the plan as JSON' },
  html: { value: true, description: 'also write the plan with its capacity plot as an HTML page to this file' },
  help: { value: false, description: 'show this help' },
};

const USAGE = 'plan --config <file> [--sample 60s] | plan --rate <rate> [--record-size 1KiB] [--partitions 96]';
const DEFAULT_TCP_WINDOW = 6 * 1024 * 1024;
const MODES = ['at-least-once', 'exactly-once', 'offset-preserving'] as const;

function durationOption(args: ParsedArgs, name: string, fallbackMs: number): number {
  const v = flag(args, name);
  if (v === undefined) return fallbackMs;
  const ms = /^\d+(\.\d+)?$/.test(v) ? undefined : parseDuration(v);
  if (ms === undefined || !(ms >= 0)) throw new UsageError(`option --${name} takes a duration with its unit, e.g. 60s, 2m or 80ms (got ${JSON.stringify(v)})`);
  return ms;
}

/** The flows a plan covers: --flow names, else every enabled flow. */
export function plannedFlows(config: StraitConfig, names: readonly string[]): FlowConfig[] {
  if (names.length === 0) {
    const enabled = config.flows.filter((f) => f.enabled);
    if (enabled.length === 0) throw new UsageError('the configuration has no enabled flow to plan; enable one, or name one with --flow');
    return enabled;
  }
  return names.map((n) => {
    const f = config.flows.find((x) => x.name === n);
    if (!f) throw new UsageError(`option --flow: no flow named "${n}" in the configuration (flows: ${config.flows.map((x) => x.name).join(', ')})`);
    return f;
  });
}

/** The strictest mode of the flows: exactly-once waits for its transactions. */
function modeOf(flows: readonly FlowConfig[]): PlanSettings['mode'] {
  if (flows.some((f) => f.mode === 'exactly-once')) return 'exactly-once';
  if (flows.some((f) => f.mode === 'offset-preserving')) return 'offset-preserving';
  return 'at-least-once';
}

export interface PlanInputs {
  source: ConfigSource | undefined;
  flows: string[];
  sampleMs: number;
  stated: Workload | undefined;
  profile: { profile: MachineProfile; shipped: boolean };
  settings: Omit<PlanSettings, 'mode' | 'transactionIntervalMs' | 'clients'> & { mode: PlanSettings['mode'] | undefined };
  json: boolean;
  html: string | undefined;
}

/** Reads and checks every option before anything connects. */
export function planInputs(argv: readonly string[]): PlanInputs {
  const args = parseArgs(argv, SPECS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}" for plan (see strait plan --help)`);
  const yaml = flag(args, 'config');
  const mm2 = flag(args, 'mm2-config');
  if (yaml !== undefined && mm2 !== undefined) throw new UsageError('plan reads one configuration: give --config or --mm2-config, not both');
  const source: ConfigSource | undefined = mm2 !== undefined ? { kind: 'mm2', path: mm2 } : yaml !== undefined ? { kind: 'yaml', path: yaml } : undefined;
  const rate = flag(args, 'rate');
  const whatIf = ['record-size', 'partitions', 'hottest-share', 'wire-ratio', 'brokers'].filter((n) => flag(args, n) !== undefined);
  if (rate === undefined && whatIf.length > 0) throw new UsageError(`option --${whatIf[0]} describes a what-if load: give --rate too`);
  if (source === undefined && rate === undefined) throw new UsageError(`plan needs --config <file> (sample the flows' source topics) or --rate <rate> (a what-if load)\n\n${usage(USAGE, SUMMARY, SPECS)}`);
  // --config with --rate: the configuration gives the client settings and the mode, --rate the load.
  let stated: Workload | undefined;
  if (rate !== undefined) {
    const r = parseRate(rate, 'rate');
    const recordBytes = parseSize(flag(args, 'record-size') ?? '1KiB', 'record-size');
    if (!(recordBytes >= 1)) throw new UsageError('option --record-size must be at least 1 B');
    const partitions = numberOption(flag(args, 'partitions'), 'partitions', 96, 1, 1_000_000, true)!;
    stated = statedWorkload({
      ...(r.kind === 'bytes' ? { bytesPerSec: r.bytesPerSec } : { recordsPerSec: r.recordsPerSec }),
      recordBytes,
      partitions,
      hottestShare: numberOption(flag(args, 'hottest-share'), 'hottest-share', undefined, 1 / partitions, 1, false),
      wireBytesPerByte: numberOption(flag(args, 'wire-ratio'), 'wire-ratio', undefined, 0.001, 10, false),
      sourceBrokers: numberOption(flag(args, 'brokers'), 'brokers', undefined, 1, 10_000, true),
    });
  }
  const profileFile = flag(args, 'profile');
  const profile = profileFile === undefined ? { profile: SHIPPED_PROFILE, shipped: true } : { profile: loadProfile(profileFile), shipped: false };
  const near = flag(args, 'near') ?? 'target';
  if (near !== 'target' && near !== 'source') throw new UsageError(`option --near takes target or source (got ${JSON.stringify(near)})`);
  const mode = flag(args, 'mode');
  if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) throw new UsageError(`option --mode takes ${MODES.join(', ')} (got ${JSON.stringify(mode)})`);
  const headroom = numberOption(flag(args, 'headroom'), 'headroom', 0.5, 0.01, 1, false)!;
  return {
    source,
    flows: args.flags.get('flow') ?? [],
    sampleMs: durationOption(args, 'sample', 60_000),
    stated,
    profile,
    settings: {
      headroom,
      rttMs: durationOption(args, 'rtt', 0),
      near,
      workersPerProcessMax: numberOption(flag(args, 'workers-per-process'), 'workers-per-process', profile.profile.machine.cores, 1, 1024, true)!,
      backlogHours: numberOption(flag(args, 'backlog-hours'), 'backlog-hours', 1, 0, 24 * 365, false)!,
      tcpWindowBytes: flag(args, 'tcp-window') === undefined ? DEFAULT_TCP_WINDOW : parseSize(flag(args, 'tcp-window')!, 'tcp-window'),
      mode: mode as PlanSettings['mode'] | undefined,
    },
    json: flagBool(args, 'json'),
    html: flag(args, 'html'),
  };
}

export const command: Command = {
  name: 'plan',
  summary: 'size a deployment from the flows\' measured load (or a what-if load) and a machine profile',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(usage(USAGE, SUMMARY, SPECS));
      return 0;
    }
    const inputs = planInputs(argv);
    let config: StraitConfig | undefined;
    if (inputs.source) {
      try {
        config = loadSources(inputs.source).config;
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          return 1;
        }
        throw err;
      }
    }
    const flows = config ? plannedFlows(config, inputs.flows) : [];
    let workload = inputs.stated;
    if (!workload) {
      // Loaded only here: sampling needs the Kafka binding, a what-if plan does not.
      const { sampleFlows } = await import('../../plan/sample.js');
      const { kafkaProbe } = await import('../../plan/probe.js');
      const progress = streamProgress(process.stderr, 10_000);
      workload = await sampleFlows(flows, (cluster) => kafkaProbe(cluster, config!.clusters.get(cluster)!), { durationMs: inputs.sampleMs, progress });
    }
    const settings: PlanSettings = {
      ...inputs.settings,
      mode: inputs.settings.mode ?? (flows.length > 0 ? modeOf(flows) : 'at-least-once'),
      transactionIntervalMs: Math.max(0, ...flows.filter((f) => f.mode === 'exactly-once').map((f) => f.transactionIntervalMs ?? DEFAULT_TRANSACTION_INTERVAL_MS), DEFAULT_TRANSACTION_INTERVAL_MS),
      // strait's partition fetch size follows the source's distance (client-config.ts): next to
      // the source it is 0 ms away, next to the target the whole round trip.
      clients: config ? configClientSettings(config, flows, sourceRttMs(inputs.settings)) : defaultClientSettings(sourceRttMs(inputs.settings)),
    };
    const plan = computePlan(workload, inputs.profile.profile, settings);
    const p = inputs.profile.profile;
    const report: PlanReport = {
      kind: 'strait-plan',
      version: 1,
      createdAt: new Date().toISOString(),
      workload,
      settings,
      profile: { source: p.source, shipped: inputs.profile.shipped, machine: p.machine, workers: p.workers },
      plan,
    };
    process.stdout.write(inputs.json ? renderJson(report) : renderText(report));
    if (inputs.html !== undefined) {
      writeFileSync(inputs.html, renderHtml(report));
      console.error(`plan with its capacity plot: ${inputs.html}`);
    }
    return 0;
  },
};

function sourceRttMs(s: Pick<PlanSettings, 'near' | 'rttMs'>): number {
  return s.near === 'target' ? s.rttMs : 0;
}
