/**
 * The secured sandbox cluster's parts that need no broker: the broker settings for TLS, SASL
 * (PLAIN and SCRAM-SHA-512) and ACLs, the SCRAM users' format arguments, and the TLS material
 * openssl makes (a CA, and certificates it signs that openssl itself verifies).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { exec } from '../../src/sandbox/exec.js';
import { ensureCertificate, ensureCertificateAuthority } from '../../src/sandbox/certificates.js';
import { brokerProperties, validateClusterConfig, type ClusterConfig } from '../../src/sandbox/broker-config.js';
import { saslPlainCustomization, saslSslClientProperties, scramFormatArguments, secureCustomization, sslClientProperties } from '../../src/sandbox/secure.js';
import { SandboxError } from '../../src/util/errors.js';

const root = await mkdtemp(path.join(tmpdir(), 'strait-secure-'));
after(() => rm(root, { recursive: true, force: true }));

const TLS = { keystoreFile: '/x/broker-keystore.pem', truststoreFile: '/x/ca.pem' };

function broker(custom: ReturnType<typeof secureCustomization>): Map<string, unknown> {
  const config: ClusterConfig = { name: 'source', port: 30100, controllerPort: 30101, dir: '/d', dataDir: '/d/data', logDir: '/d/logs', ...custom };
  validateClusterConfig(config);
  return brokerProperties(config);
}

void describe('secured broker settings', () => {
  void test('a SASL_SSL listener with PLAIN and SCRAM users and an mTLS listener', () => {
    const custom = secureCustomization({
      listeners: [
        { port: 30104, protocol: 'SASL_SSL' },
        { port: 30105, protocol: 'SSL', clientAuth: 'required' },
      ],
      plainUsers: { admin: 'admin-pw', alice: 'alice-pw' },
      scramUsers: { strait: 'scram-pw' },
      tls: TLS,
    });
    const p = broker(custom);
    assert.match(String(p.get('listeners')), /SASL_SSL:\/\/127\.0\.0\.1:30104,SSL:\/\/127\.0\.0\.1:30105$/);
    assert.match(String(p.get('listener.security.protocol.map')), /SASL_SSL:SASL_SSL,SSL:SSL$/);
    assert.equal(p.get('listener.name.sasl_ssl.sasl.enabled.mechanisms'), 'PLAIN,SCRAM-SHA-512');
    assert.equal(p.get('listener.name.sasl_ssl.plain.sasl.jaas.config'), 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-pw" user_alice="alice-pw";');
    assert.equal(p.get('listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config'), 'org.apache.kafka.common.security.scram.ScramLoginModule required;');
    assert.equal(p.get('listener.name.ssl.ssl.client.auth'), 'required');
    assert.equal(p.get('ssl.keystore.type'), 'PEM');
    assert.equal(p.get('ssl.keystore.location'), TLS.keystoreFile);
    assert.equal(p.get('ssl.truststore.location'), TLS.truststoreFile);
    assert.equal(p.get('ssl.key.password'), undefined, 'an unencrypted broker key needs no password');
    assert.equal(p.get('authorizer.class.name'), 'org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    assert.equal(p.get('super.users'), 'User:admin;User:ANONYMOUS');
    assert.equal(p.get('allow.everyone.if.no.acl.found'), false);
    // SCRAM users come in at format time, in an argument file (no password on a command line).
    assert.deepEqual(custom.formatArguments, ['--add-scram', 'SCRAM-SHA-512=[name=strait,password=scram-pw]']);
  });

  void test('the SASL/PLAIN-only form is unchanged', () => {
    const p = broker(saslPlainCustomization({ port: 30104, users: { admin: 'a-pw' } }));
    assert.equal(p.get('sasl.enabled.mechanisms'), 'PLAIN');
    assert.equal(p.get('listener.name.sasl_plaintext.sasl.enabled.mechanisms'), 'PLAIN');
    assert.equal(p.get('ssl.keystore.location'), undefined);
  });

  void test('mistakes are refused, and never quote a password', () => {
    assert.throws(() => secureCustomization({ listeners: [{ port: 1, protocol: 'SSL' }] }), /uses TLS, but no broker certificate/);
    assert.throws(() => secureCustomization({ listeners: [{ port: 1, protocol: 'SASL_PLAINTEXT', clientAuth: 'required' }], plainUsers: { a: 'b' } }), /has no TLS/);
    assert.throws(() => secureCustomization({ listeners: [{ port: 1, protocol: 'SASL_PLAINTEXT' }] }), /needs at least one PLAIN or SCRAM-SHA-512 user/);
    assert.throws(() => secureCustomization({ listeners: [{ port: 1, protocol: 'SASL_PLAINTEXT', mechanisms: ['SCRAM-SHA-512'] }], plainUsers: { a: 'b' } }), /no SCRAM users/);
    assert.throws(
      () => secureCustomization({ listeners: [{ port: 1, protocol: 'SASL_PLAINTEXT' }], scramUsers: { strait: 'has,comma' } }),
      (e: Error) => e instanceof SandboxError && /password of SCRAM-SHA-512 user "strait"/.test(e.message) && !e.message.includes('has,comma'),
    );
  });

  void test('a format argument with whitespace is refused without quoting it', () => {
    const config: ClusterConfig = { name: 's', port: 30100, controllerPort: 30101, dir: '/d', dataDir: '/d/data', logDir: '/d/logs', formatArguments: ['--add-scram', 'pw with space'] };
    assert.throws(() => validateClusterConfig(config), (e: Error) => /format argument 2/.test(e.message) && !e.message.includes('with space'));
    assert.deepEqual(scramFormatArguments({}), []);
  });

  void test('client properties for SCRAM over TLS and for mTLS', () => {
    const tls = { caFile: '/t/ca.pem', certFile: '/t/c.pem', keyFile: '/t/c-key.pem', keyPassword: 'kp' };
    assert.deepEqual(saslSslClientProperties('h:1', 'strait', 'pw', { caFile: '/t/ca.pem' }), {
      'bootstrap.servers': 'h:1',
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.username': 'strait',
      'sasl.password': 'pw',
      'ssl.ca.location': '/t/ca.pem',
    });
    assert.deepEqual(sslClientProperties('h:2', tls), {
      'bootstrap.servers': 'h:2',
      'security.protocol': 'SSL',
      'ssl.ca.location': '/t/ca.pem',
      'ssl.certificate.location': '/t/c.pem',
      'ssl.key.location': '/t/c-key.pem',
      'ssl.key.password': 'kp',
    });
  });
});

void describe('certificates', () => {
  void test('a CA and a certificate it signs, valid for 127.0.0.1, with an encrypted key; made once', async () => {
    const ca = await ensureCertificateAuthority(path.join(root, 'ca'));
    const dir = path.join(root, 'client');
    const cert = await ensureCertificate(ca, dir, 'strait', { commonName: 'strait', keyPassphrase: 'key-pass-1' });
    const verify = await exec('openssl', ['verify', '-CAfile', ca.certFile, '-verify_ip', '127.0.0.1', '-purpose', 'sslserver', cert.certFile]);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    const key = await readFile(cert.keyFile, 'utf8');
    assert.match(key, /BEGIN ENCRYPTED PRIVATE KEY/);
    const opened = await exec('openssl', ['pkey', '-in', cert.keyFile, '-passin', 'pass:key-pass-1', '-noout']);
    assert.equal(opened.code, 0, opened.stderr);
    const wrong = await exec('openssl', ['pkey', '-in', cert.keyFile, '-passin', 'pass:not-it', '-noout']);
    assert.notEqual(wrong.code, 0, 'the passphrase is needed');
    assert.equal((await stat(cert.keyFile)).mode & 0o077, 0, 'only the owner reads the key');
    const keystore = await readFile(cert.keystoreFile, 'utf8');
    assert.equal(keystore.match(/BEGIN CERTIFICATE/g)?.length, 2, 'the keystore holds the key, the certificate and the CA');
    assert.ok(!(await readFile(path.join(dir, 'strait.pem'), 'utf8')).includes('PRIVATE KEY'));
    const before = (await stat(cert.certFile)).mtimeMs;
    await ensureCertificate(ca, dir, 'strait', { commonName: 'strait', keyPassphrase: 'key-pass-1' });
    assert.equal((await stat(cert.certFile)).mtimeMs, before, 'an existing certificate is kept');
  });

  void test('a certificate from another CA does not verify', async () => {
    const ours = await ensureCertificateAuthority(path.join(root, 'ours'));
    const theirs = await ensureCertificateAuthority(path.join(root, 'theirs'), 'another CA');
    const cert = await ensureCertificate(theirs, path.join(root, 'theirs-leaf'), 'broker', { commonName: 'broker' });
    const verify = await exec('openssl', ['verify', '-CAfile', ours.certFile, path.join(root, 'theirs-leaf', 'broker.pem')]);
    assert.notEqual(verify.code, 0);
    assert.ok(cert.keystoreFile.endsWith('broker-keystore.pem'));
  });
});
