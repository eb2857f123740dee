/**
 * MM2 drop-in check: records written with strait's encoders (src/mirror/formats.ts) into real
 * internal topics are read by Kafka's own MirrorMaker 2 client code (RemoteClusterUtils,
 * Checkpoint/Heartbeat/OffsetSync.deserializeRecord, run by test/java/Mm2Check.java), which must
 * answer what we meant; strait's TypeScript client (src/mirror/client.ts) must give the same
 * answers; and MM2's serialisers must produce exactly our bytes.
 *
 * The target cluster is shared with other tests, so every alias is unique to this run and the
 * assertions look only at topics and clusters named after them ("heartbeats" itself is a fixed
 * name and may hold other tests' records).
 *
 * Replication graph the topic names describe, as seen from the target (alias T):
 *   up -> T               (up.heartbeats, and heartbeats with key up -> T)
 *   far -> mid -> T       (mid.far.heartbeats)
 *   up -> mid -> T        (mid.up.heartbeats: a longer way from up, so hops(up) stays 1)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { rdkafka, type RdError } from '../../src/kafka/binding.js';
import { readPartitionToEnd, type RawRecord } from '../../src/kafka/reader.js';
import { openMirrorClient, type MirrorClient, type TranslatedOffset } from '../../src/mirror/client.js';
import {
  decodeCheckpoint,
  decodeHeartbeat,
  decodeOffsetSync,
  encodeCheckpoint,
  encodeHeartbeat,
  encodeOffsetSync,
  type Checkpoint,
  type Heartbeat,
  type Mm2RecordBytes,
  type OffsetSync,
} from '../../src/mirror/formats.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { mm2Check, type Mm2CheckAnswer, type Mm2CheckRequest } from '../helpers/java.js';

/** Produces raw key/value bytes to partition 0 and waits until every record is acknowledged. */
async function produceRaw(bootstrap: string, topic: string, records: (Mm2RecordBytes | { key: Buffer; value: Buffer })[]): Promise<void> {
  const producer = new rdkafka.Producer({ 'bootstrap.servers': bootstrap, 'enable.idempotence': true, dr_cb: true });
  let acked = 0;
  let failed: string | undefined;
  producer.on('delivery-report', (err: RdError | null) => {
    if (err) failed = err.message;
    acked++;
  });
  producer.setPollInterval(5);
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(new Error(err.message)) : resolve())));
  try {
    for (const r of records) producer.produce(topic, 0, r.value, r.key, Date.now());
    await new Promise<void>((resolve, reject) => producer.flush(30_000, (err) => (err ? reject(new Error(err.message)) : resolve())));
    for (let i = 0; i < 500 && acked < records.length; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
  if (failed) throw new Error(`producing to ${topic} failed: ${failed}`);
  assert.equal(acked, records.length, `all records to ${topic} acknowledged`);
}

const hex = (b: Buffer | null): string => (b === null ? '' : b.toString('hex'));

/** Java prints int64 values as decimal strings; compare with ours the same way. */
function asJava(record: object): Record<string, string | number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === 'number' && k !== 'partition' ? String(v) : (v as string | number)]));
}

function javaOffsets(offsets: readonly TranslatedOffset[]): Mm2CheckAnswer['offsets'] {
  return offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset), metadata: o.metadata }));
}

void describe('MM2 compatibility: Kafka’s MirrorMaker 2 client reads what strait writes', { timeout: 5 * 60_000 }, () => {
  const run = uniqueName('mm2');
  // Aliases must not contain the policy separator ".": uniqueName gives "<prefix>-<time>-<hex>".
  const up = `${run}-up`;
  const mid = `${run}-mid`;
  const far = `${run}-far`;
  const targetAlias = `${run}-tgt`;
  const group = `${run}-group`;
  const otherGroup = `${run}-other`;

  const heartbeatTopics = [`${up}.heartbeats`, `${mid}.${far}.heartbeats`, `${mid}.${up}.heartbeats`];
  const checkpointsTopic = `${up}.checkpoints.internal`;
  const offsetSyncsTopic = `mm2-offset-syncs.${targetAlias}.internal`;
  const ordersTopic = `${up}.orders`;
  const paymentsTopic = `${up}.payments`;
  // Topic names in checkpoint keys are only strings; a non-ASCII one checks UTF-8 byte lengths.
  const unicodeTopic = `${up}.ünïcödé`;

  const heartbeats: Record<string, Heartbeat> = {
    heartbeats: { sourceClusterAlias: up, targetClusterAlias: targetAlias, timestamp: Date.now() },
    [`${up}.heartbeats`]: { sourceClusterAlias: far, targetClusterAlias: up, timestamp: Date.now() - 1 },
    [`${mid}.${far}.heartbeats`]: { sourceClusterAlias: far, targetClusterAlias: mid, timestamp: Date.now() - 2 },
    [`${mid}.${up}.heartbeats`]: { sourceClusterAlias: up, targetClusterAlias: mid, timestamp: Date.now() - 3 },
  };
  const cp = (c: Partial<Checkpoint>): Checkpoint => ({ consumerGroupId: group, topic: ordersTopic, partition: 0, upstreamOffset: 0, downstreamOffset: 0, metadata: '', ...c });
  // In log order. MirrorClient keeps the last checkpoint per partition, even a lower one.
  const checkpointRecords: Mm2RecordBytes[] = [
    encodeCheckpoint(cp({ partition: 0, upstreamOffset: 10, downstreamOffset: 8 })),
    encodeCheckpoint(cp({ partition: 1, upstreamOffset: 20, downstreamOffset: 19, metadata: 'm1' })),
    encodeCheckpoint(cp({ consumerGroupId: otherGroup, partition: 0, upstreamOffset: 99, downstreamOffset: 97 })),
    encodeCheckpoint(cp({ partition: 0, upstreamOffset: 30, downstreamOffset: 28 })),
    // Not a checkpoint: the value ends after the version. Java skips it (SchemaException), so do we.
    { key: encodeCheckpoint(cp({ partition: 0 })).key, value: Buffer.from([0, 0]) },
    encodeCheckpoint(cp({ partition: 0, upstreamOffset: 5, downstreamOffset: 4 })),
    encodeCheckpoint(cp({ topic: paymentsTopic, partition: 0, upstreamOffset: 7, downstreamOffset: 7, metadata: 'ü-meta' })),
    encodeCheckpoint(cp({ topic: unicodeTopic, partition: 2, upstreamOffset: 1_000_000_000_000, downstreamOffset: 999_999_999_990 })),
  ];
  const expectedGroup: Mm2CheckAnswer['offsets'] = [
    { topic: ordersTopic, partition: 0, offset: '4', metadata: '' },
    { topic: ordersTopic, partition: 1, offset: '19', metadata: 'm1' },
    { topic: paymentsTopic, partition: 0, offset: '7', metadata: 'ü-meta' },
    { topic: unicodeTopic, partition: 2, offset: '999999999990', metadata: '' },
  ];
  const offsetSyncs: OffsetSync[] = [
    { topic: 'orders', partition: 0, upstreamOffset: 0, downstreamOffset: 0 },
    { topic: 'orders', partition: 0, upstreamOffset: 4_242, downstreamOffset: 4_240 },
  ];
  // One record of each format for MM2's serialisers to write: ours must be identical.
  const samples = {
    heartbeat: { sourceClusterAlias: 'ä😀', targetClusterAlias: targetAlias, timestamp: 1_700_000_000_000 } satisfies Heartbeat,
    checkpoint: cp({ topic: unicodeTopic, partition: 7, upstreamOffset: 2 ** 40, downstreamOffset: 3, metadata: 'commit metadata ✓' }),
    'offset-sync': { topic: 'orders', partition: 2_147_483_647, upstreamOffset: Number.MAX_SAFE_INTEGER, downstreamOffset: 1 } satisfies OffsetSync,
  };
  const noneAlias = `${run}-none`;

  let targetAdmin: KafkaAdmin | undefined;
  let sourceAdmin: KafkaAdmin | undefined;
  let client: MirrorClient | undefined;
  const skipped: number[] = [];
  const stored: { heartbeat?: RawRecord; checkpoints?: RawRecord[]; offsetSyncs?: RawRecord[] } = {};
  let java: Mm2CheckAnswer[] = [];
  const requests: Mm2CheckRequest[] = [];
  const ask = (r: Mm2CheckRequest): number => requests.push(r) - 1;
  const answer = (i: number): Mm2CheckAnswer => {
    const a = java[i];
    assert.equal(a.error, undefined, `Java ${a.op} failed: ${a.error}`);
    return a;
  };
  const idx = {
    translate: -1,
    translateOther: -1,
    translateNobody: -1,
    hops: {} as Record<string, number>,
    upstream: -1,
    heartbeatTopics: -1,
    checkpointTopics: -1,
    decodeHeartbeat: -1,
    decodeCheckpoints: [] as number[],
    decodeOffsetSyncs: [] as number[],
    decodeTruncated: -1,
    encode: {} as Record<string, number>,
  };

  before(async () => {
    const clusters = await getClusters();
    targetAdmin = new KafkaAdmin('target', { 'bootstrap.servers': clusters.target.bootstrap });
    sourceAdmin = new KafkaAdmin('source', { 'bootstrap.servers': clusters.source.bootstrap });
    // As MM2 creates them: one partition, compacted.
    const compact = { 'cleanup.policy': 'compact' };
    for (const topic of ['heartbeats', ...heartbeatTopics, checkpointsTopic]) await targetAdmin.createTopic(topic, 1, 1, compact);
    // Offset syncs live on the source cluster by default (offset-syncs.topic.location=source).
    await sourceAdmin.createTopic(offsetSyncsTopic, 1, 1, compact);

    for (const [topic, hb] of Object.entries(heartbeats)) await produceRaw(clusters.target.bootstrap, topic, [encodeHeartbeat(hb)]);
    await produceRaw(clusters.target.bootstrap, checkpointsTopic, checkpointRecords);
    await produceRaw(clusters.source.bootstrap, offsetSyncsTopic, offsetSyncs.map(encodeOffsetSync));

    // The bytes as the brokers store them, read back with strait's reader.
    const target = { 'bootstrap.servers': clusters.target.bootstrap };
    stored.heartbeat = (await readPartitionToEnd('target', target, `${up}.heartbeats`))[0];
    stored.checkpoints = await readPartitionToEnd('target', target, checkpointsTopic);
    stored.offsetSyncs = await readPartitionToEnd('source', { 'bootstrap.servers': clusters.source.bootstrap }, offsetSyncsTopic);

    idx.translate = ask({ op: 'translateOffsets', remoteClusterAlias: up, consumerGroupId: group, timeoutMs: 30_000 });
    idx.translateOther = ask({ op: 'translateOffsets', remoteClusterAlias: up, consumerGroupId: otherGroup, timeoutMs: 30_000 });
    idx.translateNobody = ask({ op: 'translateOffsets', remoteClusterAlias: up, consumerGroupId: `${run}-nobody`, timeoutMs: 30_000 });
    for (const alias of [up, mid, far, targetAlias, noneAlias]) idx.hops[alias] = ask({ op: 'replicationHops', sourceClusterAlias: alias });
    idx.upstream = ask({ op: 'upstreamClusters' });
    idx.heartbeatTopics = ask({ op: 'heartbeatTopics' });
    idx.checkpointTopics = ask({ op: 'checkpointTopics' });
    idx.decodeHeartbeat = ask({ op: 'decode', format: 'heartbeat', key: hex(stored.heartbeat.key), value: hex(stored.heartbeat.value) });
    for (const r of stored.checkpoints) {
      // The one malformed record is asked about separately below.
      if (r.value?.length === 2) continue;
      idx.decodeCheckpoints.push(ask({ op: 'decode', format: 'checkpoint', key: hex(r.key), value: hex(r.value) }));
    }
    for (const r of stored.offsetSyncs) idx.decodeOffsetSyncs.push(ask({ op: 'decode', format: 'offset-sync', key: hex(r.key), value: hex(r.value) }));
    idx.decodeTruncated = ask({ op: 'decode', format: 'checkpoint', key: hex(checkpointRecords[4].key), value: hex(checkpointRecords[4].value) });
    for (const [format, record] of Object.entries(samples)) idx.encode[format] = ask({ op: 'encode', format: format as keyof typeof samples, record: asJava(record) });
    java = await mm2Check({ 'bootstrap.servers': clusters.target.bootstrap }, requests, { timeoutMs: 150_000 });

    client = openMirrorClient('target', target, { onSkippedRecord: (_problem, _topic, record) => skipped.push(record.offset) });
  });

  after(async () => {
    client?.close();
    // "heartbeats" stays: its name is shared with other tests and with anything else on the cluster.
    for (const topic of [...heartbeatTopics, checkpointsTopic]) await targetAdmin?.deleteTopic(topic).catch(() => undefined);
    await sourceAdmin?.deleteTopic(offsetSyncsTopic).catch(() => undefined);
    targetAdmin?.close();
    sourceAdmin?.close();
  });

  test('the stored bytes are exactly the encoded ones', () => {
    assert.equal(hex(stored.heartbeat?.key ?? null), hex(encodeHeartbeat(heartbeats[`${up}.heartbeats`]).key));
    assert.deepEqual(stored.checkpoints?.map((r) => [hex(r.key), hex(r.value)]), checkpointRecords.map((r) => [hex(r.key), hex(r.value)]));
    assert.deepEqual(stored.offsetSyncs?.map((r) => decodeOffsetSync({ key: r.key as Buffer, value: r.value as Buffer })), offsetSyncs);
  });

  test('MM2’s serialisers write exactly the bytes strait writes', () => {
    const ours = { heartbeat: encodeHeartbeat(samples.heartbeat), checkpoint: encodeCheckpoint(samples.checkpoint), 'offset-sync': encodeOffsetSync(samples['offset-sync']) };
    for (const [format, bytes] of Object.entries(ours)) {
      const a = answer(idx.encode[format]);
      assert.equal(a.key, hex(bytes.key), `${format} key`);
      assert.equal(a.value, hex(bytes.value), `${format} value`);
    }
  });

  test('Java decodes one stored record of each format to what was encoded', () => {
    assert.ok(stored.heartbeat && stored.checkpoints && stored.offsetSyncs);
    assert.deepEqual(answer(idx.decodeHeartbeat).record, asJava(heartbeats[`${up}.heartbeats`]));
    assert.deepEqual(answer(idx.decodeHeartbeat).record, asJava(decodeHeartbeat({ key: stored.heartbeat.key as Buffer, value: stored.heartbeat.value as Buffer })));
    const goodCheckpoints = stored.checkpoints.filter((r) => r.value?.length !== 2);
    assert.deepEqual(
      idx.decodeCheckpoints.map((i) => answer(i).record),
      goodCheckpoints.map((r) => asJava(decodeCheckpoint({ key: r.key as Buffer, value: r.value as Buffer }))),
    );
    assert.equal(idx.decodeCheckpoints.length, 7);
    assert.deepEqual(
      idx.decodeOffsetSyncs.map((i) => answer(i).record),
      offsetSyncs.map((o) => asJava(o)),
    );
  });

  test('Java and strait both refuse a truncated checkpoint value', () => {
    assert.match(java[idx.decodeTruncated].error ?? '', /SchemaException: Error reading field 'upstreamOffset'/);
    assert.throws(() => decodeCheckpoint(checkpointRecords[4]), /value field "upstreamOffset": INT64 needs 8 bytes/);
  });

  test('translateOffsets: the last checkpoint per partition, as Java and strait both read it', async () => {
    assert.ok(client);
    assert.deepEqual(answer(idx.translate).offsets, expectedGroup);
    assert.deepEqual(javaOffsets(await client.translateOffsets(up, group)), expectedGroup);
    assert.deepEqual(skipped, [4], 'strait skipped the malformed record, as Java does');

    const other = [{ topic: ordersTopic, partition: 0, offset: '97', metadata: '' }];
    assert.deepEqual(answer(idx.translateOther).offsets, other);
    assert.deepEqual(javaOffsets(await client.translateOffsets(up, otherGroup)), other);

    assert.deepEqual(answer(idx.translateNobody).offsets, []);
    assert.deepEqual(await client.translateOffsets(up, `${run}-nobody`), []);
  });

  test('replicationHops from heartbeats topic names', async () => {
    assert.ok(client);
    const expected: Record<string, number> = { [up]: 1, [mid]: 1, [far]: 2, [targetAlias]: -1, [noneAlias]: -1 };
    for (const [alias, hops] of Object.entries(expected)) {
      assert.equal(answer(idx.hops[alias]).hops, hops, `Java hops from ${alias}`);
      assert.equal(await client.replicationHops(alias), hops, `strait hops from ${alias}`);
    }
  });

  test('upstreamClusters, heartbeatTopics and checkpointTopics (this run’s names)', async () => {
    assert.ok(client);
    const ours = (names: readonly string[] | undefined): string[] => (names ?? []).filter((n) => n.includes(run)).sort();
    assert.deepEqual(ours(answer(idx.upstream).clusters), [far, mid, up].sort());
    assert.deepEqual(ours(await client.upstreamClusters()), [far, mid, up].sort());

    assert.ok(answer(idx.heartbeatTopics).topics?.includes('heartbeats'));
    assert.ok((await client.heartbeatTopics()).includes('heartbeats'));
    assert.deepEqual(ours(answer(idx.heartbeatTopics).topics), [...heartbeatTopics].sort());
    assert.deepEqual(ours(await client.heartbeatTopics()), [...heartbeatTopics].sort());

    assert.deepEqual(ours(answer(idx.checkpointTopics).topics), [checkpointsTopic]);
    assert.deepEqual(ours(await client.checkpointTopics()), [checkpointsTopic]);
  });

  test('strait’s client names the problem when there are no checkpoints from a cluster', async () => {
    assert.ok(client);
    await assert.rejects(client.translateOffsets(noneAlias, group), new RegExp(`no checkpoints from cluster "${noneAlias}" here`));
  });
});
