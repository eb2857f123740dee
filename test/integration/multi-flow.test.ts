/**
 * Several clusters and flows in one strait process: A->B and B->A (active-active with the
 * default policy) and A->C. Records written on both sides of A<->B are replicated once each way
 * and never loop back; C gets A's topic. A third cluster (C) is started for this test.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaCluster } from '../../src/sandbox/cluster.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';
import { StraitProcess } from '../helpers/strait-process.js';
import { comparePartitions, waitForCatchUp } from '../helpers/replication.js';

const root = await mkdtemp(path.join(tmpdir(), 'strait-multi-it-'));
const third = new KafkaCluster({ name: 'c', port: 29492, controllerPort: 29493, dir: path.join(root, 'c'), dataDir: path.join(root, 'c', 'data'), logDir: path.join(root, 'c', 'logs') });
after(async () => {
  await third.stop().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

void test('A<->B active-active and A->C in one process: each record once per direction, no loops', { timeout: 6 * 60_000 }, async (t) => {
  const clusters = await getClusters();
  await third.start();
  const a = clusters.source.bootstrap;
  const b = clusters.target.bootstrap;
  const c = third.bootstrap;
  const topic = uniqueName('aa');
  const admins = [a, b, c].map((bs) => new KafkaAdmin('test', { 'bootstrap.servers': bs }));
  t.after(() => admins.forEach((x) => x.close()));
  await admins[0].createTopic(topic, 2, 1);
  await admins[1].createTopic(topic, 2, 1);
  await produceRecords(a, topic, 2, 0, 20_000, `${topic}-a`);
  await produceRecords(b, topic, 2, 0, 15_000, `${topic}-b`);

  const config = path.join(root, 'strait.yaml');
  const include = { include: [`${topic}.*`, `.*\\.${topic}`] };
  await writeFile(
    config,
    JSON.stringify({
      // The default pair keeps the aliases every other test gives it (source, target): with
      // another name for the same cluster, MM2's cycle detection (by alias) could not work.
      clusters: { source: { 'bootstrap.servers': a }, target: { 'bootstrap.servers': b }, third: { 'bootstrap.servers': c } },
      flows: [
        { source: 'source', target: 'target', topics: include, refreshTopicsInterval: '2s', groupId: `${topic}-ab` },
        { source: 'target', target: 'source', topics: include, refreshTopicsInterval: '2s', groupId: `${topic}-ba` },
        { source: 'source', target: 'third', topics: { include: [topic] }, refreshTopicsInterval: '2s', groupId: `${topic}-ac` },
      ],
      engine: { workers: 2, metrics: { enabled: false }, commitInterval: '500ms' },
    }),
  );
  const strait = new StraitProcess(config);
  t.after(() => strait.kill('SIGKILL'));
  await strait.waitForLog(/strait running: 3 flow/);
  await waitForCatchUp(a, b, [{ source: topic, target: `source.${topic}`, partitions: 2 }], 120_000);
  await waitForCatchUp(b, a, [{ source: topic, target: `target.${topic}`, partitions: 2 }], 120_000);
  await waitForCatchUp(a, c, [{ source: topic, target: `source.${topic}`, partitions: 2 }], 120_000);
  // Give loops a chance to show: more than one refresh interval.
  await new Promise((r) => setTimeout(r, 5_000));
  strait.kill('SIGTERM');
  assert.equal((await strait.exited).code, 0, strait.tail());

  const [onA, onB, onC] = await Promise.all(admins.map((x) => x.listTopics()));
  const mine = (list: string[]) => list.filter((n) => n.includes(topic)).sort();
  assert.deepEqual(mine(onA), [`target.${topic}`, topic].sort(), 'A holds its topic and B\'s copy, nothing looped back (no source.target.*)');
  assert.deepEqual(mine(onB), [`source.${topic}`, topic].sort(), 'B holds its topic and A\'s copy');
  assert.deepEqual(mine(onC), [`source.${topic}`], 'C holds A\'s copy only');
  const ab = await comparePartitions(a, b, [{ source: topic, target: `source.${topic}`, partitions: 2 }], true);
  const ba = await comparePartitions(b, a, [{ source: topic, target: `target.${topic}`, partitions: 2 }], true);
  const ac = await comparePartitions(a, c, [{ source: topic, target: `source.${topic}`, partitions: 2 }], true);
  assert.deepEqual([ab.records, ba.records, ac.records], [20_000, 15_000, 20_000]);
  // The original topics were not written to by strait: counts unchanged.
  const ends = async (bs: string) => {
    const x = new KafkaAdmin('test', { 'bootstrap.servers': bs });
    const r = await x.listOffsets([0, 1].map((partition) => ({ topic, partition })), 'latest');
    x.close();
    return r.reduce((s, o) => s + o.offset, 0);
  };
  assert.equal(await ends(a), 20_000);
  assert.equal(await ends(b), 15_000);
});
