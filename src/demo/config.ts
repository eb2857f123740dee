/**
 * The configuration the demo and the smoke benchmark run the engine with, built in code through
 * the same validation as a YAML file (so defaults and checks are those users get).
 */
import { buildConfig } from '../config/validate.js';
import type { StraitConfig } from '../config/types.js';
import { escapePattern } from '../mirror/filters.js';

export interface LocalFlowOptions {
  sourceBootstrap: string;
  targetBootstrap: string;
  /** Exact source topic names to replicate: nothing else on the clusters is touched. */
  topics: readonly string[];
  /** The flow's consumer group on the source; unique per run, so a run never resumes another's progress. */
  groupId: string;
  /** Extra `engine:` keys, as in the YAML file (e.g. { workers: 2 }). */
  engine?: Record<string, unknown>;
}

/** Source alias "source", target alias "target": remote topics are named `source.<topic>`. */
export function localFlowConfig(o: LocalFlowOptions): StraitConfig {
  const include = o.topics.map(escapePattern);
  const document = {
    clusters: { source: { 'bootstrap.servers': o.sourceBootstrap }, target: { 'bootstrap.servers': o.targetBootstrap } },
    flows: [
      {
        source: 'source',
        target: 'target',
        topics: { include },
        // Only the run's own topics' readers, of which there are none: leave other groups alone.
        groups: { include },
        groupId: o.groupId,
        refreshTopicsInterval: '5s',
        // The run's topics and nothing else: no MM2 heartbeats or checkpoints written to the clusters.
        heartbeats: { enabled: false },
        checkpoints: { enabled: false },
      },
    ],
    engine: {
      // The demo shows its own status line and the benchmark its own figures; no HTTP port to clash.
      metrics: { enabled: false },
      summaryInterval: '1s',
      commitInterval: '500ms',
      // Little is in flight at the demo's and the benchmark's rates: a drain takes well under a second.
      shutdownTimeout: '10s',
      ...o.engine,
    },
  };
  const { config, problems } = buildConfig(document, { env: {} });
  if (problems.length > 0) {
    throw new Error(`the built-in configuration is invalid (a bug in strait): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  return config;
}
