/**
 * `strait validate --config <file>`: check a configuration file without connecting to any
 * cluster. Prints a summary of what would run and the warnings, or every problem at once.
 * Exit code 0 when valid (warnings included), 1 when not.
 */
import { ConfigError, type ConfigProblem } from '../../util/errors.js';
import { flag, flagBool, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { loadConfigFileWithWarnings, type LoadedConfig } from '../../config/load.js';
import type { FlowConfig, StraitConfig } from '../../config/types.js';
import { formatDuration } from '../../config/duration.js';
import { createReplicationPolicy } from '../../mirror/policy.js';

const SUMMARY = 'Check a strait configuration file: every key, value and librdkafka property, and the rules between flows. Connects to nothing.';

const SPECS: FlagSpecs = {
  config: { value: true, description: 'the strait YAML configuration file' },
  // Later: 'mm2-config' (an MM2 connect-mirror-maker.properties file), validated through the
  // same ConfigError path; see loadSources below.
  help: { value: false, description: 'show this help' },
};

function helpText(): string {
  return usage('validate --config <file>', SUMMARY, SPECS);
}

/** Read whatever configuration sources were given. The place to add `--mm2-config`. */
function loadSources(configPath: string): LoadedConfig {
  return loadConfigFileWithWarnings(configPath);
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
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"; give the file with --config\n\n${helpText()}`);
    const configPath = flag(args, 'config');
    if (configPath === undefined) throw new UsageError(`validate needs --config <file>\n\n${helpText()}`);
    try {
      const { config, warnings } = loadSources(configPath);
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
