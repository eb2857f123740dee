/**
 * Consumer-group admin calls while the cluster's group coordinator is not ready yet: on a fresh
 * cluster the first group request makes the broker create __consumer_offsets, and until then
 * every group request is answered with COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR (as during a
 * broker restart or a coordinator move). Unpatched, describeGroups and listConsumerGroupOffsets
 * crash the process here (native-notes/admin-null-results.md); with the patch they report the
 * broker's error, and work once the coordinator is up.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaCluster } from '../../src/sandbox/cluster.js';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { KafkaError } from '../../src/util/errors.js';

const root = await mkdtemp(path.join(tmpdir(), 'strait-fresh-it-'));
const fresh = new KafkaCluster({ name: 'fresh', port: 29692, controllerPort: 29693, dir: path.join(root, 'fresh'), dataDir: path.join(root, 'fresh', 'data'), logDir: path.join(root, 'fresh', 'logs') });
after(async () => {
  await fresh.stop().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

/** Calls `op` until it succeeds (60 s at most); returns its value and the errors seen before. */
async function untilReady<T>(op: () => Promise<T>): Promise<{ value: T; errors: string[] }> {
  const errors: string[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return { value: await op(), errors };
    } catch (e) {
      // An error is fine (the coordinator is not ready); it must be a KafkaError naming the call.
      assert.ok(e instanceof KafkaError, `a KafkaError, got ${String(e)}`);
      errors.push(e.message);
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

void test('group admin calls before the group coordinator exists report an error instead of crashing, then work', { timeout: 3 * 60_000 }, async (t) => {
  await fresh.start();
  const admin = new KafkaAdmin('fresh', { 'bootstrap.servers': fresh.bootstrap });
  t.after(() => admin.close());
  // Both calls at once, the instant the broker answers: the first group requests it sees.
  const [members, offsets] = await Promise.all([untilReady(() => admin.groupMembers(['fresh-a', 'fresh-b'])), untilReady(() => admin.groupOffsets('fresh-a'))]);
  t.diagnostic(`describeGroups: ${JSON.stringify([...members.value])} after ${members.errors.length} error(s); listConsumerGroupOffsets: ${JSON.stringify(offsets.value)} after ${offsets.errors.length} error(s): ${offsets.errors[0] ?? '-'}`);
  // No member can be seen in a group that does not exist (an errored description counts as 0).
  assert.deepEqual([...members.value], [['fresh-a', 0], ['fresh-b', 0]]);
  assert.deepEqual(offsets.value, []);
  // The crash path was really taken: the offsets call met a coordinator that was not ready.
  assert.ok(offsets.errors.some((m) => /coordinator/i.test(m)), `listConsumerGroupOffsets met the coordinator error on a fresh cluster: ${JSON.stringify(offsets.errors)}`);
  // Once the coordinator is up, a commit by a group with no members and a read-back work.
  await untilReady(() => admin.createTopic('fresh-topic', 1, 1));
  await untilReady(() => admin.commitGroupOffsets('fresh-a', [{ topic: 'fresh-topic', partition: 0, offset: 0 }], { 'bootstrap.servers': fresh.bootstrap }));
  assert.deepEqual(await admin.groupOffsets('fresh-a'), [{ topic: 'fresh-topic', partition: 0, offset: 0 }]);
  assert.deepEqual([...(await admin.groupMembers(['fresh-a']))], [['fresh-a', 0]]);
});
