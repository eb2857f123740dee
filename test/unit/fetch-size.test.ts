// The partition fetch size follows the source's distance: small next to it (memory), large far from it (throughput).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterConfig } from '../../src/config/types.js';
import { FAR_PARTITION_FETCH_BYTES, FAR_SOURCE_RTT_MS, NEAR_PARTITION_FETCH_BYTES, partitionFetchBytesFor, producerConfig, workerConsumerConfig } from '../../src/kafka/client-config.js';
import { measureRtt, RTT_SAMPLES } from '../../src/engine/source-rtt.js';
import { defaultClientSettings, flowClientSettings } from '../../src/plan/settings.js';
import type { FlowConfig } from '../../src/config/types.js';

const cluster = (over: Partial<ClusterConfig> = {}): ClusterConfig => ({ 'bootstrap.servers': 'localhost:9092', properties: {}, ...over }) as ClusterConfig;

test('a near source gets 512 KiB partition fetches, a far or unmeasured one 4 MiB', () => {
  assert.equal(partitionFetchBytesFor(0.4), NEAR_PARTITION_FETCH_BYTES);
  assert.equal(partitionFetchBytesFor(FAR_SOURCE_RTT_MS - 0.1), NEAR_PARTITION_FETCH_BYTES);
  assert.equal(partitionFetchBytesFor(FAR_SOURCE_RTT_MS), FAR_PARTITION_FETCH_BYTES);
  assert.equal(partitionFetchBytesFor(50), FAR_PARTITION_FETCH_BYTES);
  assert.equal(partitionFetchBytesFor(undefined), FAR_PARTITION_FETCH_BYTES);
  assert.equal(workerConsumerConfig(cluster(), 'g', 'c', 1)['max.partition.fetch.bytes'], 524_288);
  assert.equal(workerConsumerConfig(cluster(), 'g', 'c', 50)['max.partition.fetch.bytes'], 4_194_304);
});

test("the user's partition fetch size wins, under either of librdkafka's names and at either level", () => {
  assert.equal(workerConsumerConfig(cluster({ properties: { 'max.partition.fetch.bytes': '2000000' } }), 'g', 'c', 50)['max.partition.fetch.bytes'], '2000000');
  assert.equal(workerConsumerConfig(cluster({ consumer: { 'max.partition.fetch.bytes': '3000000' } }), 'g', 'c', 1)['max.partition.fetch.bytes'], '3000000');
  const alias = workerConsumerConfig(cluster({ properties: { 'fetch.message.max.bytes': '500000' } }), 'g', 'c', 1);
  assert.equal(alias['fetch.message.max.bytes'], '500000');
  assert.equal(alias['max.partition.fetch.bytes'], undefined);
});

test("a setting the user gave under librdkafka's other name replaces strait's default instead of meeting it", () => {
  const producer = producerConfig(cluster({ producer: { 'queue.buffering.max.ms': '20', 'compression.codec': 'zstd' } }), 'c');
  assert.equal(producer['queue.buffering.max.ms'], '20');
  assert.equal(producer['linger.ms'], undefined);
  assert.equal(producer['compression.codec'], 'zstd');
  assert.equal(producer['compression.type'], undefined);
  // Defaults the user did not touch stay.
  assert.equal(producer['batch.size'], 1_000_000);
  assert.equal(producerConfig(cluster(), 'c')['linger.ms'], 1);
});

test('the round trip is the smallest of the timed pings after the first, and undefined when a ping fails', async () => {
  const durations = [90, 12, 7, 9]; // the first pays for the connection
  let clock = 0;
  let calls = 0;
  const rtt = await measureRtt(
    () => {
      clock += durations[calls++];
      return Promise.resolve();
    },
    () => clock,
  );
  assert.equal(calls, 1 + RTT_SAMPLES);
  assert.equal(rtt, 7);
  let n = 0;
  assert.equal(await measureRtt(() => (++n === 3 ? Promise.reject(new Error('no broker answered')) : Promise.resolve())), undefined);
});

test("strait plan bounds memory with the fetch size strait picks for the source's distance", () => {
  assert.equal(defaultClientSettings().maxPartitionFetchBytes, NEAR_PARTITION_FETCH_BYTES);
  assert.equal(defaultClientSettings(80).maxPartitionFetchBytes, FAR_PARTITION_FETCH_BYTES);
  const flow = { name: 'a->b', source: 'a', target: 'b', groupId: 'g' } as FlowConfig;
  const clusters = new Map([
    ['a', cluster()],
    ['b', cluster()],
  ]);
  const far = flowClientSettings(flow, clusters, 100_000, 80);
  assert.equal(far.maxPartitionFetchBytes, FAR_PARTITION_FETCH_BYTES);
  // strait's own choice is not reported as an override of the configuration.
  assert.match(far.origin, /no override/);
  const set = flowClientSettings(flow, new Map([...clusters, ['a', cluster({ properties: { 'max.partition.fetch.bytes': '2000000' } })]]), 100_000, 80);
  assert.equal(set.maxPartitionFetchBytes, 2_000_000);
  assert.match(set.origin, /max\.partition\.fetch\.bytes from a/);
});
