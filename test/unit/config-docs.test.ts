/**
 * docs/config.md and examples/ must not drift from the code: the key reference, the table of
 * properties strait controls and the table of its client defaults are rendered from the same
 * tables the validator and the clients use, the complete
 * example in the docs is examples/strait.yaml, and every example file validates cleanly.
 *
 * After changing a table, rewrite the generated parts of the page with
 *   STRAIT_UPDATE_DOCS=1 node --test dist/test/unit/config-docs.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReference } from '../../src/config/schema.js';
import { renderControlledProperties } from '../../src/config/client-properties.js';
import { renderClientDefaults } from '../../src/kafka/client-config.js';
import { parseConfigWithWarnings } from '../../src/config/load.js';

// Compiled to dist/test/unit: the repository is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const docsPath = `${root}docs/config.md`;

function between(text: string, name: string): { start: number; end: number } {
  const open = new RegExp(`<!-- ${name}:begin[^>]*-->\\n`).exec(text);
  const close = text.indexOf(`<!-- ${name}:end -->`);
  assert.ok(open && close > open.index, `docs/config.md lacks the ${name}:begin/end markers`);
  return { start: open.index + open[0].length, end: close };
}

const exampleText = readFileSync(`${root}examples/strait.yaml`, 'utf8');
const generated: Record<string, string> = {
  reference: renderReference(),
  controlled: renderControlledProperties(),
  defaults: renderClientDefaults(),
  example: '```yaml\n' + exampleText + '```\n',
};

if (process.env['STRAIT_UPDATE_DOCS'] === '1') {
  let text = readFileSync(docsPath, 'utf8');
  for (const [name, content] of Object.entries(generated)) {
    const { start, end } = between(text, name);
    text = text.slice(0, start) + content + text.slice(end);
  }
  writeFileSync(docsPath, text);
}

for (const [name, content] of Object.entries(generated)) {
  void test(`docs/config.md: the ${name} section is up to date`, () => {
    const text = readFileSync(docsPath, 'utf8');
    const { start, end } = between(text, name);
    assert.equal(text.slice(start, end), content, 'run: STRAIT_UPDATE_DOCS=1 node --test dist/test/unit/config-docs.test.js');
  });
}

void test('every examples/*.yaml validates without problems or warnings', () => {
  const files = readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('strait.yaml') && files.includes('sandbox.yaml'));
  for (const file of files) {
    const text = readFileSync(`${root}examples/${file}`, 'utf8');
    const { config, warnings } = parseConfigWithWarnings(text, file, { env: { EAST_PASSWORD: 'x' }, availableParallelism: 4 });
    assert.deepEqual(warnings, [], file);
    assert.ok(config.flows.length > 0, file);
  }
});

void test('examples/sandbox.yaml points at the sandbox clusters', () => {
  const text = readFileSync(`${root}examples/sandbox.yaml`, 'utf8');
  const { config } = parseConfigWithWarnings(text, 'sandbox.yaml', { env: {} });
  assert.equal(config.clusters.get('source')?.properties['bootstrap.servers'], '127.0.0.1:19092');
  assert.equal(config.clusters.get('target')?.properties['bootstrap.servers'], '127.0.0.1:19094');
  assert.deepEqual(config.flows.map((f) => `${f.source}->${f.target}`), ['source->target']);
});
