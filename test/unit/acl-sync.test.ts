/**
 * Topic ACL sync with fake clusters: MM2's mapping table (ALLOW WRITE dropped, ALLOW ALL -> READ,
 * DENY copied, PREFIXED skipped, resources renamed), idempotence, removals only when asked and only
 * of copies, and clusters without an authorizer.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclOperationName, TopicAcl } from '../../src/kafka/config-admin.js';
import { KafkaError } from '../../src/util/errors.js';
import { aclKey, desiredAcls, mapAcl, TopicAclSync, type TopicAclWriter } from '../../src/mirror/acl-sync.js';
import { DefaultReplicationPolicy, IdentityReplicationPolicy } from '../../src/mirror/policy.js';

function acl(topic: string, operation: AclOperationName, permission: 'ALLOW' | 'DENY' = 'ALLOW', principal = 'User:alice', pattern: 'LITERAL' | 'PREFIXED' = 'LITERAL', host = '*'): TopicAcl {
  return { topic, pattern, principal, host, operation, permission };
}

function show(acls: Iterable<TopicAcl>): string[] {
  return [...acls].map((a) => `${a.pattern} ${a.topic} ${a.permission} ${a.principal} ${a.operation} ${a.host}`).sort();
}

class FakeAcls implements TopicAclWriter {
  readonly bindings = new Map<string, TopicAcl>();
  authorizer = true;
  down = false;
  readonly failCreate = new Set<string>();
  creates = 0;
  deletes = 0;
  describes = 0;

  constructor(
    readonly cluster: string,
    initial: TopicAcl[] = [],
  ) {
    for (const a of initial) this.bindings.set(aclKey(a), a);
  }

  describeTopicAcls(): Promise<TopicAcl[] | undefined> {
    this.describes++;
    if (this.down) return Promise.reject(new KafkaError('KAFKA_CLIENT', 'connection refused', { cluster: this.cluster }, true));
    return Promise.resolve(this.authorizer ? [...this.bindings.values()] : undefined);
  }

  createAcls(acls: readonly TopicAcl[]): Promise<void> {
    this.creates++;
    if (acls.some((a) => this.failCreate.has(a.topic))) return Promise.reject(new KafkaError('KAFKA_CLUSTER_AUTHORIZATION_FAILED', 'not authorized', { cluster: this.cluster }, false));
    for (const a of acls) this.bindings.set(aclKey(a), a);
    return Promise.resolve();
  }

  deleteAcls(acls: readonly TopicAcl[]): Promise<number> {
    this.deletes++;
    let n = 0;
    for (const a of acls) if (this.bindings.delete(aclKey(a))) n++;
    return Promise.resolve(n);
  }
}

void describe('the mapping (MM2 targetAclBinding / shouldReplicateAcl)', () => {
  const ops: AclOperationName[] = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'];
  test('table: ALLOW WRITE dropped, ALLOW ALL becomes READ, everything else copied as is', () => {
    const table = Object.fromEntries(
      ops.flatMap((op) =>
        (['ALLOW', 'DENY'] as const).map((perm) => {
          const m = mapAcl(acl('orders', op, perm), 'us-east.orders');
          return [`${perm} ${op}`, m ? `${m.permission} ${m.operation}` : '-'];
        }),
      ),
    );
    assert.deepEqual(table, {
      'ALLOW ALL': 'ALLOW READ',
      'DENY ALL': 'DENY ALL',
      'ALLOW READ': 'ALLOW READ',
      'DENY READ': 'DENY READ',
      'ALLOW WRITE': '-',
      'DENY WRITE': 'DENY WRITE',
      'ALLOW CREATE': 'ALLOW CREATE',
      'DENY CREATE': 'DENY CREATE',
      'ALLOW DELETE': 'ALLOW DELETE',
      'DENY DELETE': 'DENY DELETE',
      'ALLOW ALTER': 'ALLOW ALTER',
      'DENY ALTER': 'DENY ALTER',
      'ALLOW DESCRIBE': 'ALLOW DESCRIBE',
      'DENY DESCRIBE': 'DENY DESCRIBE',
      'ALLOW DESCRIBE_CONFIGS': 'ALLOW DESCRIBE_CONFIGS',
      'DENY DESCRIBE_CONFIGS': 'DENY DESCRIBE_CONFIGS',
      'ALLOW ALTER_CONFIGS': 'ALLOW ALTER_CONFIGS',
      'DENY ALTER_CONFIGS': 'DENY ALTER_CONFIGS',
    });
  });

  test('principal and host are kept, the resource is the remote topic, LITERAL', () => {
    assert.deepEqual(mapAcl(acl('orders', 'ALL', 'ALLOW', 'User:bob', 'LITERAL', '10.0.0.1'), 'us-east.orders'), acl('us-east.orders', 'READ', 'ALLOW', 'User:bob', 'LITERAL', '10.0.0.1'));
  });

  test('PREFIXED bindings are not copied; copyDeny: false leaves DENY out', () => {
    assert.equal(mapAcl(acl('ord', 'READ', 'ALLOW', 'User:alice', 'PREFIXED'), 'x'), undefined);
    assert.equal(mapAcl(acl('orders', 'READ', 'DENY'), 'x', { copyDeny: false }), undefined);
    assert.ok(mapAcl(acl('orders', 'READ', 'ALLOW'), 'x', { copyDeny: false }));
  });

  test('names follow the replication policy; only replicated topics; the wildcard is not a topic', () => {
    const def = new DefaultReplicationPolicy();
    const id = new IdentityReplicationPolicy();
    const source = [acl('orders', 'READ'), acl('orders', 'ALL'), acl('payments', 'READ'), acl('*', 'READ'), acl('ord', 'READ', 'ALLOW', 'User:alice', 'PREFIXED')];
    const d = desiredAcls(source, [{ source: 'orders', remote: def.formatRemoteTopic('us-east', 'orders') }]);
    assert.deepEqual([...d.keys()], ['us-east.orders']);
    assert.deepEqual(show(d.get('us-east.orders')!.values()), ['LITERAL us-east.orders ALLOW User:alice READ *'], 'READ and ALL->READ are one binding');
    const i = desiredAcls(source, [{ source: 'orders', remote: id.formatRemoteTopic('us-east', 'orders') }]);
    assert.deepEqual(show(i.get('orders')!.values()), ['LITERAL orders ALLOW User:alice READ *']);
  });
});

void describe('TopicAclSync', () => {
  const topics = [
    { source: 'orders', remote: 'src.orders' },
    { source: 'payments', remote: 'src.payments' },
  ];

  test('creates the mapped bindings; a second pass changes nothing and creates nothing', async () => {
    const source = new FakeAcls('src', [
      acl('orders', 'READ'),
      acl('orders', 'WRITE'),
      acl('orders', 'ALL'),
      acl('orders', 'DESCRIBE', 'DENY', 'User:mallory'),
      acl('payments', 'ALL', 'ALLOW', 'User:bob'),
      acl('other', 'READ'),
      acl('ord', 'READ', 'ALLOW', 'User:alice', 'PREFIXED'),
    ]);
    const strait = acl('src.orders', 'WRITE', 'ALLOW', 'User:strait');
    const target = new FakeAcls('tgt', [strait]);
    const sync = new TopicAclSync({ source, target });
    const r = await sync.syncOnce(topics);
    assert.deepEqual([r.created, r.deleted, r.changed, r.topicsChanged, r.errors, r.sourceAuthorizer], [3, 0, 3, 2, [], true]);
    assert.deepEqual(show(target.bindings.values()), [
      'LITERAL src.orders ALLOW User:alice READ *',
      'LITERAL src.orders ALLOW User:strait WRITE *',
      'LITERAL src.orders DENY User:mallory DESCRIBE *',
      'LITERAL src.payments ALLOW User:bob READ *',
    ]);
    const creates = target.creates;
    const again = await sync.syncOnce(topics);
    assert.deepEqual([again.changed, again.errors], [0, []]);
    assert.equal(target.creates, creates);
  });

  test('removals are not propagated by default', async () => {
    const source = new FakeAcls('src', [acl('orders', 'READ'), acl('orders', 'DESCRIBE')]);
    const target = new FakeAcls('tgt');
    const sync = new TopicAclSync({ source, target });
    await sync.syncOnce(topics);
    source.bindings.clear();
    const r = await sync.syncOnce(topics);
    assert.equal(r.changed, 0);
    assert.equal(target.bindings.size, 2);
    assert.equal(target.deletes, 0);
  });

  test('with propagateRemovals only copies seen before are deleted, never hand-made or the replicator\'s own', async () => {
    const handMade = acl('src.orders', 'READ', 'ALLOW', 'User:dr-reader');
    const strait = acl('src.orders', 'WRITE', 'ALLOW', 'User:strait');
    const source = new FakeAcls('src', [acl('orders', 'READ'), acl('orders', 'DESCRIBE', 'DENY', 'User:mallory')]);
    const target = new FakeAcls('tgt', [handMade, strait]);
    const sync = new TopicAclSync({ source, target, propagateRemovals: true });
    await sync.syncOnce(topics);
    source.bindings.delete(aclKey(acl('orders', 'DESCRIBE', 'DENY', 'User:mallory')));
    const r = await sync.syncOnce(topics);
    assert.deepEqual([r.deleted, r.created, r.changed], [1, 0, 1]);
    assert.deepEqual(show(target.bindings.values()), ['LITERAL src.orders ALLOW User:alice READ *', 'LITERAL src.orders ALLOW User:dr-reader READ *', 'LITERAL src.orders ALLOW User:strait WRITE *']);
    source.bindings.clear();
    await sync.syncOnce(topics);
    assert.deepEqual(show(target.bindings.values()), ['LITERAL src.orders ALLOW User:dr-reader READ *', 'LITERAL src.orders ALLOW User:strait WRITE *']);
    const third = await sync.syncOnce(topics);
    assert.equal(third.changed, 0, 'idempotent after removals too');
  });

  test('a new process does not delete what it never saw copied', async () => {
    const source = new FakeAcls('src');
    const target = new FakeAcls('tgt', [acl('src.orders', 'READ')]);
    const r = await new TopicAclSync({ source, target, propagateRemovals: true }).syncOnce(topics);
    assert.equal(r.changed, 0);
    assert.equal(target.bindings.size, 1);
  });

  test('no authorizer on the source: nothing to copy, not an error, the target is not asked', async () => {
    const source = new FakeAcls('src');
    source.authorizer = false;
    const target = new FakeAcls('tgt');
    const r = await new TopicAclSync({ source, target }).syncOnce(topics);
    assert.deepEqual([r.sourceAuthorizer, r.errors, target.describes], [false, [], 0]);
  });

  test('no authorizer on the target while there is something to copy: one error', async () => {
    const source = new FakeAcls('src', [acl('orders', 'READ')]);
    const target = new FakeAcls('tgt');
    target.authorizer = false;
    const r = await new TopicAclSync({ source, target }).syncOnce(topics);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /^cluster "tgt": .*no authorizer/);
    assert.equal(r.errors[0].cluster, 'tgt');
    assert.equal(r.errors[0].retriable, false);
  });

  test('per-topic failures do not stop the other topics; a cluster failure is one error; never throws', async () => {
    const source = new FakeAcls('src', [acl('orders', 'READ'), acl('payments', 'READ')]);
    const target = new FakeAcls('tgt');
    target.failCreate.add('src.orders');
    const r = await new TopicAclSync({ source, target }).syncOnce(topics);
    assert.deepEqual(
      r.errors.map((e) => [e.cluster, e.topic, e.retriable]),
      [['tgt', 'src.orders', false]],
    );
    assert.deepEqual(show(target.bindings.values()), ['LITERAL src.payments ALLOW User:alice READ *']);

    source.down = true;
    const down = await new TopicAclSync({ source, target }).syncOnce(topics);
    assert.deepEqual(
      down.errors.map((e) => [e.cluster, e.topic]),
      [['src', undefined]],
    );
  });
});
