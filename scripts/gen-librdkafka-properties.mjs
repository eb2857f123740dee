#!/usr/bin/env node
// Generates src/config/librdkafka-properties.ts from the CONFIGURATION.md that ships with the
// installed librdkafka (inside @confluentinc/kafka-javascript), so strait validates property
// names and values against the exact library it runs, not a hand-kept copy.
//
// Run after upgrading @confluentinc/kafka-javascript, then commit the result:
//   node scripts/gen-librdkafka-properties.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkgDir = `${root}node_modules/@confluentinc/kafka-javascript`;
const markdown = readFileSync(`${pkgDir}/deps/librdkafka/CONFIGURATION.md`, 'utf8');
const pkg = JSON.parse(readFileSync(`${pkgDir}/package.json`, 'utf8'));
const out = `${root}src/config/librdkafka-properties.ts`;

/** Split a markdown table row on unescaped pipes; the kinit command default contains `\|\|`. */
function cells(line) {
  return line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

const props = new Map();
let scope;
for (const line of markdown.split('\n')) {
  if (line.startsWith('## Global configuration properties')) scope = 'global';
  else if (line.startsWith('## Topic configuration properties')) scope = 'topic';
  if (!scope || !line.includes('|') || line.startsWith('Property') || line.startsWith('---')) continue;
  const c = cells(line);
  if (c.length < 6) continue;
  const [name, role, range, def, , description] = c;
  if (!/^[a-z][a-z0-9._]*$/i.test(name) || !['C', 'P', '*'].includes(role)) {
    throw new Error(`unexpected row in CONFIGURATION.md: ${line.slice(0, 80)}`);
  }
  const type = /\*Type: ([^*]+)\*/.exec(description)?.[1]?.trim() ?? 'string';
  const entry = { role, type };
  if (type === 'integer' || type === 'float') {
    const m = /^(-?[\d.]+) \.\. (-?[\d.]+)$/.exec(range);
    if (m) {
      entry.min = Number(m[1]);
      entry.max = Number(m[2]);
    }
  } else if ((type === 'enum value' || type === 'CSV flags') && range) {
    entry.values = range.split(',').map((v) => v.trim()).filter(Boolean);
  }
  // Defaults of scalar settings make good examples in error messages ("linger.ms: 5").
  if (def && ['integer', 'float', 'boolean', 'enum value'].includes(type)) entry.default = def;
  const alias = /^(?:\*\*DEPRECATED\*\* )?Alias for `([^`]+)`/.exec(description);
  if (alias) entry.aliasOf = alias[1];
  if (description.includes('**DEPRECATED**')) entry.deprecated = true;
  if (/only supported for share consumers/i.test(description)) entry.shareConsumerOnly = true;
  if (scope === 'topic') entry.topic = true;

  const prev = props.get(name);
  if (prev) {
    // A few properties exist at both levels (compression.codec, ...): keep one entry whose
    // enum accepts the values of both.
    if (prev.values && entry.values) prev.values = [...new Set([...prev.values, ...entry.values])];
    if (scope === 'topic') prev.topic = true;
    continue;
  }
  props.set(name, entry);
}
if (props.size < 100) throw new Error(`only ${props.size} properties parsed: has CONFIGURATION.md changed format?`);

const lit = (v) => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : Array.isArray(v) ? `[${v.map(lit).join(', ')}]` : String(v));
const rows = [...props].map(([name, e]) => `  ${lit(name)}: { ${Object.entries(e).map(([k, v]) => `${k}: ${lit(v)}`).join(', ')} },`);

writeFileSync(
  out,
  `/**
 * librdkafka ${pkg.librdkafka} configuration properties (from the CONFIGURATION.md bundled with
 * @confluentinc/kafka-javascript ${pkg.version}). GENERATED: do not edit by hand. To regenerate after
 * upgrading the binding: \`node scripts/gen-librdkafka-properties.mjs\`.
 *
 * role: C = consumer only, P = producer only, * = every client. topic: a topic-level property
 * (librdkafka also accepts those in the global configuration). min/max and values: the range
 * librdkafka enforces. aliasOf: another name for the same setting.
 */
export interface LibrdkafkaProperty {
  role: 'C' | 'P' | '*';
  type: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** librdkafka's default, for scalar types. */
  default?: string;
  aliasOf?: string;
  deprecated?: boolean;
  shareConsumerOnly?: boolean;
  topic?: boolean;
}

export const LIBRDKAFKA_VERSION = '${pkg.librdkafka}';

export const LIBRDKAFKA_PROPERTIES: Readonly<Record<string, LibrdkafkaProperty>> = {
${rows.join('\n')}
};
`,
);
console.log(`wrote ${props.size} properties to src/config/librdkafka-properties.ts`);
