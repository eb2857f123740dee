/**
 * `strait sandbox up|down|status|restart <name>|kill <name>`: two local Kafka clusters
 * (source and target) on loopback, run from Apache Kafka's jars on Maven Central.
 * Status lines go to stdout; progress and hints go to stderr, so scripts can read stdout.
 */
import { ConfigError } from '../../util/errors.js';
import { closest } from '../../util/suggest.js';
import { flag, flagBool, flagNumber, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { KAFKA_VERSION } from '../../sandbox/kafka-dist.js';
import {
  DEFAULT_SANDBOX_PORTS,
  isSandboxClusterName,
  parsePort,
  SANDBOX_CLUSTER_NAMES,
  SANDBOX_PORT_ENV,
  type SandboxClusterName,
} from '../../sandbox/options.js';
import { displayPath } from '../../sandbox/paths.js';
import { streamProgress } from '../../sandbox/progress.js';
import { Sandbox, type SandboxOptions } from '../../sandbox/sandbox.js';
import type { ClusterStatus } from '../../sandbox/cluster.js';

const ACTIONS = ['up', 'down', 'status', 'restart', 'kill'] as const;
type Action = (typeof ACTIONS)[number];

const SUMMARY = `Two local Apache Kafka ${KAFKA_VERSION} clusters, "source" and "target", each a single KRaft node on 127.0.0.1.

  up               fetch the Kafka jars if needed (once, with Maven), start both, print their addresses
  down [--clean]   stop both; --clean also deletes their data, logs and state
  status           print each cluster's address and whether it runs
  restart <name>   stop and start one cluster on the same data (name: source or target)
  kill <name>      SIGKILL one cluster, as a crash would

Each cluster uses two ports: N for clients and N+1 for its controller.
Environment: STRAIT_SANDBOX_DIR, ${SANDBOX_PORT_ENV.source}, ${SANDBOX_PORT_ENV.target},
STRAIT_CACHE_DIR (where the jars are kept; default $XDG_CACHE_HOME/strait or ~/.cache/strait).

options:`;

const SPECS: FlagSpecs = {
  dir: { value: true, description: 'sandbox folder (default .strait/sandbox, or $STRAIT_SANDBOX_DIR)' },
  'source-port': { value: true, description: `source client port (default ${DEFAULT_SANDBOX_PORTS.source}; controller is N+1)` },
  'target-port': { value: true, description: `target client port (default ${DEFAULT_SANDBOX_PORTS.target}; controller is N+1)` },
  timeout: { value: true, description: 'seconds to wait for a broker to start (default 90)' },
  clean: { value: false, description: 'with down: also delete data, logs and state' },
  help: { value: false, description: 'show this help' },
};

function helpText(): string {
  return usage('sandbox up|down|status|restart <name>|kill <name> [options]', SUMMARY, SPECS);
}

function parseAction(word: string | undefined): Action {
  if (word === undefined) throw new UsageError(`sandbox needs an action: ${ACTIONS.join(', ')}\n\n${helpText()}`);
  if ((ACTIONS as readonly string[]).includes(word)) return word as Action;
  const hint = closest(word, ACTIONS);
  throw new UsageError(`unknown sandbox action "${word}"${hint ? `; did you mean "${hint}"?` : ''} (actions: ${ACTIONS.join(', ')})`);
}

function parseClusterName(action: Action, word: string | undefined): SandboxClusterName {
  if (word === undefined) throw new UsageError(`sandbox ${action} needs a cluster name: ${SANDBOX_CLUSTER_NAMES.join(' or ')}`);
  if (isSandboxClusterName(word)) return word;
  const hint = closest(word, SANDBOX_CLUSTER_NAMES);
  throw new UsageError(`unknown sandbox cluster "${word}"${hint ? `; did you mean "${hint}"?` : ''} (clusters: ${SANDBOX_CLUSTER_NAMES.join(', ')})`);
}

function portFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parsePort(value, `--${name}`);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`option --${name} must be a TCP port from 1 to 65534 (got ${JSON.stringify(value)})`);
    throw err;
  }
}

/** `source  127.0.0.1:19092  running (pid 1234)` */
export function formatStatusLine(s: ClusterStatus): string {
  let state: string = s.state;
  if (s.state === 'running') state = s.listening ? `running (pid ${s.pid})` : `starting or not answering (pid ${s.pid})`;
  return `${s.name.padEnd(7)} ${s.bootstrap.padEnd(16)} ${state}`;
}

export const command: Command = {
  name: 'sandbox',
  summary: 'local Kafka clusters on loopback, from Maven Central jars',
  async run(argv) {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(helpText());
      return 0;
    }
    const [word, ...rest] = args.positionals;
    const action = parseAction(word);
    const needsName = action === 'restart' || action === 'kill';
    const name = needsName ? parseClusterName(action, rest[0]) : undefined;
    const extra = needsName ? rest.slice(1) : rest;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" for sandbox ${action}`);
    if (flagBool(args, 'clean') && action !== 'down') throw new UsageError('--clean goes with "sandbox down"');
    const timeout = flagNumber(args, 'timeout', 90);
    if (timeout <= 0) throw new UsageError('option --timeout must be a positive number of seconds');

    const progress = streamProgress(process.stderr);
    const options: SandboxOptions = { progress, startTimeoutMs: timeout * 1000 };
    const dir = flag(args, 'dir');
    const sourcePort = portFlag(flag(args, 'source-port'), 'source-port');
    const targetPort = portFlag(flag(args, 'target-port'), 'target-port');
    if (dir !== undefined) options.dir = dir;
    if (sourcePort !== undefined) options.sourcePort = sourcePort;
    if (targetPort !== undefined) options.targetPort = targetPort;
    const sandbox = await Sandbox.open(options);
    const where = displayPath(sandbox.dir);

    switch (action) {
      case 'up': {
        const result = await sandbox.up();
        for (const s of result.clusters) console.log(formatStatusLine(s));
        if (result.started.length === 0) progress.info(`both clusters were already running (state in ${where})`);
        progress.info(`logs: ${where}/<name>/logs/server.log; stop with: strait sandbox down${dir !== undefined ? ` --dir ${dir}` : ''}`);
        return 0;
      }
      case 'down': {
        const clean = flagBool(args, 'clean');
        const result = await sandbox.down({ clean });
        const stopped = result.stopped.length > 0 ? `stopped ${result.stopped.join(' and ')}` : 'no cluster was running';
        console.log(clean ? `${stopped}; deleted their data and state in ${where}` : stopped);
        return 0;
      }
      case 'status': {
        for (const s of await sandbox.status()) console.log(formatStatusLine(s));
        return 0;
      }
      case 'restart': {
        console.log(formatStatusLine(await sandbox.restart(name!)));
        return 0;
      }
      case 'kill': {
        const killed = await sandbox.kill(name!);
        console.log(killed ? `killed ${name} (SIGKILL)` : `${name} was not running`);
        return 0;
      }
    }
  },
};
