/**
 * The topic config/ACL client's settings, translated from a cluster's librdkafka properties:
 * addresses, SASL, TLS, and refusals that name the property but never show a secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configAdminOptions, parseBrokerAddress } from '../../src/kafka/config-admin.js';
import { KafkaError } from '../../src/util/errors.js';

const noFiles = (p: string): Buffer => {
  throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
};

void test('broker addresses in librdkafka forms', () => {
  assert.deepEqual(parseBrokerAddress('kafka-1:9093'), { host: 'kafka-1', port: 9093 });
  assert.deepEqual(parseBrokerAddress(' kafka-1 '), { host: 'kafka-1', port: 9092 });
  assert.deepEqual(parseBrokerAddress('[::1]:19092'), { host: '::1', port: 19092 });
  assert.deepEqual(parseBrokerAddress('SASL_SSL://broker.example:9094'), { host: 'broker.example', port: 9094 });
  const o = configAdminOptions('a', { 'bootstrap.servers': 'h1:1,h2:2', 'client.id': 'strait-x' });
  assert.deepEqual(o.bootstrapBrokers, [
    { host: 'h1', port: 1 },
    { host: 'h2', port: 2 },
  ]);
  assert.equal(o.clientId, 'strait-x');
  assert.equal(o.sasl, undefined);
  assert.equal(o.tls, undefined);
});

void test('SASL/PLAIN and SCRAM from sasl.mechanism(s), sasl.username, sasl.password', () => {
  const o = configAdminOptions('a', { 'bootstrap.servers': 'h:1', 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u', 'sasl.password': 'p' });
  assert.deepEqual(o.sasl, { mechanism: 'PLAIN', username: 'u', password: 'p' });
  assert.equal(o.tls, undefined);
  const s = configAdminOptions('a', { 'bootstrap.servers': 'h:1', 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'scram-sha-512', 'sasl.username': 'u', 'sasl.password': 'p' });
  assert.equal(s.sasl?.mechanism, 'SCRAM-SHA-512');
  assert.deepEqual(s.tls, {});
});

void test('TLS material and verification switches', () => {
  const files: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT', '/k.pem': 'KEY' };
  const read = (p: string) => Buffer.from(files[p] ?? noFiles(p));
  const o = configAdminOptions(
    'a',
    {
      'bootstrap.servers': 'h:1',
      'security.protocol': 'SSL',
      'ssl.ca.location': '/ca.pem',
      'ssl.certificate.location': '/c.pem',
      'ssl.key.location': '/k.pem',
      'ssl.key.password': 'kp',
      'enable.ssl.certificate.verification': 'false',
      'ssl.endpoint.identification.algorithm': 'none',
    },
    read,
  );
  assert.equal(String(o.tls?.ca), 'CA');
  assert.equal(String(o.tls?.cert), 'CERT');
  assert.equal((o.tls?.key as Buffer).toString(), 'KEY');
  assert.equal(o.tls?.passphrase, 'kp');
  assert.equal(o.tls?.rejectUnauthorized, false);
  assert.equal(typeof o.tls?.checkServerIdentity, 'function');
  const strict = configAdminOptions('a', { 'bootstrap.servers': 'h:1', 'security.protocol': 'ssl', 'ssl.ca.location': 'probe' }, read);
  assert.deepEqual(strict.tls, {}, 'verification on, system CA store');
  assert.equal(strict.tlsServerName, true, 'SNI with the host name, as librdkafka');
  assert.equal(configAdminOptions('a', { 'bootstrap.servers': '10.0.0.1:9093', 'security.protocol': 'ssl' }).tlsServerName, undefined, 'no SNI for an IP address');
});

void test('unsupported settings are refused by property name; secrets never appear', () => {
  const secret = 's3cr3t-value';
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /bootstrap\.servers is not set/],
    [{ 'bootstrap.servers': 'h:1', 'security.protocol': 'sasl_plaintext', 'sasl.password': secret }, /sasl\.mechanism "GSSAPI" is not supported/],
    [{ 'bootstrap.servers': 'h:1', 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.password': secret }, /OAUTHBEARER/],
    [{ 'bootstrap.servers': 'h:1', 'security.protocol': 'sasl_plaintext', 'sasl.mechanism': 'PLAIN', 'sasl.password': secret }, /sasl\.username and sasl\.password are required/],
    [{ 'bootstrap.servers': 'h:1', 'security.protocol': 'ssl', 'ssl.key.location': '/nope', 'ssl.key.password': secret }, /cannot read ssl\.key\.location \(ENOENT\)/],
    [{ 'bootstrap.servers': 'h:x' }, /valid port/],
    [{ 'bootstrap.servers': 'h:1', 'security.protocol': 'carrier-pigeon' }, /security\.protocol/],
  ];
  for (const [props, message] of cases) {
    assert.throws(
      () => configAdminOptions('us-east', props, noFiles),
      (e: unknown) => {
        assert.ok(e instanceof KafkaError);
        assert.match(e.message, /cluster "us-east"/);
        assert.match(e.message, message);
        assert.ok(!e.message.includes(secret));
        return true;
      },
    );
  }
});
