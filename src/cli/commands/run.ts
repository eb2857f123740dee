/**
 * `strait run --config <file>` (or `--mm2-config <file>`, an MM2 properties file): replicate until
 * SIGINT/SIGTERM, then stop in order (stop consuming, drain, flush, commit, close) within
 * engine.shutdownTimeout.
 */
import { ConfigError } from '../../util/errors.js';
import { flagBool, parseArgs, usage, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { CONFIG_FLAGS, configSource, formatWarnings, loadSources } from './validate.js';
import { log } from '../../util/log.js';
import { Engine } from '../../engine/engine.js';
import { startObservability, type ObservabilityConfig } from '../../engine/observe.js';

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

/** Starts the engine and its observability, and stops both on the first SIGINT/SIGTERM. */
export async function runUntilSignal(engine: Engine, engineConfig: ObservabilityConfig, untilMs?: number): Promise<number> {
  let stopRequested!: (signal: string) => void;
  const stop = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    stopRequested(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let observe: Awaited<ReturnType<typeof startObservability>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A signal may come while the flows still wait for their clusters: race the two.
    const started = engine.start().then(() => 'started' as const);
    const first = await Promise.race([started, stop]);
    if (first !== 'started') {
      log.info({ reason: first }, `stopping (${first}) before replication started`);
      started.catch(() => undefined);
      return 0;
    }
    observe = await startObservability(engine, engineConfig);
    if (untilMs !== undefined) timer = setTimeout(() => stopRequested('duration'), untilMs);
    const reason = await Promise.race([stop, engine.fatal.then((r) => `fatal: ${r}`)]);
    log.info({ reason }, `stopping (${reason})`);
    return reason.startsWith('fatal: ') ? 1 : 0;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // A second signal while stopping means "now": exit without waiting for the drain.
    const force = (): void => process.exit(130);
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    await observe?.close();
    await engine.stop();
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
}
