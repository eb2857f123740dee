import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offsetsToSync } from '../../src/coordinator/flow.js';

const t = (partition: number, offset: number) => ({ topic: 'east.orders', partition, offset });

void test('group offsets go to the target only for a group with no active member there', () => {
  assert.deepEqual(offsetsToSync([t(0, 10)], 1, []), [], 'a live consumer owns its offsets');
  assert.deepEqual(offsetsToSync([t(0, 10)], 0, []), [t(0, 10)], 'an empty or unknown group gets them');
});

void test('group offsets never move a target group backwards', () => {
  const translated = [t(0, 10), t(1, 20), t(2, 30)];
  const current = [t(0, 15), t(1, 20), { topic: 'other', partition: 2, offset: 99 }];
  assert.deepEqual(offsetsToSync(translated, 0, current), [t(2, 30)], 'ahead on the target: kept; equal: nothing to do; other topics do not matter');
});
