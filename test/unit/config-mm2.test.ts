/**
 * MM2 properties files mapped to strait's configuration: every mapped key, MM2's defaults,
 * flow-level overrides, the warnings for settings strait does not have (one per key), the
 * did-you-mean errors, and problems reported under MM2 key names with properties-syntax examples.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigProblem } from '../../src/util/errors.js';
import type { LoadedConfig } from '../../src/config/load.js';
import type { Env } from '../../src/config/env.js';
import type { FlowConfig } from '../../src/config/types.js';
import { loadMm2ConfigFileWithWarnings, parseMm2ConfigWithWarnings } from '../../src/config/mm2.js';
import { MM2_FLOW_SETTINGS } from '../../src/config/mm2-settings.js';
import { RENAMED, WITHOUT_EQUIVALENT } from '../../src/config/mm2-clients.js';
import { fromJavaRegex } from '../../src/config/mm2-regex.js';
import { MM2_DEFAULT_GROUP_EXCLUDES, MM2_DEFAULT_TOPIC_EXCLUDES, NameFilter } from '../../src/mirror/filters.js';
import { MM2_DEFAULT_CONFIG_EXCLUDES } from '../../src/mirror/config-sync.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const CLUSTERS = 'clusters = east, west\neast.bootstrap.servers = 10.0.0.1:9092\nwest.bootstrap.servers = 10.0.1.1:9092\n';
const BASE = `${CLUSTERS}east->west.enabled = true\n`;

function load(text: string, env: Env = {}, cores = 4): LoadedConfig {
  return parseMm2ConfigWithWarnings(text, 'mm2.properties', { env, availableParallelism: cores });
}

function failure(text: string, env: Env = {}): ConfigError {
  try {
    load(text, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the configuration to be rejected');
}

function problem(text: string, path: string, env: Env = {}): ConfigProblem {
  const err = failure(text, env);
  const p = err.problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}; got:\n${err.message}`);
  return p;
}

function warningsAt(loaded: LoadedConfig, path: string): ConfigProblem[] {
  return loaded.warnings.filter((w) => w.path === path);
}

function warning(text: string, path: string, env: Env = {}): ConfigProblem {
  const loaded = load(text, env);
  const w = warningsAt(loaded, path);
  assert.equal(w.length, 1, `expected one warning at ${path}; got ${JSON.stringify(loaded.warnings, null, 1)}`);
  return w[0];
}

function flow(text: string, name = 'east->west', env: Env = {}): FlowConfig {
  const f = load(text, env).config.flows.find((x) => x.name === name);
  assert.ok(f, `no flow ${name}`);
  return f;
}

void describe('clusters and flows', () => {
  void test('a minimal file: one flow, MM2 defaults where the file says nothing, no warnings', () => {
    const { config, warnings } = load(BASE);
    assert.deepEqual(warnings, []);
    assert.deepEqual([...config.clusters.keys()], ['east', 'west']);
    assert.equal(config.clusters.get('east')!.properties['bootstrap.servers'], '10.0.0.1:9092');
    assert.equal(config.flows.length, 1);
    const f = config.flows[0];
    assert.equal(f.name, 'east->west');
    assert.equal(f.enabled, true);
    assert.equal(f.mode, 'at-least-once');
    assert.deepEqual(f.topics, { include: ['.*'], exclude: [...MM2_DEFAULT_TOPIC_EXCLUDES], excludeDefaults: true });
    assert.deepEqual(f.groups.include, ['.*']);
    assert.deepEqual(f.groups.exclude.slice(0, 3), [...MM2_DEFAULT_GROUP_EXCLUDES]);
    assert.deepEqual(f.replication, { policy: 'default', separator: '.', internalTopicSeparatorEnabled: true });
    assert.equal(f.replicationFactor, 2, "MM2's replication.factor default");
    assert.equal(f.refreshTopicsIntervalMs, 600_000, "MM2's refresh.topics.interval.seconds default");
    assert.deepEqual(f.checkpoints, { enabled: true, intervalMs: 60_000 });
    assert.deepEqual(f.heartbeats, { enabled: true, intervalMs: 1_000 });
    assert.deepEqual(f.syncGroupOffsets, { enabled: false, intervalMs: 60_000 });
    assert.equal(f.sync?.topicConfigs.enabled, true);
    assert.equal(f.sync?.topicConfigs.intervalMs, 600_000);
    assert.deepEqual(f.sync?.topicConfigs.exclude, [...MM2_DEFAULT_CONFIG_EXCLUDES]);
    assert.deepEqual(f.sync?.acls.enabled, true);
    assert.equal(f.sync?.acls.intervalMs, 600_000);
    assert.equal(f.groupId, 'strait.east.west');
    assert.equal(config.engine.workers, 4, 'without tasks.max: one worker per core');
  });

  void test('bootstrap.servers: blanks after commas as in Java lists; a top-level value is every cluster\'s default', () => {
    const { config } = load('clusters = a, b\nbootstrap.servers = shared:9092\na.bootstrap.servers = h1:9092, h2:9092 ,h3:9092\na->b.enabled = true\n');
    assert.equal(config.clusters.get('a')!.properties['bootstrap.servers'], 'h1:9092,h2:9092,h3:9092');
    assert.equal(config.clusters.get('b')!.properties['bootstrap.servers'], 'shared:9092');
  });

  void test('a->b.enabled = false is a disabled flow; pairs never enabled are not flows', () => {
    const { config, warnings } = load(`${CLUSTERS}east->west.enabled = false\nwest->east.enabled = true\n`);
    assert.deepEqual(
      config.flows.map((f) => [f.name, f.enabled]),
      [
        ['east->west', false],
        ['west->east', true],
      ],
    );
    assert.deepEqual(warnings, []);
  });

  void test('top-level enabled = true enables every pair; a pair can opt out', () => {
    const { config } = load('clusters = a, b, c\na.bootstrap.servers = a:1\nb.bootstrap.servers = b:1\nc.bootstrap.servers = c:1\nenabled = true\nc->a.enabled = false\n');
    assert.equal(config.flows.length, 6);
    assert.deepEqual(
      config.flows.filter((f) => !f.enabled).map((f) => f.name),
      ['c->a'],
    );
  });

  void test('settings of a pair that is not enabled have no effect: one warning', () => {
    const w = warning(`${BASE}west->east.topics = orders\nwest->east.replication.factor = 3\n`, 'west->east.topics');
    assert.match(w.message, /west->east is not enabled/);
    assert.equal(w.example, 'west->east.enabled = true');
  });

  void test('no enabled flow at all is an error naming the key to add', () => {
    const p = problem(CLUSTERS, 'east->west.enabled');
    assert.match(p.message, /no replication flow is enabled/);
    assert.equal(p.example, 'east->west.enabled = true');
  });

  void test('a missing clusters list is an error showing the aliases the file uses', () => {
    const p = problem('east.bootstrap.servers = a:1\nwest.bootstrap.servers = b:1\neast->west.enabled = true\n', 'clusters');
    assert.match(p.message, /is required/);
    assert.equal(p.example, 'clusters = east, west');
  });

  void test('a cluster without bootstrap.servers: the error names <alias>.bootstrap.servers', () => {
    const p = problem('clusters = east, west\neast.bootstrap.servers = a:1\neast->west.enabled = true\n', 'west.bootstrap.servers');
    assert.match(p.message, /is required/);
    assert.match(p.example ?? '', /^west\.bootstrap\.servers = /);
  });

  void test('a bad broker address is reported under the MM2 key with a properties example', () => {
    const p = problem(BASE.replace('10.0.0.1:9092', 'h1:99999'), 'east.bootstrap.servers');
    assert.match(p.message, /host:port/);
    assert.match(p.example ?? '', /^east\.bootstrap\.servers = /);
  });

  void test('an alias strait cannot use (a dot) is an error under clusters with a corrected list', () => {
    const err = failure('clusters = us.east, west\nus.east.bootstrap.servers = a:1\nwest.bootstrap.servers = b:1\nus.east->west.enabled = true\n');
    const p = err.problems.find((x) => x.path === 'clusters' && /not a valid cluster alias/.test(x.message));
    assert.ok(p, err.message);
    assert.match(p.message, /^cluster "us\.east" is not a valid cluster alias/);
    assert.equal(p.example, 'clusters = us-east, west');
  });

  void test('a flow naming a cluster that is not in clusters: error with the likely key', () => {
    const p = problem(`${BASE}east->wset.topics = a\n`, 'east->wset.topics');
    assert.match(p.message, /names cluster wset, not in clusters \(clusters: east, west\); did you mean `east->west\.topics`\?/);
    assert.equal(p.example, 'east->west.topics = a');
    const q = problem(`${BASE}est->west.enabled = true\n`, 'est->west.enabled');
    assert.match(q.message, /did you mean `east->west\.enabled`/);
    const r = problem(`${BASE}north->west.enabled = true\n`, 'north->west.enabled');
    assert.match(r.message, /names cluster north, not in clusters/);
    assert.equal(r.example, 'clusters = east, west, north');
  });

  void test('a flow from a cluster to itself is an error', () => {
    assert.match(problem(`${BASE}east->east.enabled = true\n`, 'east->east.enabled').message, /same cluster/);
  });
});

void describe('topics and groups', () => {
  void test('a comma-separated list is MM2 regexes joined with |, matching whole names', () => {
    const f = flow(`${BASE}topics = orders\\\\..*, payments\n`);
    assert.deepEqual(f.topics.include, ['orders\\..*|payments']);
    const filter = new NameFilter(f.topics);
    assert.equal(filter.matches('orders.eu'), true);
    assert.equal(filter.matches('payments'), true);
    assert.equal(filter.matches('payments-eu'), false);
    assert.equal(filter.matches('ordersXeu'), false);
    assert.equal(filter.matches('__consumer_offsets'), false);
  });

  void test('an empty list selects nothing, as in MM2 (with the validator\'s warning)', () => {
    const loaded = load(`${BASE}east->west.topics =\n`);
    assert.deepEqual(loaded.config.flows[0].topics.include, []);
    const w = warningsAt(loaded, 'east->west.topics');
    assert.equal(w.length, 1);
    assert.match(w[0].message, /replicates no topics/);
  });

  void test('topics.exclude replaces MM2\'s default excludes, as in MM2', () => {
    const f = flow(`${BASE}topics.exclude = .*-retry, test\n`);
    assert.deepEqual(f.topics.exclude, ['.*-retry|test']);
    assert.equal(f.topics.excludeDefaults, false);
    const filter = new NameFilter(f.topics);
    assert.equal(filter.matches('a-retry'), false);
    assert.equal(filter.matches('test'), false);
    assert.equal(filter.matches('x.internal'), true, 'MM2 no longer excludes it either');
  });

  void test('flow-level settings override the global ones; other flows keep the global value', () => {
    const { config } = load(`${BASE}west->east.enabled = true\ntopics = global.*\neast->west.topics = flow.*\ngroups = g1\nwest->east.groups = g2\n`);
    const ew = config.flows.find((f) => f.name === 'east->west')!;
    const we = config.flows.find((f) => f.name === 'west->east')!;
    assert.deepEqual(ew.topics.include, ['flow.*']);
    assert.deepEqual(we.topics.include, ['global.*']);
    assert.deepEqual(ew.groups.include, ['g1']);
    assert.deepEqual(we.groups.include, ['g2']);
  });

  void test('groups and groups.exclude', () => {
    const f = flow(`${BASE}groups = billing-.*\ngroups.exclude = billing-test\n`);
    assert.deepEqual(f.groups.include, ['billing-.*']);
    assert.equal(f.groups.excludeDefaults, false);
    assert.equal(f.groups.exclude[0], 'billing-test');
    assert.ok(f.groups.exclude.includes('strait\\.east\\.west'), "strait's own group stays excluded");
  });

  void test('topics.blacklist and groups.blacklist: deprecated names of the excludes, one warning each', () => {
    const loaded = load(`${BASE}topics.blacklist = tmp.*\neast->west.groups.blacklist = g.*\n`);
    assert.deepEqual(loaded.config.flows[0].topics.exclude, ['tmp.*']);
    assert.deepEqual(loaded.config.flows[0].groups.exclude[0], 'g.*');
    assert.match(warningsAt(loaded, 'topics.blacklist')[0].message, /deprecated.*topics\.exclude/);
    assert.equal(warningsAt(loaded, 'east->west.groups.blacklist').length, 1);
  });

  void test('the exclude wins over the blacklist after flow values override global ones (MM2\'s order)', () => {
    const loaded = load(`${BASE}topics.exclude = a\neast->west.topics.blacklist = b\n`);
    assert.deepEqual(loaded.config.flows[0].topics.exclude, ['a']);
    assert.match(warningsAt(loaded, 'east->west.topics.blacklist')[0].message, /ignored here: topics\.exclude is set too/);
  });

  void test('Java-only regex constructs are errors naming the key; \\Q...\\E is rewritten', () => {
    const p = problem(`${BASE}topics = (?i)orders\n`, 'topics');
    assert.match(p.message, /inline flag/);
    assert.match(p.example ?? '', /^topics = /);
    assert.deepEqual(flow(`${BASE}topics = \\\\Qa.b\\\\E.*\n`).topics.include, ['a\\.b.*']);
    for (const [pattern, re] of [
      ['a*+', /possessive/],
      ['(?>a)', /atomic/],
      ['\\p{Lower}', /\\p/],
      ['[a-z&&[^e]]', /class/],
      ['\\Aa', /\\A/],
    ] as const) {
      const r = fromJavaRegex(pattern);
      assert.ok(typeof r !== 'string' && re.test(r.problem), `${pattern}: ${JSON.stringify(r)}`);
    }
    for (const ok of ['orders\\..*', '.*[\\-\\.]internal', 'a{1,3}', '(?:x|y)', '(?<n>a)\\k<n>', '(?=a).', '[\\]a]']) assert.equal(fromJavaRegex(ok), ok);
    // A ] first in a class is a literal in Java; JavaScript needs it escaped.
    assert.equal(fromJavaRegex('[]a]'), '[\\]a]');
    assert.equal(fromJavaRegex('[^]a]x'), '[^\\]a]x');
  });

  void test('a comma inside a pattern splits it as in MM2, which then refuses the pieces', () => {
    const p = problem(`${BASE}topics = a{1,3}\n`, 'topics');
    assert.match(p.message, /does not start a repetition.*splits the list at every comma/);
  });

  void test('an invalid regular expression names the key', () => {
    assert.match(problem(`${BASE}groups = (unclosed\n`, 'groups').message, /not a valid regular expression/);
  });
});

void describe('replication policy and flow settings', () => {
  void test('replication.policy.class: default and identity, full or simple names; others are errors', () => {
    assert.equal(flow(`${BASE}replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n`).replication.policy, 'identity');
    assert.equal(flow(`${BASE}east->west.replication.policy.class = IdentityReplicationPolicy\n`).replication.policy, 'identity');
    assert.equal(flow(`${BASE}replication.policy.class = io.strimzi.kafka.connect.mirror.IdentityReplicationPolicy\n`).replication.policy, 'identity');
    assert.equal(flow(`${BASE}replication.policy.class = org.apache.kafka.connect.mirror.DefaultReplicationPolicy\n`).replication.policy, 'default');
    const p = problem(`${BASE}replication.policy.class = com.example.MyPolicy\n`, 'replication.policy.class');
    assert.match(p.message, /replication policy strait does not have/);
    assert.equal(p.example, 'replication.policy.class = org.apache.kafka.connect.mirror.DefaultReplicationPolicy');
  });

  void test('replication.policy.separator and internal.topic.separator.enabled', () => {
    const f = flow(`${BASE}replication.policy.separator = _\nreplication.policy.internal.topic.separator.enabled = false\n`);
    assert.deepEqual(f.replication, { policy: 'default', separator: '_', internalTopicSeparatorEnabled: false });
    const p = problem(`clusters = us-east, west\nus-east.bootstrap.servers = a:1\nwest.bootstrap.servers = b:1\nus-east->west.enabled = true\nreplication.policy.separator = -\n`, 'replication.policy.separator');
    assert.match(p.message, /occurs in the source alias "us-east"/);
  });

  void test('a replication loop the policy cannot detect: the error names MM2 keys and flows, not YAML paths', () => {
    const err = failure(`${BASE}west->east.enabled = true\nreplication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy\n`);
    const p = err.problems.find((x) => x.path === 'replication.policy.class');
    assert.ok(p, err.message);
    assert.match(p.message, /flow east->west, flow west->east form a replication loop/);
    assert.match(p.message, /replication\.policy\.class = org\.apache\.kafka\.connect\.mirror\.DefaultReplicationPolicy/);
    assert.doesNotMatch(err.message, /flows\[/);
  });

  void test('replication.factor, with MM2\'s default 2 and -1 for the broker\'s default', () => {
    assert.equal(flow(`${BASE}replication.factor = 3\n`).replicationFactor, 3);
    assert.equal(flow(`${BASE}east->west.replication.factor = -1\n`).replicationFactor, -1);
    const p = problem(`${BASE}replication.factor = 0\n`, 'replication.factor');
    assert.match(p.message, /from 1 to 32767/);
    assert.equal(p.example, 'replication.factor = 3');
    const q = problem(`${BASE}east->west.replication.factor = two\n`, 'east->west.replication.factor');
    assert.match(q.message, /expected a whole number/);
    assert.equal(q.value, 'two');
    assert.equal(q.example, 'east->west.replication.factor = 3');
  });

  void test('refresh.topics.interval.seconds and refresh.topics.enabled', () => {
    assert.equal(flow(`${BASE}refresh.topics.interval.seconds = 60\n`).refreshTopicsIntervalMs, 60_000);
    const loaded = load(`${BASE}refresh.topics.enabled = false\n`);
    assert.equal(loaded.config.flows[0].refreshTopicsIntervalMs, 86_400_000);
    assert.match(warningsAt(loaded, 'refresh.topics.enabled')[0].message, /strait always follows new topics/);
    assert.match(problem(`${BASE}refresh.topics.interval.seconds = 0\n`, 'refresh.topics.interval.seconds').message, /from 1 to 86400/);
    assert.match(problem(`${BASE}refresh.topics.interval.seconds = 100000\n`, 'refresh.topics.interval.seconds').message, /from 1 to 86400/);
    assert.match(problem(`${BASE}refresh.topics.enabled = yes\n`, 'refresh.topics.enabled').message, /true or false/);
  });

  void test('checkpoints, heartbeats and group offset sync', () => {
    const f = flow(
      `${BASE}emit.checkpoints.interval.seconds = 15\neast->west.emit.heartbeats.enabled = false\nemit.heartbeats.interval.seconds = 5\nsync.group.offsets.enabled = TRUE\nsync.group.offsets.interval.seconds = 30\n`,
    );
    assert.deepEqual(f.checkpoints, { enabled: true, intervalMs: 15_000 });
    assert.deepEqual(f.heartbeats, { enabled: false, intervalMs: 5_000 });
    assert.deepEqual(f.syncGroupOffsets, { enabled: true, intervalMs: 30_000 });
    assert.equal(flow(`${BASE}emit.checkpoints.enabled = false\n`).checkpoints?.enabled, false);
    assert.equal(flow(`${BASE}emit.checkpoints.interval.seconds = -1\n`).checkpoints?.enabled, false, 'a negative interval turns it off, as in MM2');
  });

  void test('topic configuration and ACL sync', () => {
    const f = flow(
      `${BASE}sync.topic.configs.interval.seconds = 120\nconfig.properties.exclude = retention\\\\..*\nuse.defaults.from = source\neast->west.sync.topic.acls.enabled = false\n`,
    );
    assert.deepEqual(f.sync?.topicConfigs, { enabled: true, intervalMs: 120_000, exclude: ['retention\\..*'], excludeDefaults: false, useDefaultsFrom: 'source' });
    assert.equal(f.sync?.acls.enabled, false);
    assert.equal(flow(`${BASE}sync.topic.configs.enabled = false\n`).sync?.topicConfigs.enabled, false);
    assert.match(problem(`${BASE}use.defaults.from = both\n`, 'use.defaults.from').message, /one of target, source/);
  });

  void test('exactly.once.source.support per target cluster sets the mode; strait.mode overrides', () => {
    assert.equal(flow(`${BASE}west.exactly.once.source.support = enabled\n`).mode, 'exactly-once');
    assert.equal(flow(`${BASE}west.exactly.once.source.support = preparing\n`).mode, 'at-least-once');
    assert.equal(flow(`${BASE}west.exactly.once.source.support = enabled\neast->west.strait.mode = at-least-once\n`).mode, 'at-least-once');
    assert.match(warning(`${BASE}exactly.once.source.support = enabled\n`, 'exactly.once.source.support').message, /no effect at the top level/);
    assert.match(problem(`${BASE}west.exactly.once.source.support = on\n`, 'west.exactly.once.source.support').message, /enabled, preparing or disabled/);
  });

  void test('strait-only keys: engine settings, and per-flow group, name and error handling', () => {
    const { config } = load(
      `${BASE}strait.engine.workers = 3\nstrait.engine.metrics.port = 9500\nstrait.engine.commitInterval = 5s\nstrait.onRecordError = stop-flow\neast->west.strait.groupId = mirror.ew\neast->west.strait.name = ew\n`,
    );
    assert.equal(config.engine.workers, 3);
    assert.equal(config.engine.metrics.port, 9500);
    assert.equal(config.engine.commitIntervalMs, 5000);
    assert.equal(config.flows[0].onRecordError, 'stop-flow');
    assert.equal(config.flows[0].groupId, 'mirror.ew');
    assert.equal(config.flows[0].name, 'ew');
    const p = problem(`${BASE}strait.engine.metrics.prot = 1\n`, 'strait.engine.metrics.prot');
    assert.match(p.message, /did you mean `strait\.engine\.metrics\.port`/);
    const q = problem(`${BASE}strait.engine.workers = 0\n`, 'strait.engine.workers');
    assert.match(q.message, /from 1 to 1024/);
    assert.equal(q.example, 'strait.engine.workers = 4');
    assert.match(problem(`${BASE}strait.groupId = x\n`, 'strait.groupId').message, /only be given per flow/);
  });

  void test('tasks.max sets the worker threads, at most one per core; strait.engine.workers wins', () => {
    assert.equal(load(`${BASE}tasks.max = 2\n`, {}, 8).config.engine.workers, 2);
    const capped = load(`${BASE}west->east.enabled = true\ntasks.max = 2\nwest->east.tasks.max = 16\n`, {}, 8);
    assert.equal(capped.config.engine.workers, 8);
    assert.match(warningsAt(capped, 'west->east.tasks.max')[0].message, /asks for 16 tasks; strait runs 8 worker thread/);
    assert.equal(load(`${BASE}tasks.max = 16\nstrait.engine.workers = 5\n`, {}, 8).config.engine.workers, 5);
    assert.match(problem(`${BASE}tasks.max = 0\n`, 'tasks.max').message, /from 1 to/);
  });
});

void describe('settings strait does not have: one warning per key', () => {
  void test('each unsupported key warns once, naming the key, even when several flows use it', () => {
    const keys: [string, RegExp][] = [
      ['offset.lag.max = 10', /offset translation never lags/],
      ['checkpoints.topic.replication.factor = 3', /default replication factor/],
      ['heartbeats.topic.replication.factor = 3', /default replication factor/],
      ['offset-syncs.topic.replication.factor = 3', /default replication factor/],
      ['emit.offset-syncs.enabled = false', /always writes offset syncs/],
      ['heartbeats.replication.enabled = false', /always replicates heartbeats/],
      ['refresh.groups.interval.seconds = 60', /every checkpoint/],
      ['consumer.poll.timeout.ms = 500', /polls its consumers itself/],
      ['topic.filter.class = com.example.Filter', /Java class/],
      ['offset.storage.replication.factor = 1', /Connect worker setting/],
      ['key.converter = org.apache.kafka.connect.converters.ByteArrayConverter', /Connect worker setting/],
      ['dedicated.mode.enable.internal.rest = true', /Connect worker setting/],
      ['name = MirrorSourceConnector', /set by MM2 itself/],
      ['transforms = x', /byte for byte/],
      ['metric.reporters = com.example.Reporter', /Prometheus/],
      ['east.offset.storage.topic = mm2-offsets', /Connect worker setting/],
    ];
    const text = `${BASE}west->east.enabled = true\n${keys.map(([line]) => line).join('\n')}\n`;
    const loaded = load(text);
    for (const [line, re] of keys) {
      const key = line.split(' = ')[0];
      const w = warningsAt(loaded, key);
      assert.equal(w.length, 1, `${key}: ${JSON.stringify(w)}`);
      assert.match(w[0].message, re, key);
    }
    assert.equal(loaded.warnings.length, keys.length, JSON.stringify(loaded.warnings, null, 1));
  });

  void test('values that match what strait does need no warning', () => {
    const { warnings } = load(
      `${BASE}checkpoints.topic.replication.factor = -1\noffset-syncs.topic.location = source\nemit.offset-syncs.enabled = true\nheartbeats.replication.enabled = true\ntopic.filter.class = org.apache.kafka.connect.mirror.DefaultTopicFilter\nsync.topic.acls.enabled = false\n`,
    );
    assert.deepEqual(warnings, []);
  });

  void test('a key given twice: the last counts, with a warning', () => {
    const loaded = load(`${BASE}replication.factor = 3\nreplication.factor = 1\n`);
    assert.equal(loaded.config.flows[0].replicationFactor, 1);
    assert.match(warningsAt(loaded, 'replication.factor')[0].message, /given twice \(lines 5 and 6\); the last one counts/);
  });

  void test('a value with " #" is probably an end-of-line comment: a warning, and the text is kept as MM2 keeps it', () => {
    const loaded = load(`${BASE}topics = orders.*   # all orders\n`);
    assert.match(warningsAt(loaded, 'topics')[0].message, /no end-of-line comments/);
    assert.deepEqual(loaded.config.flows[0].topics.include, ['orders.*   # all orders']);
  });

  void test('unknown keys: did-you-mean errors for likely typos, warnings otherwise', () => {
    const cases: [string, string, RegExp][] = [
      ['topics.exlude = x', 'topics.exlude', /did you mean `topics\.exclude`\?/],
      ['east->west.topcs = x', 'east->west.topcs', /did you mean `east->west\.topics`\?/],
      ['emit.checkpoint.interval.seconds = 5', 'emit.checkpoint.interval.seconds', /did you mean `emit\.checkpoints\.interval\.seconds`\?/],
      ['est.bootstrap.servers = x:1', 'est.bootstrap.servers', /names cluster est, which is not in clusters \(east, west\); did you mean `east\.bootstrap\.servers`\?/],
      ['east.boostrap.servers = x:1', 'east.boostrap.servers', /did you mean `east\.bootstrap\.servers`\?/],
      ['east.consumer.max.pol.records = 5', 'east.consumer.max.pol.records', /did you mean `east\.consumer\.max\.poll\.records`\?/],
    ];
    for (const [line, path, re] of cases) {
      const p = problem(`${BASE}${line}\n`, path);
      assert.match(p.message, re, line);
      assert.ok(p.example?.includes(' = '), `${line}: example in properties syntax: ${p.example}`);
    }
    assert.match(warning(`${BASE}completely.unrelated.thing = 1\n`, 'completely.unrelated.thing').message, /is not an MM2 setting strait knows/);
    assert.match(warning(`${BASE}other.bootstrap.servers = x:1\n`, 'other.bootstrap.servers').message, /other is not in clusters/);
  });

  void test('settings in a place where MM2 ignores them warn with the place that works', () => {
    const a = warning(`${BASE}east.replication.factor = 3\n`, 'east.replication.factor');
    assert.match(a.message, /write east->west\.replication\.factor/);
    const b = warning(`${BASE}east.linger.ms = 5\n`, 'east.linger.ms');
    assert.equal(b.example, 'east.producer.linger.ms = 5');
    const c = warning(`${BASE}east->west.producer.linger.ms = 5\n`, 'east->west.producer.linger.ms');
    assert.match(c.message, /per cluster, not per flow/);
    assert.equal(c.example, 'west.producer.linger.ms = 5');
    const d = warning(`${BASE}producer.linger.ms = 5\n`, 'producer.linger.ms');
    assert.match(d.message, /no effect at the top level/);
  });
});

void describe('config providers', () => {
  const ENV_PROVIDER = 'config.providers = env\nconfig.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n';

  void test('${env:NAME} with the EnvVarConfigProvider declared; any provider name works', () => {
    const { config, warnings } = load(`${ENV_PROVIDER}${BASE.replace('10.0.0.1:9092', '${env:EAST}')}`, { EAST: 'e1:9092' });
    assert.equal(config.clusters.get('east')!.properties['bootstrap.servers'], 'e1:9092');
    assert.deepEqual(warnings, []);
    const renamed = 'config.providers = vars\nconfig.providers.vars.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n';
    assert.equal(load(`${renamed}${BASE}replication.factor = \${vars:RF}\n`, { RF: '3' }).config.flows[0].replicationFactor, 3);
  });

  void test('${env:NAME} without the declaration is read, with a warning (MM2 would keep the text)', () => {
    const loaded = load(`${BASE}replication.factor = \${env:RF}\n`, { RF: '3' });
    assert.equal(loaded.config.flows[0].replicationFactor, 3);
    assert.match(warningsAt(loaded, 'replication.factor')[0].message, /declares no EnvVarConfigProvider/);
  });

  void test('a variable that is not set is an error naming the key and the variable', () => {
    const p = problem(`${ENV_PROVIDER}${BASE}east.sasl.password = \${env:NOPE}\n`, 'east.sasl.password');
    assert.match(p.message, /environment variable NOPE, which is not set/);
    assert.equal(p.example, 'export NOPE=...   (before starting strait)');
  });

  void test('what a provider resolved is never quoted back in a message', () => {
    const err = failure(`${ENV_PROVIDER}${BASE.replace('10.0.0.1:9092', '${env:EAST}')}`, { EAST: 'confidential-host:99999' });
    assert.ok(!err.message.includes('confidential-host'), err.message);
    assert.ok(err.problems.some((p) => p.path === 'east.bootstrap.servers'), err.message);
  });

  void test('FileConfigProvider and DirectoryConfigProvider, and allowed.paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strait-mm2-'));
    try {
      writeFileSync(join(dir, 'secrets.properties'), 'rf = 3\nhost = h9:9092\n');
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 'separator'), '_');
      const providers = `config.providers = file, dir\nconfig.providers.file.class = org.apache.kafka.common.config.provider.FileConfigProvider\nconfig.providers.dir.class = org.apache.kafka.common.config.provider.DirectoryConfigProvider\n`;
      const f = flow(`${providers}${BASE}replication.factor = \${file:${dir}/secrets.properties:rf}\nreplication.policy.separator = \${dir:${dir}/d:separator}\n`);
      assert.equal(f.replicationFactor, 3);
      assert.equal(f.replication.separator, '_');
      assert.match(problem(`${providers}${BASE}replication.factor = \${file:${dir}/secrets.properties:nope}\n`, 'replication.factor').message, /key nope of .* which that file does not have/);
      assert.match(problem(`${providers}${BASE}replication.factor = \${file:${dir}/missing.properties:rf}\n`, 'replication.factor').message, /cannot be read: no such file/);
      const restricted = `${providers}config.providers.file.param.allowed.paths = ${dir}/d\n`;
      assert.match(problem(`${restricted}${BASE}replication.factor = \${file:${dir}/secrets.properties:rf}\n`, 'replication.factor').message, /outside config\.providers\.file\.param\.allowed\.paths/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('an undeclared provider leaves the text as it is (as MM2 does); an unknown provider class warns', () => {
    const loaded = load(`${BASE}east.sasl.username = \${vault:kafka:user}\n`);
    assert.equal(loaded.config.clusters.get('east')!.properties['sasl.username'], '${vault:kafka:user}');
    assert.match(warningsAt(loaded, 'east.sasl.username')[0].message, /config provider vault, which config\.providers does not declare/);
    const other = 'config.providers = vault\nconfig.providers.vault.class = com.example.VaultConfigProvider\n';
    assert.match(warning(`${other}${BASE}`, 'config.providers.vault.class').message, /config provider strait does not have/);
    assert.match(problem(`${other}${BASE}east.sasl.username = \${vault:kafka:user}\n`, 'east.sasl.username').message, /whose class com\.example\.VaultConfigProvider strait does not have/);
  });
});

void describe('the example and the documentation', () => {
  void test('examples/mm2.properties loads, with exactly the expected warnings', () => {
    const { config, warnings } = loadMm2ConfigFileWithWarnings(`${root}examples/mm2.properties`, { env: {}, availableParallelism: 8 });
    assert.deepEqual(
      config.flows.map((f) => [f.name, f.enabled, f.replicationFactor]),
      [['source->target', true, 1]],
    );
    assert.equal(config.clusters.get('source')!.properties['bootstrap.servers'], '127.0.0.1:19092');
    assert.equal(config.clusters.get('target')!.properties['bootstrap.servers'], '127.0.0.1:19094');
    assert.equal(config.clusters.get('target')!.producer['compression.type'], 'lz4');
    assert.equal(config.engine.workers, 2);
    assert.deepEqual(config.flows[0].syncGroupOffsets, { enabled: true, intervalMs: 10_000 });
    assert.deepEqual(
      warnings.map((w) => w.path),
      [
        'checkpoints.topic.replication.factor',
        'heartbeats.topic.replication.factor',
        'offset-syncs.topic.replication.factor',
        'offset.storage.replication.factor',
        'status.storage.replication.factor',
        'config.storage.replication.factor',
      ],
    );
  });

  void test('docs/mm2-config.md shows examples/mm2.properties as it is', () => {
    const docs = readFileSync(`${root}docs/mm2-config.md`, 'utf8');
    const example = readFileSync(`${root}examples/mm2.properties`, 'utf8');
    const m = /<!-- example:begin[^>]*-->\n```properties\n([\s\S]*?)```\n<!-- example:end -->/.exec(docs);
    assert.ok(m, 'docs/mm2-config.md lacks the example markers');
    assert.equal(m[1], example);
  });

  void test('docs/mm2-config.md covers every MM2 key strait reads and every Java setting it translates or drops', () => {
    const docs = readFileSync(`${root}docs/mm2-config.md`, 'utf8');
    const names = [...Object.keys(MM2_FLOW_SETTINGS), ...Object.keys(RENAMED), ...Object.keys(WITHOUT_EQUIVALENT)];
    const missing = names.filter((k) => {
      if (docs.includes(`\`${k}\``) || docs.includes(`<source>-><target>.${k}\``)) return false;
      // Families documented with a wildcard (`sasl.login.refresh.*`, `partitioner.*`, ...).
      const parts = k.split('.');
      return !parts.some((_, i) => i > 0 && docs.includes(`\`${parts.slice(0, i).join('.')}.*\``));
    });
    assert.deepEqual(missing, []);
  });
});

void test('offset-syncs.topic.location maps to offsetSyncsTopicLocation', () => {
  const { config } = load(`${BASE}offset-syncs.topic.location = target\n`);
  assert.equal(config.flows[0].offsetSyncsTopicLocation, 'target');
});
