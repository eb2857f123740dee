import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALLOCATOR_SLACK_MIN_BYTES, ALLOCATOR_SLACK_SHARE, allocatorSlack, CONSUMED_RECORD_OVERHEAD_BYTES, PRODUCED_RECORD_OVERHEAD_BYTES, workerMemoryBound } from '../../src/plan/memory.js';
import { RELAY_BATCH_RECORDS } from '../../src/engine/relay-batch.js';
import { defaultClientSettings } from '../../src/plan/settings.js';

const term = (m: ReturnType<typeof workerMemoryBound>, name: string): number => {
  const t = m.terms.find((x) => x.name === name);
  assert.ok(t, `no term "${name}"`);
  return t.bytes;
};

const clients = { ...defaultClientSettings(), queuedMaxMessagesKbytes: 16_384, queuedMinMessages: 20_000, queueBufferingMaxKbytes: 32_768, maxInFlightRecords: 100_000, fetchMaxBytes: 52_428_800, maxPartitionFetchBytes: 4_194_304, batchSize: 1_000_000, maxInFlight: 5, compression: 'lz4' };

test('the terms add up to the bound', () => {
  const m = workerMemoryBound(clients, 1032, 4, 0.5);
  assert.equal(m.bytes, m.terms.reduce((s, t) => s + t.bytes, 0));
});

test('small records: the consumer queue stops at queued.min.messages, and each record costs an rd_kafka_op_t', () => {
  const m = workerMemoryBound(clients, 100, 4, 1);
  assert.equal(term(m, 'consumer queue'), 20_000 * 100);
  // 20,000 queued plus one uncompressed fetch response (4 partitions x 4 MiB) of 100 B records.
  assert.equal(term(m, 'per consumed record'), (20_000 + (4 * 4_194_304) / 100) * CONSUMED_RECORD_OVERHEAD_BYTES);
});

test('large records: the consumer queue stops at queued.max.messages.kbytes', () => {
  const m = workerMemoryBound(clients, 10_240, 4, 1);
  assert.equal(term(m, 'consumer queue'), 16_384 * 1024);
});

test('the fetch overshoot is one response, held compressed and decompressed', () => {
  assert.equal(term(workerMemoryBound(clients, 1032, 4, 0.5), 'fetch overshoot'), 4 * 4_194_304 * (1 + 2));
  // fetch.max.bytes caps a response over many partitions.
  assert.equal(term(workerMemoryBound(clients, 1032, 100, 1), 'fetch overshoot'), 2 * 52_428_800);
});

test('the producer holds strait\'s in-flight records or librdkafka\'s bytes, whichever is fewer', () => {
  const small = workerMemoryBound(clients, 100, 4, 1);
  assert.equal(term(small, 'producer queue'), (100_000 + RELAY_BATCH_RECORDS) * (100 + PRODUCED_RECORD_OVERHEAD_BYTES));
  const large = workerMemoryBound(clients, 10_240, 4, 1);
  assert.equal(term(large, 'producer queue'), ((32_768 * 1024) / 10_240) * (10_240 + PRODUCED_RECORD_OVERHEAD_BYTES));
});

test('a larger setting raises the bound where it binds', () => {
  // Each setting at a record size where it is the one that binds.
  const cases: [Partial<typeof clients>, number][] = [
    [{ queuedMaxMessagesKbytes: 65_536 }, 1032],
    [{ queuedMinMessages: 100_000 }, 100],
    [{ queueBufferingMaxKbytes: 262_144 }, 10_240],
    [{ maxInFlightRecords: 200_000 }, 100],
    [{ maxPartitionFetchBytes: 8_388_608 }, 1032],
    [{ batchSize: 2_000_000 }, 1032],
  ];
  for (const [more, size] of cases) {
    const base = workerMemoryBound(clients, size, 4, 0.6).bytes;
    assert.ok(workerMemoryBound({ ...clients, ...more }, size, 4, 0.6).bytes > base, JSON.stringify(more));
  }
});

test('the slack is a share of the terms, and never less than the fixed amount measured per worker', () => {
  assert.equal(allocatorSlack(0), ALLOCATOR_SLACK_MIN_BYTES);
  assert.equal(allocatorSlack(1e9), 1e9 * ALLOCATOR_SLACK_SHARE);
});
