/**
 * The RemoteClusterUtils counterpart (src/mirror/client.ts) over a fake cluster: hops and
 * upstream clusters from heartbeats topic names, and offset translation where the last
 * checkpoint in log order wins per partition.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allSources, countHopsForTopic, latestCheckpoints, latestCheckpointsByGroup, MirrorClient, type MirrorClientSource } from '../../src/mirror/client.js';
import { encodeCheckpoint, type Checkpoint } from '../../src/mirror/formats.js';
import { DefaultReplicationPolicy, IdentityReplicationPolicy } from '../../src/mirror/policy.js';
import type { RawRecord } from '../../src/kafka/reader.js';

const policy = new DefaultReplicationPolicy();

function checkpointRecord(offset: number, c: Partial<Checkpoint>): RawRecord {
  const full: Checkpoint = { consumerGroupId: 'g', topic: 'A.orders', partition: 0, upstreamOffset: 0, downstreamOffset: 0, metadata: '', ...c };
  const { key, value } = encodeCheckpoint(full);
  return { offset, key, value, timestamp: undefined };
}

class FakeCluster implements MirrorClientSource {
  readonly cluster = 'fake';
  reads: string[] = [];
  closed = false;
  constructor(
    private readonly topics: string[],
    private readonly contents: Record<string, RawRecord[]> = {},
  ) {}
  listTopics(): Promise<string[]> {
    return Promise.resolve([...this.topics]);
  }
  readTopic(topic: string): Promise<RawRecord[]> {
    this.reads.push(topic);
    return Promise.resolve(this.contents[topic] ?? []);
  }
  close(): void {
    this.closed = true;
  }
}

describe('hops and sources from topic names (MirrorClient.countHopsForTopic, allSources)', () => {
  test('each prefix is one hop', () => {
    assert.equal(countHopsForTopic(policy, 'heartbeats', 'A'), -1);
    assert.equal(countHopsForTopic(policy, 'A.heartbeats', 'A'), 1);
    assert.equal(countHopsForTopic(policy, 'B.A.heartbeats', 'A'), 2);
    assert.equal(countHopsForTopic(policy, 'B.A.heartbeats', 'B'), 1);
    assert.equal(countHopsForTopic(policy, 'B.A.heartbeats', 'C'), -1);
    assert.deepEqual(allSources(policy, 'C.B.A.heartbeats'), ['C', 'B', 'A']);
    assert.deepEqual(allSources(policy, 'heartbeats'), []);
  });

  test('a repeated alias ends the walk (MM2 guards the same way)', () => {
    assert.equal(countHopsForTopic(policy, 'A.B.A.heartbeats', 'C'), -1);
    assert.deepEqual(allSources(policy, 'A.B.A.heartbeats'), ['A', 'B']);
  });

  test('the identity policy still prefixes heartbeats, so hops work with it', () => {
    const identity = new IdentityReplicationPolicy();
    assert.equal(countHopsForTopic(identity, 'B.A.heartbeats', 'A'), 2);
    assert.equal(countHopsForTopic(identity, 'orders', 'A'), -1);
  });

  test('a custom separator', () => {
    const p = new DefaultReplicationPolicy('_');
    assert.equal(countHopsForTopic(p, 'B_A_heartbeats', 'A'), 2);
  });
});

describe('MirrorClient over a fake cluster', () => {
  const topics = ['heartbeats', 'A.heartbeats', 'C.B.heartbeats', 'D.C.A.heartbeats', 'A.orders', 'A.checkpoints.internal', 'B.checkpoints.internal', 'mm2-offset-syncs.A.internal', '__consumer_offsets'];

  test('topic lists, upstream clusters and hops', async () => {
    const client = new MirrorClient(new FakeCluster(topics));
    assert.deepEqual(await client.heartbeatTopics(), ['A.heartbeats', 'C.B.heartbeats', 'D.C.A.heartbeats', 'heartbeats']);
    assert.deepEqual(await client.checkpointTopics(), ['A.checkpoints.internal', 'B.checkpoints.internal']);
    assert.deepEqual(await client.upstreamClusters(), ['A', 'B', 'C', 'D']);
    // A is reachable directly (A.heartbeats) and in 3 hops (D.C.A.heartbeats): the shortest counts.
    assert.equal(await client.replicationHops('A'), 1);
    assert.equal(await client.replicationHops('B'), 2);
    assert.equal(await client.replicationHops('C'), 1);
    assert.equal(await client.replicationHops('E'), -1);
  });

  test('translateOffsets: the last checkpoint per partition in log order wins, other groups are ignored', async () => {
    const records = [
      checkpointRecord(0, { topic: 'A.orders', partition: 0, upstreamOffset: 10, downstreamOffset: 8 }),
      checkpointRecord(1, { topic: 'A.orders', partition: 1, upstreamOffset: 20, downstreamOffset: 19, metadata: 'meta' }),
      checkpointRecord(2, { consumerGroupId: 'other', topic: 'A.orders', partition: 0, upstreamOffset: 99, downstreamOffset: 99 }),
      checkpointRecord(3, { topic: 'A.orders', partition: 0, upstreamOffset: 30, downstreamOffset: 28 }),
      // A rewind of the upstream group: MM2 emits a lower checkpoint, and it is the answer.
      checkpointRecord(4, { topic: 'A.orders', partition: 0, upstreamOffset: 5, downstreamOffset: 4 }),
      checkpointRecord(5, { topic: 'A.audit', partition: 2, upstreamOffset: 7, downstreamOffset: 7 }),
    ];
    const fake = new FakeCluster(topics, { 'A.checkpoints.internal': records });
    const client = new MirrorClient(fake);
    assert.deepEqual(await client.translateOffsets('A', 'g'), [
      { topic: 'A.audit', partition: 2, offset: 7, metadata: '', upstreamOffset: 7 },
      { topic: 'A.orders', partition: 0, offset: 4, metadata: '', upstreamOffset: 5 },
      { topic: 'A.orders', partition: 1, offset: 19, metadata: 'meta', upstreamOffset: 20 },
    ]);
    assert.deepEqual(fake.reads, ['A.checkpoints.internal']);
    assert.deepEqual(await client.translateOffsets('A', 'nobody'), []);
    client.close();
    assert.equal(fake.closed, true);
  });

  test('undecodable records and tombstones are skipped and reported', async () => {
    const records: RawRecord[] = [
      checkpointRecord(0, { partition: 0, downstreamOffset: 3 }),
      { offset: 1, key: Buffer.from('garbage'), value: Buffer.from([0, 0]), timestamp: undefined },
      { offset: 2, key: encodeCheckpoint({ consumerGroupId: 'g', topic: 'A.orders', partition: 0, upstreamOffset: 0, downstreamOffset: 0, metadata: '' }).key, value: null, timestamp: undefined },
    ];
    const skipped: string[] = [];
    const client = new MirrorClient(new FakeCluster(topics, { 'A.checkpoints.internal': records }), {
      onSkippedRecord: (problem, topic, record) => skipped.push(`${topic}@${record.offset}: ${problem.message}`),
    });
    assert.deepEqual(await client.translateOffsets('A', 'g'), [{ topic: 'A.orders', partition: 0, offset: 3, metadata: '', upstreamOffset: 0 }]);
    assert.equal(skipped.length, 2);
    assert.match(skipped[0], /^A\.checkpoints\.internal@1: MM2 checkpoint record \(topic "A\.checkpoints\.internal" partition 0 offset 1\) key field "group"/);
    assert.match(skipped[1], /^A\.checkpoints\.internal@2: .*null value/);
  });

  test('a missing checkpoints topic is an error naming the topics that exist', async () => {
    const client = new MirrorClient(new FakeCluster(topics));
    await assert.rejects(client.translateOffsets('Z', 'g'), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /cluster "fake" topic "Z\.checkpoints\.internal": no checkpoints from cluster "Z" here/);
      assert.match(e.message, /checkpoint topics on this cluster: A\.checkpoints\.internal, B\.checkpoints\.internal/);
      return true;
    });
  });

  test('latestCheckpoints keeps topics apart even when names could collide when joined', () => {
    const out = latestCheckpoints(
      [checkpointRecord(0, { topic: 'a-1', partition: 1, downstreamOffset: 1 }), checkpointRecord(1, { topic: 'a', partition: 11, downstreamOffset: 2 })],
      'g',
      'X.checkpoints.internal',
    );
    assert.equal(out.length, 2);
  });

  test('latestCheckpointsByGroup: the last checkpoint per group and partition in one pass; undecodable records are reported once', () => {
    const records = [
      checkpointRecord(0, { consumerGroupId: 'g', topic: 'A.t', partition: 0, downstreamOffset: 5 }),
      checkpointRecord(1, { consumerGroupId: 'h', topic: 'A.t', partition: 0, downstreamOffset: 7 }),
      { offset: 2, key: Buffer.from('junk'), value: Buffer.from('junk'), timestamp: undefined },
      checkpointRecord(3, { consumerGroupId: 'g', topic: 'A.t', partition: 0, downstreamOffset: 9 }),
      checkpointRecord(4, { consumerGroupId: 'g', topic: 'A.t', partition: 1, downstreamOffset: 1 }),
    ];
    const skipped: number[] = [];
    const all = latestCheckpointsByGroup(records, 'A.checkpoints.internal', (_, r) => skipped.push(r.offset));
    assert.deepEqual(
      [...all].map(([g, list]) => [g, list.map((c) => [c.topic, c.partition, c.offset])]),
      [
        ['g', [['A.t', 0, 9], ['A.t', 1, 1]]],
        ['h', [['A.t', 0, 7]]],
      ],
    );
    assert.deepEqual(skipped, [2]);
    assert.deepEqual(latestCheckpoints(records, 'g', 'A.checkpoints.internal'), all.get('g'), 'the single-group form agrees');
    assert.deepEqual(latestCheckpoints(records, 'nobody', 'A.checkpoints.internal'), []);
  });
});
