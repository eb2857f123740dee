/**
 * librdkafka properties under clusters: names against librdkafka's own list, values against its
 * ranges, placement (consumer/producer/admin), the properties strait sets itself, redaction.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, type ConfigProblem } from '../../src/util/errors.js';
import { parseConfigWithWarnings } from '../../src/config/load.js';
import { LIBRDKAFKA_PROPERTIES, LIBRDKAFKA_VERSION } from '../../src/config/librdkafka-properties.js';
import { propertiesFor } from '../../src/config/client-properties.js';
import { transactionalProducerConfig } from '../../src/kafka/client-config.js';
import { isSecretName, REDACTED } from '../../src/config/redact.js';

/** A valid file with `lines` added under clusters.east (YAML, indented 4). */
function withEast(lines: string): string {
  return `
clusters:
  east:
    bootstrap.servers: "h1:9092"
${lines}
  west: { bootstrap.servers: "h2:9092" }
flows: [{ source: east, target: west }]
`;
}

function outcome(text: string): { problems: ConfigProblem[]; warnings: ConfigProblem[]; message: string } {
  try {
    const { warnings } = parseConfigWithWarnings(text, 'test.yaml', { env: {} });
    return { problems: [], warnings, message: '' };
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return { problems: err.problems, warnings: [], message: err.message };
  }
}

function problem(lines: string, path: string): ConfigProblem {
  const { problems, message } = outcome(withEast(lines));
  const p = problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}; got:\n${message || '(valid)'}`);
  return p;
}

function warning(lines: string, path: string): ConfigProblem {
  const { warnings, message } = outcome(withEast(lines));
  assert.equal(message, '', message);
  const w = warnings.find((x) => x.path === path);
  assert.ok(w, `no warning at ${path}; got ${JSON.stringify(warnings)}`);
  return w;
}

function accepted(lines: string): void {
  const { message, warnings } = outcome(withEast(lines));
  assert.equal(message, '', message);
  assert.deepEqual(warnings, []);
}

void describe('the generated librdkafka property list', () => {
  void test('matches the installed binding', () => {
    const pkgPath = fileURLToPath(new URL('../../../node_modules/@confluentinc/kafka-javascript/package.json', import.meta.url));
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { librdkafka: string };
    assert.equal(LIBRDKAFKA_VERSION, pkg.librdkafka, 'regenerate: node scripts/gen-librdkafka-properties.mjs');
  });

  void test('records which clients each property is for', () => {
    assert.ok(Object.keys(LIBRDKAFKA_PROPERTIES).length > 150);
    assert.equal(LIBRDKAFKA_PROPERTIES['bootstrap.servers']?.role, '*');
    assert.equal(LIBRDKAFKA_PROPERTIES['fetch.max.bytes']?.role, 'C');
    assert.equal(LIBRDKAFKA_PROPERTIES['linger.ms']?.role, 'P');
    assert.equal(LIBRDKAFKA_PROPERTIES['linger.ms']?.type, 'float');
    assert.deepEqual(LIBRDKAFKA_PROPERTIES['security.protocol']?.values, ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl']);
    // The escaped `\|\|` in the kinit default must not have split the row.
    assert.equal(LIBRDKAFKA_PROPERTIES['sasl.kerberos.kinit.cmd']?.type, 'string');
  });
});

void describe('names', () => {
  void test('a typo gets a suggestion', () => {
    const p = problem('    bootstrap.server: "h:1"', 'clusters.east.bootstrap.server');
    assert.match(p.message, /is not a librdkafka property; did you mean `bootstrap\.servers`\?/);
    assert.equal(p.example, 'bootstrap.servers: h:1');
    assert.equal(p.value, undefined);
  });

  void test('a typo in a client section', () => {
    const p = problem('    consumer: { fetch.max.byte: 1000 }', 'clusters.east.consumer.fetch.max.byte');
    assert.match(p.message, /did you mean `fetch\.max\.bytes`\?/);
  });

  void test('a typo of a section name', () => {
    const p = problem('    consumers: {}', 'clusters.east.consumers');
    assert.match(p.message, /did you mean `consumer`\?/);
  });

  void test('Java client settings name the librdkafka way', () => {
    const p = problem('    sasl.jaas.config: "org.apache.kafka.common.security.plain.PlainLoginModule required password=\\"pw-123\\";"', 'clusters.east.sasl.jaas.config');
    assert.match(p.message, /librdkafka has no JAAS.*sasl\.username and sasl\.password/);
    assert.equal(p.value, undefined);
    assert.match(problem('    ssl.truststore.location: /x.jks', 'clusters.east.ssl.truststore.location').message, /ssl\.ca\.location/);
  });
});

void describe('placement', () => {
  void test('cluster-level properties of any kind are accepted and routed by client', () => {
    const { config } = parseConfigWithWarnings(
      withEast('    linger.ms: 10\n    fetch.max.bytes: 1000000\n    client.rack: r1\n    producer: { linger.ms: 20 }\n    consumer: { client.rack: r2 }'),
      't',
      { env: {} },
    );
    const east = config.clusters.get('east');
    assert.ok(east);
    assert.deepEqual(propertiesFor(east, 'producer'), { 'bootstrap.servers': 'h1:9092', 'linger.ms': '20', 'client.rack': 'r1' });
    assert.deepEqual(propertiesFor(east, 'consumer'), { 'bootstrap.servers': 'h1:9092', 'fetch.max.bytes': '1000000', 'client.rack': 'r2' });
    assert.deepEqual(propertiesFor(east, 'admin'), { 'bootstrap.servers': 'h1:9092', 'client.rack': 'r1' });
  });

  void test('a producer property under consumer: says where it belongs', () => {
    const p = problem('    consumer: { linger.ms: 5 }', 'clusters.east.consumer.linger.ms');
    assert.equal(p.value, '5');
    assert.match(p.message, /is a producer property, but it is under consumer: \(consumers ignore it\); move it under producer:/);
  });

  void test('a consumer property under producer:', () => {
    const p = problem('    producer: { fetch.max.bytes: 1000 }', 'clusters.east.producer.fetch.max.bytes');
    assert.match(p.message, /is a consumer property.*move it under consumer:/);
  });

  void test('admin: takes common properties only', () => {
    const p = problem('    admin: { linger.ms: 5 }', 'clusters.east.admin.linger.ms');
    assert.match(p.message, /admin clients take only common properties/);
    accepted('    admin: { socket.timeout.ms: 30000 }');
  });

  void test('a section must be a mapping', () => {
    assert.match(problem('    producer: [linger.ms]', 'clusters.east.producer').message, /expected a mapping of librdkafka producer properties/);
  });
});

void describe('values', () => {
  void test("librdkafka's ranges, with its default as the example", () => {
    const p = problem('    producer: { linger.ms: 5s }', 'clusters.east.producer.linger.ms');
    assert.equal(p.value, '5s');
    assert.match(p.message, /expected a number from 0 to 900000/);
    assert.equal(p.example, 'linger.ms: 5');
    assert.match(problem('    message.max.bytes: 10', 'clusters.east.message.max.bytes').message, /whole number from 1000 to 1000000000/);
  });

  void test('enums are case-insensitive, as in librdkafka', () => {
    accepted('    security.protocol: SASL_SSL\n    sasl.mechanism: PLAIN');
    const p = problem('    security.protocol: SASL_SSLX', 'clusters.east.security.protocol');
    assert.match(p.message, /one of plaintext, ssl, sasl_plaintext, sasl_ssl \(did you mean sasl_ssl\?\)/);
  });

  void test('booleans and flag lists', () => {
    accepted('    socket.keepalive.enable: true\n    debug: broker,topic');
    assert.match(problem('    socket.keepalive.enable: yes', 'clusters.east.socket.keepalive.enable').message, /expected true or false/);
    assert.match(problem('    debug: broker,nope', 'clusters.east.debug').message, /unknown flag nope/);
  });

  void test('a property needs a single value', () => {
    assert.match(problem('    client.rack:', 'clusters.east.client.rack').message, /needs a value/);
    assert.match(problem('    client.rack: [a, b]', 'clusters.east.client.rack').message, /expected a single value/);
  });

  void test('callbacks cannot come from a file', () => {
    assert.match(problem('    error_cb: x', 'clusters.east.error_cb').message, /set through the client API/);
  });

  void test('deprecated and share-consumer-only properties are warnings', () => {
    assert.match(warning('    consumer: { offset.store.method: broker }', 'clusters.east.consumer.offset.store.method').message, /deprecated/);
    assert.match(warning('    consumer: { max.poll.records: 100 }', 'clusters.east.consumer.max.poll.records').message, /only to share consumers/);
  });
});

void describe('properties strait sets itself', () => {
  void test('group.id points to flows[].groupId', () => {
    const p = problem('    consumer: { group.id: mine }', 'clusters.east.consumer.group.id');
    assert.equal(p.value, 'mine');
    assert.match(p.message, /flows\[\]\.groupId/);
  });

  void test('auto commit: strait’s value is redundant, another is an error', () => {
    assert.match(problem('    enable.auto.commit: true', 'clusters.east.enable.auto.commit').message, /strait sets false and it cannot be changed: .*lose them/);
    assert.match(warning('    enable.auto.commit: false', 'clusters.east.enable.auto.commit').message, /already sets false, so this line can be removed/);
  });

  void test('acks and idempotence', () => {
    assert.match(problem('    producer: { acks: 1 }', 'clusters.east.producer.acks').message, /acks=all/);
    warning('    producer: { acks: all }', 'clusters.east.producer.acks');
    warning('    producer: { acks: -1 }', 'clusters.east.producer.acks');
    assert.match(problem('    producer: { enable.idempotence: false }', 'clusters.east.producer.enable.idempotence').message, /idempotent/);
  });

  void test('in-flight requests and retries, where producers use them', () => {
    assert.match(problem('    max.in.flight: 10', 'clusters.east.max.in.flight').message, /at most 5 for producers/);
    accepted('    consumer: { max.in.flight: 10 }');
    accepted('    producer: { max.in.flight.requests.per.connection: 5 }');
    assert.match(problem('    producer: { retries: 0 }', 'clusters.east.producer.retries').message, /greater than 0/);
  });

  void test('settings without effect are warnings', () => {
    assert.match(warning('    producer: { partitioner: murmur2 }', 'clusters.east.producer.partitioner').message, /has no effect: strait writes every record to the partition/);
    warning('    client.id: mine', 'clusters.east.client.id');
  });

  void test('transactional.id and delivery callbacks', () => {
    assert.match(problem('    producer: { transactional.id: t }', 'clusters.east.producer.transactional.id').message, /exactly-once/);
    assert.match(problem('    producer: { dr_cb: true }', 'clusters.east.producer.dr_cb').message, /delivery report/);
  });
});

void describe('secrets', () => {
  void test('names that hold secrets', () => {
    for (const name of ['sasl.password', 'ssl.key.password', 'ssl.key.pem', 'ssl.keystore.password', 'sasl.jaas.config', 'sasl.oauthbearer.client.secret', 'ssl.key.location', 'sasl.oauthbearer.assertion.private.key.pem', 'my.token']) {
      assert.ok(isSecretName(name), name);
    }
    for (const name of ['bootstrap.servers', 'sasl.username', 'linger.ms', 'socket.keepalive.enable']) assert.ok(!isSecretName(name), name);
  });

  void test('a secret value is redacted in every message', () => {
    const { problems, message } = outcome(withEast('    sasl.password: [hunter2]\n    ssl.key.pem: { pem: hunter3 }'));
    assert.equal(problems.find((p) => p.path === 'clusters.east.sasl.password')?.value, REDACTED);
    assert.equal(problems.find((p) => p.path === 'clusters.east.ssl.key.pem')?.value, REDACTED);
    assert.ok(!message.includes('hunter'), message);
    assert.match(message, /\(got "\[redacted\]"\)/);
  });

  void test('a secret from the environment is not shown either', () => {
    const text = withEast('    sasl.password: ${env:PW}\n    ssl.keystore.password: ${env:PW}\n    sasl.jaas.config: ${env:PW}\n    sasl.pasword: ${env:PW}');
    try {
      parseConfigWithWarnings(text, 't', { env: { PW: 'hunter2' } });
      assert.fail('expected errors');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.ok(!err.message.includes('hunter2'), err.message);
    }
  });
});

void describe('exactly-once producer', () => {
  const cluster = (producer: Record<string, string | number>) => ({ alias: 'b', properties: { 'bootstrap.servers': 'b:9092' }, consumer: {}, producer, admin: {} }) as never;
  void test('a record times out at half the transaction timeout, so a stuck record aborts the transaction before the broker fences the producer', () => {
    assert.equal(transactionalProducerConfig(cluster({}), 'c', 'tx')['message.timeout.ms'], 30_000);
    const raised = transactionalProducerConfig(cluster({ 'transaction.timeout.ms': 300_000 }), 'c', 'tx');
    assert.equal(raised['message.timeout.ms'], 150_000);
    assert.equal(raised['transactional.id'], 'tx');
  });
});
