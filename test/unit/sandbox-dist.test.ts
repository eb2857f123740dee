import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KAFKA_ARTIFACTS,
  KAFKA_JVM_PERFORMANCE_OPTS,
  KAFKA_VERSION,
  kafkaJavaCommand,
  parseMavenDownload,
  renderPom,
  type KafkaDist,
} from '../../src/sandbox/kafka-dist.js';

void test('the pom pins Kafka 4.2.1, a log4j2 backend for SLF4J 1.x, and keeps the test runtime out', () => {
  const pom = renderPom();
  assert.equal(KAFKA_VERSION, '4.2.1');
  assert.match(pom, /<packaging>pom<\/packaging>/);
  for (const a of ['kafka_2.13', 'kafka-tools', 'connect-mirror', 'connect-mirror-client', 'slf4j-api', 'log4j-api', 'log4j-core', 'log4j-slf4j-impl']) {
    assert.ok(pom.includes(`<artifactId>${a}</artifactId>`), a);
  }
  assert.ok(KAFKA_ARTIFACTS.some((a) => a.artifactId === 'slf4j-api' && a.version.startsWith('1.7.')));
  assert.ok(KAFKA_ARTIFACTS.some((a) => a.artifactId === 'log4j-core' && a.version.startsWith('2.25.')));
  assert.ok(!/logback|reload4j|slf4j-simple|log4j-slf4j2-impl/.test(pom));
  const kafkaDeps = KAFKA_ARTIFACTS.filter((a) => a.groupId === 'org.apache.kafka').length;
  assert.equal(pom.split('<artifactId>kafka-test-common-runtime</artifactId>').length - 1, kafkaDeps);
});

void test('Maven download lines are counted with their sizes', () => {
  assert.deepEqual(parseMavenDownload('[INFO] Downloaded from central: https://repo/x/a.jar (1.5 MB at 3.0 MB/s)'), {
    url: 'https://repo/x/a.jar',
    bytes: 1572864,
  });
  assert.deepEqual(parseMavenDownload('Downloaded from central: https://repo/b.pom (812 B at 20 kB/s)'), { url: 'https://repo/b.pom', bytes: 812 });
  assert.equal(parseMavenDownload('[INFO] Downloading from central: https://repo/x/a.jar'), undefined);
});

void test('java launch: heap, Kafka script flags, log4j, then class path and main class', () => {
  const dist: KafkaDist = { version: '4.2.1', home: '/c', libDir: '/c/lib', classpath: '/c/lib/*', java: '/jdk/bin/java', toolsLog4jConfig: '/c/t.properties' };
  const launch = kafkaJavaCommand(dist, {
    mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker',
    args: ['/w/mm2.properties', '--clusters', 'target'],
    heap: '1g',
    log4jConfig: '/w/log4j2.properties',
    logsDir: '/w/logs',
    jvmOptions: ['-Dx=y'],
  });
  assert.equal(launch.command, '/jdk/bin/java');
  assert.deepEqual(launch.args, [
    '-Xmx1g',
    ...KAFKA_JVM_PERFORMANCE_OPTS,
    '-Dlog4j2.configurationFile=/w/log4j2.properties',
    '-Dkafka.logs.dir=/w/logs',
    '-Dx=y',
    '-cp',
    '/c/lib/*',
    'org.apache.kafka.connect.mirror.MirrorMaker',
    '/w/mm2.properties',
    '--clusters',
    'target',
  ]);
});
