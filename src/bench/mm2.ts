/**
 * Apache Kafka's MirrorMaker 2 as the benchmark runs it: dedicated mode
 * (org.apache.kafka.connect.mirror.MirrorMaker <mm2.properties> --clusters <target>), from the
 * same Kafka jars as the sandbox brokers, in two configurations:
 *
 * - `default`: only what a single-node cluster requires (replication factors of 1) and the flow.
 * - `tuned`: what public MM2 tuning guides advise for throughput (Kafka's own docs on producer
 *   and consumer tuning, and the MM2 pages of Aiven, AWS MSK and Strimzi): one task per source
 *   partition (tasks.max defaults to 1), bigger producer batches with a linger so they fill,
 *   lz4 compression, a larger producer buffer, and consumer fetches that bring more per request
 *   and more records per poll. acks stays `all` (the default): a replicator that may lose
 *   acknowledged records is not what anyone tunes for.
 *
 * Where the settings go (MirrorMakerConfig in Kafka 4.x): `<target>.producer.*` becomes the
 * Connect worker's `producer.*`, which the source tasks' producers use; `<source>.consumer.*`
 * becomes the connector's `source.consumer.*`, which MirrorSourceTask's consumer uses;
 * `<source>-><target>.tasks.max` is the connector's tasks.max.
 *
 * `--clusters <target>` runs only the herders that write to the target (the usual deployment,
 * next to the target); without it MM2 would also run a target->source herder for heartbeats.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { kafkaJavaCommand, type KafkaDist } from '../sandbox/kafka-dist.js';
import { renderProperties, type PropertyValue } from '../sandbox/properties.js';
import { ReplicatorProcess } from './replicator.js';

export const MM2_MAIN_CLASS = 'org.apache.kafka.connect.mirror.MirrorMaker';
export const MM2_READY = /Kafka MirrorMaker started/;
/** The heap connect-mirror-maker.sh gives MM2 (KAFKA_HEAP_OPTS="-Xms256M -Xmx2G"). */
export const MM2_HEAP = '2g';
export const MM2_HEAP_START = '-Xms256m';

export type Mm2Profile = 'default' | 'tuned';

export interface Mm2FlowOptions {
  sourceAlias: string;
  targetAlias: string;
  sourceBootstrap: string;
  targetBootstrap: string;
  /** Exact topic names to replicate (names without regex metacharacters but '-'). */
  topics: readonly string[];
  profile: Mm2Profile;
  /** Partitions of the replicated topics (tasks.max of the tuned profile). */
  partitions: number;
}

/** The tuned profile's client settings, with the reason for each (shown in the report). */
export function mm2TunedSettings(partitions: number): { key: string; value: PropertyValue; why: string }[] {
  return [
    { key: 'tasks.max', value: partitions, why: 'one task (consumer + producer) per source partition; the default is 1' },
    { key: 'producer.batch.size', value: 262_144, why: 'bigger batches per partition (default 16384)' },
    { key: 'producer.linger.ms', value: 20, why: 'let batches fill (default 5)' },
    { key: 'producer.compression.type', value: 'lz4', why: 'fewer bytes to the target (default none)' },
    { key: 'producer.buffer.memory', value: 67_108_864, why: 'room for the bigger batches of many partitions (default 32 MiB)' },
    { key: 'consumer.max.poll.records', value: 2_000, why: 'more records per poll (default 500)' },
    { key: 'consumer.max.partition.fetch.bytes', value: 4_194_304, why: 'more per partition per fetch (default 1 MiB)' },
    { key: 'consumer.fetch.max.bytes', value: 52_428_800, why: 'the whole fetch (the default, stated)' },
  ];
}

/** Checks a topic name can go into MM2's `topics` list (a comma-separated list of regexes) as is. */
function literalTopic(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`benchmark topic "${name}" must be letters, digits, '_' and '-' to be a literal MM2 topic pattern`);
  return name;
}

export function mm2Properties(o: Mm2FlowOptions): [string, PropertyValue][] {
  const { sourceAlias: s, targetAlias: t } = o;
  const flow = `${s}->${t}`;
  const entries: [string, PropertyValue][] = [
    ['clusters', `${s}, ${t}`],
    [`${s}.bootstrap.servers`, o.sourceBootstrap],
    [`${t}.bootstrap.servers`, o.targetBootstrap],
    [`${flow}.enabled`, true],
    [`${flow}.topics`, o.topics.map(literalTopic).join(',')],
    [`${t}->${s}.enabled`, false],
    // Single-node clusters: every topic MM2 and its Connect worker create must have one replica.
    ['replication.factor', 1],
    ['checkpoints.topic.replication.factor', 1],
    ['heartbeats.topic.replication.factor', 1],
    ['offset-syncs.topic.replication.factor', 1],
    ['offset.storage.replication.factor', 1],
    ['status.storage.replication.factor', 1],
    ['config.storage.replication.factor', 1],
  ];
  if (o.profile === 'tuned') {
    for (const { key, value } of mm2TunedSettings(o.partitions)) {
      if (key === 'tasks.max') entries.push([`${flow}.tasks.max`, value]);
      else if (key.startsWith('producer.')) entries.push([`${t}.${key}`, value]);
      else entries.push([`${s}.${key}`, value]);
    }
  }
  return entries;
}

function mm2Log4j2(logFile: string): string {
  return renderProperties(
    [
      ['status', 'warn'],
      ['name', 'strait-bench-mm2'],
      ['appender.file.type', 'File'],
      ['appender.file.name', 'FILE'],
      ['appender.file.fileName', logFile],
      ['appender.file.layout.type', 'PatternLayout'],
      ['appender.file.layout.pattern', '[%d] %p %m (%c)%n'],
      ['rootLogger.level', 'INFO'],
      ['rootLogger.appenderRef.file.ref', 'FILE'],
    ],
    ['Written by strait bench: MirrorMaker 2 logs to one file.'],
  );
}

export interface Mm2Launch {
  dist: KafkaDist;
  /** Folder for mm2.properties, its log4j2 file and logs. */
  dir: string;
  flow: Mm2FlowOptions;
}

/** Writes the configuration and starts MM2; readiness is `Kafka MirrorMaker started` in mm2.log. */
export async function startMm2(o: Mm2Launch): Promise<ReplicatorProcess> {
  const propsFile = path.join(o.dir, 'mm2.properties');
  const log4jFile = path.join(o.dir, 'mm2-log4j2.properties');
  const logFile = path.join(o.dir, 'mm2.log');
  await writeFile(propsFile, renderProperties(mm2Properties(o.flow), [`Written by strait bench: MirrorMaker 2, ${o.flow.profile} profile.`]));
  // Relative to MM2's working folder (the run's folder): no machine path in the kept files.
  await writeFile(log4jFile, mm2Log4j2(path.basename(logFile)));
  const launch = kafkaJavaCommand(o.dist, {
    mainClass: MM2_MAIN_CLASS,
    args: [propsFile, '--clusters', o.flow.targetAlias],
    heap: MM2_HEAP,
    log4jConfig: log4jFile,
    logsDir: o.dir,
    jvmOptions: [MM2_HEAP_START, '-Dstrait.bench=mm2'],
  });
  return new ReplicatorProcess({
    name: `MM2 (${o.flow.profile})`,
    command: launch.command,
    args: launch.args,
    cwd: o.dir,
    outputFile: path.join(o.dir, 'mm2.out'),
    logFile,
    ready: MM2_READY,
  });
}
