/**
 * What a secured cluster refused, from librdkafka's own texts (copied from librdkafka 2.15.1
 * logs against the secured sandbox) and Kafka's authorization error codes: each explanation
 * names what was refused and the setting or ACL that fixes it, and never a password.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authorizationCode, explainAuthorization, explainConnectionRefusal, principalOf, RefusalWatch } from '../../src/kafka/refusals.js';
import type { KafkaError } from '../../src/util/errors.js';

const PASSWORD = 'hunter2-secret';
const SCRAM = { 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.username': 'strait', 'sasl.password': PASSWORD, 'ssl.ca.location': '/etc/ca.pem' };
const MTLS = { 'security.protocol': 'SSL', 'ssl.certificate.location': '/c.pem', 'ssl.key.location': '/k.pem', 'ssl.key.password': PASSWORD };

const LOG = {
  badPassword:
    '[thrd:sasl_ssl://127.0.0.1:30104/bootstrap]: sasl_ssl://127.0.0.1:30104/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 410ms in state AUTH_REQ)',
  untrusted:
    '[thrd:sasl_ssl://127.0.0.1:30104/bootstrap]: sasl_ssl://127.0.0.1:30104/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package) (after 9ms in state SSL_HANDSHAKE)',
  noClientCert: '[thrd:ssl://127.0.0.1:30105/bootstrap]: ssl://127.0.0.1:30105/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (after 0ms in state APIVERSION_QUERY)',
  mechanism:
    "[thrd:sasl_ssl://127.0.0.1:30104/bootstrap]: sasl_ssl://127.0.0.1:30104/bootstrap: SASL SCRAM-SHA-256 mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512 (after 303ms in state AUTH_HANDSHAKE)",
  keyPassword: 'ssl.key.location failed: error:0A080009:SSL routines::PEM lib',
};

void describe('refused connections', () => {
  void test('a refused SASL login names the user and the settings, not the password', () => {
    const e = explainConnectionRefusal(LOG.badPassword, 'east', SCRAM)!;
    assert.match(e, /refused strait's SASL SCRAM-SHA-512 login as user "strait" \(Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512\)/);
    assert.match(e, /check clusters\.east\.sasl\.username and clusters\.east\.sasl\.password/);
    assert.ok(!e.includes(PASSWORD));
    assert.ok(!e.includes('after 410ms'), 'librdkafka timing is left out');
  });

  void test('an untrusted broker certificate points at ssl.ca.location', () => {
    const e = explainConnectionRefusal(LOG.untrusted, 'west', SCRAM)!;
    assert.match(e, /does not trust the TLS certificate of broker sasl_ssl:\/\/127\.0\.0\.1:30104 \(error:0A000086:SSL routines::certificate verify failed\)/);
    assert.match(e, /set clusters\.west\.ssl\.ca\.location/);
  });

  void test('a broker that wants a client certificate says so', () => {
    assert.match(explainConnectionRefusal(LOG.noClientCert, 'west', { 'security.protocol': 'SSL' })!, /refused the TLS handshake \(sslv3 alert bad certificate\): it requires a client certificate it trusts, and strait presented none/);
    assert.match(explainConnectionRefusal(LOG.noClientCert, 'west', MTLS)!, /presented one the broker does not trust.*ssl\.certificate\.location/);
  });

  void test('an unsupported mechanism lists the ones offered', () => {
    assert.equal(
      explainConnectionRefusal(LOG.mechanism, 'east', SCRAM),
      'the cluster does not offer SASL mechanism SCRAM-SHA-256 (it offers PLAIN,SCRAM-SHA-512). Fix: set clusters.east.sasl.mechanism to one of PLAIN,SCRAM-SHA-512',
    );
  });

  void test('a key that cannot be loaded points at the key and its passphrase', () => {
    const e = explainConnectionRefusal(LOG.keyPassword, 'east', MTLS)!;
    assert.match(e, /cannot load the TLS material of clusters\.east\.ssl\.key\.location.*clusters\.east\.ssl\.key\.password is not its passphrase/);
    assert.ok(!e.includes(PASSWORD));
  });

  void test('other texts are not explained', () => {
    assert.equal(explainConnectionRefusal('Connect to ipv4#127.0.0.1:1 failed: Connection refused', 'east', SCRAM), undefined);
  });
});

void describe('refused permissions', () => {
  void test('a refused Read names the topics, the principal and the ACL to add', () => {
    const e = explainAuthorization(29, [{ operation: 'Read', resource: 'topic', names: ['orders'] }, { operation: 'Read', resource: 'group', names: ['g'] }], 'east', SCRAM)!;
    assert.match(e, /^the cluster refused Read on topic "orders" to User:strait \(TOPIC_AUTHORIZATION_FAILED\)\. Fix: grant it with an ACL on cluster "east"/);
    assert.match(e, /--add --allow-principal User:strait --operation Read --topic orders$/);
  });

  void test('the refused resource type picks the permission explained', () => {
    const needed = [{ operation: 'Read' as const, resource: 'topic' as const, names: ['a', 'b'] }, { operation: 'Read' as const, resource: 'group' as const, names: ['g'] }];
    assert.match(explainAuthorization('GROUP_AUTHORIZATION_FAILED', needed, 'east', SCRAM)!, /refused Read on group "g".*--group g$/);
    assert.match(explainAuthorization(29, needed, 'east', SCRAM)!, /Read on one or more of the topics "a", "b" to User:strait.*--topic <topic>$/);
    assert.match(explainAuthorization('KAFKA_CLUSTER_AUTHORIZATION_FAILED', [], 'east', SCRAM)!, /refused access to the cluster.*--operation <operation> --cluster$/);
    assert.match(explainAuthorization(53, [{ operation: 'Write', resource: 'transactional-id', names: ['t-1'] }], 'west', SCRAM)!, /Write on transactional-id "t-1".*--transactional-id t-1$/);
  });

  void test('other codes are not authorization failures', () => {
    assert.equal(explainAuthorization(10, [], 'east', SCRAM), undefined);
    assert.equal(authorizationCode('UNKNOWN_TOPIC_OR_PARTITION'), undefined);
    assert.equal(authorizationCode(-195), undefined);
  });

  void test('the principal follows the security settings', () => {
    assert.equal(principalOf(SCRAM), 'User:strait');
    assert.match(principalOf(MTLS), /client certificate/);
    assert.equal(principalOf({}), 'User:ANONYMOUS');
  });
});

void describe('RefusalWatch', () => {
  void test('explains a failed call by the refusal its log showed, and reports each refusal once a while', () => {
    const reported: KafkaError[] = [];
    const watch = new RefusalWatch('east', SCRAM, (e) => reported.push(e));
    const listeners: ((e: { severity: number; message: string }) => void)[] = [];
    watch.attach({ on: (_event, fn) => listeners.push(fn) });
    listeners[0]({ severity: 7, message: LOG.badPassword });
    assert.equal(reported.length, 0, 'debug lines are ignored');
    listeners[0]({ severity: 3, message: LOG.badPassword });
    listeners[0]({ severity: 3, message: LOG.badPassword });
    assert.equal(reported.length, 1, 'the same refusal is reported once');
    assert.match(reported[0].message, /^cluster "east": the cluster refused strait's SASL SCRAM-SHA-512 login/);
    assert.match(watch.describe('listing topics failed: Local: Broker transport failure', -195), /^listing topics failed: Local: Broker transport failure: the cluster refused strait's SASL/);
    assert.equal(new RefusalWatch('east', SCRAM).describe('listing topics failed: Local: Timed out', -185), 'listing topics failed: Local: Timed out');
  });
});
