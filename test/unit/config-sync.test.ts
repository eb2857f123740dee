/**
 * Topic config sync with fake clusters: MM2's exclusions, which entries are copied (not the
 * defaults, not static broker settings, not secrets), what happens to target overrides of configs
 * the source has at their default, idempotence, and per-topic errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigChange, ConfigSourceName, TopicConfigEntry } from '../../src/kafka/config-admin.js';
import { KafkaError } from '../../src/util/errors.js';
import {
  configExcluded,
  creationConfigs,
  defaultFlowSyncConfig,
  MM2_DEFAULT_CONFIG_EXCLUDES,
  planConfigChanges,
  TopicConfigSync,
  type TopicConfigWriter,
} from '../../src/mirror/config-sync.js';

/** Topic configs a broker knows, with their defaults. */
const CATALOG: Record<string, string> = {
  'cleanup.policy': 'delete',
  'retention.ms': '604800000',
  'retention.bytes': '-1',
  'segment.bytes': '1073741824',
  'max.message.bytes': '1048588',
  'min.insync.replicas': '1',
  'message.timestamp.type': 'CreateTime',
  'message.timestamp.difference.max.ms': '9223372036854775807',
  'unclean.leader.election.enable': 'false',
  'follower.replication.throttled.replicas': '',
  'leader.replication.throttled.replicas': '',
  'compression.type': 'producer',
};

interface Setting {
  value: string;
  source: ConfigSourceName;
}

class FakeCluster implements TopicConfigWriter {
  readonly topics = new Map<string, Map<string, Setting>>();
  readonly alters: { topic: string; changes: ConfigChange[] }[] = [];
  describes = 0;
  /** Topics whose describe or alter fails. */
  readonly failDescribe = new Set<string>();
  readonly failAlter = new Set<string>();
  down = false;
  /** Settings every topic shows (static or dynamic broker settings). */
  readonly broker = new Map<string, Setting>();

  constructor(
    readonly cluster: string,
    private readonly catalog: Record<string, string> = CATALOG,
  ) {}

  topic(name: string, overrides: Record<string, string> = {}): this {
    this.topics.set(name, new Map(Object.entries(overrides).map(([k, v]) => [k, { value: v, source: 'topic' as const }])));
    return this;
  }

  describeTopicConfigs(topics: string[]): Promise<Map<string, TopicConfigEntry[]>> {
    this.describes++;
    if (this.down) return Promise.reject(new KafkaError('KAFKA_CLIENT', 'connection refused', { cluster: this.cluster }, true));
    const out = new Map<string, TopicConfigEntry[]>();
    for (const t of topics) {
      const o = this.topics.get(t);
      if (!o || this.failDescribe.has(t)) return Promise.reject(new KafkaError('KAFKA_UNKNOWN_TOPIC_OR_PARTITION', 'no such topic', { cluster: this.cluster }, true));
      out.set(
        t,
        Object.entries(this.catalog).map(([name, def]) => {
          const s = o.get(name) ?? this.broker.get(name) ?? { value: def, source: 'default' as const };
          return { name, value: s.value, source: s.source, readOnly: false, sensitive: false };
        }),
      );
    }
    return Promise.resolve(out);
  }

  incrementalAlterTopicConfigs(topic: string, changes: readonly ConfigChange[]): Promise<void> {
    if (this.failAlter.has(topic)) return Promise.reject(new KafkaError('KAFKA_TOPIC_AUTHORIZATION_FAILED', 'not authorized', { cluster: this.cluster, topic }, false));
    this.alters.push({ topic, changes: [...changes] });
    const o = this.topics.get(topic)!;
    for (const c of changes) {
      if (c.op === 'set') o.set(c.name, { value: c.value, source: 'topic' });
      else o.delete(c.name);
    }
    return Promise.resolve();
  }

  overrides(topic: string): Record<string, string> {
    return Object.fromEntries([...this.topics.get(topic)!].map(([k, s]) => [k, s.value]));
  }
}

function entry(name: string, value: string | null, source: ConfigSourceName, extra: Partial<TopicConfigEntry> = {}): TopicConfigEntry {
  return { name, value, source, readOnly: false, sensitive: false, ...extra };
}

const RULES = { exclude: MM2_DEFAULT_CONFIG_EXCLUDES, useDefaultsFrom: 'target' as const };

void describe('exclusions', () => {
  test('MM2 default list: exactly the six names, matched whole', () => {
    assert.deepEqual(
      Object.keys(CATALOG).filter((n) => configExcluded(n, MM2_DEFAULT_CONFIG_EXCLUDES)),
      [
        'min.insync.replicas',
        'message.timestamp.type',
        'message.timestamp.difference.max.ms',
        'unclean.leader.election.enable',
        'follower.replication.throttled.replicas',
        'leader.replication.throttled.replicas',
      ],
    );
    assert.equal(configExcluded('xmin.insync.replicas', MM2_DEFAULT_CONFIG_EXCLUDES), false, 'full match, not search');
    assert.equal(configExcluded('min_insync_replicas', MM2_DEFAULT_CONFIG_EXCLUDES), false, 'dots are literal');
    assert.equal(configExcluded('retention.ms', []), false, 'an empty list excludes nothing');
  });

  test('excluded overrides on the source are not copied; a custom list replaces the default', async () => {
    const source = new FakeCluster('src').topic('t', {
      'min.insync.replicas': '2',
      'message.timestamp.type': 'LogAppendTime',
      'unclean.leader.election.enable': 'true',
      'leader.replication.throttled.replicas': '*',
      'retention.ms': '1000',
    });
    const target = new FakeCluster('tgt').topic('src.t');
    const r = await new TopicConfigSync({ source, target }).syncOnce([{ source: 't', remote: 'src.t' }]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(target.overrides('src.t'), { 'retention.ms': '1000' });

    const target2 = new FakeCluster('tgt').topic('src.t');
    await new TopicConfigSync({ source, target: target2, exclude: ['retention\\..*'] }).syncOnce([{ source: 't', remote: 'src.t' }]);
    assert.deepEqual(target2.overrides('src.t'), {
      'min.insync.replicas': '2',
      'message.timestamp.type': 'LogAppendTime',
      'unclean.leader.election.enable': 'true',
      'leader.replication.throttled.replicas': '*',
    });
  });

  test('an invalid exclude pattern is refused when the sync is made', () => {
    assert.throws(() => new TopicConfigSync({ source: new FakeCluster('a'), target: new FakeCluster('b'), exclude: ['retention.(ms'] }), SyntaxError);
  });

  test('defaults proposed for the flow config', () => {
    const d = defaultFlowSyncConfig();
    assert.deepEqual(d.topicConfigs, { enabled: true, intervalMs: 30_000, exclude: [...MM2_DEFAULT_CONFIG_EXCLUDES], excludeDefaults: true, useDefaultsFrom: 'target' });
    assert.deepEqual(d.acls, { enabled: true, intervalMs: 30_000, propagateRemovals: false, copyDeny: true });
    d.topicConfigs.exclude.push('x');
    assert.equal(defaultFlowSyncConfig().topicConfigs.exclude.length, MM2_DEFAULT_CONFIG_EXCLUDES.length, 'each call is a fresh copy');
  });
});

void describe('which entries are copied', () => {
  test('only non-default entries are SET; static broker settings, read-only and sensitive entries are never touched', () => {
    const source = [
      entry('retention.ms', '1000', 'topic'),
      entry('compression.type', 'zstd', 'dynamic-broker'),
      entry('max.message.bytes', '2000000', 'dynamic-default-broker'),
      entry('segment.bytes', '1000000', 'static-broker'),
      entry('cleanup.policy', 'delete', 'default'),
      entry('retention.bytes', '5', 'topic', { readOnly: true }),
      entry('secret.thing', null, 'topic', { sensitive: true }),
    ];
    const target = ['retention.ms', 'compression.type', 'max.message.bytes', 'segment.bytes', 'cleanup.policy', 'retention.bytes', 'secret.thing'].map((n) => entry(n, 'x', 'default'));
    assert.deepEqual(planConfigChanges(source, target, RULES), [
      { name: 'retention.ms', op: 'set', value: '1000' },
      // MM2 copies dynamic broker-level values as topic overrides too (isDefault() is false).
      { name: 'compression.type', op: 'set', value: 'zstd' },
      { name: 'max.message.bytes', op: 'set', value: '2000000' },
    ]);
  });

  test('a target override of a config the source has at its default is deleted (use.defaults.from=target)', () => {
    const source = [entry('retention.bytes', '-1', 'default'), entry('cleanup.policy', 'delete', 'default'), entry('min.insync.replicas', '1', 'default')];
    const target = [entry('retention.bytes', '123', 'topic'), entry('cleanup.policy', 'delete', 'default'), entry('min.insync.replicas', '2', 'topic')];
    // min.insync.replicas is excluded: the target's override stays.
    assert.deepEqual(planConfigChanges(source, target, RULES), [{ name: 'retention.bytes', op: 'delete' }]);
  });

  test('use.defaults.from=source sets the source default values', () => {
    const source = [entry('retention.bytes', '-1', 'default'), entry('cleanup.policy', 'delete', 'default')];
    const target = [entry('retention.bytes', '123', 'topic'), entry('cleanup.policy', 'delete', 'default')];
    assert.deepEqual(planConfigChanges(source, target, { ...RULES, useDefaultsFrom: 'source' }), [
      { name: 'retention.bytes', op: 'set', value: '-1' },
      { name: 'cleanup.policy', op: 'set', value: 'delete' },
    ]);
  });

  test('an equal value inherited on the target still becomes a topic override, as MM2 leaves it', () => {
    assert.deepEqual(planConfigChanges([entry('retention.ms', '5', 'topic')], [entry('retention.ms', '5', 'dynamic-broker')], RULES), [{ name: 'retention.ms', op: 'set', value: '5' }]);
    assert.deepEqual(planConfigChanges([entry('retention.ms', '5', 'topic')], [entry('retention.ms', '5', 'topic')], RULES), []);
  });

  test('a config the target does not know is left out and named', () => {
    const unknown: string[] = [];
    const changes = planConfigChanges([entry('new.config', '1', 'topic'), entry('retention.ms', '5', 'topic')], [entry('retention.ms', '1', 'default')], RULES, unknown);
    assert.deepEqual(changes, [{ name: 'retention.ms', op: 'set', value: '5' }]);
    assert.deepEqual(unknown, ['new.config']);
  });

  test('creation configs: what MM2 creates a remote topic with', () => {
    const source = [entry('retention.ms', '1000', 'topic'), entry('cleanup.policy', 'compact', 'topic'), entry('min.insync.replicas', '2', 'topic'), entry('segment.bytes', '1', 'static-broker'), entry('retention.bytes', '-1', 'default')];
    assert.deepEqual(creationConfigs(source, RULES), { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    assert.deepEqual(creationConfigs(source, { ...RULES, useDefaultsFrom: 'source' }), { 'retention.ms': '1000', 'cleanup.policy': 'compact', 'retention.bytes': '-1' });
  });
});

void describe('TopicConfigSync', () => {
  test('copies, resets, reports counts; a second pass changes nothing and alters nothing', async () => {
    const source = new FakeCluster('src').topic('a', { 'retention.ms': '1000', 'cleanup.policy': 'compact' }).topic('b');
    const target = new FakeCluster('tgt').topic('src.a', { 'retention.bytes': '99', 'message.timestamp.type': 'LogAppendTime' }).topic('src.b');
    const sync = new TopicConfigSync({ source, target });
    const topics = [
      { source: 'a', remote: 'src.a' },
      { source: 'b', remote: 'src.b' },
    ];
    const r = await sync.syncOnce(topics);
    assert.deepEqual([r.topics, r.topicsChanged, r.set, r.deleted, r.changed, r.errors], [2, 1, 2, 1, 3, []]);
    assert.deepEqual(target.overrides('src.a'), { 'retention.ms': '1000', 'cleanup.policy': 'compact', 'message.timestamp.type': 'LogAppendTime' });
    assert.deepEqual(target.overrides('src.b'), {});
    const alters = target.alters.length;
    const again = await sync.syncOnce(topics);
    assert.deepEqual([again.changed, again.topicsChanged, again.errors], [0, 0, []]);
    assert.equal(target.alters.length, alters, 'no alter request when nothing changes');
  });

  test('a change on the source is followed at the next pass', async () => {
    const source = new FakeCluster('src').topic('a', { 'retention.ms': '1000' });
    const target = new FakeCluster('tgt').topic('src.a');
    const sync = new TopicConfigSync({ source, target });
    await sync.syncOnce([{ source: 'a', remote: 'src.a' }]);
    source.topic('a', { 'retention.ms': '2000', 'max.message.bytes': '5000' });
    const r = await sync.syncOnce([{ source: 'a', remote: 'src.a' }]);
    assert.equal(r.changed, 2);
    assert.deepEqual(target.overrides('src.a'), { 'retention.ms': '2000', 'max.message.bytes': '5000' });
    source.topic('a');
    await sync.syncOnce([{ source: 'a', remote: 'src.a' }]);
    assert.deepEqual(target.overrides('src.a'), {}, 'overrides removed on the source are reset on the target');
  });

  test('one bad topic costs only itself, on either side', async () => {
    const source = new FakeCluster('src').topic('a', { 'retention.ms': '1' }).topic('gone-on-source', { 'retention.ms': '2' }).topic('c', { 'retention.ms': '3' }).topic('d', { 'retention.ms': '4' });
    source.failDescribe.add('gone-on-source');
    const target = new FakeCluster('tgt').topic('src.a').topic('src.gone-on-source').topic('src.d');
    target.failAlter.add('src.d');
    const r = await new TopicConfigSync({ source, target }).syncOnce(['a', 'gone-on-source', 'c', 'd'].map((t) => ({ source: t, remote: `src.${t}` })));
    assert.deepEqual(target.overrides('src.a'), { 'retention.ms': '1' });
    assert.deepEqual(
      r.errors.map((e) => [e.cluster, e.topic, e.retriable]),
      [
        ['src', 'gone-on-source', true],
        ['tgt', 'src.c', true], // remote topic missing on the target
        ['tgt', 'src.d', false],
      ],
    );
    assert.match(r.errors[2].message, /not authorized/);
    assert.equal(r.changed, 1);
  });

  test('an unreachable cluster is one error without a topic, and no per-topic retries', async () => {
    const source = new FakeCluster('src').topic('a').topic('b');
    source.down = true;
    const target = new FakeCluster('tgt');
    const r = await new TopicConfigSync({ source, target }).syncOnce([
      { source: 'a', remote: 'src.a' },
      { source: 'b', remote: 'src.b' },
    ]);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].topic, undefined);
    assert.equal(r.errors[0].cluster, 'src');
    assert.equal(source.describes, 1);
    assert.equal(target.describes, 0);
  });

  test('never throws, even when an adapter misbehaves', async () => {
    const source = new FakeCluster('src').topic('a', { 'retention.ms': '1' });
    const target = new FakeCluster('tgt').topic('src.a');
    target.incrementalAlterTopicConfigs = () => {
      throw new TypeError('boom');
    };
    const r = await new TopicConfigSync({ source, target }).syncOnce([{ source: 'a', remote: 'src.a' }]);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /^cluster "tgt" topic "src.a": boom/, 'ready to log: names the cluster and topic');
  });

  test('a pass asked for while one runs shares it', async () => {
    const source = new FakeCluster('src').topic('a', { 'retention.ms': '1' });
    const target = new FakeCluster('tgt').topic('src.a');
    const sync = new TopicConfigSync({ source, target });
    const topics = [{ source: 'a', remote: 'src.a' }];
    const [x, y] = await Promise.all([sync.syncOnce(topics), sync.syncOnce(topics)]);
    assert.equal(x, y);
    assert.equal(target.alters.length, 1);
  });

  test('configsForNewTopic answers {} when the source cannot be read', async () => {
    const source = new FakeCluster('src').topic('a', { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' });
    const sync = new TopicConfigSync({ source, target: new FakeCluster('tgt') });
    assert.deepEqual(await sync.configsForNewTopic('a'), { 'cleanup.policy': 'compact' });
    assert.deepEqual(await sync.configsForNewTopic('missing'), {});
  });
});
