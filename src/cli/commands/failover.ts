/**
 * `strait failover --config <file> --flow <name> [--groups <g>...] [--dry-run]`: switch the
 * consumers of a flow's topics to its target cluster, planned or during an outage. Stops (or
 * confirms stopped) the flow's replication, prints the final lag and RPO, commits the chosen
 * groups' translated offsets on the target and prints what clients must change.
 * The work is in src/failover/run.ts; this file parses options and prints the report.
 */
import { flag, flagBool, flagNumber, parseArgs, usage, UsageError, type FlagSpecs } from '../args.js';
import type { Command } from '../command.js';
import { loadConfigFile } from '../../config/load.js';
import { defaultStopUrl, runFailover, type FailoverReport } from '../../failover/run.js';
import { alignColumns } from '../table.js';

const SPECS: FlagSpecs = {
  config: { value: true, description: 'the strait YAML configuration file the flow runs with' },
  flow: { value: true, description: 'the flow to fail over (its name, e.g. "source->target")' },
  groups: { value: true, repeat: true, description: 'consumer groups to move (names or regexes matching whole names; repeat, or comma-separate names; a regex with {m,n} is kept whole); default: every group with checkpoints for the flow' },
  'dry-run': { value: false, description: 'show everything, stop nothing and commit nothing' },
  'source-down': { value: false, description: 'fail over without the source when it cannot be used for any reason (by default the source counts as down only when none of its bootstrap servers accepts a connection; one that accepts but refuses the credentials or TLS is up, so failover refuses)' },
  'allow-stale': { value: false, description: 'use checkpoints older than the group\'s source offsets, and commit groups with partitions lacking one (reported)' },
  'stop-url': { value: true, repeat: true, description: 'metrics endpoint of a strait process running the flow (repeat per process); default http://127.0.0.1:<engine.metrics.port>' },
  wait: { value: true, description: 'seconds to wait for the flow\'s replication group to empty after asking to stop it (default 60)' },
  json: { value: false, description: 'print the report as JSON' },
  help: { value: false, description: 'show this help' },
};

const SUMMARY = 'Fail a flow over to its target cluster: stop replication, report final lag and RPO, commit the consumer groups\' translated offsets on the target, and list what clients must change.';

export const command: Command = {
  name: 'failover',
  summary: 'switch a flow\'s consumers to the target cluster',
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, SPECS);
    const help = usage('failover --config <file> --flow <name> [--groups <g>] [--dry-run] [--json]', SUMMARY, SPECS);
    if (flagBool(args, 'help')) {
      console.log(help);
      return 0;
    }
    const configPath = flag(args, 'config');
    const flowName = flag(args, 'flow');
    if (!configPath || !flowName) throw new UsageError(`failover needs --config and --flow\n\n${help}`);
    const config = loadConfigFile(configPath);
    const flow = config.flows.find((f) => f.name === flowName);
    if (!flow) throw new UsageError(`--flow ${flowName}: no flow with this name in ${configPath} (flows: ${config.flows.map((f) => f.name).join(', ')})`);
    const waitSeconds = flagNumber(args, 'wait', 60);
    if (waitSeconds < 0) throw new UsageError('option --wait must be 0 or more seconds');
    // Commas separate names, except inside a regex's {m,n}: such a value is kept whole.
    const groups = args.flags.get('groups')?.flatMap((v) => (/\{\d*,\d*\}/.test(v) ? [v] : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)));
    const json = flagBool(args, 'json');
    const report = await runFailover({
      config,
      flow,
      ...(groups ? { groups } : {}),
      dryRun: flagBool(args, 'dry-run'),
      allowStale: flagBool(args, 'allow-stale'),
      sourceDown: flagBool(args, 'source-down'),
      stopUrls: args.flags.get('stop-url') ?? [defaultStopUrl(config)],
      waitMs: waitSeconds * 1000,
      progress: (line) => console.error(`strait failover: ${line}`),
    });
    console.log(json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.ok ? 0 : 1;
  },
};

function seconds(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function table(header: string[], rows: (string | number)[][]): string[] {
  return alignColumns([header, ...rows.map((r) => r.map(String))]).map((line) => `  ${line}`);
}

export function formatReport(r: FailoverReport): string {
  const out: string[] = [];
  const dry = r.dryRun ? 'DRY RUN (nothing stopped, nothing committed): ' : '';
  out.push(`${dry}failover of flow ${r.flow} (${r.source} -> ${r.target}, mode ${r.mode}, offsets ${r.translation === 'identity' ? 'copied 1:1' : 'translated through checkpoints'})`);
  out.push('');
  const rep = r.replication;
  if (!r.sourceReachable) out.push(`replication: source cluster "${r.source}" is unreachable (${r.sourceError ?? 'no answer'}); nothing replicates from it while it is down. Its group "${rep.group}" could not be checked.`);
  else if (rep.state === 'not-running') out.push(`replication: not running (group "${rep.group}" on ${r.source} has no members)`);
  else if (rep.state === 'would-stop') out.push(`replication: RUNNING (${rep.membersBefore} member(s) in group "${rep.group}"); failover would ask ${rep.stopUrls.join(', ')} to stop the flow first. The lag below is of now, not final.`);
  else out.push(`replication: stopped (group "${rep.group}" had ${rep.membersBefore} member(s), now none)`);
  out.push('');
  if (r.partitions) {
    const lag = r.partitions.reduce((a, p) => a + p.lag, 0);
    out.push(`${r.dryRun ? 'current' : 'final'} lag: ${lag} record offset(s) not replicated; RPO ${seconds(r.rpoMs)}`);
    out.push(...table(['topic', 'partition', 'end', 'replicated', 'lag', 'RPO'], r.partitions.map((p) => [p.topic, p.partition, p.endOffset, p.replicatedOffset, p.lag, seconds(p.rpoMs) + (p.lostBeforeLogStart > 0 ? ` (${p.lostBeforeLogStart} deleted by retention before replication)` : '')])));
  } else if (r.lastReplicated) {
    out.push('lag: unknown (the source cannot be read). Last replicated record per target partition:');
    out.push(...table(['remote topic', 'partition', 'end', 'last record at'], r.lastReplicated.map((p) => [p.remoteTopic, p.partition, p.endOffset, p.lastTimestamp === undefined ? 'empty' : new Date(p.lastTimestamp).toISOString()])));
  }
  out.push('');
  if (r.unmatchedGroups.length > 0) out.push(`--groups matched no group with checkpoints for this flow: ${r.unmatchedGroups.join(', ')}`);
  if (r.groups.length === 0) out.push('no consumer groups to move (no checkpoints for this flow on the target)');
  for (const g of r.groups) {
    const state = g.refused !== undefined ? `REFUSED: ${g.refused}` : g.error !== undefined ? `NOT COMMITTED: ${g.error}` : g.committed ? 'committed on the target' : r.dryRun ? 'would be committed' : 'nothing to commit';
    out.push(`group "${g.group}": ${state}`);
    const before = new Map(g.targetBefore.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    out.push(
      ...table(
        ['remote topic', 'partition', 'target offset', 'source offset', 'checkpoint of', 'target before', 'status'],
        g.offsets.map((o) => [o.remoteTopic, o.partition, o.targetOffset ?? 'none', o.sourceCommitted ?? '-', o.checkpointUpstream ?? '-', before.get(`${o.remoteTopic}\u0000${o.partition}`) ?? '-', o.status]),
      ),
    );
  }
  out.push('');
  const c = r.clients;
  out.push(`what clients must change${r.dryRun ? ' (after a real run)' : ''}:`);
  out.push(`  bootstrap.servers: ${c.bootstrapServers} (cluster "${c.targetCluster}")${Object.keys(c.security).length > 0 ? `; ${Object.entries(c.security).map(([k, v]) => `${k}=${v}`).join(', ')} with the credentials for that cluster` : ''}`);
  if (c.groupsInPlace.length > 0) out.push(`  consumers: offsets ${r.dryRun ? 'would be' : 'are'} in place for group(s) ${c.groupsInPlace.join(', ')}; keep the group.id, subscribe to the topics below`);
  if (c.groupsNotInPlace.length > 0) out.push(`  consumers of ${c.groupsNotInPlace.join(', ')}: NO offsets in place (see above); they would start at their auto.offset.reset position`);
  for (const t of c.topics) out.push(`    topic ${t.source} is ${t.target} on ${c.targetCluster}`);
  if (c.policy === 'default') {
    out.push('  producers: write to the same topic names on the target (the local topics, not the remote copies):');
    for (const t of c.producerTopics) out.push(`    produce to ${t.target} (was ${t.source} on ${r.source})`);
    out.push(`  consumers that must also read what producers write on ${c.targetCluster} from now on subscribe to both names (e.g. the pattern ^(${r.source}\\.)?<topic>$); a reverse flow can copy the local topics back (see "Failover and failback" in the README)`);
  } else {
    out.push('  producers: write to the same topic names (identity policy: the consumers\' topics)');
  }
  out.push('');
  out.push(r.ok ? `failover ${r.dryRun ? 'can proceed' : 'done'}.` : `failover ${r.dryRun ? 'would be' : 'is'} INCOMPLETE: see the groups above.`);
  return out.join('\n');
}
