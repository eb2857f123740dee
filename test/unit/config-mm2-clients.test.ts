/**
 * Java client settings of an MM2 file translated to librdkafka properties: security (TLS, SASL
 * and the JAAS line, whose password never appears in any message), renamed and Java-only client
 * settings, and properties strait sets itself.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, type ConfigProblem } from '../../src/util/errors.js';
import type { LoadedConfig } from '../../src/config/load.js';
import type { Env } from '../../src/config/env.js';
import type { ClusterConfig } from '../../src/config/types.js';
import { parseMm2ConfigWithWarnings } from '../../src/config/mm2.js';

const BASE = 'clusters = east, west\neast.bootstrap.servers = 10.0.0.1:9092\nwest.bootstrap.servers = 10.0.1.1:9092\neast->west.enabled = true\n';
const SECRET = 'Sup3r-s3cret_pw';

function load(text: string, env: Env = {}): LoadedConfig {
  return parseMm2ConfigWithWarnings(text, 'mm2.properties', { env, availableParallelism: 2 });
}

function cluster(text: string, alias = 'east', env: Env = {}): ClusterConfig {
  return load(text, env).config.clusters.get(alias)!;
}

function outcome(text: string): { problems: ConfigProblem[]; warnings: ConfigProblem[]; text: string } {
  try {
    const { warnings } = load(text);
    return { problems: [], warnings, text: JSON.stringify(warnings) };
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { problems: err.problems, warnings: [], text: `${err.message}\n${JSON.stringify(err.problems)}` };
  }
}

function find(list: ConfigProblem[], path: string): ConfigProblem {
  const p = list.find((x) => x.path === path);
  assert.ok(p, `nothing at ${path}: ${JSON.stringify(list, null, 1)}`);
  return p;
}

const scram = (password = SECRET): string => `org.apache.kafka.common.security.scram.ScramLoginModule required username="mirror" password="${password}";`;

void describe('SASL and the JAAS line', () => {
  void test('SCRAM: mechanism, username and password', () => {
    const c = cluster(`${BASE}east.security.protocol = SASL_SSL\neast.sasl.mechanism = SCRAM-SHA-512\neast.sasl.jaas.config = ${scram()}\n`);
    assert.equal(c.properties['security.protocol'], 'SASL_SSL');
    assert.equal(c.properties['sasl.mechanism'], 'SCRAM-SHA-512');
    assert.equal(c.properties['sasl.username'], 'mirror');
    assert.equal(c.properties['sasl.password'], SECRET);
    assert.equal(c.properties['sasl.jaas.config'], undefined);
  });

  void test('PLAIN, over a continuation line, with escapes in the quoted password', () => {
    const c = cluster(
      `${BASE}east.sasl.mechanism = PLAIN\neast.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required \\\n    username="u1" \\\n    password="a\\\\"b";\n`,
    );
    assert.equal(c.properties['sasl.username'], 'u1');
    assert.equal(c.properties['sasl.password'], 'a"b');
  });

  void test('top-level security settings apply to every cluster; a cluster\'s own win', () => {
    const { config } = load(`${BASE}security.protocol = SASL_SSL\nsasl.mechanism = PLAIN\nsasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="all" password="p";\nwest.security.protocol = SSL\n`);
    assert.equal(config.clusters.get('east')!.properties['security.protocol'], 'SASL_SSL');
    assert.equal(config.clusters.get('east')!.properties['sasl.username'], 'all');
    assert.equal(config.clusters.get('west')!.properties['security.protocol'], 'SSL');
    assert.equal(config.clusters.get('west')!.properties['sasl.username'], 'all');
  });

  void test('a JAAS line in a client section; the mechanism may come from the cluster level', () => {
    const loaded = load(`${BASE}east.sasl.mechanism = SCRAM-SHA-256\neast.consumer.sasl.jaas.config = ${scram()}\n`);
    assert.equal(loaded.config.clusters.get('east')!.consumer['sasl.username'], 'mirror');
    assert.deepEqual(loaded.warnings, []);
  });

  void test('the password from an environment variable, inside the JAAS line', () => {
    const env = { MM2_PASSWORD: SECRET };
    const c = cluster(`config.providers = env\nconfig.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider\n${BASE}east.sasl.mechanism = SCRAM-SHA-512\neast.sasl.jaas.config = ${scram('${env:MM2_PASSWORD}')}\n`, 'east', env);
    assert.equal(c.properties['sasl.password'], SECRET);
  });

  void test('a password containing ${ is taken literally, not as a reference', () => {
    const c = cluster(`${BASE}east.sasl.mechanism = PLAIN\neast.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="x\${y}z";\n`);
    assert.equal(c.properties['sasl.password'], 'x${y}z');
  });

  void test('the password is never in any message, whatever goes wrong', () => {
    const broken = [
      `east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="${SECRET}"`,
      `east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="${SECRET}`,
      `east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule sometimes password="${SECRET}";`,
      `east.sasl.jaas.config = ${scram()} ${scram()}`,
      `east.sasl.jaas.config = com.example.Custom required secret="${SECRET}";`,
      `east.sasl.jaas.config = ${scram()}\neast.sasl.mechanism = PLAIN`,
      `east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required password="${SECRET}";`,
      `east.sasl.jaas.config = ${scram()}  # a comment`,
      `east.sasl.password = ${SECRET}\neast.sasl.pasword = ${SECRET}`,
      `east.ssl.keystore.password = ${SECRET}`,
      `east.ssl.truststore.location = /x.jks\neast.ssl.truststore.password = ${SECRET}`,
      `east.producer.sasl.jaas.config = ${scram()}\neast.producer.acks = 0`,
      `sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="${SECRET}"`,
    ];
    for (const lines of broken) {
      const { problems, warnings, text } = outcome(`${BASE}${lines}\n`);
      assert.ok(problems.length + warnings.length > 0, `expected a finding for: ${lines}`);
      assert.doesNotMatch(text, new RegExp(SECRET), lines);
    }
  });

  void test('JAAS errors name the key and give a corrected example line', () => {
    const { problems } = outcome(`${BASE}east.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="x"\n`);
    const p = find(problems, 'east.sasl.jaas.config');
    assert.match(p.message, /cannot be read: the entry does not end with a semicolon/);
    assert.match(p.example ?? '', /^east\.sasl\.jaas\.config = org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required username="strait" password="\$\{env:KAFKA_PASSWORD\}";$/);
    assert.match(find(outcome(`${BASE}east.sasl.jaas.config = ${scram()} ${scram()}\n`).problems, 'east.sasl.jaas.config').message, /names 2 login modules/);
    assert.match(find(outcome(`${BASE}east.sasl.jaas.config = org.apache.kafka.common.security.plain.PlainLoginModule required username="u";\n`).problems, 'east.sasl.jaas.config').message, /no password option/);
  });

  void test('a module that does not fit the mechanism warns', () => {
    const { warnings } = outcome(`${BASE}east.sasl.mechanism = PLAIN\neast.sasl.jaas.config = ${scram()}\n`);
    assert.match(find(warnings, 'east.sasl.jaas.config').message, /ScramLoginModule credentials, but east\.sasl\.mechanism is PLAIN; set it to SCRAM-SHA-256 or SCRAM-SHA-512/);
  });

  void test('OAUTHBEARER with OIDC client credentials', () => {
    const text = `${BASE}east.sasl.mechanism = OAUTHBEARER\neast.sasl.login.callback.handler.class = org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\neast.sasl.oauthbearer.token.endpoint.url = https://idp/token\neast.sasl.jaas.config = org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="mm2" clientSecret="${SECRET}" scope="kafka" extension_logicalCluster="lkc-1";\n`;
    const loaded = load(text);
    const p = loaded.config.clusters.get('east')!.properties;
    assert.equal(p['sasl.oauthbearer.method'], 'oidc');
    assert.equal(p['sasl.oauthbearer.client.id'], 'mm2');
    assert.equal(p['sasl.oauthbearer.client.secret'], SECRET);
    assert.equal(p['sasl.oauthbearer.scope'], 'kafka');
    assert.equal(p['sasl.oauthbearer.extensions'], 'logicalCluster=lkc-1');
    assert.equal(p['sasl.oauthbearer.token.endpoint.url'], 'https://idp/token');
    assert.deepEqual(loaded.warnings, []);
    const missing = outcome(text.replace(/east\.sasl\.oauthbearer\.token\.endpoint\.url.*\n/, ''));
    assert.match(find(missing.problems, 'east.sasl.jaas.config').message, /sasl\.oauthbearer\.token\.endpoint\.url is not set/);
  });

  void test('OAUTHBEARER unsecured development tokens, and Kerberos', () => {
    const o = cluster(`${BASE}east.sasl.mechanism = OAUTHBEARER\neast.sasl.jaas.config = org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";\n`);
    assert.equal(o.properties['enable.sasl.oauthbearer.unsecure.jwt'], 'true');
    assert.equal(o.properties['sasl.oauthbearer.config'], 'principal=alice');
    const k = cluster(
      `${BASE}east.sasl.mechanism = GSSAPI\neast.sasl.kerberos.service.name = kafka\neast.sasl.jaas.config = com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab="/etc/mm2.keytab" principal="mm2@EXAMPLE.COM";\n`,
    );
    assert.equal(k.properties['sasl.kerberos.keytab'], '/etc/mm2.keytab');
    assert.equal(k.properties['sasl.kerberos.principal'], 'mm2@EXAMPLE.COM');
    assert.equal(k.properties['sasl.kerberos.service.name'], 'kafka');
  });

  void test('a mechanism librdkafka lacks is an error; Java login classes warn', () => {
    const { problems } = outcome(`${BASE}east.sasl.mechanism = AWS_MSK_IAM\neast.sasl.jaas.config = software.amazon.msk.auth.iam.IAMLoginModule required;\n`);
    const p = find(problems, 'east.sasl.mechanism');
    assert.match(p.message, /not available in librdkafka/);
    assert.equal(p.example, 'east.sasl.mechanism = SCRAM-SHA-512');
    const { warnings } = outcome(`${BASE}east.sasl.client.callback.handler.class = com.example.Handler\neast.sasl.login.class = com.example.Login\n`);
    assert.match(find(warnings, 'east.sasl.client.callback.handler.class').message, /Java class/);
    assert.match(find(warnings, 'east.sasl.login.class').message, /Java class/);
  });
});

void describe('TLS', () => {
  void test('a PEM truststore becomes ssl.ca.location; PEM text ssl.ca.pem', () => {
    const loaded = load(`${BASE}east.security.protocol = SSL\neast.ssl.truststore.type = PEM\neast.ssl.truststore.location = /etc/ca.pem\nwest.ssl.truststore.certificates = -----BEGIN CERTIFICATE-----\n`);
    assert.equal(loaded.config.clusters.get('east')!.properties['ssl.ca.location'], '/etc/ca.pem');
    assert.equal(loaded.config.clusters.get('west')!.properties['ssl.ca.pem'], '-----BEGIN CERTIFICATE-----');
    assert.deepEqual(loaded.warnings, []);
  });

  void test('a JKS truststore cannot be read: one warning per key, saying how to convert it', () => {
    const loaded = load(`${BASE}east.ssl.truststore.location = /etc/truststore.jks\neast.ssl.truststore.password = changeit\n`);
    assert.equal(loaded.config.clusters.get('east')!.properties['ssl.ca.location'], undefined);
    const w = loaded.warnings.filter((x) => x.path === 'east.ssl.truststore.location');
    assert.equal(w.length, 1);
    assert.match(w[0].message, /JKS truststore, which librdkafka cannot read.*keytool -exportcert.*east\.ssl\.truststore\.type = PEM/);
    assert.equal(loaded.warnings.filter((x) => x.path === 'east.ssl.truststore.password').length, 1);
  });

  void test('keystores: PKCS12 (also a .p12 file without a type) and PEM carry over; JKS warns', () => {
    const p12 = cluster(`${BASE}east.ssl.keystore.type = PKCS12\neast.ssl.keystore.location = /k.bin\neast.ssl.keystore.password = pw\neast.ssl.key.password = kp\n`);
    assert.equal(p12.properties['ssl.keystore.location'], '/k.bin');
    assert.equal(p12.properties['ssl.keystore.password'], 'pw');
    assert.equal(p12.properties['ssl.key.password'], 'kp');
    assert.equal(cluster(`${BASE}east.ssl.keystore.location = /client.p12\n`).properties['ssl.keystore.location'], '/client.p12');
    const pem = cluster(`${BASE}east.ssl.keystore.type = PEM\neast.ssl.keystore.location = /client.pem\n`);
    assert.equal(pem.properties['ssl.certificate.location'], '/client.pem');
    assert.equal(pem.properties['ssl.key.location'], '/client.pem');
    const inline = cluster(`${BASE}east.ssl.keystore.key = KEY\neast.ssl.keystore.certificate.chain = CHAIN\n`);
    assert.equal(inline.properties['ssl.key.pem'], 'KEY');
    assert.equal(inline.properties['ssl.certificate.pem'], 'CHAIN');
    const jks = load(`${BASE}east.ssl.keystore.location = /client.jks\neast.ssl.keystore.password = pw\n`);
    assert.equal(jks.config.clusters.get('east')!.properties['ssl.keystore.location'], undefined);
    assert.match(jks.warnings.find((w) => w.path === 'east.ssl.keystore.location')!.message, /JKS keystore.*-deststoretype PKCS12/);
    assert.equal(jks.warnings.filter((w) => w.path === 'east.ssl.keystore.password').length, 1);
  });

  void test('host name verification: Java\'s empty value is librdkafka\'s none', () => {
    assert.equal(cluster(`${BASE}east.ssl.endpoint.identification.algorithm =\n`).properties['ssl.endpoint.identification.algorithm'], 'none');
    assert.equal(cluster(`${BASE}east.ssl.endpoint.identification.algorithm = HTTPS\n`).properties['ssl.endpoint.identification.algorithm'], 'https');
  });

  void test('Java-only TLS settings warn once each', () => {
    const loaded = load(`${BASE}east.ssl.enabled.protocols = TLSv1.2,TLSv1.3\neast.ssl.protocol = TLSv1.3\neast.ssl.cipher.suites = TLS_AES_256_GCM_SHA384\n`);
    for (const key of ['east.ssl.enabled.protocols', 'east.ssl.protocol', 'east.ssl.cipher.suites']) assert.equal(loaded.warnings.filter((w) => w.path === key).length, 1, key);
    assert.equal(loaded.config.clusters.get('east')!.properties['ssl.cipher.suites'], undefined);
  });
});

void describe('client settings', () => {
  void test('same names pass through to the right section; renamed ones are translated', () => {
    const { config, warnings } = load(
      `${BASE}east.consumer.fetch.max.bytes = 1048576\neast.consumer.fetch.max.wait.ms = 200\neast.consumer.isolation.level = read_committed\neast.consumer.receive.buffer.bytes = -1\nwest.producer.linger.ms = 20\nwest.producer.batch.size = 65536\nwest.producer.compression.type = zstd\nwest.producer.compression.zstd.level = 3\nwest.producer.max.request.size = 2097152\nwest.admin.request.timeout.ms = 1000\n`,
    );
    const east = config.clusters.get('east')!;
    const west = config.clusters.get('west')!;
    assert.deepEqual(east.consumer, { 'fetch.max.bytes': '1048576', 'fetch.wait.max.ms': '200', 'isolation.level': 'read_committed', 'socket.receive.buffer.bytes': '0' });
    assert.deepEqual(west.producer, { 'linger.ms': '20', 'batch.size': '65536', 'compression.type': 'zstd', 'compression.level': '3', 'message.max.bytes': '2097152' });
    // request.timeout.ms is a producer setting in librdkafka: admin clients ignore it.
    assert.deepEqual(west.admin, {});
    assert.deepEqual(
      warnings.map((w) => w.path),
      ['west.admin.request.timeout.ms'],
    );
  });

  void test('auto.offset.reset = none is librdkafka\'s error', () => {
    assert.equal(cluster(`${BASE}east.consumer.auto.offset.reset = none\n`).consumer['auto.offset.reset'], 'error');
  });

  void test('Java-only settings: one warning each, naming the key and what to use instead', () => {
    const loaded = load(`${BASE}east.consumer.max.poll.records = 500\nwest.producer.buffer.memory = 33554432\nwest.producer.key.serializer = org.apache.kafka.common.serialization.ByteArraySerializer\n`);
    const byKey = new Map(loaded.warnings.map((w) => [w.path, w.message]));
    assert.match(byKey.get('east.consumer.max.poll.records') ?? '', /without a librdkafka equivalent.*fetch\.max\.bytes/);
    assert.match(byKey.get('west.producer.buffer.memory') ?? '', /strait\.engine\.maxInFlightRecordsPerWorker/);
    assert.match(byKey.get('west.producer.key.serializer') ?? '', /bytes/);
    assert.equal(loaded.warnings.length, 3);
  });

  void test('a setting for another kind of client is ignored with a warning, as the Java client ignores it', () => {
    const loaded = load(`${BASE}east.consumer.linger.ms = 5\n`);
    assert.deepEqual(loaded.config.clusters.get('east')!.consumer, {});
    assert.match(loaded.warnings[0].message, /is a producer setting in librdkafka, so strait's consumers ignore it/);
  });

  void test('settings strait sets itself: a weaker value is ignored with a warning, the same value is redundant', () => {
    const loaded = load(`${BASE}west.producer.acks = 1\neast.consumer.enable.auto.commit = true\nwest.producer.enable.idempotence = true\n`);
    assert.equal(loaded.config.clusters.get('west')!.producer['acks'], undefined);
    const byKey = new Map(loaded.warnings.map((w) => [w.path, w]));
    assert.match(byKey.get('west.producer.acks')!.message, /is ignored: strait sets all/);
    assert.match(byKey.get('east.consumer.enable.auto.commit')!.message, /is ignored: strait sets false/);
    assert.match(byKey.get('west.producer.enable.idempotence')!.message, /strait already sets true, so this line can be removed/);
  });

  void test('a value out of librdkafka\'s range is an error under the MM2 key, with a properties example', () => {
    const err = (() => {
      try {
        load(`${BASE}west.producer.linger.ms = 5000000\n`);
      } catch (e) {
        return e as ConfigError;
      }
      assert.fail('expected an error');
    })();
    const p = find(err.problems, 'west.producer.linger.ms');
    assert.match(p.message, /expected a number from 0 to 900000/);
    assert.equal(p.example, 'west.producer.linger.ms = 5');
  });

  void test('a renamed setting\'s problem is reported under the key the file used', () => {
    const { problems } = outcome(`${BASE}east.consumer.fetch.max.wait.ms = soon\n`);
    const p = find(problems, 'east.consumer.fetch.max.wait.ms');
    assert.match(p.message, /whole number/);
    assert.match(p.example ?? '', /^east\.consumer\.fetch\.max\.wait\.ms = \d+$/);
  });

  void test('a librdkafka property with no Java namesake at the cluster level is strait\'s to use', () => {
    const c = cluster(`${BASE}east.ssl.ca.location = /etc/ca.pem\neast.socket.keepalive.enable = true\n`);
    assert.equal(c.properties['ssl.ca.location'], '/etc/ca.pem');
    assert.equal(c.properties['socket.keepalive.enable'], 'true');
  });

  void test('secret values are redacted in messages about them', () => {
    const { warnings } = outcome(`${BASE}east.consumer.sasl.password = ${SECRET}\neast.consumer.enable.auto.commit = true\n`);
    assert.doesNotMatch(JSON.stringify(warnings), new RegExp(SECRET));
  });
});
