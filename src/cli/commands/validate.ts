/**
 * `strait validate --config <file>` (strait YAML) or `strait validate --mm2-config <file>` (an MM2
 * dedicated-mode properties file): check a configuration without connecting to any cluster.
 * Prints a summary of what would run and the warnings, or every problem at once. Exit code 0
 * when valid (warnings included), 1 when not.
 */
import { ConfigError, type ConfigProblem } from '../../util/errors.js';
import { flag, flagBool, parseArgs, usage, UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';
import type { Command } from '../command.js';
import { loadConfigFileWithWarnings, type LoadedConfig } from '../../config/load.js';
import { loadMm2ConfigFileWithWarnings } from '../../config/mm2.js';
import type { FlowConfig, StraitConfig } from '../../config/types.js';
import { formatDuration } from '../../config/duration.js';
import { createReplicationPolicy } from '../../mirror/policy.js';

const SUMMARY =
  'Check a strait configuration file (or an MM2 properties file): every key, value and librdkafka property, and the rules between flows. Connects to nothing.';

/** The two ways to give the configuration; `run` takes the same two flags. */
export const CONFIG_FLAGS: FlagSpecs = {
  config: { value: true, description: 'the strait YAML configuration file' },
  'mm2-config': { value: true, description: 'or: an MM2 dedicated-mode properties file (connect-mirror-maker.properties)' },
};

const SPECS: FlagSpecs = {
  ...CONFIG_FLAGS,
  help: { value: false, description: 'show this help' },
};

function helpText(): string {
  return usage('validate --config <file> | --mm2-config <file>', SUMMARY, SPECS);
}

export type ConfigSource = { kind: 'yaml' | 'mm2'; path: string };

/** Exactly one of --config and --mm2-config; a usage error (with `help`) otherwise. */
export function configSource(args: ParsedArgs, command: string, help: string): ConfigSource {
  const yaml = flag(args, 'config');
  const mm2 = flag(args, 'mm2-config');
  if (yaml !== undefined && mm2 !== undefined) {
    throw new UsageError(`${command} reads one configuration: give --config <file> (strait YAML) or --mm2-config <file> (MM2 properties), not both\n\n${help}`);
  }
  if (mm2 !== undefined) return { kind: 'mm2', path: mm2 };
  if (yaml !== undefined) return { kind: 'yaml', path: yaml };
  throw new UsageError(`${command} needs --config <file> (strait YAML) or --mm2-config <file> (MM2 properties)\n\n${help}`);
}

/** Load the configuration from whichever source was given; both end in the same validation. */
export function loadSources(source: ConfigSource): LoadedConfig {
  return source.kind === 'mm2' ? loadMm2ConfigFileWithWarnings(source.path) : loadConfigFileWithWarnings(source.path);
}

export function describeFlow(flow: FlowConfig): string {
  const policy = createReplicationPolicy(flow.replication);
  const remote = policy.formatRemoteTopic(flow.source, 'orders');
  const parts = [
    `${flow.source} -> ${flow.target}`,
    flow.mode,
    remote === 'orders' ? 'topic names kept' : `topic orders -> ${remote}`,
    `group ${flow.groupId}`,
    `refresh ${formatDuration(flow.refreshTopicsIntervalMs)}`,
  ];
  return `  ${flow.name}: ${parts.join(', ')}${flow.enabled ? '' : ' (disabled)'}`;
}

export function describeConfig(config: StraitConfig): string {
  const lines = [`config OK: ${config.clusters.size} clusters, ${config.flows.length} flow(s)`];
  for (const flow of config.flows) lines.push(describeFlow(flow));
  const e = config.engine;
  lines.push(`  engine: ${e.workers} worker(s), metrics ${e.metrics.enabled ? `on ${e.metrics.host}:${e.metrics.port}` : 'off'}`);
  return lines.join('\n');
}

export function formatWarnings(warnings: readonly ConfigProblem[]): string[] {
  return warnings.map((w) => {
    let line = `warning: ${w.path}: ${w.message}`;
    if (w.value !== undefined) line += ` (got ${typeof w.value === 'number' || typeof w.value === 'boolean' ? String(w.value) : JSON.stringify(w.value)})`;
    return line;
  });
}

export const command: Command = {
  name: 'validate',
  summary: 'check a configuration file without connecting to any cluster',
  run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(helpText());
      return Promise.resolve(0);
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"; give the file with --config (or --mm2-config)\n\n${helpText()}`);
    const source = configSource(args, 'validate', helpText());
    try {
      const { config, warnings } = loadSources(source);
      console.log(describeConfig(config));
      for (const line of formatWarnings(warnings)) console.log(line);
      return Promise.resolve(0);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      console.error(err.message);
      return Promise.resolve(1);
    }
  },
};
