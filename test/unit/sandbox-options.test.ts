import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SANDBOX_PORTS, parsePort, resolveSandboxSettings } from '../../src/sandbox/options.js';
import { cacheRoot, defaultSandboxDir, displayPath } from '../../src/sandbox/paths.js';
import { ConfigError } from '../../src/util/errors.js';

const cwd = '/home/u/proj';

void test('defaults: .strait/sandbox under cwd, ports 19092 and 19094', () => {
  const s = resolveSandboxSettings({}, {}, cwd);
  assert.equal(s.dir, '/home/u/proj/.strait/sandbox');
  assert.deepEqual(s.ports, { source: 19092, target: 19094 });
  assert.deepEqual(s.ports, DEFAULT_SANDBOX_PORTS);
  assert.deepEqual(s.explicit, { source: false, target: false });
});

void test('environment, then options, override the defaults', () => {
  const env = { STRAIT_SANDBOX_SOURCE_PORT: '29092', STRAIT_SANDBOX_TARGET_PORT: '29094', STRAIT_SANDBOX_DIR: 'sb' };
  const fromEnv = resolveSandboxSettings({}, env, cwd);
  assert.equal(fromEnv.dir, '/home/u/proj/sb');
  assert.deepEqual(fromEnv.ports, { source: 29092, target: 29094 });
  assert.deepEqual(fromEnv.explicit, { source: true, target: true });
  const fromOptions = resolveSandboxSettings({ dir: '/abs/x', sourcePort: 39092 }, env, cwd);
  assert.equal(fromOptions.dir, '/abs/x');
  assert.deepEqual(fromOptions.ports, { source: 39092, target: 29094 });
  // An empty variable is as good as unset.
  assert.deepEqual(resolveSandboxSettings({}, { STRAIT_SANDBOX_SOURCE_PORT: '' }, cwd).explicit, { source: false, target: false });
});

void test('a bad port names where it came from', () => {
  assert.throws(
    () => resolveSandboxSettings({}, { STRAIT_SANDBOX_TARGET_PORT: 'abc' }, cwd),
    (err: unknown) => err instanceof ConfigError && err.problems[0].path === 'STRAIT_SANDBOX_TARGET_PORT' && /STRAIT_SANDBOX_TARGET_PORT=19092/.test(err.message),
  );
  for (const bad of ['0', '65535', '-1', '19092.5', '1e4', ' ']) assert.throws(() => parsePort(bad, '--source-port'), ConfigError, bad);
  assert.equal(parsePort('65534', '--source-port'), 65534);
  assert.equal(parsePort(' 1 ', '--source-port'), 1);
});

void test('overlapping port pairs are refused (each cluster takes N and N+1)', () => {
  assert.throws(() => resolveSandboxSettings({ sourcePort: 20000, targetPort: 20001 }, {}, cwd), /overlap/);
  assert.throws(() => resolveSandboxSettings({ sourcePort: 20000, targetPort: 20000 }, {}, cwd), /overlap/);
  assert.deepEqual(resolveSandboxSettings({ sourcePort: 20002, targetPort: 20000 }, {}, cwd).ports, { source: 20002, target: 20000 });
});

void test('cache root: STRAIT_CACHE_DIR, then an absolute XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(cacheRoot({ STRAIT_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/h'), '/c');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x' }, '/h'), '/x/strait');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: 'relative' }, '/h'), '/h/.cache/strait');
  assert.equal(cacheRoot({}, '/h'), '/h/.cache/strait');
});

void test('paths for people: relative under cwd, ~ under home', () => {
  assert.equal(defaultSandboxDir({}, cwd), path.join(cwd, '.strait', 'sandbox'));
  assert.equal(displayPath('/home/u/proj/.strait/sandbox', cwd, '/home/u'), '.strait/sandbox');
  assert.equal(displayPath('/home/u/.cache/strait', cwd, '/home/u'), '~/.cache/strait');
  assert.equal(displayPath('/opt/x', cwd, '/home/u'), '/opt/x');
});
