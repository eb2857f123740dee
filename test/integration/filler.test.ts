/**
 * Filler records (offset-preserving alignment, src/kafka/filler.ts) against a real broker: they
 * move a partition's end to exactly the asked offset, and a partition another producer wrote to
 * meanwhile is reported with both offsets instead of being aligned blindly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaAdmin } from '../../src/kafka/admin.js';
import { FILLER_HEADER, writeFillers } from '../../src/kafka/filler.js';
import { readRecordAt } from '../../src/kafka/record-at.js';
import { getClusters, uniqueName } from '../helpers/clusters.js';
import { produceRecords } from '../helpers/records.js';

void test('fillers end the partition exactly at the asked offset; records of another writer are reported, not aligned over', { timeout: 2 * 60_000 }, async (t) => {
  const { target } = await getClusters();
  const config = { 'bootstrap.servers': target.bootstrap };
  const admin = new KafkaAdmin('target', config);
  t.after(() => admin.close());
  const topic = uniqueName('filler');
  await admin.createTopic(topic, 1, 1);

  const ok = await writeFillers('target', config, topic, 0, 0, 5000);
  assert.equal(ok.written, 5000);
  assert.deepEqual([...(await admin.logBounds([{ topic, partition: 0 }])).values()], [{ logStart: 0, end: 5000 }]);
  for (const offset of [0, 4999]) {
    const r = await readRecordAt('target', config, topic, 0, offset);
    assert.ok(r, `a record at ${offset}`);
    assert.equal(r.key, null);
    assert.equal(r.value?.length ?? 0, 0);
    assert.deepEqual(r.headers.map(([name]) => name), [FILLER_HEADER], 'a filler carries only its marker header');
  }

  // Someone else appends 3 records; the fillers' count no longer lands at the asked end.
  await produceRecords(target.bootstrap, topic, 1, 0, 3, topic);
  await assert.rejects(writeFillers('target', config, topic, 0, 5000, 5010), (err: Error) => {
    assert.match(err.message, /after writing filler records up to offset 5009 the partition ends at offset 5013 instead of 5010: another producer wrote to this partition meanwhile/);
    return true;
  });
});
