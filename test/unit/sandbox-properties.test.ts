import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerJvmOptions, brokerProperties, gcLogFile, renderBrokerLog4j2, renderServerProperties, validateClusterConfig, type ClusterConfig } from '../../src/sandbox/broker-config.js';
import { escapePropertyKey, escapePropertyValue, renderProperties } from '../../src/sandbox/properties.js';
import { SandboxError } from '../../src/util/errors.js';

const base: ClusterConfig = {
  name: 'source',
  port: 19092,
  controllerPort: 19093,
  dir: '/tmp/sb/source',
  dataDir: '/tmp/sb/source/data',
  logDir: '/tmp/sb/source/logs',
};

/** Parse the rendered file back the simple way (no escapes in these values). */
function parse(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

void test('property escaping follows java.util.Properties', () => {
  assert.equal(escapePropertyKey('a b:c=d#e!f'), 'a\\ b\\:c\\=d\\#e\\!f');
  assert.equal(escapePropertyValue('C:\\dir\\x'), 'C:\\\\dir\\\\x');
  assert.equal(escapePropertyValue(' lead'), '\\ lead');
  assert.equal(escapePropertyValue('a=b:c'), 'a=b:c');
  assert.equal(escapePropertyValue('line1\nline2\t'), 'line1\\nline2\\t');
  assert.equal(escapePropertyValue('café'), 'caf\\u00e9');
  assert.equal(escapePropertyValue('😀'), '\\ud83d\\ude00');
  assert.equal(renderProperties([['k', 1], ['b', true]], ['hello']), '# hello\nk=1\nb=true\n');
});

void test('broker properties: single-node KRaft on loopback with replication factor 1', () => {
  const p = parse(renderServerProperties(base));
  assert.equal(p.get('process.roles'), 'broker,controller');
  assert.equal(p.get('node.id'), '1');
  assert.equal(p.get('controller.quorum.bootstrap.servers'), '127.0.0.1:19093');
  assert.equal(p.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
  assert.equal(p.get('advertised.listeners'), p.get('listeners'));
  assert.equal(p.get('inter.broker.listener.name'), 'PLAINTEXT');
  assert.equal(p.get('controller.listener.names'), 'CONTROLLER');
  assert.equal(p.get('listener.security.protocol.map'), 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT');
  assert.equal(p.get('log.dirs'), '/tmp/sb/source/data');
  for (const key of [
    'offsets.topic.replication.factor',
    'transaction.state.log.replication.factor',
    'transaction.state.log.min.isr',
    'share.coordinator.state.topic.replication.factor',
    'share.coordinator.state.topic.min.isr',
    'default.replication.factor',
    'min.insync.replicas',
    'num.partitions',
  ]) {
    assert.equal(p.get(key), '1', key);
  }
  assert.equal(p.get('group.initial.rebalance.delay.ms'), '0');
  assert.equal(p.get('auto.create.topics.enable'), 'false');
});

void test('extra listeners and properties are merged, properties last', () => {
  const props = brokerProperties({
    ...base,
    listeners: [{ name: 'SASL_PLAINTEXT', port: 19096, protocol: 'SASL_PLAINTEXT' }],
    properties: {
      'sasl.enabled.mechanisms': 'PLAIN',
      'auto.create.topics.enable': true,
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required;',
    },
  });
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,SASL_PLAINTEXT://127.0.0.1:19096');
  assert.equal(props.get('listener.security.protocol.map'), 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT');
  assert.equal(props.get('sasl.enabled.mechanisms'), 'PLAIN');
  assert.equal(props.get('auto.create.topics.enable'), true);
  assert.equal(props.get('inter.broker.listener.name'), 'PLAINTEXT');
});

void test('config validation names clashing ports and bad listener names', () => {
  assert.throws(() => validateClusterConfig({ ...base, controllerPort: 19092 }), (err: unknown) => {
    assert.ok(err instanceof SandboxError);
    assert.match(err.message, /both use port 19092/);
    return true;
  });
  assert.throws(() => validateClusterConfig({ ...base, listeners: [{ name: 'sasl', port: 1, protocol: 'SASL_PLAINTEXT' }] }), /upper-case/);
  assert.throws(() => validateClusterConfig({ ...base, listeners: [{ name: 'CONTROLLER', port: 1, protocol: 'PLAINTEXT' }] }), /used twice/);
  assert.throws(() => validateClusterConfig({ ...base, port: 70000 }), /not a TCP port/);
  validateClusterConfig(base);
});

void test('broker log4j2 config writes only to a file under the log dir', () => {
  const p = parse(renderBrokerLog4j2(base));
  assert.equal(p.get('appender.server.type'), 'File');
  assert.equal(p.get('appender.server.fileName'), '/tmp/sb/source/logs/server.log');
  assert.equal(p.get('rootLogger.appenderRef.server.ref'), 'SERVER');
  assert.equal([...p.keys()].filter((k) => /^appender\.[^.]+\.type$/.test(k)).length, 1);
  assert.ok(![...p.values()].includes('Console'));
});

void test('broker JVM flags: the cluster name, a GC log only when asked for, then the extra flags', () => {
  assert.deepEqual(brokerJvmOptions(base), ['-Dstrait.sandbox.cluster=source'], 'no GC log by default');
  assert.deepEqual(brokerJvmOptions({ ...base, gcLog: true, jvmOptions: ['-Xms1g'] }), [
    '-Dstrait.sandbox.cluster=source',
    '-Xlog:gc*:file="/tmp/sb/source/logs/gc.log":time,uptime,level,tags',
    '-Xms1g',
  ]);
  assert.equal(gcLogFile(base), '/tmp/sb/source/logs/gc.log');
});
