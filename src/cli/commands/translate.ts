/**
 * `strait translate` and `strait topology`: what Kafka's RemoteClusterUtils gives Java users,
 * from the command line, read from a cluster's MM2 internal topics (checkpoints, heartbeats).
 *
 *   strait translate --config strait.yaml --cluster west --from east --group billing
 *     offsets at which group "billing" resumes on cluster west (from checkpoints of east)
 *   strait topology --config strait.yaml [--cluster west]
 *     upstream clusters, hops and heartbeat/checkpoint topics as each cluster sees them
 */
import { flag, flagBool, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { loadConfigFile } from '../../config/load.js';
import { adminConfig } from '../../kafka/client-config.js';
import { openMirrorClient } from '../../mirror/client.js';
import { createReplicationPolicy } from '../../mirror/policy.js';
import type { StraitConfig } from '../../config/types.js';

const TRANSLATE: FlagSpecs = {
  config: { value: true, description: 'the strait YAML configuration file (for the clusters\' addresses and security settings)' },
  cluster: { value: true, description: 'the cluster to fail over to (where the checkpoints are)' },
  from: { value: true, description: 'the cluster the group consumed on (the remote alias)' },
  group: { value: true, description: 'the consumer group' },
  json: { value: false, description: 'print JSON' },
  help: { value: false, description: 'show this help' },
};

const TOPOLOGY: FlagSpecs = {
  config: { value: true, description: 'the strait YAML configuration file' },
  cluster: { value: true, description: 'only this cluster (default: every cluster of the file)' },
  json: { value: false, description: 'print JSON' },
  help: { value: false, description: 'show this help' },
};

function clusterOf(config: StraitConfig, alias: string, option: string) {
  const c = config.clusters.get(alias);
  if (!c) throw new UsageError(`--${option} ${alias}: no cluster "${alias}" in the configuration (clusters: ${[...config.clusters.keys()].join(', ')})`);
  return c;
}

/** The policy of the flows into `alias` (MM2 reads names with the replication policy). */
function policyInto(config: StraitConfig, alias: string) {
  const flow = config.flows.find((f) => f.target === alias) ?? config.flows[0];
  return flow ? createReplicationPolicy(flow.replication) : undefined;
}

export const command: Command = {
  name: 'translate',
  summary: 'the offsets at which a consumer group resumes on another cluster',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, TRANSLATE);
    const help = usage('translate --config <file> --cluster <target> --from <source> --group <group>', command.summary, TRANSLATE);
    if (flagBool(args, 'help')) {
      console.log(help);
      return 0;
    }
    const [configPath, cluster, from, group] = ['config', 'cluster', 'from', 'group'].map((k) => flag(args, k));
    if (!configPath || !cluster || !from || !group) throw new UsageError(`translate needs --config, --cluster, --from and --group\n\n${help}`);
    const config = loadConfigFile(configPath);
    const target = clusterOf(config, cluster, 'cluster');
    clusterOf(config, from, 'from');
    const policy = policyInto(config, cluster);
    const client = openMirrorClient(cluster, adminConfig(target, 'strait-translate'), policy ? { policy } : {});
    try {
      const offsets = await client.translateOffsets(from, group);
      if (flagBool(args, 'json')) console.log(JSON.stringify(offsets, null, 2));
      else if (offsets.length === 0) console.log(`no checkpoints for group "${group}" from ${from} on ${cluster}: is a flow ${from}->${cluster} running with this group in its groups filter?`);
      else {
        console.log(`group "${group}" resumes on ${cluster} at (from checkpoints of ${from}):`);
        console.log(['topic', 'partition', 'offset', `${from} offset`].join('\t'));
        for (const o of offsets) console.log([o.topic, o.partition, o.offset, o.upstreamOffset].join('\t'));
      }
      return 0;
    } finally {
      client.close();
    }
  },
};

export const topology: Command = {
  name: 'topology',
  summary: 'upstream clusters and replication hops as each cluster sees them (from heartbeats)',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, TOPOLOGY);
    const help = usage('topology --config <file> [--cluster <alias>]', topology.summary, TOPOLOGY);
    if (flagBool(args, 'help')) {
      console.log(help);
      return 0;
    }
    const configPath = flag(args, 'config');
    if (!configPath) throw new UsageError(`topology needs --config\n\n${help}`);
    const config = loadConfigFile(configPath);
    const only = flag(args, 'cluster');
    const aliases = only ? [only] : [...config.clusters.keys()];
    const result: Record<string, { upstreamClusters: string[]; hops: Record<string, number>; heartbeatTopics: string[]; checkpointTopics: string[] }> = {};
    for (const alias of aliases) {
      const cluster = clusterOf(config, alias, 'cluster');
      const policy = policyInto(config, alias);
      const client = openMirrorClient(alias, adminConfig(cluster, 'strait-topology'), policy ? { policy } : {});
      try {
        const upstreamClusters = await client.upstreamClusters();
        const hops: Record<string, number> = {};
        for (const u of upstreamClusters) hops[u] = await client.replicationHops(u);
        result[alias] = { upstreamClusters, hops, heartbeatTopics: await client.heartbeatTopics(), checkpointTopics: await client.checkpointTopics() };
      } finally {
        client.close();
      }
    }
    if (flagBool(args, 'json')) console.log(JSON.stringify(result, null, 2));
    else
      for (const [alias, r] of Object.entries(result)) {
        const up = r.upstreamClusters.map((u) => `${u} (${r.hops[u]} hop${r.hops[u] === 1 ? '' : 's'})`).join(', ') || 'none';
        console.log(`${alias}: upstream ${up}; heartbeat topics: ${r.heartbeatTopics.join(', ') || 'none'}; checkpoint topics: ${r.checkpointTopics.join(', ') || 'none'}`);
      }
    return 0;
  },
};
