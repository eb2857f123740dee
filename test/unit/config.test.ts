/**
 * Loading and validating the YAML configuration: defaults, ${env:} substitution, durations, and
 * one test per rule showing the error names the key path, the value and an example.
 */
import { after, describe, test } from 'node:test';
import { MM2_DEFAULT_CONFIG_EXCLUDES } from '../../src/mirror/config-sync.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigProblem } from '../../src/util/errors.js';
import { loadConfigFile, loadConfigFileWithWarnings, parseConfig, parseConfigWithWarnings, type LoadedConfig } from '../../src/config/load.js';
import type { Env } from '../../src/config/env.js';
import { parseDuration, formatDuration } from '../../src/config/duration.js';
import { MM2_DEFAULT_GROUP_EXCLUDES, MM2_DEFAULT_TOPIC_EXCLUDES } from '../../src/mirror/filters.js';

const CLUSTERS = `
clusters:
  east: { bootstrap.servers: "10.0.0.1:9092" }
  west: { bootstrap.servers: "10.0.1.1:9092" }
`;
const BASE = `${CLUSTERS}
flows:
  - { source: east, target: west }
`;

function load(text: string, env: Env = {}): LoadedConfig {
  return parseConfigWithWarnings(text, 'test.yaml', { env, availableParallelism: 3, hostname: 'host-a' });
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

/** The problem reported at `path`; also checks the rendered message names the path. */
function problemAt(text: string, path: string, env: Env = {}): ConfigProblem {
  const err = failure(text, env);
  const p = err.problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}; got:\n${err.message}`);
  assert.ok(err.message.includes(`  - ${path}: `), err.message);
  return p;
}

function warningsOf(text: string): ConfigProblem[] {
  return load(text).warnings;
}

/** A config with the given flows (YAML list items) over clusters east, west, south. */
function withFlows(flows: string): string {
  return `
clusters:
  east: { bootstrap.servers: "h1:9092" }
  west: { bootstrap.servers: "h2:9092" }
  south: { bootstrap.servers: "h3:9092" }
flows:
${flows}`;
}

void describe('defaults', () => {
  void test('a minimal file is filled in with every default', () => {
    const { config, warnings } = load(BASE);
    assert.deepEqual(warnings, []);
    assert.equal(config.clusters.size, 2);
    assert.deepEqual(config.clusters.get('east'), {
      alias: 'east',
      properties: { 'bootstrap.servers': '10.0.0.1:9092' },
      consumer: {},
      producer: {},
      admin: {},
    });
    assert.deepEqual(config.flows, [
      {
        name: 'east->west',
        source: 'east',
        target: 'west',
        enabled: true,
        mode: 'at-least-once',
        topics: { include: ['.*'], exclude: [...MM2_DEFAULT_TOPIC_EXCLUDES], excludeDefaults: true },
        groups: { include: ['.*'], exclude: [...MM2_DEFAULT_GROUP_EXCLUDES, 'strait\\.east\\.west'], excludeDefaults: true },
        replication: { policy: 'default', separator: '.', internalTopicSeparatorEnabled: true },
        replicationFactor: -1,
        refreshTopicsIntervalMs: 30_000,
        groupId: 'strait.east.west',
        onRecordError: 'stop-partition',
        onDataLoss: 'continue',
        transactionIntervalMs: 1000,
        onDivergence: 'stop-partition',
        checkpoints: { enabled: true, intervalMs: 5000 },
        heartbeats: { enabled: true, intervalMs: 1000 },
        syncGroupOffsets: { enabled: false, intervalMs: 60000 },
        offsetSyncsTopicLocation: 'source',
        sync: {
          topicConfigs: { enabled: true, intervalMs: 30000, exclude: [...MM2_DEFAULT_CONFIG_EXCLUDES], excludeDefaults: true, useDefaultsFrom: 'target' },
          acls: { enabled: true, intervalMs: 30000, propagateRemovals: false, copyDeny: true },
        },
      },
    ]);
    assert.deepEqual(config.engine, {
      workers: 3,
      metrics: { enabled: true, host: '127.0.0.1', port: 9464, remoteStop: false },
      summaryIntervalMs: 10_000,
      shutdownTimeoutMs: 30_000,
      commitIntervalMs: 1000,
      instanceId: 'host-a',
      maxInFlightRecordsPerWorker: 100_000,
    });
  });

  void test('given values replace the defaults', () => {
    const { config } = load(`${CLUSTERS}
flows:
  - source: east
    target: west
    name: e2w
    enabled: false
    mode: exactly-once
    topics: { include: ["orders\\\\..*"], exclude: ["orders\\\\.tmp"], excludeDefaults: false }
    groups: { include: ["billing"], excludeDefaults: false }
    replication: { policy: identity, separator: "_", internalTopicSeparatorEnabled: false }
    replicationFactor: 3
    refreshTopicsInterval: 2m
    groupId: mirror-1
    onRecordError: stop-flow
engine:
  workers: 8
  metrics: { enabled: false, host: 0.0.0.0, port: 0, remoteStop: true }
  summaryInterval: 0
  shutdownTimeout: 1m
  commitInterval: 250ms
  maxInFlightRecordsPerWorker: 5000
`);
    const [flow] = config.flows;
    assert.ok(flow);
    assert.equal(flow.name, 'e2w');
    assert.equal(flow.enabled, false);
    assert.equal(flow.mode, 'exactly-once');
    assert.deepEqual(flow.topics, { include: ['orders\\..*'], exclude: ['orders\\.tmp'], excludeDefaults: false });
    // strait's own group is excluded even without the MM2 defaults.
    assert.deepEqual(flow.groups, { include: ['billing'], exclude: ['mirror-1'], excludeDefaults: false });
    assert.deepEqual(flow.replication, { policy: 'identity', separator: '_', internalTopicSeparatorEnabled: false });
    assert.equal(flow.replicationFactor, 3);
    assert.equal(flow.refreshTopicsIntervalMs, 120_000);
    assert.equal(flow.groupId, 'mirror-1');
    assert.equal(flow.onRecordError, 'stop-flow');
    assert.deepEqual(config.engine, {
      workers: 8,
      metrics: { enabled: false, host: '0.0.0.0', port: 0, remoteStop: true },
      summaryIntervalMs: 0,
      shutdownTimeoutMs: 60_000,
      commitIntervalMs: 250,
      instanceId: config.engine.instanceId,
      maxInFlightRecordsPerWorker: 5000,
    });
    assert.ok(config.engine.instanceId.length > 0, 'instanceId defaults to the host name');
  });

  void test('workers defaults to the number of cores', () => {
    const config = parseConfig(BASE, 'test.yaml', { env: {} });
    assert.ok(config.engine.workers >= 1);
  });

  void test('client property values become strings, sections are kept apart', () => {
    const { config } = load(`
clusters:
  east:
    bootstrap.servers: h:9092
    socket.keepalive.enable: true
    consumer: { fetch.max.bytes: 52428800 }
    producer: { linger.ms: 5 }
    admin: {}
  west: { bootstrap.servers: h2:9092 }
flows: [{ source: east, target: west }]
`);
    const east = config.clusters.get('east');
    assert.deepEqual(east?.properties, { 'bootstrap.servers': 'h:9092', 'socket.keepalive.enable': 'true' });
    assert.deepEqual(east?.consumer, { 'fetch.max.bytes': '52428800' });
    assert.deepEqual(east?.producer, { 'linger.ms': '5' });
    assert.deepEqual(east?.admin, {});
  });
});

void describe('${env:NAME} substitution', () => {
  void test('references are replaced anywhere in a value', () => {
    const { config } = load(
      `
clusters:
  east: { bootstrap.servers: "\${env:EAST_HOST}:\${env:EAST_PORT}", sasl.password: "\${env:PW}" }
  west: { bootstrap.servers: "h:9092" }
flows: [{ source: east, target: west, groupId: "g-\${env:SUFFIX}" }]
`,
      { EAST_HOST: '10.1.1.1', EAST_PORT: '9093', PW: 's3cret', SUFFIX: 'blue' },
    );
    assert.equal(config.clusters.get('east')?.properties['bootstrap.servers'], '10.1.1.1:9093');
    assert.equal(config.clusters.get('east')?.properties['sasl.password'], 's3cret');
    assert.equal(config.flows[0]?.groupId, 'g-blue');
  });

  void test('a variable that is not set is an error naming it and the key', () => {
    const p = problemAt(`${BASE.replace('"10.0.0.1:9092"', '"${env:EAST_BROKERS}"')}`, 'clusters.east.bootstrap.servers');
    assert.match(p.message, /environment variable EAST_BROKERS, which is not set/);
    assert.match(p.example ?? '', /export EAST_BROKERS=/);
  });

  void test('the unresolved value is not reported a second time as missing', () => {
    const err = failure(BASE.replace('"10.0.0.1:9092"', '"${env:NOPE}"'));
    assert.equal(err.problems.length, 1, err.message);
  });

  void test('an unresolved pattern is reported once', () => {
    const err = failure(BASE.split('target: west }').join('target: west, topics: { include: ["${env:TOPICS}"] } }'));
    assert.deepEqual(err.problems.map((p) => p.path), ['flows[0].topics.include[0]']);
  });

  void test('$${ writes a literal ${', () => {
    // split/join: String.replace would read `$$` in the replacement as an escaped `$`.
    const { config } = load(BASE.split('target: west }').join('target: west, groupId: "a$${b}" }'));
    assert.equal(config.flows[0]?.groupId, 'a${b}');
  });

  void test('other ${...} references are errors with the supported syntax', () => {
    const p = problemAt(BASE.replace('- { source: east, target: west }', '- { source: east, target: west, groupId: "${vault:x/y}" }'), 'flows[0].groupId');
    assert.match(p.message, /`\$\{vault:x\/y\}` is not supported: write \$\{env:NAME\} for an environment variable, \$\{file:path\}/);
  });

  void test('a value from the environment is never quoted back in a message', () => {
    // The port is out of range: the finding names the reference, not the host it resolved to.
    const err = failure(BASE.replace('"10.0.0.1:9092"', '"${env:EAST_BROKERS}"'), { EAST_BROKERS: 'secret-host.example:99999' });
    const p = err.problems.find((x) => x.path === 'clusters.east.bootstrap.servers');
    assert.ok(p, err.message);
    assert.equal(p.value, '${env:EAST_BROKERS}');
    assert.ok(!err.message.includes('secret-host'), err.message);
  });

  void test('a bad reference inside a secret is not quoted', () => {
    const err = failure(`${CLUSTERS.replace('"10.0.0.1:9092" }', '"10.0.0.1:9092", sasl.password: "hunter${2}x" }')}flows: [{ source: east, target: west }]`);
    assert.ok(!err.message.includes('hunter'), err.message);
    assert.ok(!err.message.includes('${2}'), err.message);
    assert.ok(err.problems.some((p) => p.path === 'clusters.east.sasl.password'));
  });
});

void describe('${file:path} references', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strait-file-ref-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string): string => {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  };
  const withPassword = (ref: string): string => CLUSTERS.replace('"10.0.0.1:9092" }', `"10.0.0.1:9092", sasl.username: u, sasl.password: "${ref}" }`) + 'flows: [{ source: east, target: west }]';

  void test("a file's content, without its final line break, is the value", () => {
    const file = write('pw', 'p@ss word\n');
    const { config } = load(withPassword(`\${file:${file}}`));
    assert.equal(config.clusters.get('east')?.properties['sasl.password'], 'p@ss word');
  });

  void test('only one final line break is dropped; other white space is kept', () => {
    const file = write('pw-crlf', ' two\r\n\r\n');
    const { config } = load(withPassword(`\${file:${file}}`));
    assert.equal(config.clusters.get('east')?.properties['sasl.password'], ' two\r\n');
  });

  void test('a relative path starts at the configuration file\'s folder', () => {
    write('rel-pw', 'from-the-config-folder');
    const yaml = write('strait.yaml', withPassword('${file:rel-pw}'));
    const config = loadConfigFile(yaml, { env: {} });
    assert.equal(config.clusters.get('east')?.properties['sasl.password'], 'from-the-config-folder');
  });

  void test('${file:path:key} reads a key of a properties file, as MM2\'s FileConfigProvider', () => {
    const file = write('secrets.properties', 'east.password = first\neast.password = second\nother: x\n');
    const { config } = load(withPassword(`\${file:${file}:east.password}`));
    assert.equal(config.clusters.get('east')?.properties['sasl.password'], 'second');
  });

  void test('a missing file is an error naming the setting, the file and what to do', () => {
    const missing = join(dir, 'no-such-file');
    const p = problemAt(withPassword(`\${file:${missing}}`), 'clusters.east.sasl.password');
    assert.match(p.message, new RegExp(`refers to file ${missing.replace(/[/.]/g, '\\$&')} .*cannot be read: there is no such file\\. Create it`));
    assert.match(p.example ?? '', /sasl\.password: \$\{file:/);
  });

  void test('an empty file, a directory and a missing key are errors', () => {
    const empty = write('empty', '\n');
    assert.match(problemAt(withPassword(`\${file:${empty}}`), 'clusters.east.sasl.password').message, /cannot be read: it is empty/);
    assert.match(problemAt(withPassword(`\${file:${dir}}`), 'clusters.east.sasl.password').message, /cannot be read: it is a directory/);
    const props = write('keys.properties', 'a=1\n');
    const p = problemAt(withPassword(`\${file:${props}:b}`), 'clusters.east.sasl.password');
    assert.match(p.message, /refers to key b of the properties file .*keys\.properties.*, which that file does not have/);
  });

  void test('the problem is reported once, not again as a missing or bad value', () => {
    const err = failure(BASE.replace('"10.0.0.1:9092"', `"\${file:${join(dir, 'nope')}}"`));
    assert.equal(err.problems.length, 1, err.message);
  });

  void test("a file's content is never quoted back, even where the setting is not a secret", () => {
    const file = write('brokers', 'hidden-broker-name:0\n');
    const err = failure(BASE.replace('"10.0.0.1:9092"', `"\${file:${file}}"`));
    const p = err.problems.find((x) => x.path === 'clusters.east.bootstrap.servers');
    assert.ok(p, err.message);
    assert.equal(p.value, `\${file:${file}}`);
    assert.ok(!err.message.includes('hidden-broker-name'), err.message);
  });

  void test('a resolved secret quoted by another check is blanked out of its message', () => {
    // A flow whose source names an alias that comes from a file: the "not defined" message
    // would quote it.
    const file = write('alias', 'confidential-alias');
    const err = failure(`${CLUSTERS}flows: [{ source: "\${file:${file}}", target: west }]`);
    assert.ok(!err.message.includes('confidential-alias'), err.message);
    assert.match(err.message, /cluster "\[redacted\]" is not defined/);
  });
});

void describe('durations', () => {
  void test('units, decimals and bare milliseconds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1.1s'), 1100);
    assert.equal(parseDuration(2500), 2500);
    assert.equal(parseDuration('2500'), 2500);
    assert.equal(parseDuration('5 s'), 5000);
    for (const bad of ['5 sec', '-1s', '1.5ms', 'soon', '', true, null, 1.5]) assert.equal(parseDuration(bad), undefined, String(bad));
    assert.equal(formatDuration(120_000), '2m');
    assert.equal(formatDuration(1500), '1500ms');
  });

  void test('a duration in the file becomes milliseconds', () => {
    const { config } = load(`${BASE}engine: { commitInterval: 1.5s, shutdownTimeout: 45000 }`);
    assert.equal(config.engine.commitIntervalMs, 1500);
    assert.equal(config.engine.shutdownTimeoutMs, 45_000);
  });

  void test('a number meant as seconds is caught by the bounds', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, refreshTopicsInterval: 5 }'), 'flows[0].refreshTopicsInterval');
    assert.equal(p.value, 5);
    assert.match(p.message, /duration from 1s to 24h.*a bare number is milliseconds/);
    assert.equal(p.example, 'refreshTopicsInterval: 1m');
  });

  void test('not a duration', () => {
    const p = problemAt(`${BASE}engine: { summaryInterval: "ten seconds" }`, 'engine.summaryInterval');
    assert.equal(p.value, 'ten seconds');
    assert.match(p.message, /or 0 disables/);
  });
});

void describe('unknown keys: did you mean', () => {
  void test('a typo at the top level', () => {
    const p = problemAt(`${BASE}engin: {}`, 'engin');
    assert.match(p.message, /unknown key at the top level; did you mean `engine`\?/);
    assert.equal(p.value, undefined);
  });

  void test('a typo in a flow', () => {
    const err = failure(`${CLUSTERS}flows: [{ soruce: east, target: west }]`);
    const typo = err.problems.find((p) => p.path === 'flows[0].soruce');
    assert.match(typo?.message ?? '', /did you mean `source`\?/);
    assert.equal(typo?.example, 'source: east');
    // "source is required" would only repeat it.
    assert.equal(err.problems.length, 1, err.message);
  });

  void test('a typo in a nested section', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, topics: { exlude: [] } }'), 'flows[0].topics.exlude');
    assert.match(p.message, /in flows\[0\]\.topics; did you mean `exclude`\?/);
  });

  void test('no close match lists the known keys', () => {
    const p = problemAt(`${BASE}engine: { zzzzzzzz: 1 }`, 'engine.zzzzzzzz');
    assert.match(p.message, /known keys: workers, metrics, summaryInterval/);
  });

  void test('a misspelt secret key never shows its value', () => {
    const err = failure(`${CLUSTERS.replace('"10.0.0.1:9092" }', '"10.0.0.1:9092", sasl.pasword: hunter2 }')}flows: [{ source: east, target: west }]`);
    assert.ok(!err.message.includes('hunter2'), err.message);
    assert.match(err.message, /clusters\.east\.sasl\.pasword: is not a librdkafka property; did you mean `sasl\.password`\?/);
  });

  void test('x- keys at the top level are ignored and can hold anchors', () => {
    const { config } = load(`
x-common: &common
  security.protocol: SASL_SSL
  sasl.mechanism: PLAIN
clusters:
  east: { <<: *common, bootstrap.servers: "h1:9092" }
  west: { <<: *common, bootstrap.servers: "h2:9092" }
flows: [{ source: east, target: west }]
`);
    assert.equal(config.clusters.get('west')?.properties['security.protocol'], 'SASL_SSL');
    assert.equal(config.clusters.get('east')?.properties['sasl.mechanism'], 'PLAIN');
  });
});

void describe('values', () => {
  void test('an enum value, with a suggestion', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, mode: at-least-onse }'), 'flows[0].mode');
    assert.equal(p.value, 'at-least-onse');
    assert.match(p.message, /one of at-least-once, exactly-once, offset-preserving \(did you mean at-least-once\?\)/);
    assert.ok(p.example);
  });

  void test('a regular expression that does not compile shows the JavaScript error', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, topics: { include: ["ok", "orders(", "a)|(b"] } }'), 'flows[0].topics.include[1]');
    assert.equal(p.value, 'orders(');
    assert.match(p.message, /is not a valid regular expression: Invalid regular expression: \/orders\(\/: Unterminated group/);
    // Wrapped in ^(?:...)$ this one would compile; it must not.
    problemAt(BASE.replace('target: west }', 'target: west, groups: { exclude: ["a)|(b"] } }'), 'flows[0].groups.exclude[0]');
  });

  void test('patterns must be a list', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, topics: { include: "orders.*, payments" } }'), 'flows[0].topics.include');
    assert.match(p.message, /expected a list of regular expressions/);
    assert.match(p.example ?? '', /include: \[/);
  });

  void test('integers and their bounds', () => {
    let p = problemAt(BASE.replace('target: west }', 'target: west, replicationFactor: 0 }'), 'flows[0].replicationFactor');
    assert.match(p.message, /from 1 to 32767 \(or -1 = the target broker's default\)/);
    assert.equal(p.value, 0);
    p = problemAt(`${BASE}engine: { workers: 2.5 }`, 'engine.workers');
    assert.equal(p.value, 2.5);
    p = problemAt(`${BASE}engine: { metrics: { port: 70000 } }`, 'engine.metrics.port');
    assert.equal(p.value, 70000);
    assert.equal(load(`${BASE}engine: { workers: "4" }`).config.engine.workers, 4);
  });

  void test('booleans', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, enabled: yes }'), 'flows[0].enabled');
    assert.equal(p.value, 'yes');
    assert.match(p.message, /expected true or false/);
  });

  void test('a section that is not a mapping', () => {
    const p = problemAt(`${BASE}engine: 4`, 'engine');
    assert.match(p.message, /expected a mapping/);
  });
});

void describe('clusters', () => {
  void test('an alias with a dot', () => {
    const p = problemAt(`${CLUSTERS}  us.east: { bootstrap.servers: "h:1" }\nflows: [{ source: east, target: west }]`, 'clusters.us.east');
    assert.equal(p.value, 'us.east');
    assert.match(p.message, /no dots: the alias becomes a topic-name prefix/);
  });

  void test('bootstrap.servers is required', () => {
    const p = problemAt(`clusters:\n  east: { client.id: x }\n  west: { bootstrap.servers: "h:1" }\nflows: [{ source: east, target: west }]`, 'clusters.east.bootstrap.servers');
    assert.match(p.message, /is required/);
    assert.ok(p.example?.startsWith('bootstrap.servers: '));
  });

  void test('metadata.broker.list counts as bootstrap.servers', () => {
    const { config } = load(`clusters:\n  east: { metadata.broker.list: "h:1" }\n  west: { bootstrap.servers: "h:2" }\nflows: [{ source: east, target: west }]`);
    assert.equal(config.clusters.get('east')?.properties['metadata.broker.list'], 'h:1');
  });

  void test('broker addresses', () => {
    const ok = load(`clusters:\n  east: { bootstrap.servers: "a:1, b.example.com:9092,[::1]:9093,SSL://c:9094,d" }\n  west: { bootstrap.servers: "h:2" }\nflows: [{ source: east, target: west }]`);
    assert.equal(ok.config.clusters.size, 2);
    const p = problemAt(`clusters:\n  east: { bootstrap.servers: "a:1,b:99999,c d:1" }\n  west: { bootstrap.servers: "h:2" }\nflows: [{ source: east, target: west }]`, 'clusters.east.bootstrap.servers');
    assert.match(p.message, /not valid: "b:99999", "c d:1"/);
  });

  void test('clusters must be a mapping and not empty', () => {
    problemAt('clusters: [a, b]\nflows: []', 'clusters');
    assert.match(problemAt('clusters: {}\nflows: [{ source: a, target: b }]', 'clusters').message, /no clusters are defined/);
  });
});

void describe('flows', () => {
  void test('flows must be a non-empty list', () => {
    assert.match(problemAt(`${CLUSTERS}flows: []`, 'flows').message, /no flows are defined/);
    assert.match(problemAt(`${CLUSTERS}flows: { source: east }`, 'flows').message, /expected a list of flows/);
  });

  void test('an undefined cluster, with a suggestion', () => {
    const p = problemAt(`${CLUSTERS}flows: [{ source: east, target: wset }]`, 'flows[0].target');
    assert.equal(p.value, 'wset');
    assert.match(p.message, /cluster "wset" is not defined under clusters; did you mean "west"\?/);
    assert.equal(p.example, 'target: west');
  });

  void test('source and target must differ', () => {
    const p = problemAt(`${CLUSTERS}flows: [{ source: east, target: east }]`, 'flows[0].target');
    assert.equal(p.value, 'east');
    assert.match(p.message, /same cluster as source/);
  });

  void test('flow names are unique', () => {
    const p = problemAt(withFlows('  - { source: east, target: west, name: main }\n  - { source: east, target: south, name: main }'), 'flows[1].name');
    assert.equal(p.value, 'main');
    assert.match(p.message, /already used by flows\[0\]/);
  });

  void test('one flow per (source, target) pair', () => {
    const p = problemAt(withFlows('  - { source: east, target: west, topics: { include: [a] } }\n  - { source: east, target: west, name: second, groupId: g2, topics: { include: [b] } }'), 'flows[1]');
    assert.match(p.message, /replicates east -> west like flows\[0\]/);
    assert.match(p.message, /topics\.include/);
  });

  void test('two flows from one source cannot share a consumer group', () => {
    const p = problemAt(withFlows('  - { source: east, target: west, groupId: mirror }\n  - { source: east, target: south, groupId: mirror }'), 'flows[1].groupId');
    assert.equal(p.value, 'mirror');
    assert.match(p.message, /consumer group "mirror" on cluster east is also used by flows\[0\]/);
    // The same group id on different source clusters is fine.
    load(withFlows('  - { source: east, target: west, groupId: mirror }\n  - { source: south, target: west, groupId: mirror }'));
  });

  void test('an alias must not contain the separator', () => {
    const p = problemAt(`clusters:\n  us-west: { bootstrap.servers: "h:1" }\n  eu: { bootstrap.servers: "h:2" }\nflows: [{ source: us-west, target: eu, replication: { separator: "-" } }]`, 'flows[0].replication.separator');
    assert.equal(p.value, '-');
    assert.match(p.message, /"us-west-orders" would read as coming from cluster "us"/);
  });

  void test('a separator must be usable in topic names', () => {
    const p = problemAt(BASE.replace('target: west }', 'target: west, replication: { separator: "/" } }'), 'flows[0].replication.separator');
    assert.equal(p.value, '/');
  });
});

void describe('replication loops', () => {
  void test('A->B and B->A with the identity policy is an error explaining why', () => {
    const p = problemAt(
      withFlows('  - { source: east, target: west, replication: { policy: identity } }\n  - { source: west, target: east, replication: { policy: identity } }'),
      'flows[0].replication.policy',
    );
    assert.equal(p.value, 'identity');
    assert.match(p.message, /flows\[0\] \(east->west\), flows\[1\] \(west->east\) form a replication loop \(east -> west -> east\)/);
    assert.match(p.message, /copied around it forever/);
    assert.match(p.message, /Use replication\.policy: default/);
    assert.equal(p.example, 'replication: { policy: default }');
  });

  void test('A->B and B->A with the default policy is fine (MM2 active/active)', () => {
    const { config } = load(withFlows('  - { source: east, target: west }\n  - { source: west, target: east }'));
    assert.equal(config.flows.length, 2);
  });

  void test('one identity flow in a two-cluster loop is still a loop', () => {
    const p = problemAt(withFlows('  - { source: east, target: west }\n  - { source: west, target: east, replication: { policy: identity } }'), 'flows[1].replication.policy');
    assert.match(p.message, /longer name/);
  });

  void test('a three-cluster loop with two consecutive default flows is detectable', () => {
    load(
      withFlows(
        '  - { source: east, target: west }\n  - { source: west, target: south }\n  - { source: south, target: east, replication: { policy: identity } }',
      ),
    );
  });

  void test('a three-cluster identity loop is an error', () => {
    const err = failure(
      withFlows(
        '  - { source: east, target: west, replication: { policy: identity } }\n  - { source: west, target: south, replication: { policy: identity } }\n  - { source: south, target: east, replication: { policy: identity } }',
      ),
    );
    assert.equal(err.problems.length, 1, err.message);
    assert.match(err.message, /east -> west -> south -> east/);
  });

  void test('different separators cannot read each other', () => {
    const p = problemAt(withFlows('  - { source: east, target: west }\n  - { source: west, target: east, replication: { separator: "_" } }'), 'flows[0].replication.separator');
    assert.match(p.message, /Use the same replication\.separator/);
  });

  void test('a disabled flow breaks the loop', () => {
    const { warnings } = load(
      withFlows('  - { source: east, target: west, replication: { policy: identity } }\n  - { source: west, target: east, enabled: false, replication: { policy: identity } }'),
    );
    assert.ok(!warnings.some((w) => /loop/.test(w.message)));
  });
});

void describe('warnings', () => {
  void test('a cluster no flow uses', () => {
    const w = warningsOf(withFlows('  - { source: east, target: west }'));
    assert.deepEqual(w.map((x) => x.path), ['clusters.south']);
  });

  void test('two identity flows into one target', () => {
    const w = warningsOf(withFlows('  - { source: east, target: west, replication: { policy: identity } }\n  - { source: south, target: west, replication: { policy: identity } }'));
    const fanIn = w.find((x) => x.path === 'flows[1].replication.policy');
    assert.match(fanIn?.message ?? '', /would be merged into one topic on west/);
  });

  void test('every flow disabled, and an empty include list', () => {
    const w = warningsOf(BASE.replace('target: west }', 'target: west, enabled: false, topics: { include: [] } }'));
    assert.deepEqual(w.map((x) => x.path).sort(), ['flows', 'flows[0].topics.include']);
  });

  void test('the modes are accepted values', () => {
    for (const mode of ['at-least-once', 'exactly-once', 'offset-preserving']) {
      const { config, warnings } = load(BASE.replace('target: west }', `target: west, mode: ${mode} }`));
      assert.equal(config.flows[0]?.mode, mode);
      assert.deepEqual(warnings, []);
    }
  });
});

void describe('the file as a whole', () => {
  void test('every problem is reported at once, in file order, under one header', () => {
    const err = failure(`
clusters:
  east: { bootstrap.server: "h:1" }
  west: { bootstrap.servers: "h:2" }
flows:
  - { source: east, target: wset, mode: fast }
engine: { workers: 0 }
`);
    assert.deepEqual(err.problems.map((p) => p.path), [
      'clusters.east.bootstrap.server',
      'flows[0].target',
      'flows[0].mode',
      'engine.workers',
    ]);
    assert.match(err.message, /^test\.yaml: 4 configuration problems\n {2}- clusters\.east/);
    assert.equal(err.code, 'CONFIG_INVALID');
  });

  void test('YAML syntax errors give line and column, never the text', () => {
    const err = failure('clusters:\n  east:\n    sasl.password: hunter2: x\n');
    assert.match(err.problems[0]?.path ?? '', /^line 3, column \d+$/);
    assert.match(err.problems[0]?.message ?? '', /^YAML syntax: /);
    assert.ok(!err.message.includes('hunter2'), err.message);
  });

  void test('duplicate keys are a syntax error', () => {
    const err = failure(`${BASE}engine: {}\nengine: {}\n`);
    // BASE starts with an empty line: the second `engine:` is line 9.
    assert.match(err.message, /line 9, column 1: YAML syntax: Map keys must be unique/);
  });

  void test('an empty file says what is required', () => {
    const err = failure('# nothing yet\n');
    assert.deepEqual(err.problems.map((p) => p.path), ['clusters', 'flows']);
    assert.ok(err.problems.every((p) => p.example));
  });

  void test('a file that is a list', () => {
    assert.match(problemAt('- a\n- b\n', '(top level)').message, /expected a mapping/);
  });

  void test('loading from a file, and a file that is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strait-config-'));
    try {
      const file = join(dir, 'strait.yaml');
      writeFileSync(file, BASE);
      assert.equal(loadConfigFile(file, { env: {} }).flows.length, 1);
      assert.deepEqual(loadConfigFileWithWarnings(file, { env: {} }).warnings, []);
      const missing = join(dir, 'nope.yaml');
      assert.throws(
        () => loadConfigFile(missing),
        (err: unknown) => err instanceof ConfigError && err.problems[0]?.path === '(file)' && /no such file/.test(err.message) && err.message.startsWith(missing),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
