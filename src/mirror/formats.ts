/**
 * MirrorMaker 2's record formats for its internal topics, byte for byte, so that Java tooling
 * (RemoteClusterUtils, MirrorClient, MM2 itself) reads what strait writes and strait reads what
 * MM2 wrote.
 *
 * MM2 serialises keys and values with Kafka's protocol `Schema`/`Struct` classes
 * (org.apache.kafka.common.protocol.types): the fields of a schema are written one after the
 * other, with no field names, tags or lengths around the whole struct. Types used here:
 * - INT16, INT32, INT64: big-endian two's complement, 2, 4 and 8 bytes.
 * - STRING: INT16 byte length, then that many bytes of UTF-8. Not nullable: a negative length is
 *   an error on read, and strings longer than 32767 bytes cannot be written.
 *
 * The formats (Java classes in apache/kafka, connect/mirror-client and connect/mirror):
 *
 *   Heartbeat, topic `heartbeats` (Heartbeat.java)
 *     key   = KEY_SCHEMA:      sourceClusterAlias STRING, targetClusterAlias STRING
 *     value = HEADER_SCHEMA:   version INT16 (= 0)
 *           + VALUE_SCHEMA_V0: timestamp INT64
 *   Checkpoint, topic `<source alias>.checkpoints.internal` (Checkpoint.java)
 *     key   = KEY_SCHEMA:      group STRING, topic STRING, partition INT32
 *     value = HEADER_SCHEMA:   version INT16 (= 0)
 *           + VALUE_SCHEMA_V0: upstreamOffset INT64, offset INT64 (downstream), metadata STRING
 *   OffsetSync, topic `mm2-offset-syncs.<target alias>.internal` (OffsetSync.java)
 *     key   = KEY_SCHEMA:      topic STRING, partition INT32
 *     value = VALUE_SCHEMA:    upstreamOffset INT64, offset INT64 (downstream)   (no version)
 *
 * Heartbeat and Checkpoint `serializeValue(version)` write HEADER_SCHEMA then the value schema
 * into one buffer; `deserializeRecord` reads the header, picks the value schema for the version,
 * and reads on from where the header ended.
 *
 * Decoding is stricter than Java's in two ways, both on purpose:
 * - a version other than 0 is refused. Java only `assert`s it (off by default), so it would read
 *   a future version's bytes as version 0; strait would rather say it does not know the format.
 * - bytes left over after the last field are refused. Java ignores them, but no MM2 version
 *   writes any, so they mean the record is not what it claims to be.
 *
 * Offsets and timestamps are `number`s, as everywhere in strait (see coordinator/offset-map.ts):
 * exact up to 2^53-1. The encoders refuse values outside the safe-integer range instead of
 * rounding them, and the decoders refuse INT64 values they cannot represent exactly.
 */
import { StraitError } from '../util/errors.js';

/** Checkpoint.VERSION and Heartbeat.VERSION: the only value-schema version MM2 has. */
export const MM2_RECORD_VERSION = 0;

export type Mm2Format = 'heartbeat' | 'checkpoint' | 'offset-sync';

/** A Heartbeat record: the replication flow sourceClusterAlias -> targetClusterAlias was alive at `timestamp`. */
export interface Heartbeat {
  sourceClusterAlias: string;
  targetClusterAlias: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/**
 * A Checkpoint record: consumer group `consumerGroupId`, committed at `upstreamOffset` on the
 * source cluster, resumes at `downstreamOffset` of `topic` (the target-side name) on the target.
 */
export interface Checkpoint {
  consumerGroupId: string;
  /** The topic's name on the cluster the checkpoint is written to, e.g. "us-west.orders". */
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
  /** The committed offset's metadata on the source ("" when there was none). */
  metadata: string;
}

/** An OffsetSync record: source offset `upstreamOffset` of `topic` (source-side name) was replicated to `downstreamOffset`. */
export interface OffsetSync {
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
}

/** A record's raw key and value, as produced to or consumed from the internal topic. */
export interface Mm2RecordBytes {
  key: Buffer;
  value: Buffer;
}

/** Where a record came from, for error messages. */
export interface RecordLocation {
  topic?: string;
  partition?: number;
  offset?: number;
}

const TOPIC_PATTERN: Record<Mm2Format, string> = {
  heartbeat: 'heartbeats',
  checkpoint: '<source alias>.checkpoints.internal',
  'offset-sync': 'mm2-offset-syncs.<target alias>.internal',
};

/** A key or value that is not what the format says; names the format, the part and the field. */
export class Mm2FormatError extends StraitError {
  constructor(
    readonly format: Mm2Format,
    readonly part: 'key' | 'value',
    readonly field: string | undefined,
    problem: string,
    location: RecordLocation = {},
  ) {
    super('MM2_RECORD_INVALID', `${describeRecord(format, location)} ${part}${field === undefined ? '' : ` field "${field}"`}: ${problem}`);
  }
}

function describeRecord(format: Mm2Format, loc: RecordLocation): string {
  let where = loc.topic === undefined ? `topic ${TOPIC_PATTERN[format]}` : `topic "${loc.topic}"`;
  if (loc.partition !== undefined) where += ` partition ${loc.partition}`;
  if (loc.offset !== undefined) where += ` offset ${loc.offset}`;
  return `MM2 ${format} record (${where})`;
}

// ---------------------------------------------------------------------------------------------
// Schemas: the field lists of the Java classes, in order, with their Java field names.

type FieldType = 'INT16' | 'INT32' | 'INT64' | 'STRING';
type Field = readonly [name: string, type: FieldType];
type Schema = readonly Field[];
type Values = Record<string, string | number>;

// HEADER_SCHEMA of Heartbeat and of Checkpoint (the same in both classes); OffsetSync has none.
const VERSION_HEADER: Schema = [['version', 'INT16']];

const HEARTBEAT_KEY: Schema = [
  ['sourceClusterAlias', 'STRING'],
  ['targetClusterAlias', 'STRING'],
];
const HEARTBEAT_VALUE_V0: Schema = [['timestamp', 'INT64']];

const CHECKPOINT_KEY: Schema = [
  ['group', 'STRING'],
  ['topic', 'STRING'],
  ['partition', 'INT32'],
];
// Java names the downstream offset field "offset" (Checkpoint.DOWNSTREAM_OFFSET_KEY).
const CHECKPOINT_VALUE_V0: Schema = [
  ['upstreamOffset', 'INT64'],
  ['offset', 'INT64'],
  ['metadata', 'STRING'],
];

const OFFSET_SYNC_KEY: Schema = [
  ['topic', 'STRING'],
  ['partition', 'INT32'],
];
const OFFSET_SYNC_VALUE: Schema = [
  ['upstreamOffset', 'INT64'],
  ['offset', 'INT64'],
];

// ---------------------------------------------------------------------------------------------
// Writing

/** Type.STRING refuses longer strings: the length must fit in an INT16. */
const MAX_STRING_BYTES = 0x7fff;
// In a /u regex \p{Cs} matches only unpaired surrogates. Java would write them as "?", Node as
// U+FFFD: neither round-trips, so such strings are refused rather than silently altered.
const LONE_SURROGATE = /\p{Cs}/u;

function encodeError(format: Mm2Format, part: 'key' | 'value', field: string, problem: string): RangeError {
  return new RangeError(`cannot encode MM2 ${format} record ${part} field "${field}": ${problem}`);
}

function encodeStruct(format: Mm2Format, part: 'key' | 'value', schemas: readonly Schema[], values: Values): Buffer {
  // Two passes: sizes first (strings are encoded once and kept), then one exact allocation,
  // as Java's Schema.sizeOf + ByteBuffer.allocate does.
  const strings: Buffer[] = [];
  let size = 0;
  for (const schema of schemas) {
    for (const [name, type] of schema) {
      const v = values[name];
      if (type === 'STRING') {
        if (typeof v !== 'string') throw encodeError(format, part, name, `expected a string, got ${typeof v}`);
        if (LONE_SURROGATE.test(v)) throw encodeError(format, part, name, 'the string has an unpaired UTF-16 surrogate, which has no UTF-8 encoding');
        const bytes = Buffer.from(v, 'utf8');
        if (bytes.length > MAX_STRING_BYTES) throw encodeError(format, part, name, `${bytes.length} bytes of UTF-8 is longer than the ${MAX_STRING_BYTES} bytes a Kafka STRING can hold`);
        strings.push(bytes);
        size += 2 + bytes.length;
      } else {
        if (typeof v !== 'number' || !Number.isInteger(v)) throw encodeError(format, part, name, `expected an integer, got ${typeof v === 'number' ? String(v) : typeof v}`);
        if (type === 'INT16') {
          if (v < -0x8000 || v > 0x7fff) throw encodeError(format, part, name, `${v} does not fit in an INT16`);
          size += 2;
        } else if (type === 'INT32') {
          if (v < -0x80000000 || v > 0x7fffffff) throw encodeError(format, part, name, `${v} does not fit in an INT32`);
          size += 4;
        } else {
          if (!Number.isSafeInteger(v)) throw encodeError(format, part, name, `${v} is outside the exactly representable range ±(2^53-1)`);
          size += 8;
        }
      }
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  let s = 0;
  for (const schema of schemas) {
    for (const [name, type] of schema) {
      const v = values[name];
      switch (type) {
        case 'INT16':
          pos = buf.writeInt16BE(v as number, pos);
          break;
        case 'INT32':
          pos = buf.writeInt32BE(v as number, pos);
          break;
        case 'INT64':
          pos = buf.writeBigInt64BE(BigInt(v), pos);
          break;
        case 'STRING': {
          const bytes = strings[s++];
          pos = buf.writeInt16BE(bytes.length, pos);
          pos += bytes.copy(buf, pos);
          break;
        }
      }
    }
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Reading

class StructReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly format: Mm2Format,
    private readonly part: 'key' | 'value',
    private readonly location: RecordLocation,
  ) {}

  private fail(field: string | undefined, problem: string): Mm2FormatError {
    return new Mm2FormatError(this.format, this.part, field, problem, this.location);
  }

  private need(field: string, type: FieldType, n: number): void {
    const left = this.buf.length - this.pos;
    if (left < n) {
      throw this.fail(field, `${type} needs ${n} bytes at byte ${this.pos}, but the ${this.part} is ${this.buf.length} bytes long (${left} left)`);
    }
  }

  read(schema: Schema): Values {
    const out: Values = {};
    for (const [name, type] of schema) {
      switch (type) {
        case 'INT16':
          this.need(name, type, 2);
          out[name] = this.buf.readInt16BE(this.pos);
          this.pos += 2;
          break;
        case 'INT32':
          this.need(name, type, 4);
          out[name] = this.buf.readInt32BE(this.pos);
          this.pos += 4;
          break;
        case 'INT64': {
          this.need(name, type, 8);
          const big = this.buf.readBigInt64BE(this.pos);
          if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
            throw this.fail(name, `${big} is outside the range strait represents exactly (±(2^53-1))`);
          }
          out[name] = Number(big);
          this.pos += 8;
          break;
        }
        case 'STRING': {
          this.need(name, 'STRING', 2);
          const len = this.buf.readInt16BE(this.pos);
          if (len < 0) throw this.fail(name, `STRING length ${len} at byte ${this.pos} is negative (the field is not nullable)`);
          this.pos += 2;
          const left = this.buf.length - this.pos;
          if (len > left) throw this.fail(name, `STRING of ${len} bytes at byte ${this.pos}, but only ${left} bytes are left`);
          // Like Java's new String(bytes, UTF_8), malformed sequences become U+FFFD.
          out[name] = this.buf.toString('utf8', this.pos, this.pos + len);
          this.pos += len;
          break;
        }
      }
    }
    return out;
  }

  readVersion(): number {
    const version = this.read(VERSION_HEADER)['version'] as number;
    if (version !== MM2_RECORD_VERSION) {
      throw this.fail('version', `version ${version} is not supported (MM2 writes version ${MM2_RECORD_VERSION}, the only one that exists)`);
    }
    return version;
  }

  end(): void {
    const left = this.buf.length - this.pos;
    if (left !== 0) throw this.fail(undefined, `${left} unexpected bytes after the last field (${this.buf.length} bytes, the fields end at byte ${this.pos})`);
  }
}

function readStruct(format: Mm2Format, part: 'key' | 'value', buf: Buffer, location: RecordLocation, schema: Schema, versioned: boolean): Values {
  if (!Buffer.isBuffer(buf)) throw new Mm2FormatError(format, part, undefined, `expected bytes, got ${buf === null ? 'null (a tombstone?)' : typeof buf}`, location);
  const r = new StructReader(buf, format, part, location);
  if (versioned) r.readVersion();
  const values = r.read(schema);
  r.end();
  return values;
}

// ---------------------------------------------------------------------------------------------
// Heartbeat

export function encodeHeartbeatKey(h: Pick<Heartbeat, 'sourceClusterAlias' | 'targetClusterAlias'>): Buffer {
  return encodeStruct('heartbeat', 'key', [HEARTBEAT_KEY], { sourceClusterAlias: h.sourceClusterAlias, targetClusterAlias: h.targetClusterAlias });
}

export function encodeHeartbeatValue(h: Pick<Heartbeat, 'timestamp'>): Buffer {
  return encodeStruct('heartbeat', 'value', [VERSION_HEADER, HEARTBEAT_VALUE_V0], { version: MM2_RECORD_VERSION, timestamp: h.timestamp });
}

export function encodeHeartbeat(h: Heartbeat): Mm2RecordBytes {
  return { key: encodeHeartbeatKey(h), value: encodeHeartbeatValue(h) };
}

export function decodeHeartbeatKey(key: Buffer, location: RecordLocation = {}): Pick<Heartbeat, 'sourceClusterAlias' | 'targetClusterAlias'> {
  const k = readStruct('heartbeat', 'key', key, location, HEARTBEAT_KEY, false);
  return { sourceClusterAlias: k['sourceClusterAlias'] as string, targetClusterAlias: k['targetClusterAlias'] as string };
}

export function decodeHeartbeatValue(value: Buffer, location: RecordLocation = {}): Pick<Heartbeat, 'timestamp'> {
  const v = readStruct('heartbeat', 'value', value, location, HEARTBEAT_VALUE_V0, true);
  return { timestamp: v['timestamp'] as number };
}

export function decodeHeartbeat(record: Mm2RecordBytes, location: RecordLocation = {}): Heartbeat {
  return { ...decodeHeartbeatKey(record.key, location), ...decodeHeartbeatValue(record.value, location) };
}

// ---------------------------------------------------------------------------------------------
// Checkpoint

export function encodeCheckpointKey(c: Pick<Checkpoint, 'consumerGroupId' | 'topic' | 'partition'>): Buffer {
  return encodeStruct('checkpoint', 'key', [CHECKPOINT_KEY], { group: c.consumerGroupId, topic: c.topic, partition: c.partition });
}

export function encodeCheckpointValue(c: Pick<Checkpoint, 'upstreamOffset' | 'downstreamOffset' | 'metadata'>): Buffer {
  return encodeStruct('checkpoint', 'value', [VERSION_HEADER, CHECKPOINT_VALUE_V0], {
    version: MM2_RECORD_VERSION,
    upstreamOffset: c.upstreamOffset,
    offset: c.downstreamOffset,
    metadata: c.metadata,
  });
}

export function encodeCheckpoint(c: Checkpoint): Mm2RecordBytes {
  return { key: encodeCheckpointKey(c), value: encodeCheckpointValue(c) };
}

export function decodeCheckpointKey(key: Buffer, location: RecordLocation = {}): Pick<Checkpoint, 'consumerGroupId' | 'topic' | 'partition'> {
  const k = readStruct('checkpoint', 'key', key, location, CHECKPOINT_KEY, false);
  return { consumerGroupId: k['group'] as string, topic: k['topic'] as string, partition: k['partition'] as number };
}

export function decodeCheckpointValue(value: Buffer, location: RecordLocation = {}): Pick<Checkpoint, 'upstreamOffset' | 'downstreamOffset' | 'metadata'> {
  const v = readStruct('checkpoint', 'value', value, location, CHECKPOINT_VALUE_V0, true);
  return { upstreamOffset: v['upstreamOffset'] as number, downstreamOffset: v['offset'] as number, metadata: v['metadata'] as string };
}

export function decodeCheckpoint(record: Mm2RecordBytes, location: RecordLocation = {}): Checkpoint {
  return { ...decodeCheckpointKey(record.key, location), ...decodeCheckpointValue(record.value, location) };
}

// ---------------------------------------------------------------------------------------------
// OffsetSync

export function encodeOffsetSyncKey(o: Pick<OffsetSync, 'topic' | 'partition'>): Buffer {
  return encodeStruct('offset-sync', 'key', [OFFSET_SYNC_KEY], { topic: o.topic, partition: o.partition });
}

export function encodeOffsetSyncValue(o: Pick<OffsetSync, 'upstreamOffset' | 'downstreamOffset'>): Buffer {
  return encodeStruct('offset-sync', 'value', [OFFSET_SYNC_VALUE], { upstreamOffset: o.upstreamOffset, offset: o.downstreamOffset });
}

export function encodeOffsetSync(o: OffsetSync): Mm2RecordBytes {
  return { key: encodeOffsetSyncKey(o), value: encodeOffsetSyncValue(o) };
}

export function decodeOffsetSyncKey(key: Buffer, location: RecordLocation = {}): Pick<OffsetSync, 'topic' | 'partition'> {
  const k = readStruct('offset-sync', 'key', key, location, OFFSET_SYNC_KEY, false);
  return { topic: k['topic'] as string, partition: k['partition'] as number };
}

export function decodeOffsetSyncValue(value: Buffer, location: RecordLocation = {}): Pick<OffsetSync, 'upstreamOffset' | 'downstreamOffset'> {
  const v = readStruct('offset-sync', 'value', value, location, OFFSET_SYNC_VALUE, false);
  return { upstreamOffset: v['upstreamOffset'] as number, downstreamOffset: v['offset'] as number };
}

export function decodeOffsetSync(record: Mm2RecordBytes, location: RecordLocation = {}): OffsetSync {
  return { ...decodeOffsetSyncKey(record.key, location), ...decodeOffsetSyncValue(record.value, location) };
}
