#!/usr/bin/env node
/**
 * strait's command line. Each subcommand lives in src/cli/commands/<name>.ts and exports
 * `command: Command`. Errors reach the user as one readable message and exit code 1 (2 for
 * usage errors); the stack is printed only with STRAIT_DEBUG=1.
 */
import { describeError } from '../util/errors.js';
import { UsageError } from './args.js';
import type { Command } from './command.js';

const commands: Record<string, () => Promise<{ command: Command }>> = {
  sandbox: () => import('./commands/sandbox.js'),
  validate: () => import('./commands/validate.js'),
  run: () => import('./commands/run.js'),
  demo: () => import('./commands/demo.js'),
  bench: () => import('./commands/bench.js'),
  status: () => import('./commands/status.js'),
  translate: () => import('./commands/translate.js'),
  topology: () => import('./commands/topology.js'),
  failover: () => import('./commands/failover.js'),
  plan: () => import('./commands/plan.js'),
};

function help(): string {
  return [
    'strait: replicate topics between Kafka-API clusters',
    '',
    'usage: strait <command> [options]   (strait <command> --help for its options)',
    '',
    'commands:',
    '  run --config <file>              replicate the configured flows until stopped',
    '  demo [--duration <s>] [--rate <n>]   live sample data between the sandbox clusters, then verify the copy',
    '  status [--url <address>]         what a running strait is doing (from its metrics endpoint)',
    '  translate --config <f> --cluster <c> --from <c> --group <g>   where a consumer group resumes after failover',
    '  topology --config <file>         upstream clusters and hops, from heartbeats',
    '  failover --config <f> --flow <name> [--groups <g>] [--dry-run]   stop a flow, report lag/RPO, move consumer groups to the target',
    '  bench [options]                  strait vs Java MirrorMaker 2 vs the brokers\' limit, with a report',
    '  validate --config <file>         check a configuration file; connects to nothing',
    '  sandbox up|down|status|restart   local Kafka clusters on loopback, from Maven Central jars',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`strait: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const { command } = await load();
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`strait: ${describeError(err)}`);
    if (process.env['STRAIT_DEBUG'] === '1' && err instanceof Error) console.error(err.stack);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
