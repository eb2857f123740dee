/**
 * `strait run --config <file>` (or `--mm2-config <file>`, an MM2 properties file): replicate until
 * SIGINT/SIGTERM, then stop in order (stop consuming, drain, flush, commit, close) within
 * engine.shutdownTimeout. Exit codes: 0 after a stop on a signal, 1 for a configuration error or
 * a flow that could not go on, 124 when the ordered stop did not finish within the bound, 130
 * for a second signal during the stop.
 */
import { ConfigError } from '../../util/errors.js';
import { flagBool, parseArgs, usage, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { CONFIG_FLAGS, configSource, formatWarnings, loadSources } from './validate.js';
import { log } from '../../util/log.js';
import { Engine } from '../../engine/engine.js';
import { startObservability, type ObservabilityConfig } from '../../engine/observe.js';
import { armHardDeadline, EXIT_SHUTDOWN_TIMEOUT, shutdownBudget } from '../../engine/shutdown.js';

const SUMMARY = 'Replicate the configured flows until stopped (Ctrl-C or SIGTERM stops in order: drain, flush, commit).';

const SPECS: FlagSpecs = {
  ...CONFIG_FLAGS,
  help: { value: false, description: 'show this help' },
};

const USAGE = 'run --config <file> | --mm2-config <file>';

export const command: Command = {
  name: 'run',
  summary: 'replicate the configured flows until stopped',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, SPECS);
    if (flagBool(args, 'help')) {
      console.log(usage(USAGE, SUMMARY, SPECS));
      return 0;
    }
    const source = configSource(args, 'run', usage(USAGE, SUMMARY, SPECS));
    let loaded;
    try {
      loaded = loadSources(source);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 1;
      }
      throw err;
    }
    for (const w of formatWarnings(loaded.warnings)) log.warn(w);
    const engine = new Engine({ config: loaded.config, log });
    const code = await runUntilSignal(engine, loaded.config.engine);
    return code;
  },
};

/**
 * Starts the engine and its observability, and stops both on the first SIGINT/SIGTERM (or a
 * fatal flow error). The metrics endpoint comes up first, so /healthz answers (and /readyz says
 * "not ready") while the flows still wait for their clusters, and it stays up until the engine
 * stopped, so /readyz says so during the shutdown. From the stop on, the process exits within
 * engine.shutdownTimeout: if the ordered stop has not finished by then it exits with
 * EXIT_SHUTDOWN_TIMEOUT (src/engine/shutdown.ts).
 */
export async function runUntilSignal(engine: Engine, engineConfig: ObservabilityConfig & { shutdownTimeoutMs: number }, untilMs?: number): Promise<number> {
  let stopRequested!: (signal: string) => void;
  const stop = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    stopRequested(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let observe: Awaited<ReturnType<typeof startObservability>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let code = 0;
  try {
    observe = await startObservability(engine, engineConfig);
    // A signal may come while the flows still wait for their clusters: race the two.
    const started = engine.start().then(() => 'started' as const);
    const first = await Promise.race([started, stop]);
    if (first !== 'started') {
      log.info({ reason: first }, `stopping (${first}) before replication started`);
      started.catch(() => undefined);
      return code;
    }
    if (untilMs !== undefined) timer = setTimeout(() => stopRequested('duration'), untilMs);
    const reason = await Promise.race([stop, engine.fatal.then((r) => `fatal: ${r}`)]);
    log.info({ reason }, `stopping (${reason})`);
    code = reason.startsWith('fatal: ') ? 1 : 0;
    return code;
  } finally {
    const bound = engineConfig.shutdownTimeoutMs;
    const deadline = armHardDeadline(shutdownBudget(bound).hardMs, (finished) => {
      if (finished) {
        log.warn({ deadlineMs: bound }, 'strait stopped, but clients of a cluster that does not answer were still closing: exiting without them');
        process.exit(code);
      }
      log.error(
        { deadlineMs: bound, exitCode: EXIT_SHUTDOWN_TIMEOUT },
        `strait did not stop within engine.shutdownTimeout (${bound / 1000} s): exiting now with code ${EXIT_SHUTDOWN_TIMEOUT}. ` +
          'Nothing is lost: progress is committed only for records the target acknowledged, and the next start sends again what was acknowledged after the last commit',
      );
      process.exit(EXIT_SHUTDOWN_TIMEOUT);
    });
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // A second signal while stopping means "now": exit without waiting for the drain.
    const force = (): void => process.exit(130);
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    await engine.stop();
    await observe?.close();
    deadline.finished();
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
}
