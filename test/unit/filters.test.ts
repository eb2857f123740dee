/** Include/exclude name filters: MM2's whole-name regex semantics, and the caches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, escapePattern, MM2_DEFAULT_GROUP_EXCLUDES, MM2_DEFAULT_TOPIC_EXCLUDES, NameFilter, nameFilter } from '../../src/mirror/filters.js';

void test('patterns match the whole name, like Java Matcher.matches()', () => {
  const f = new NameFilter({ include: ['orders', 'pay.*'], exclude: [] });
  assert.equal(f.matches('orders'), true);
  assert.equal(f.matches('orders-eu'), false);
  assert.equal(f.matches('my-orders'), false);
  assert.equal(f.matches('payments'), true);
});

void test('an alternation stays inside the anchors', () => {
  const re = compilePattern('a|b');
  assert.equal(re.test('a'), true);
  assert.equal(re.test('b'), true);
  assert.equal(re.test('ab'), false);
  assert.equal(re.test('xa'), false);
});

void test('exclude wins over include', () => {
  const f = new NameFilter({ include: ['.*'], exclude: ['.*\\.tmp'] });
  assert.equal(f.matches('orders'), true);
  assert.equal(f.matches('orders.tmp'), false);
});

void test("MM2's default topic excludes", () => {
  const f = new NameFilter({ include: ['.*'], exclude: [...MM2_DEFAULT_TOPIC_EXCLUDES] });
  for (const t of ['__consumer_offsets', 'connect-offsets-internal', 'mm2-offset-syncs.west.internal', 'orders.replica']) assert.equal(f.matches(t), false, t);
  for (const t of ['orders', 'east.orders', 'internal', 'replica']) assert.equal(f.matches(t), true, t);
});

void test("MM2's default group excludes", () => {
  const f = new NameFilter({ include: ['.*'], exclude: [...MM2_DEFAULT_GROUP_EXCLUDES] });
  for (const g of ['console-consumer-1234', 'connect-my-sink', '__strait']) assert.equal(f.matches(g), false, g);
  assert.equal(f.matches('billing'), true);
});

void test('MM2-style redundant escapes compile', () => {
  assert.equal(compilePattern('.*[\\-\\.]internal').test('a-internal'), true);
});

void test('invalid patterns throw the JavaScript SyntaxError, including unbalanced groups', () => {
  assert.throws(() => compilePattern('('), SyntaxError);
  // ^(?:a)|(b)$ would compile; the bare pattern is checked first.
  assert.throws(() => compilePattern('a)|(b'), SyntaxError);
});

void test('compiled patterns and filters are cached', () => {
  assert.equal(compilePattern('x.*'), compilePattern('x.*'));
  const list = { include: ['a.*'], exclude: [] };
  assert.equal(nameFilter(list), nameFilter(list));
  assert.notEqual(nameFilter(list), nameFilter({ include: ['a.*'], exclude: [] }));
  const f = nameFilter(list);
  assert.equal(f.matches('abc'), true);
  assert.equal(f.matches('abc'), true);
  assert.equal(f.matches('xyz'), false);
});

void test('escapePattern matches exactly the literal', () => {
  const re = compilePattern(escapePattern('strait.east->west(1)'));
  assert.equal(re.test('strait.east->west(1)'), true);
  assert.equal(re.test('straitXeast->west(1)'), false);
});
