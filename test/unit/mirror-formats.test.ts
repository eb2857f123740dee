/**
 * MM2's record formats against byte vectors worked out by hand from the Java schema
 * definitions (Heartbeat.java, Checkpoint.java in connect/mirror-client; OffsetSync.java in
 * connect/mirror), then round trips and malformed input.
 *
 * Reminders for reading the vectors: Struct fields are written back to back; INT16/INT32/INT64
 * are big-endian; STRING is an INT16 byte length followed by UTF-8.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCheckpoint,
  decodeCheckpointKey,
  decodeHeartbeat,
  decodeHeartbeatValue,
  decodeOffsetSync,
  decodeOffsetSyncValue,
  encodeCheckpoint,
  encodeCheckpointValue,
  encodeHeartbeat,
  encodeHeartbeatKey,
  encodeOffsetSync,
  Mm2FormatError,
  type Checkpoint,
  type Heartbeat,
  type OffsetSync,
} from '../../src/mirror/formats.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

describe('heartbeat', () => {
  const hb: Heartbeat = { sourceClusterAlias: 'us-west', targetClusterAlias: 'us-east', timestamp: 1_700_000_000_000 };

  test('key: KEY_SCHEMA = sourceClusterAlias STRING, targetClusterAlias STRING', () => {
    // "us-west" is 7 bytes of UTF-8: 75 73 2d 77 65 73 74 -> length 0x0007 then the bytes;
    // "us-east": 75 73 2d 65 61 73 74, also 7 bytes.
    assert.deepEqual(encodeHeartbeat(hb).key, hex('0007 75732d77657374 | 0007 75732d65617374'));
  });

  test('value: HEADER_SCHEMA (version INT16 = 0) then VALUE_SCHEMA_V0 (timestamp INT64)', () => {
    // version 0 -> 00 00; 1 700 000 000 000 = 0x0000018B_CFE56800 as 8 bytes big-endian.
    // 10 bytes in all, as serializeValue allocates HEADER_SCHEMA.sizeOf + VALUE_SCHEMA_V0.sizeOf.
    const value = encodeHeartbeat(hb).value;
    assert.deepEqual(value, hex('0000 | 0000018bcfe56800'));
    assert.equal(value.length, 10);
  });

  test('round trip', () => {
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(hb)), hb);
    const odd: Heartbeat = { sourceClusterAlias: '', targetClusterAlias: 'ä😀', timestamp: 0 };
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(odd)), odd);
  });

  test('decodes the hand-made bytes', () => {
    assert.deepEqual(decodeHeartbeat({ key: hex('0001 61 | 0001 62'), value: hex('0000 | 0000000000000001') }), {
      sourceClusterAlias: 'a',
      targetClusterAlias: 'b',
      timestamp: 1,
    });
  });

  test('refuses an unknown version, a short value and trailing bytes', () => {
    assert.throws(() => decodeHeartbeatValue(hex('0001 | 0000018bcfe56800')), (e: unknown) => {
      assert.ok(e instanceof Mm2FormatError);
      assert.equal(e.format, 'heartbeat');
      assert.equal(e.field, 'version');
      assert.match(e.message, /heartbeat record \(topic heartbeats\) value field "version": version 1 is not supported/);
      return true;
    });
    assert.throws(() => decodeHeartbeatValue(hex('')), /value field "version": INT16 needs 2 bytes at byte 0, but the value is 0 bytes long/);
    assert.throws(() => decodeHeartbeatValue(hex('0000 | 00000000')), /field "timestamp": INT64 needs 8 bytes at byte 2, but the value is 6 bytes long \(4 left\)/);
    assert.throws(() => decodeHeartbeatValue(hex('0000 | 0000000000000001 | 00')), /value: 1 unexpected bytes after the last field/);
  });

  test('the key must hold both strings', () => {
    assert.throws(() => decodeHeartbeat({ key: hex('0001 61'), value: encodeHeartbeat(hb).value }), /key field "targetClusterAlias": STRING needs 2 bytes at byte 3/);
  });
});

describe('checkpoint', () => {
  const cp: Checkpoint = { consumerGroupId: 'g1', topic: 'us-west.orders', partition: 3, upstreamOffset: 100, downstreamOffset: 42, metadata: 'm' };

  test('key: KEY_SCHEMA = group STRING, topic STRING, partition INT32', () => {
    // "g1" = 67 31 (2 bytes); "us-west.orders" = 14 bytes (0x000e); partition 3 = 00 00 00 03.
    assert.deepEqual(encodeCheckpoint(cp).key, hex('0002 6731 | 000e 75732d776573742e6f7264657273 | 00000003'));
  });

  test('value: HEADER_SCHEMA (version INT16 = 0), then upstreamOffset INT64, offset INT64, metadata STRING', () => {
    // version 00 00; upstream 100 = 0x64; downstream 42 = 0x2a; metadata "m" = 00 01 6d.
    assert.deepEqual(encodeCheckpoint(cp).value, hex('0000 | 0000000000000064 | 000000000000002a | 0001 6d'));
    // Empty metadata (what MM2 writes for a commit without any) is a zero length and no bytes.
    assert.deepEqual(encodeCheckpointValue({ upstreamOffset: 0, downstreamOffset: 0, metadata: '' }), hex('0000 | 0000000000000000 | 0000000000000000 | 0000'));
  });

  test('UTF-8 lengths are byte counts, not character counts', () => {
    // "é" is c3 a9 (2 bytes), "😀" is f0 9f 98 80 (4 bytes, 2 UTF-16 code units).
    const key = encodeCheckpoint({ ...cp, consumerGroupId: 'é', topic: '😀', partition: 0 }).key;
    assert.deepEqual(key, hex('0002 c3a9 | 0004 f09f9880 | 00000000'));
  });

  test('negative and large values use two’s complement over the full width', () => {
    // partition -1 = ff ff ff ff; offset -1 = eight ff; 2^53-1 = 0x001fffffffffffff.
    const c = { ...cp, consumerGroupId: '', topic: '', partition: -1, upstreamOffset: Number.MAX_SAFE_INTEGER, downstreamOffset: -1, metadata: '' };
    const bytes = encodeCheckpoint(c);
    assert.deepEqual(bytes.key, hex('0000 | 0000 | ffffffff'));
    assert.deepEqual(bytes.value, hex('0000 | 001fffffffffffff | ffffffffffffffff | 0000'));
    assert.deepEqual(decodeCheckpoint(bytes), c);
  });

  test('round trip', () => {
    assert.deepEqual(decodeCheckpoint(encodeCheckpoint(cp)), cp);
    const long: Checkpoint = { ...cp, metadata: 'x'.repeat(0x7fff), topic: 'ü'.repeat(100) };
    assert.deepEqual(decodeCheckpoint(encodeCheckpoint(long)), long);
  });

  test('malformed keys and values name the field and what is wrong', () => {
    const { key, value } = encodeCheckpoint(cp);
    // The value is 2 + 8 + 8 + (2 + 1) = 21 bytes; metadata's length sits at byte 18, its byte at 20.
    assert.throws(() => decodeCheckpointKey(hex('0005 6731')), /checkpoint record \(topic <source alias>\.checkpoints\.internal\) key field "group": STRING of 5 bytes at byte 2, but only 2 bytes are left/);
    assert.throws(() => decodeCheckpointKey(hex('ffff')), /key field "group": STRING length -1 at byte 0 is negative \(the field is not nullable\)/);
    assert.throws(() => decodeCheckpointKey(key.subarray(0, key.length - 1)), /key field "partition": INT32 needs 4 bytes/);
    assert.throws(() => decodeCheckpoint({ key, value: Buffer.concat([value, hex('00')]) }), /value: 1 unexpected bytes after the last field \(22 bytes, the fields end at byte 21\)/);
    assert.throws(() => decodeCheckpoint({ key, value: value.subarray(0, value.length - 1) }), /value field "metadata": STRING of 1 bytes at byte 20, but only 0 bytes are left/);
    assert.throws(() => decodeCheckpoint({ key, value: hex('0002') }), /value field "version": version 2 is not supported/);
  });

  test('errors say where the record was when told', () => {
    const { key } = encodeCheckpoint(cp);
    assert.throws(
      () => decodeCheckpoint({ key, value: hex('0000') }, { topic: 'us-west.checkpoints.internal', partition: 0, offset: 17 }),
      /MM2 checkpoint record \(topic "us-west\.checkpoints\.internal" partition 0 offset 17\) value field "upstreamOffset"/,
    );
  });

  test('INT64 values beyond 2^53 are refused rather than rounded', () => {
    const { key } = encodeCheckpoint(cp);
    assert.throws(() => decodeCheckpoint({ key, value: hex('0000 | 7fffffffffffffff | 0000000000000000 | 0000') }), /field "upstreamOffset": 9223372036854775807 is outside the range/);
    assert.throws(() => encodeCheckpoint({ ...cp, downstreamOffset: 2 ** 53 }), /field "offset": 9007199254740992 is outside/);
  });

  test('null key or value (a tombstone) is an error, not a crash', () => {
    assert.throws(() => decodeCheckpoint({ key: null as unknown as Buffer, value: hex('') }), /key: expected bytes, got null \(a tombstone\?\)/);
  });
});

describe('offset sync', () => {
  const os: OffsetSync = { topic: 'orders', partition: 0, upstreamOffset: 5, downstreamOffset: 7 };

  test('key: KEY_SCHEMA = topic STRING, partition INT32', () => {
    // "orders" = 6 bytes 6f 72 64 65 72 73; partition 0 = 00 00 00 00.
    assert.deepEqual(encodeOffsetSync(os).key, hex('0006 6f7264657273 | 00000000'));
  });

  test('value: VALUE_SCHEMA = upstreamOffset INT64, offset INT64, with no version header', () => {
    // OffsetSync.serializeValue writes VALUE_SCHEMA alone: 16 bytes.
    assert.deepEqual(encodeOffsetSync(os).value, hex('0000000000000005 | 0000000000000007'));
  });

  test('round trip', () => {
    assert.deepEqual(decodeOffsetSync(encodeOffsetSync(os)), os);
  });

  test('a value with a version header in front (18 bytes) is refused', () => {
    assert.throws(() => decodeOffsetSyncValue(hex('0000 | 0000000000000005 | 0000000000000007')), /offset-sync record \(topic mm2-offset-syncs\.<target alias>\.internal\) value: 2 unexpected bytes/);
  });

  test('a short value is refused', () => {
    assert.throws(() => decodeOffsetSyncValue(hex('0000000000000005')), /value field "offset": INT64 needs 8 bytes at byte 8, but the value is 8 bytes long \(0 left\)/);
  });
});

describe('encoding refuses what Java could not write or read back', () => {
  test('strings longer than 32767 bytes of UTF-8', () => {
    assert.throws(() => encodeHeartbeatKey({ sourceClusterAlias: 'é'.repeat(16_384), targetClusterAlias: 'b' }), /field "sourceClusterAlias": 32768 bytes of UTF-8 is longer than the 32767 bytes/);
  });

  test('unpaired surrogates', () => {
    assert.throws(() => encodeCheckpoint({ consumerGroupId: 'g\ud800', topic: 't', partition: 0, upstreamOffset: 0, downstreamOffset: 0, metadata: '' }), /field "group": the string has an unpaired UTF-16 surrogate/);
  });

  test('partitions outside INT32 and non-integers', () => {
    assert.throws(() => encodeOffsetSync({ topic: 't', partition: 2 ** 31, upstreamOffset: 0, downstreamOffset: 0 }), /field "partition": 2147483648 does not fit in an INT32/);
    assert.throws(() => encodeOffsetSync({ topic: 't', partition: 0, upstreamOffset: 1.5, downstreamOffset: 0 }), /field "upstreamOffset": expected an integer, got 1\.5/);
    assert.throws(() => encodeHeartbeat({ sourceClusterAlias: 'a', targetClusterAlias: 'b', timestamp: NaN }), /field "timestamp": expected an integer, got NaN/);
  });
});
