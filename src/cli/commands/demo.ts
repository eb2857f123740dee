/**
 * `strait demo [--duration <s>] [--rate <records/s>] [--topics N] [--partitions N]`: replicate
 * freshly produced sample records between the two sandbox clusters, live, then prove the copy is
 * exact. See src/demo/demo.ts for the steps. Exit code 0 only when the target holds every source
 * record, in order, without duplicates.
 */
import { flag, flagBool, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { DEMO_DEFAULTS, DEMO_LIMITS, runDemo } from '../../demo/demo.js';

const SUMMARY = `Replicate live sample records between the local sandbox clusters, then verify the copy.

Starts the sandbox if needed (as "strait sandbox up"; same STRAIT_SANDBOX_DIR and port variables),
creates fresh demo topics on the source, writes sample records at a steady rate and runs strait on
them with a status line once a second. Ctrl-C (or --duration) stops the producer, lets strait catch
up, stops it in order and compares every partition on both clusters. Exit code 0 only when the
target holds exactly the source's records, in order. The sandbox keeps running afterwards.

options:`;

const SPECS: FlagSpecs = {
  duration: { value: true, description: 'stop by itself after this many seconds (default: run until Ctrl-C)' },
  rate: { value: true, description: `records per second over all demo topics (default ${formatDefault(DEMO_DEFAULTS.rate)})` },
  topics: { value: true, description: `number of demo topics, 1 to ${DEMO_LIMITS.topics} (default ${DEMO_DEFAULTS.topics}: orders, payments, clicks)` },
  partitions: { value: true, description: `partitions per topic, 1 to ${DEMO_LIMITS.partitions} (default ${DEMO_DEFAULTS.partitions})` },
  help: { value: false, description: 'show this help' },
};

function formatDefault(n: number): string {
  return n.toLocaleString('en-US');
}

/** A number option within [min, max]; integer when asked. */
export function numberOption(value: string | undefined, name: string, fallback: number | undefined, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  const kind = integer ? 'a whole number' : 'a number';
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`option --${name} must be ${kind} from ${formatDefault(min)} to ${formatDefault(max)} (got ${JSON.stringify(value)})`);
  }
  return n;
}

export const command: Command = {
  name: 'demo',
  summary: 'replicate live sample records between the sandbox clusters and verify the copy',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(usage('demo [options]', SUMMARY, SPECS));
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}" for demo (see strait demo --help)`);
    const durationSeconds = numberOption(flag(args, 'duration'), 'duration', undefined, 1, 7 * 24 * 3600, false);
    return runDemo({
      durationSeconds,
      rate: numberOption(flag(args, 'rate'), 'rate', DEMO_DEFAULTS.rate, 0.1, DEMO_LIMITS.rate, false)!,
      topics: numberOption(flag(args, 'topics'), 'topics', DEMO_DEFAULTS.topics, 1, DEMO_LIMITS.topics, true)!,
      partitions: numberOption(flag(args, 'partitions'), 'partitions', DEMO_DEFAULTS.partitions, 1, DEMO_LIMITS.partitions, true)!,
    });
  },
};
