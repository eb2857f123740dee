/**
 * `strait failover` end to end on the two test clusters: a strait process replicates two flows
 * (source->target with checkpoints, and target->source) with its metrics endpoint on; an application group consumed part of the source
 * topic. Then, as child processes:
 * - `--dry-run` while replication runs: reports what it would do, stops nothing, commits nothing;
 * - failover with a stop URL nobody answers: refuses, naming the replication group;
 * - failover of one flow: the process stops that flow (its group on the source empties) and keeps
 *   the other; lag and RPO are 0; the target group holds exactly the translated offsets; and a
 *   consumer of that group on the target reads exactly the records after its source position;
 * - `--dry-run` after more records reached the source: per-partition lag and the RPO of the first
 *   record not replicated, and the target group's offsets unchanged;
 * - stopping the other flow through the endpoint writes its last checkpoint round;
 * - `--dry-run` with the source unreachable (unplanned failover): last replicated timestamps per
 *   remote partition, checkpoints used unverified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rdkafka, type RdError, type RdMessage } from '../../src/kafka/binding.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { openMirrorClient } from '../../src/mirror/client.js';
import type { FailoverReport } from '../../src/failover/run.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords, sequenceOf, BASE_TIMESTAMP } from '../helpers/records.js';
import { StraitProcess, writeConfig } from '../helpers/strait-process.js';
import { waitForCatchUp } from '../helpers/replication.js';

const CLI = fileURLToPath(new URL('../../../bin/strait.cjs', import.meta.url));
// Fixed (the failover command reads it from the configuration to ask the process to stop), and
// below Linux's ephemeral range (32768-60999): a port in it may be taken by any client socket.
const METRICS_PORT = Number(process.env['STRAIT_TEST_FAILOVER_METRICS_PORT'] ?? 29964);
const PARTITIONS = 3;
const RECORDS = 3000;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, STRAIT_LOG_PRETTY: '0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function commitGroup(bootstrap: string, group: string, offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
  const c = new rdkafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => c.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  try {
    // On a fresh cluster the first commit may find the group coordinator still loading.
    for (let attempt = 0; ; attempt++) {
      try {
        c.commitSync(offsets);
        return;
      } catch (err) {
        if (attempt >= 60) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
}

/** Sequence numbers of a partition's records from `from` to its current end. */
async function sequencesFrom(bootstrap: string, topic: string, partition: number, from: number): Promise<number[]> {
  const c = new rdkafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': `reader-${process.pid}`, 'enable.auto.commit': false, 'enable.partition.eof': true }, {});
  await new Promise<void>((resolve, reject) => c.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  c.setDefaultConsumeTimeout(200);
  c.assign([{ topic, partition, offset: from }]);
  const out: number[] = [];
  let eof = false;
  c.on('partition.eof', () => (eof = true));
  const deadline = Date.now() + 60_000;
  while (!eof && Date.now() < deadline) {
    const msgs = await new Promise<RdMessage[]>((resolve, reject) => c.consume(1000, (err, m) => (err ? reject(new Error(err.message)) : resolve(m))));
    for (const m of msgs) out.push(sequenceOf(m.timestamp ?? 0));
  }
  await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  return out;
}

/**
 * What a consumer of `group` subscribing to `topic` reads until every partition reached its end,
 * per partition. auto.offset.reset=latest: without committed offsets it would read nothing.
 */
async function consumeAsGroup(bootstrap: string, group: string, topic: string): Promise<Map<number, number[]>> {
  const c = new rdkafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': false, 'enable.partition.eof': true }, { 'auto.offset.reset': 'latest' });
  await new Promise<void>((resolve, reject) => c.connect({}, (err: RdError | null) => (err ? reject(new Error(err.message)) : resolve())));
  c.setDefaultConsumeTimeout(200);
  c.subscribe([topic]);
  const out = new Map<number, number[]>();
  const atEnd = new Set<number>();
  c.on('partition.eof', (e) => atEnd.add(e.partition));
  const deadline = Date.now() + 90_000;
  // Nothing is written to the topic any more, so a partition's end stays reached. The binding may
  // report the end before it hands over the batch that reached it: one more round after the last.
  for (let extra = 2; extra > 0 && Date.now() < deadline; ) {
    const msgs = await new Promise<RdMessage[]>((resolve, reject) => c.consume(500, (err, m) => (err ? reject(new Error(err.message)) : resolve(m))));
    for (const m of msgs) out.set(m.partition, [...(out.get(m.partition) ?? []), sequenceOf(m.timestamp ?? 0)]);
    if (atEnd.size === PARTITIONS) extra--;
  }
  await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  assert.equal(atEnd.size, PARTITIONS, `the consumer of ${group} reached the end of every partition of ${topic}`);
  return out;
}

void test('strait failover: dry run, refusal while replication runs, then stop the flow, move the group exactly, report lag and RPO', { timeout: 6 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  const prefix = uniqueName('failover');
  const orders = `${prefix}.orders`;
  const other = `${prefix}.other`;
  const remote = `source.${orders}`;
  const app = `${prefix}-app`;
  const source = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
  const target = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => {
    source.close();
    target.close();
  });
  await source.createTopic(orders, PARTITIONS, 1);
  await target.createTopic(other, 1, 1);
  await produceRecords(clusters.source.bootstrap, orders, PARTITIONS, 0, RECORDS, orders);
  await produceRecords(clusters.target.bootstrap, other, 1, 0, 100, other);
  // The application consumed part of each partition on the source (and was stopped).
  const positions = [
    { topic: orders, partition: 0, offset: 300 },
    { topic: orders, partition: 1, offset: 555 },
    { topic: orders, partition: 2, offset: 999 },
  ];
  await commitGroup(clusters.source.bootstrap, app, positions);
  const backApp = `${prefix}-backapp`;
  await commitGroup(clusters.target.bootstrap, backApp, [{ topic: other, partition: 0, offset: 40 }]);

  // Two flows in one process (one per direction): failing over one must leave the other replicating.
  const flowName = 'orders';
  const replicationGroup = `${prefix}-strait`;
  const otherGroup = `${prefix}-strait-other`;
  const configPath = writeConfig(clusters.source.bootstrap, clusters.target.bootstrap, {
    include: [`${prefix}\\.orders`],
    groupId: replicationGroup,
    metricsPort: METRICS_PORT,
    extraFlow: { name: flowName, groups: { include: [`${prefix}-app.*`] }, checkpoints: { interval: '1s' } },
  });
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { flows: Record<string, unknown>[] };
  // Its checkpoints come once an hour: the only ones it writes here are those of its last round
  // when it stops.
  config.flows.push({ name: 'back', source: 'target', target: 'source', topics: { include: [`${prefix}\\.other`] }, groups: { include: [`${prefix}-backapp`] }, groupId: otherGroup, refreshTopicsInterval: '2s', checkpoints: { interval: '1h' } });
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const strait = new StraitProcess(configPath);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(/metrics on http/);
  await waitForCatchUp(clusters.source.bootstrap, clusters.target.bootstrap, [{ source: orders, target: remote, partitions: PARTITIONS }], 120_000, replicationGroup);

  // Checkpoints of the application group exist for every partition.
  const mirror = openMirrorClient('target', { 'bootstrap.servers': clusters.target.bootstrap });
  t.after(() => mirror.close());
  let translated = await mirror.translateOffsets('source', app).catch(() => []);
  for (const until = Date.now() + 60_000; translated.length < PARTITIONS && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 500));
    translated = await mirror.translateOffsets('source', app).catch(() => []);
  }
  assert.equal(translated.length, PARTITIONS, `checkpoints for ${app}: ${JSON.stringify(translated)}`);
  const expected = new Map(translated.map((o) => [`${o.topic}/${o.partition}`, o.offset]));
  const membersOf = async (g: string, admin = source): Promise<number> => (await admin.groupMembers([g])).get(g) ?? 0;
  assert.ok((await membersOf(replicationGroup)) > 0, 'the flow replicates: its group has members');

  // 1. Dry run while replication runs: says it would stop the flow, commits nothing.
  const dry = await cli(['failover', '--config', configPath, '--flow', flowName, '--groups', app, '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr + dry.stdout);
  const dryReport = JSON.parse(dry.stdout) as FailoverReport;
  assert.equal(dryReport.dryRun, true);
  assert.equal(dryReport.replication.state, 'would-stop');
  assert.deepEqual(dryReport.groups.map((g) => g.group), [app]);
  assert.equal(dryReport.groups[0].committed, false);
  assert.deepEqual(new Map(dryReport.groups[0].offsets.map((o) => [`${o.remoteTopic}/${o.partition}`, o.targetOffset])), expected, 'the dry run shows the translated offsets');
  assert.deepEqual(await target.groupOffsets(app), [], 'the dry run committed nothing on the target');
  assert.ok((await membersOf(replicationGroup)) > 0, 'the dry run did not stop the flow');
  const dryText = await cli(['failover', '--config', configPath, '--flow', flowName, '--groups', app, '--dry-run']);
  assert.equal(dryText.code, 0, dryText.stderr);
  assert.match(dryText.stdout, /^DRY RUN \(nothing stopped, nothing committed\)/);
  assert.match(dryText.stdout, /replication: RUNNING/);

  // 2. Replication running and nobody to ask to stop it: refused, naming the group.
  const refused = await cli(['failover', '--config', configPath, '--flow', flowName, '--groups', app, '--stop-url', 'http://127.0.0.1:1', '--wait', '2']);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, new RegExp(`group "${replicationGroup}" on cluster "source" has \\d+ active member`));
  assert.match(refused.stderr, /SIGTERM/);
  assert.match(refused.stderr, /--stop-url/);
  assert.ok((await membersOf(replicationGroup)) > 0, 'still replicating');
  assert.deepEqual(await target.groupOffsets(app), [], 'nothing committed after the refusal');

  // 3. The failover: stops the flow through the process's endpoint, moves the group.
  const started = Date.now();
  const real = await cli(['failover', '--config', configPath, '--flow', flowName, '--groups', app, '--json']);
  assert.equal(real.code, 0, real.stderr + real.stdout);
  const report = JSON.parse(real.stdout) as FailoverReport;
  t.diagnostic(`failover took ${Date.now() - started} ms; progress:\n${real.stderr}`);
  assert.equal(report.replication.state, 'stopped');
  assert.equal(report.replication.stopAttempts[0]?.ok, true, JSON.stringify(report.replication));
  assert.equal(await membersOf(replicationGroup), 0, 'the flow left its replication group');
  assert.equal(strait.child.exitCode, null, 'the strait process keeps running');
  assert.ok((await membersOf(otherGroup, target)) > 0, 'the other flow still replicates');
  const health = await fetch(`http://127.0.0.1:${METRICS_PORT}/healthz`);
  assert.equal(health.status, 200);
  // Final lag and RPO: replication drained before stopping, so nothing is left.
  assert.deepEqual(
    report.partitions!.map((p) => [p.topic, p.partition, p.endOffset, p.replicatedOffset, p.lag, p.rpoMs]),
    [0, 1, 2].map((p) => [orders, p, RECORDS / PARTITIONS, RECORDS / PARTITIONS, 0, 0]),
  );
  assert.equal(report.rpoMs, 0);
  assert.deepEqual(report.remoteEnds, [0, 1, 2].map((p) => ({ remoteTopic: remote, partition: p, endOffset: RECORDS / PARTITIONS })));
  // The target group holds exactly the translated offsets.
  assert.equal(report.groups[0].committed, true);
  assert.ok(report.groups[0].offsets.every((o) => o.status === 'ok'));
  const committed = new Map((await target.groupOffsets(app)).map((o) => [`${o.topic}/${o.partition}`, o.offset]));
  assert.deepEqual(committed, expected, 'the target group holds the translated offsets');
  assert.equal(report.clients.bootstrapServers, clusters.target.bootstrap);
  assert.deepEqual(report.clients.topics, [{ source: orders, target: remote }]);
  assert.deepEqual(report.clients.groupsInPlace, [app]);
  // A consumer of the group on the target reads exactly what the group had left on the source.
  const read = await consumeAsGroup(clusters.target.bootstrap, app, remote);
  for (const p of positions) {
    const rest = await sequencesFrom(clusters.source.bootstrap, orders, p.partition, p.offset);
    assert.equal(rest.length, RECORDS / PARTITIONS - p.offset);
    assert.deepEqual(read.get(p.partition) ?? [], rest, `partition ${p.partition}: resumed on the target at exactly source offset ${p.offset}: none missing, none repeated`);
  }

  // 4. More records reach the source after the flow stopped: the dry run reports their lag and
  // RPO (the first one not replicated is record 3000, stamped BASE_TIMESTAMP + 3000), and writes nothing.
  await produceRecords(clusters.source.bootstrap, orders, PARTITIONS, RECORDS, 10, orders);
  const before = await target.groupOffsets(app);
  const askedAt = Date.now();
  const late = await cli(['failover', '--config', configPath, '--flow', flowName, '--groups', app, '--dry-run', '--json']);
  const answeredAt = Date.now();
  assert.equal(late.code, 0, late.stderr + late.stdout);
  const lateReport = JSON.parse(late.stdout) as FailoverReport;
  assert.equal(lateReport.replication.state, 'not-running');
  assert.deepEqual(lateReport.partitions!.map((p) => p.lag), [4, 3, 3]);
  const p0 = lateReport.partitions![0];
  const stamp = BASE_TIMESTAMP + RECORDS;
  assert.ok(p0.rpoMs! >= askedAt - stamp && p0.rpoMs! <= answeredAt - stamp, `RPO of partition 0 is the age of record ${RECORDS}: ${p0.rpoMs} ms`);
  // Partitions 1 and 2 first miss records 3001 and 3002 (1 and 2 ms younger): the flow's RPO is
  // the oldest one's, partition 0's.
  for (const [i, p] of lateReport.partitions!.entries()) assert.equal(p.rpoMs, p0.rpoMs! - i, `partition ${i}: the age of record ${RECORDS + i}`);
  assert.equal(lateReport.rpoMs, p0.rpoMs, 'the flow RPO is the age of the oldest record not replicated');
  assert.deepEqual(await target.groupOffsets(app), before, 'the dry run left the target group as it was');

  // 5. Stopping a flow writes a last checkpoint round before it leaves its group: the flow
  // "back" (checkpoints once an hour) has none until it is stopped through the endpoint.
  const backCheckpoints = openMirrorClient('source', { 'bootstrap.servers': clusters.source.bootstrap });
  t.after(() => backCheckpoints.close());
  await waitForCatchUp(clusters.target.bootstrap, clusters.source.bootstrap, [{ source: other, target: `target.${other}`, partitions: 1 }], 60_000, otherGroup);
  assert.deepEqual(await backCheckpoints.translateOffsets('target', backApp).catch(() => []), [], 'no checkpoint before the flow stops');
  const stopped = await fetch(`http://127.0.0.1:${METRICS_PORT}/flows/back/stop`, { method: 'POST' });
  assert.equal(stopped.status, 200);
  assert.deepEqual(((await stopped.json()) as { flowsRunning: string[] }).flowsRunning, [], 'no flow left running');
  assert.equal(await membersOf(otherGroup, target), 0);
  const last = await backCheckpoints.translateOffsets('target', backApp);
  assert.deepEqual(last.map((c) => [c.topic, c.partition, c.upstreamOffset, c.offset]), [[`target.${other}`, 0, 40, 40]]);
  assert.equal(strait.child.exitCode, null, 'idle, the process keeps running');

  strait.kill('SIGTERM');
  assert.equal((await strait.exited).code, 0, strait.tail());

  // 6. Unplanned: the source is down (here: an address where nothing listens). Failover says so,
  // reports the last replicated record of each remote partition, and uses the checkpoints unverified.
  const down = JSON.parse(readFileSync(configPath, 'utf8')) as { clusters: Record<string, Record<string, string>> };
  down.clusters['source']['bootstrap.servers'] = '127.0.0.1:1';
  const downPath = configPath.replace(/\.yaml$/, '-source-down.yaml');
  writeFileSync(downPath, JSON.stringify(down, null, 2));
  const outage = await cli(['failover', '--config', downPath, '--flow', flowName, '--groups', app, '--dry-run', '--json']);
  assert.equal(outage.code, 0, outage.stderr + outage.stdout);
  assert.match(outage.stderr, /source cluster "source" is unreachable/);
  const outageReport = JSON.parse(outage.stdout) as FailoverReport;
  assert.equal(outageReport.sourceReachable, false);
  assert.equal(outageReport.replication.state, 'unknown');
  assert.equal(outageReport.partitions, undefined, 'no lag without the source');
  assert.deepEqual(
    outageReport.lastReplicated!.map((p) => [p.remoteTopic, p.partition, p.endOffset, p.lastTimestamp]),
    [0, 1, 2].map((p) => [remote, p, RECORDS / PARTITIONS, BASE_TIMESTAMP + RECORDS - PARTITIONS + p]),
    'the last record replicated to each partition (record i went to partition i % 3)',
  );
  assert.deepEqual(outageReport.groups[0].offsets.map((o) => [`${o.remoteTopic}/${o.partition}`, o.targetOffset, o.status]), [...expected].map(([k, v]) => [k, v, 'unverified']));
  assert.deepEqual(await target.groupOffsets(app), before, 'still nothing written');
});
