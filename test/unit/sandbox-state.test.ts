import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseState, readState, renderState, writeState, type SandboxState } from '../../src/sandbox/state.js';
import { SandboxError } from '../../src/util/errors.js';

const state: SandboxState = {
  version: 1,
  kafkaVersion: '4.2.1',
  host: '127.0.0.1',
  clusters: { source: { port: 19092, controllerPort: 19093 }, target: { port: 19094, controllerPort: 19095 } },
};

void test('state file round-trips', () => {
  assert.deepEqual(parseState(renderState(state), 'state.json'), state);
});

void test('a damaged state file is a SandboxError naming the file and what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['{not json', /not JSON/],
    ['[]', /not a JSON object/],
    ['{"version":2,"kafkaVersion":"4.2.1","host":"h","clusters":{}}', /version 2/],
    ['{"version":1,"host":"h","clusters":{}}', /kafkaVersion/],
    ['{"version":1,"kafkaVersion":"4.2.1","host":"h","clusters":{"source":{"port":"19092","controllerPort":19093}}}', /cluster "source"/],
    ['{"version":1,"kafkaVersion":"4.2.1","host":"h","clusters":{"source":{"port":70000,"controllerPort":19093}}}', /cluster "source"/],
  ];
  for (const [text, why] of bad) {
    assert.throws(
      () => parseState(text, '/x/state.json'),
      (err: unknown) => err instanceof SandboxError && why.test(err.message) && err.message.includes('/x/state.json') && /delete the file/.test(err.message),
      text,
    );
  }
});

void test('readState: missing file is undefined; writeState writes atomically', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'strait-state-'));
  try {
    const file = path.join(dir, 'state.json');
    assert.equal(await readState(file), undefined);
    await writeState(file, state);
    assert.deepEqual(await readState(file), state);
    assert.equal(await readFile(file, 'utf8'), renderState(state));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
