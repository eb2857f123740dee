/** The pure decisions of `strait failover`: lag and RPO, group selection, per-mode translation, the stale rule. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flowRpoMs, offsetsToCommit, partitionLag, planGroup, selectGroups, translationFor, type GroupPlanInput } from '../../src/failover/plan.js';
import { defaultStopUrl, isFlowTopic, sourceTopicOfRemote } from '../../src/failover/run.js';
import { parseConfig } from '../../src/config/load.js';

const NOW = 1_700_000_000_000;

void describe('failover lag and RPO', () => {
  const base = { topic: 'orders', partition: 0, remoteTopic: 'east.orders', logStart: 0 };
  void it('is 0 records and 0 s when everything up to the end is replicated', () => {
    const l = partitionLag({ ...base, end: 100, committed: 100, firstUnreplicatedTimestamp: undefined }, NOW);
    assert.deepEqual([l.replicatedOffset, l.lag, l.rpoMs, l.lostBeforeLogStart], [100, 0, 0, 0]);
  });
  void it('is the end minus the committed offset, and the age of the first record not replicated', () => {
    const l = partitionLag({ ...base, end: 110, committed: 100, firstUnreplicatedTimestamp: NOW - 42_000 }, NOW);
    assert.deepEqual([l.replicatedOffset, l.lag, l.rpoMs], [100, 10, 42_000]);
  });
  void it('counts from the log start without a committed offset, or when retention passed it', () => {
    assert.equal(partitionLag({ ...base, logStart: 20, end: 50, committed: undefined, firstUnreplicatedTimestamp: NOW - 1 }, NOW).lag, 30);
    const l = partitionLag({ ...base, logStart: 20, end: 50, committed: 5, firstUnreplicatedTimestamp: NOW - 1 }, NOW);
    assert.deepEqual([l.replicatedOffset, l.lag, l.lostBeforeLogStart], [20, 30, 15]);
  });
  void it('says the RPO is unknown when lag remains but no record was read (never a made-up 0)', () => {
    const l = partitionLag({ ...base, end: 110, committed: 100 }, NOW);
    assert.equal(l.rpoMs, undefined);
    assert.equal(flowRpoMs([partitionLag({ ...base, end: 1, committed: 1 }, NOW), l]), undefined);
  });
  void it('a record stamped in the future gives 0, not a negative RPO; the flow RPO is the worst partition', () => {
    const future = partitionLag({ ...base, end: 2, committed: 1, firstUnreplicatedTimestamp: NOW + 5_000 }, NOW);
    assert.equal(future.rpoMs, 0);
    const old = partitionLag({ ...base, partition: 1, end: 2, committed: 1, firstUnreplicatedTimestamp: NOW - 9_000 }, NOW);
    assert.equal(flowRpoMs([future, old]), 9_000);
    assert.equal(flowRpoMs([]), 0);
  });
});

void describe('failover group selection', () => {
  const candidates = ['billing', 'billing-eu', 'orders-app', 'audit'];
  void it('takes every candidate without --groups', () => {
    assert.deepEqual(selectGroups(undefined, candidates), { selected: ['audit', 'billing', 'billing-eu', 'orders-app'], unmatched: [] });
  });
  void it('matches names exactly and regexes against the whole name', () => {
    assert.deepEqual(selectGroups(['billing'], candidates).selected, ['billing'], 'a name is not a prefix');
    assert.deepEqual(selectGroups(['billing.*', 'audit'], candidates).selected, ['audit', 'billing', 'billing-eu']);
    assert.deepEqual(selectGroups(['.*-app'], candidates).selected, ['orders-app']);
  });
  void it('reports values that select nothing, and takes an invalid regex as a name', () => {
    assert.deepEqual(selectGroups(['biling', 'audit'], candidates), { selected: ['audit'], unmatched: ['biling'] });
    assert.deepEqual(selectGroups(['a(b'], ['a(b', 'x']), { selected: ['a(b'], unmatched: [] });
  });
});

const remoteOf = (t: string): string => `east.${t}`;
const sourceOf = (t: string): string => t.replace(/^east\./, '');
function input(over: Partial<GroupPlanInput>): GroupPlanInput {
  return { group: 'app', mode: 'at-least-once', checkpoints: [], sourceCommitted: undefined, remoteTopicOf: remoteOf, sourceTopicOf: sourceOf, allowStale: false, ...over };
}
const cp = (partition: number, offset: number, upstreamOffset: number) => ({ topic: 'east.orders', partition, offset, upstreamOffset, metadata: '' });
const src = (partition: number, offset: number) => ({ topic: 'orders', partition, offset });

void describe('failover translation per mode', () => {
  void it('translates through checkpoints in at-least-once and exactly-once, copies 1:1 in offset-preserving', () => {
    assert.equal(translationFor('at-least-once'), 'checkpoints');
    assert.equal(translationFor('exactly-once'), 'checkpoints');
    assert.equal(translationFor('offset-preserving'), 'identity');
  });

  void it('at-least-once: the checkpoints\' downstream offsets, checked against the source positions', () => {
    const plan = planGroup(input({ checkpoints: [cp(1, 480, 500), cp(0, 90, 100)], sourceCommitted: [src(0, 100), src(1, 500)] }));
    assert.equal(plan.refused, undefined);
    assert.deepEqual(
      plan.offsets.map((o) => [o.remoteTopic, o.partition, o.targetOffset, o.status]),
      [
        ['east.orders', 0, 90, 'ok'],
        ['east.orders', 1, 480, 'ok'],
      ],
    );
    assert.deepEqual(offsetsToCommit(plan), [
      { topic: 'east.orders', partition: 0, offset: 90 },
      { topic: 'east.orders', partition: 1, offset: 480 },
    ]);
  });

  void it('offset-preserving: the source group\'s committed offsets unchanged, checkpoints or not', () => {
    const plan = planGroup(input({ mode: 'offset-preserving', checkpoints: [cp(0, 7, 7)], sourceCommitted: [src(0, 100), src(2, 3)], targetEnds: new Map([['east.orders\u00000', 150], ['east.orders\u00002', 3]]) }));
    assert.equal(plan.translation, 'identity');
    assert.equal(plan.refused, undefined);
    assert.deepEqual(offsetsToCommit(plan), [
      { topic: 'east.orders', partition: 0, offset: 100 },
      { topic: 'east.orders', partition: 2, offset: 3 },
    ]);
  });

  void it('offset-preserving: a source position past the target\'s end resumes at the end, reported as ahead', () => {
    const plan = planGroup(input({ mode: 'offset-preserving', sourceCommitted: [src(0, 120)], targetEnds: new Map([['east.orders\u00000', 110]]) }));
    assert.deepEqual(plan.offsets.map((o) => [o.targetOffset, o.sourceCommitted, o.status]), [[110, 120, 'ahead']]);
    assert.equal(plan.refused, undefined);
  });

  void it('offset-preserving without the source: falls back to the checkpoints, unverified', () => {
    const plan = planGroup(input({ mode: 'offset-preserving', checkpoints: [cp(0, 100, 100)], sourceCommitted: undefined }));
    assert.equal(plan.translation, 'identity');
    assert.deepEqual(plan.offsets.map((o) => [o.targetOffset, o.status]), [[100, 'unverified']]);
    assert.equal(plan.refused, undefined);
  });

  void it('offset-preserving: a group with no source offsets for the flow is refused', () => {
    assert.match(planGroup(input({ mode: 'offset-preserving', sourceCommitted: [] })).refused ?? '', /no committed offsets on the source/);
  });
});

void describe('failover stale-checkpoint rule', () => {
  void it('refuses a group whose source offset moved after its last checkpoint, naming the partitions', () => {
    const plan = planGroup(input({ checkpoints: [cp(0, 90, 100), cp(1, 480, 500)], sourceCommitted: [src(0, 100), src(1, 520)] }));
    assert.match(plan.refused ?? '', /differ from its last checkpoint on 1 partition\(s\) \(orders-1\)/);
    assert.match(plan.refused ?? '', /--allow-stale/);
    assert.deepEqual(plan.offsets.map((o) => o.status), ['ok', 'stale'], 'every partition is still reported');
    assert.deepEqual(offsetsToCommit(plan), [], 'nothing of a refused group is committed');
  });

  void it('a rewound group is stale too, and so is a checkpoint for a partition the group no longer has', () => {
    const plan = planGroup(input({ checkpoints: [cp(0, 90, 100), cp(1, 480, 500)], sourceCommitted: [src(0, 50)] }));
    assert.deepEqual(plan.offsets.map((o) => o.status), ['stale', 'stale']);
    assert.notEqual(plan.refused, undefined);
  });

  void it('--allow-stale commits the checkpoints as they are', () => {
    const plan = planGroup(input({ checkpoints: [cp(0, 90, 100)], sourceCommitted: [src(0, 120)], allowStale: true }));
    assert.equal(plan.refused, undefined);
    assert.deepEqual(offsetsToCommit(plan), [{ topic: 'east.orders', partition: 0, offset: 90 }]);
  });

  void it('a partition with a source offset but no checkpoint is refused, or listed uncommitted with --allow-stale: never dropped', () => {
    const strict = planGroup(input({ checkpoints: [cp(0, 90, 100)], sourceCommitted: [src(0, 100), src(2, 7)] }));
    assert.match(strict.refused ?? '', /no checkpoint for 1 partition\(s\) .*\(orders-2\)/);
    const lenient = planGroup(input({ checkpoints: [cp(0, 90, 100)], sourceCommitted: [src(0, 100), src(2, 7)], allowStale: true }));
    assert.equal(lenient.refused, undefined);
    assert.deepEqual(lenient.offsets.map((o) => [o.partition, o.targetOffset, o.status]), [[0, 90, 'ok'], [2, undefined, 'missing']]);
    assert.deepEqual(offsetsToCommit(lenient), [{ topic: 'east.orders', partition: 0, offset: 90 }]);
  });

  void it('without the source, checkpoints are used unverified; a group without checkpoints is refused', () => {
    const plan = planGroup(input({ checkpoints: [cp(0, 90, 100)] }));
    assert.equal(plan.refused, undefined);
    assert.deepEqual(plan.offsets.map((o) => o.status), ['unverified']);
    assert.match(planGroup(input({})).refused ?? '', /no checkpoints for group "app"/);
  });
});

void describe('failover topic names and stop URL', () => {
  const config = parseConfig(
    [
      'clusters:',
      '  east: { bootstrap.servers: "east:9092" }',
      '  west: { bootstrap.servers: "west:9092" }',
      '  south: { bootstrap.servers: "south:9092" }',
      'flows:',
      '  - { source: east, target: west, topics: { include: ["orders.*"] } }',
      '  - { source: west, target: south, topics: { include: ["pay.*"] }, replication: { policy: identity } }',
      'engine: { metrics: { host: 0.0.0.0, port: 9555 } }',
    ].join('\n'),
    'test.yaml',
    { env: {} },
  );
  const [fwd, back] = config.flows;
  void it('maps a flow\'s remote topics back to their source topics, and nothing else', () => {
    assert.equal(sourceTopicOfRemote(fwd, 'east.orders'), 'orders');
    assert.equal(sourceTopicOfRemote(fwd, 'orders'), undefined, 'a local topic of the target');
    assert.equal(sourceTopicOfRemote(fwd, 'east.payments'), undefined, 'not in the flow\'s topics');
    assert.equal(sourceTopicOfRemote(fwd, 'east.heartbeats'), undefined, 'heartbeats are not application data');
    assert.equal(sourceTopicOfRemote(back, 'payments'), 'payments');
    assert.equal(isFlowTopic(fwd, 'orders-eu'), true);
    assert.equal(isFlowTopic(fwd, 'heartbeats'), false);
  });
  void it('reaches an endpoint listening on every interface through loopback', () => {
    assert.equal(defaultStopUrl(config), 'http://127.0.0.1:9555');
  });
});
