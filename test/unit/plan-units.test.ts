// strait plan's quantities: sizes and rates with their units, and the error that lists them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/cli/args.js';
import { formatBytes, formatSeconds, parseRate, parseSize } from '../../src/plan/units.js';

test('sizes: decimal and binary units', () => {
  assert.equal(parseSize('100B', 'record-size'), 100);
  assert.equal(parseSize('1KiB', 'record-size'), 1024);
  assert.equal(parseSize('1.5MB', 'record-size'), 1_500_000);
  assert.equal(parseSize('2 GiB', 'record-size'), 2 * 1024 ** 3);
  assert.equal(parseSize('512', 'record-size'), 512);
});

test('rates: bytes, bits and records per second', () => {
  assert.deepEqual(parseRate('50MB/s', 'rate'), { kind: 'bytes', bytesPerSec: 50e6 });
  assert.deepEqual(parseRate('400Mbit/s', 'rate'), { kind: 'bytes', bytesPerSec: 50e6 });
  assert.deepEqual(parseRate('1GiB/s', 'rate'), { kind: 'bytes', bytesPerSec: 1024 ** 3 });
  assert.deepEqual(parseRate('20000/s', 'rate'), { kind: 'records', recordsPerSec: 20_000 });
  assert.deepEqual(parseRate('20k/s', 'rate'), { kind: 'records', recordsPerSec: 20_000 });
});

test('an unknown unit names the option and every accepted unit', () => {
  assert.throws(
    () => parseRate('50Mb/s', 'rate'),
    (err: unknown) => err instanceof UsageError && /--rate/.test(err.message) && /"Mb\/s"/.test(err.message) && /MB\/s/.test(err.message) && /Mbit\/s/.test(err.message) && /records/.test(err.message),
  );
  assert.throws(() => parseRate('50MB', 'rate'), (err: unknown) => err instanceof UsageError && /not a rate per second/.test(err.message));
  assert.throws(() => parseSize('1KB/s', 'record-size'), (err: unknown) => err instanceof UsageError && /--record-size/.test(err.message));
  assert.throws(() => parseSize('-1KB', 'record-size'), UsageError);
  assert.throws(() => parseSize('10 furlongs', 'record-size'), (err: unknown) => err instanceof UsageError && /KiB/.test(err.message));
});

test('formatting for tables', () => {
  assert.equal(formatBytes(52_428_800), '50.0 MiB');
  assert.equal(formatBytes(1500, false), '1.5 KB');
  assert.equal(formatSeconds(45), '45 s');
  assert.equal(formatSeconds(720), '12 min');
  assert.equal(formatSeconds(3.5 * 3600), '3.5 h');
  assert.equal(formatSeconds(Infinity), 'never');
});
