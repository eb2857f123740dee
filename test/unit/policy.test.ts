/**
 * Replication policies, with the examples of MM2's own tests and javadoc (us-west.topic1, ...),
 * cycle detection, and which topics a flow replicates.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowConfig } from '../../src/config/types.js';
import { MM2_DEFAULT_GROUP_EXCLUDES, MM2_DEFAULT_TOPIC_EXCLUDES } from '../../src/mirror/filters.js';
import {
  createReplicationPolicy,
  DefaultReplicationPolicy,
  IdentityReplicationPolicy,
  isCycle,
  policyForFlow,
  remoteTopicName,
  shouldReplicateGroup,
  shouldReplicateTopic,
} from '../../src/mirror/policy.js';

function flow(over: Partial<FlowConfig> = {}): FlowConfig {
  return {
    name: 'us-east->us-west',
    source: 'us-east',
    target: 'us-west',
    enabled: true,
    mode: 'at-least-once',
    topics: { include: ['.*'], exclude: [...MM2_DEFAULT_TOPIC_EXCLUDES] },
    groups: { include: ['.*'], exclude: [...MM2_DEFAULT_GROUP_EXCLUDES] },
    replication: { policy: 'default', separator: '.' },
    replicationFactor: -1,
    refreshTopicsIntervalMs: 30_000,
    groupId: 'strait.us-east.us-west',
    onRecordError: 'stop-partition',
    onDataLoss: 'continue',
    onDivergence: 'stop-partition',
    ...over,
  };
}

void describe('DefaultReplicationPolicy', () => {
  const p = new DefaultReplicationPolicy();

  void test('remote topics carry the source alias', () => {
    assert.equal(p.formatRemoteTopic('us-west', 'topic1'), 'us-west.topic1');
    assert.equal(p.topicSource('us-west.topic1'), 'us-west');
    assert.equal(p.upstreamTopic('us-west.topic1'), 'topic1');
    assert.equal(p.originalTopic('us-west.topic1'), 'topic1');
  });

  void test('a local topic has no source', () => {
    assert.equal(p.topicSource('topic1'), undefined);
    assert.equal(p.upstreamTopic('topic1'), undefined);
    assert.equal(p.originalTopic('topic1'), 'topic1');
  });

  void test('multiple hops', () => {
    assert.equal(p.topicSource('us-east.us-west.topic1'), 'us-east');
    assert.equal(p.upstreamTopic('us-east.us-west.topic1'), 'us-west.topic1');
    assert.equal(p.originalTopic('us-east.us-west.topic1'), 'topic1');
  });

  void test("Java's split: trailing empty parts are dropped, a leading one is kept", () => {
    assert.equal(p.topicSource('topic1.'), undefined);
    assert.equal(p.topicSource('.topic1'), '');
    assert.equal(p.upstreamTopic('.topic1'), 'topic1');
    assert.equal(p.topicSource('a..b'), 'a');
    assert.equal(p.upstreamTopic('a..b'), '.b');
  });

  void test('internal topic names', () => {
    assert.equal(p.heartbeatsTopic(), 'heartbeats');
    assert.equal(p.offsetSyncsTopic('us-west'), 'mm2-offset-syncs.us-west.internal');
    assert.equal(p.checkpointsTopic('us-east'), 'us-east.checkpoints.internal');
    assert.equal(p.isCheckpointsTopic('us-east.checkpoints.internal'), true);
    assert.equal(p.isCheckpointsTopic('us-east.checkpoints'), false);
    assert.equal(p.isMM2InternalTopic('mm2-offset-syncs.us-west.internal'), true);
    assert.equal(p.isMM2InternalTopic('us-east.checkpoints.internal'), true);
    assert.equal(p.isMM2InternalTopic('orders'), false);
  });

  void test('heartbeats topics at any hop', () => {
    for (const t of ['heartbeats', 'us-west.heartbeats', 'us-east.us-west.heartbeats']) assert.equal(p.isHeartbeatsTopic(t), true, t);
    for (const t of ['heartbeats2', 'us-west.heartbeats.x', 'us-west.topic1']) assert.equal(p.isHeartbeatsTopic(t), false, t);
  });

  void test('internal topics: Kafka, Connect, MM2', () => {
    for (const t of ['__consumer_offsets', '__transaction_state', '.hidden', 'connect-configs-internal', 'mm2-configs.us-west.internal', 'us-east.checkpoints.internal']) {
      assert.equal(p.isInternalTopic(t), true, t);
    }
    for (const t of ['orders', 'us-west.orders', 'internal-orders', 'heartbeats']) assert.equal(p.isInternalTopic(t), false, t);
  });

  void test('a custom separator, also in internal topic names unless disabled', () => {
    const u = new DefaultReplicationPolicy('_');
    assert.equal(u.formatRemoteTopic('west', 'orders'), 'west_orders');
    assert.equal(u.topicSource('west_orders'), 'west');
    assert.equal(u.topicSource('west.orders'), undefined);
    assert.equal(u.offsetSyncsTopic('west'), 'mm2-offset-syncs_west_internal');
    assert.equal(u.checkpointsTopic('east'), 'east_checkpoints_internal');
    assert.equal(u.isMM2InternalTopic('mm2-offset-syncs_west_internal'), true);
    const dots = new DefaultReplicationPolicy('_', false);
    assert.equal(dots.offsetSyncsTopic('west'), 'mm2-offset-syncs.west.internal');
    assert.equal(dots.checkpointsTopic('east'), 'east.checkpoints.internal');
    assert.throws(() => new DefaultReplicationPolicy(''), RangeError);
  });
});

void describe('IdentityReplicationPolicy', () => {
  const p = new IdentityReplicationPolicy();

  void test('names are kept, except heartbeats', () => {
    assert.equal(p.formatRemoteTopic('us-west', 'topic1'), 'topic1');
    assert.equal(p.formatRemoteTopic('us-west', 'heartbeats'), 'us-west.heartbeats');
    assert.equal(p.formatRemoteTopic('us-east', 'us-west.heartbeats'), 'us-east.us-west.heartbeats');
  });

  void test('a name says nothing about its source, except for heartbeats', () => {
    assert.equal(p.topicSource('topic1'), undefined);
    assert.equal(p.topicSource('us-west.topic1'), undefined);
    assert.equal(p.upstreamTopic('topic1'), 'topic1');
    assert.equal(p.originalTopic('us-west.topic1'), 'us-west.topic1');
    assert.equal(p.topicSource('us-west.heartbeats'), 'us-west');
    assert.equal(p.upstreamTopic('us-west.heartbeats'), 'heartbeats');
    assert.equal(p.isHeartbeatsTopic('us-west.heartbeats'), true);
  });

  void test("with MM2's source.cluster.alias, every other topic comes from it", () => {
    const q = new IdentityReplicationPolicy('.', true, 'us-west');
    assert.equal(q.topicSource('topic1'), 'us-west');
    assert.equal(q.topicSource('us-east.heartbeats'), 'us-east');
  });

  void test('built from a flow config', () => {
    const q = createReplicationPolicy({ policy: 'identity', separator: '.' });
    assert.equal(q.kind, 'identity');
    assert.equal(createReplicationPolicy({ policy: 'default', separator: '.' }).kind, 'default');
  });
});

void describe('cycles', () => {
  const p = new DefaultReplicationPolicy();

  void test('a topic that came from the target is a cycle', () => {
    assert.equal(isCycle(p, 'us-west.topic1', 'us-west'), true);
    assert.equal(isCycle(p, 'us-west.topic1', 'us-east'), false);
    assert.equal(isCycle(p, 'topic1', 'us-west'), false);
  });

  void test('the whole prefix chain is checked', () => {
    assert.equal(isCycle(p, 'us-east.us-west.topic1', 'us-west'), true);
    assert.equal(isCycle(p, 'us-east.us-central.topic1', 'us-west'), false);
  });

  void test('the identity policy sees cycles only in heartbeats', () => {
    const id = new IdentityReplicationPolicy();
    assert.equal(isCycle(id, 'us-west.topic1', 'us-west'), false);
    assert.equal(isCycle(id, 'us-west.heartbeats', 'us-west'), true);
    // With source.cluster.alias set the answer is the same: upstream == topic ends the walk.
    assert.equal(isCycle(new IdentityReplicationPolicy('.', true, 'us-east'), 'topic1', 'us-west'), false);
  });
});

void describe('shouldReplicateTopic', () => {
  void test('include and exclude patterns', () => {
    const f = flow({ topics: { include: ['orders.*'], exclude: ['orders\\.tmp', ...MM2_DEFAULT_TOPIC_EXCLUDES] } });
    assert.equal(shouldReplicateTopic('orders', f), true);
    assert.equal(shouldReplicateTopic('orders-eu', f), true);
    assert.equal(shouldReplicateTopic('orders.tmp', f), false);
    assert.equal(shouldReplicateTopic('payments', f), false);
  });

  void test('never internal topics, even when included', () => {
    const f = flow({ topics: { include: ['.*'], exclude: [] } });
    for (const t of ['__consumer_offsets', 'mm2-offset-syncs.us-west.internal', 'us-east.checkpoints.internal', 'connect-status-internal']) {
      assert.equal(shouldReplicateTopic(t, f), false, t);
    }
  });

  void test('never back to where it came from (active/active)', () => {
    const f = flow();
    assert.equal(shouldReplicateTopic('us-west.orders', f), false);
    assert.equal(shouldReplicateTopic('us-central.us-west.orders', f), false);
    assert.equal(shouldReplicateTopic('us-central.orders', f), true);
  });

  void test('heartbeats are replicated whatever the patterns, unless they came from the target', () => {
    const f = flow({ topics: { include: ['orders'], exclude: [] } });
    assert.equal(shouldReplicateTopic('heartbeats', f), true);
    assert.equal(shouldReplicateTopic('us-central.heartbeats', f), true);
    assert.equal(shouldReplicateTopic('us-west.heartbeats', f), false);
  });

  void test('under the identity policy nothing is a cycle by name', () => {
    const f = flow({ replication: { policy: 'identity', separator: '.' } });
    assert.equal(shouldReplicateTopic('us-west.orders', f), true);
    assert.equal(remoteTopicName(f, 'orders'), 'orders');
  });

  void test('remote names and the per-flow policy', () => {
    const f = flow();
    assert.equal(remoteTopicName(f, 'orders'), 'us-east.orders');
    assert.equal(policyForFlow(f), policyForFlow(f));
  });

  void test('groups', () => {
    const f = flow({ groups: { include: ['.*'], exclude: [...MM2_DEFAULT_GROUP_EXCLUDES, 'strait\\.us-east\\.us-west'] } });
    assert.equal(shouldReplicateGroup('billing', f), true);
    assert.equal(shouldReplicateGroup('console-consumer-42', f), false);
    assert.equal(shouldReplicateGroup('strait.us-east.us-west', f), false);
  });
});
