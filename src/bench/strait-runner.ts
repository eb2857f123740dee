/**
 * strait as the benchmark runs it: `strait run --config <file>` as a child process, with its
 * defaults. The configuration names the two clusters and the flow's topics and nothing else,
 * except that the metrics endpoint is off (its default port could clash with another strait on
 * the machine; serving it costs nothing while nobody scrapes it).
 *
 * With profiling on, the process also runs under `node --cpu-prof` (one .cpuprofile per thread,
 * written at exit) and loads rdkafka-stats-preload.js, which turns on librdkafka's statistics
 * for every client strait creates and appends them to a file (see that module for why a preload).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapePattern } from '../mirror/filters.js';
import { ReplicatorProcess } from './replicator.js';

/** bin/strait.cjs, from dist/src/bench/ (compiled) or src/bench/ (under a TypeScript loader). */
export const STRAIT_CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));
const STATS_PRELOAD = new URL('./rdkafka-stats-preload.js', import.meta.url).href;
export const STRAIT_READY = /strait running/;

export interface StraitFlowOptions {
  sourceAlias: string;
  targetAlias: string;
  sourceBootstrap: string;
  targetBootstrap: string;
  topics: readonly string[];
  groupId: string;
}

/** The configuration document (JSON is YAML, so no YAML writer is needed). */
export function straitConfigDocument(o: StraitFlowOptions): Record<string, unknown> {
  return {
    clusters: {
      [o.sourceAlias]: { 'bootstrap.servers': o.sourceBootstrap },
      [o.targetAlias]: { 'bootstrap.servers': o.targetBootstrap },
    },
    flows: [{ source: o.sourceAlias, target: o.targetAlias, topics: { include: o.topics.map(escapePattern) }, groupId: o.groupId }],
    engine: { metrics: { enabled: false } },
  };
}

export interface StraitLaunch {
  dir: string;
  flow: StraitFlowOptions;
  /** Folder for .cpuprofile files and librdkafka statistics; undefined = no profiling. */
  profileDir?: string;
  /** librdkafka statistics interval when profiling (default 1000 ms). */
  statsIntervalMs?: number;
}

export async function startStrait(o: StraitLaunch): Promise<ReplicatorProcess> {
  const configFile = path.join(o.dir, 'strait.yaml');
  await writeFile(configFile, `${JSON.stringify(straitConfigDocument(o.flow), null, 2)}\n`);
  const nodeArgs: string[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, STRAIT_LOG_PRETTY: '0' };
  delete env['STRAIT_LOG_LEVEL'];
  if (o.profileDir !== undefined) {
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, '--import', STATS_PRELOAD);
    env['STRAIT_BENCH_STATS_FILE'] = path.join(o.profileDir, 'rdkafka-stats.jsonl');
    env['STRAIT_BENCH_STATS_INTERVAL_MS'] = String(o.statsIntervalMs ?? 1000);
  }
  return new ReplicatorProcess({
    name: 'strait',
    command: process.execPath,
    args: [...nodeArgs, STRAIT_CLI, 'run', '--config', configFile],
    env,
    cwd: o.dir,
    outputFile: path.join(o.dir, 'strait.log'),
    ready: STRAIT_READY,
  });
}
