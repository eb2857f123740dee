/**
 * msgpackr encoding of the control and statistics messages between threads
 * (src/worker/protocol.ts).
 *
 * Why msgpackr rather than handing objects to postMessage: structured clone walks and rebuilds
 * every object on both sides; a msgpackr buffer is one flat copy (or a transfer), and the record
 * extension writes each object's key list once per *shape* instead of once per object.
 *
 * Record structures: both ends create their Packr with the same predefined MESSAGE_STRUCTURES,
 * and maxSharedStructures equal to its length, so neither end ever adds a shared structure the
 * other does not know (the two threads cannot coordinate that). Shapes outside the list are
 * written with inline record definitions, which any Packr decodes on its own. Measured effect in
 * bench/micro.ts (stats message with two histograms).
 *
 * bigint: int64AsType 'bigint' makes every msgpack int64/uint64 decode as a bigint, so a bigint
 * field comes back as a bigint even when small. Plain numbers are never written as int64 by
 * msgpackr (integers beyond 32 bits go out as float64), so they come back as numbers.
 *
 * The returned Uint8Array owns an exact-size ArrayBuffer. msgpackr returns a view into its
 * internal 8 KiB scratch buffer; posting that view would structured-clone the whole scratch
 * buffer, and transferring it would detach msgpackr's buffer. The copy is a few hundred bytes.
 */
import { Packr } from 'msgpackr';
import { MESSAGE_STRUCTURES, THREAD_MESSAGE_TYPES } from '../worker/protocol.js';
import type { ThreadMessage } from '../worker/protocol.js';

/** A Packr configured for thread messages. Exported for benchmarks and tests. */
export function createMessagePackr(): Packr {
  return new Packr({
    useRecords: true,
    // A fresh copy: msgpackr decorates the array it is given.
    structures: MESSAGE_STRUCTURES.map((keys) => [...keys]),
    maxSharedStructures: MESSAGE_STRUCTURES.length,
    int64AsType: 'bigint',
    // Plain msgpack maps (from any other encoder) decode as objects, like records do.
    mapsAsObjects: true,
  });
}

// One per thread (each thread loads its own copy of this module).
const packr = createMessagePackr();
const knownTypes = new Set<string>(THREAD_MESSAGE_TYPES);

export class MessageDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MessageDecodeError';
  }
}

/** Encode a message into a buffer that may be posted or transferred. */
export function encode(msg: ThreadMessage): Uint8Array<ArrayBuffer> {
  return new Uint8Array(packr.pack(msg));
}

/**
 * Decode a buffer made by encode(). Checks that it is an object with a known `type`; the fields
 * are trusted (both ends are this build). Uint8Array fields (histograms) are views into `buf`.
 */
export function decode(buf: Uint8Array): ThreadMessage {
  let value: unknown;
  try {
    value = packr.unpack(buf);
  } catch (err) {
    throw new MessageDecodeError(`thread message of ${buf.length} bytes is not valid msgpack`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || !('type' in value) || typeof value.type !== 'string' || !knownTypes.has(value.type)) {
    const t: unknown = typeof value === 'object' && value !== null && 'type' in value ? value.type : undefined;
    const type = typeof t === 'string' ? JSON.stringify(t) : t === undefined ? '(none)' : `of kind ${typeof t}`;
    throw new MessageDecodeError(`thread message has unknown type ${type}; expected one of ${THREAD_MESSAGE_TYPES.join(', ')}`);
  }
  return value as ThreadMessage;
}
