/**
 * Running strait on a MirrorMaker 2 dedicated-mode properties file (`connect-mirror-maker.properties`):
 * `strait validate --mm2-config mm2.properties` and `strait run --mm2-config mm2.properties`.
 * The mapping is documented key by key in docs/mm2-config.md.
 *
 * The file is read as Java reads it (mm2-properties.ts), its keys are mapped to a document of the
 * same shape as strait's YAML file, and that document goes through the YAML file's validation
 * (buildConfig): every default, bound and cross-flow rule applies unchanged. What comes back is
 * reported under the MM2 key it came from, with a corrected example in properties syntax.
 *
 * A key the file does not set takes MM2's default (replication.factor 2, refresh every 10
 * minutes, checkpoints every 60 s, ...), so the file means what it meant to MM2. Settings strait
 * does not have give one warning each, naming the key and what to do instead; a key that looks
 * like a misspelt known key is an error with the likely spelling, since the setting it was meant
 * to be would silently not apply.
 */
import { availableParallelism } from 'node:os';
import { ConfigError, type ConfigProblem } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { compilePattern } from '../mirror/filters.js';
import type { StraitConfig } from './types.js';
import { readConfigText, type LoadedConfig, type LoadOptions } from './load.js';
import { buildConfig } from './validate.js';
import { UNRESOLVED } from './env.js';
import { Findings, indexPath, keyPath } from './findings.js';
import { isSecretName } from './redact.js';
import { ENGINE_KEYS, METRICS_KEYS, type Table } from './schema.js';
import { LIBRDKAFKA_PROPERTIES } from './librdkafka-properties.js';
import { parseProperties, type PropertiesEntry } from './mm2-properties.js';
import { fromJavaRegex } from './mm2-regex.js';
import { DEFAULT_CLASSES, DEFAULT_POLICY, DEPRECATED, IDENTITY_POLICY, ignoredReason, MM2_FLOW_SETTINGS, POLICIES, type Setting } from './mm2-settings.js';
import { type Provider, providerKind, ReferenceResolver } from './mm2-references.js';
import {
  type ClientScope,
  isJavaClientSetting,
  isKnownClientSetting,
  MM2_CLUSTER_CLIENT_SETTINGS,
  type Sourced,
  suggestClientSetting,
  translateClientScope,
  type TranslatedProperty,
} from './mm2-clients.js';

export type Mm2LoadOptions = LoadOptions;

// ---------------------------------------------------------------------------------------------
// Origins: where each part of the document came from

interface Origin {
  /** The MM2 key problems about this part are reported under. */
  key: string;
  line: number;
  /** A corrected example line for this key. */
  example?: string;
  /** Put before the message when the problem is about exactly this part (`cluster "x"`). */
  subject?: string;
  /** For a librdkafka property: its name here, and the MM2 key prefix of its scope. */
  property?: { name: string; prefix: string };
}

interface Given<T> {
  value: T | undefined;
  from: Sourced;
}

/** Everything read from the file, before it becomes a document. */
interface Reading {
  f: Findings;
  /** What `${provider:...}` references resolved to (secrets). */
  resolved: ReadonlySet<string>;
  aliases: string[];
  clustersEntry: Sourced | undefined;
  global: Map<string, Given<unknown>>;
  flows: Map<string, { source: string; target: string; settings: Map<string, Given<unknown>>; line: number }>;
  /** Top-level client settings: defaults for every cluster. */
  clientDefaults: Map<string, Sourced>;
  /** Per alias: `<alias>.<setting>` and `<alias>.<consumer|producer|admin>.<setting>`. */
  clusterSettings: Map<string, { common: Map<string, Sourced>; consumer: Map<string, Sourced>; producer: Map<string, Sourced>; admin: Map<string, Sourced> }>;
  /** `<alias>.exactly.once.source.support`, by target alias. */
  exactlyOnce: Map<string, Given<string>>;
  engine: Map<string, Sourced>;
}

// ---------------------------------------------------------------------------------------------
// Entry points

export function parseMm2ConfigWithWarnings(text: string, sourceName: string, options: Mm2LoadOptions = {}): LoadedConfig {
  const parsed = parseProperties(text);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, sourceName);
  const result = translateMm2(parsed.entries, options);
  if (result.problems.length > 0) throw new ConfigError(result.problems, sourceName);
  return { config: result.config, warnings: result.warnings };
}

export function parseMm2Config(text: string, sourceName: string, options: Mm2LoadOptions = {}): StraitConfig {
  return parseMm2ConfigWithWarnings(text, sourceName, options).config;
}

export function loadMm2ConfigFileWithWarnings(path: string, options: Mm2LoadOptions = {}): LoadedConfig {
  const text = readConfigText(path, 'MM2 configuration file', 'strait validate --mm2-config connect-mirror-maker.properties');
  return parseMm2ConfigWithWarnings(text, path, options);
}

export function loadMm2ConfigFile(path: string, options: Mm2LoadOptions = {}): StraitConfig {
  return loadMm2ConfigFileWithWarnings(path, options).config;
}

export interface Mm2Translation {
  /** The YAML-shaped document handed to the YAML file's validation (buildConfig). */
  document: Record<string, unknown>;
  /** The validated configuration; meaningful only when `problems` is empty. */
  config: StraitConfig;
  /** Every problem, under its MM2 key, in file order. */
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** Map parsed MM2 entries to a validated StraitConfig (the document is returned too, for inspection). */
export function translateMm2(entries: readonly PropertiesEntry[], options: Mm2LoadOptions = {}): Mm2Translation {
  const reading = read(entries, options);
  const origins = new Map<string, Origin>();
  const suppressed = new Set<string>();
  const document = escapeReferences(toDocument(reading, options, origins, suppressed));
  const built = buildConfig(document, { ...options, secrets: reading.resolved });
  const flowNames = built.config.flows.map((flow) => flow.name);
  const lines = new Map(entries.map((e) => [e.key, e.line]));
  const relocate = (list: ConfigProblem[]): Located[] => list.flatMap((p) => relocateFinding(p, origins, suppressed, flowNames));
  const own = (list: ConfigProblem[]): Located[] => list.map((p) => ({ ...p, line: lines.get(p.path) ?? 0 }));
  const problems = inFileOrder([...own(reading.f.problems), ...relocate(built.problems)]);
  const warnings = inFileOrder([...own(reading.f.warnings), ...relocate(built.warnings)]);
  return { document, config: built.config, problems, warnings };
}

type Located = ConfigProblem & { line: number };

function inFileOrder(list: Located[]): ConfigProblem[] {
  const seen = new Set<string>();
  return list
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.i - b.i)
    .map(({ p }) => {
      const { line: _line, ...rest } = p;
      return rest;
    })
    .filter((p) => {
      // Two routes to the same finding (a value checked here and again by the validator) say it once.
      const id = `${p.path}\u0000${p.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
}

// ---------------------------------------------------------------------------------------------
// Reading the entries

function read(entries: readonly PropertiesEntry[], options: Mm2LoadOptions): Reading {
  const f = new Findings();
  // The last of several entries for one key counts, as in java.util.Properties.
  const byKey = new Map<string, PropertiesEntry>();
  for (const e of entries) {
    const before = byKey.get(e.key);
    if (before !== undefined) f.warn(e.key, `is given twice (lines ${before.line} and ${e.line}); the last one counts, as in MM2`);
    byKey.set(e.key, e);
  }
  const resolver = new ReferenceResolver(readProviders(byKey, f), options.env ?? process.env);
  const sourced = new Map<string, Sourced>();
  for (const e of byKey.values()) {
    const r = resolver.resolve(e.value);
    if (!r.ok) {
      for (const problem of r.problems) f.error(e.key, problem.message, problem.example === undefined ? {} : { example: problem.example });
      sourced.set(e.key, { key: e.key, value: UNRESOLVED, line: e.line });
      continue;
    }
    // .properties files have no end-of-line comments; a ` #` in a value is usually one.
    if (/\s#/.test(e.value) && !isSecretName(e.key)) {
      f.warn(e.key, 'has a value containing " #": .properties files have no end-of-line comments, so MM2 and strait read the text after # as part of the value. Put the comment on its own line');
    }
    sourced.set(e.key, { key: e.key, value: r.value, line: e.line });
  }
  // What the config providers resolved is never quoted back, here or by the validation.
  f.protect(new Map(), resolver.resolved);
  if (resolver.undeclaredEnv) {
    const first = [...byKey.values()].find((e) => /\$\{env:/.test(e.value));
    f.warn(first?.key ?? 'config.providers', 'uses ${env:...}, but config.providers declares no EnvVarConfigProvider named env: MM2 would use the text as it is, strait reads the environment variable', {
      example: `config.providers = env\nconfig.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider`,
    });
  }
  for (const name of resolver.undeclared) {
    const first = [...byKey.values()].find((e) => e.value.includes(`\${${name}:`));
    f.warn(first?.key ?? 'config.providers', `refers to config provider ${name}, which config.providers does not declare: MM2 and strait use the text as it is`);
  }

  const reading: Reading = {
    f,
    resolved: resolver.resolved,
    aliases: [],
    clustersEntry: sourced.get('clusters'),
    global: new Map(),
    flows: new Map(),
    clientDefaults: new Map(),
    clusterSettings: new Map(),
    exactlyOnce: new Map(),
    engine: new Map(),
  };
  reading.aliases = readAliases(reading, sourced);
  for (const alias of reading.aliases) reading.clusterSettings.set(alias, { common: new Map(), consumer: new Map(), producer: new Map(), admin: new Map() });
  for (const s of sourced.values()) {
    if (s.key === 'clusters' || s.key === 'config.providers' || s.key.startsWith('config.providers.')) continue;
    classify(s, reading);
  }
  return reading;
}

function readProviders(byKey: Map<string, PropertiesEntry>, f: Findings): Map<string, Provider> {
  const providers = new Map<string, Provider>();
  const list = byKey.get('config.providers');
  const names = list === undefined ? [] : splitList(list.value);
  for (const name of names) {
    const classKey = `config.providers.${name}.class`;
    const cls = byKey.get(classKey);
    if (cls === undefined) {
      f.error(classKey, `is missing: config.providers names ${name}, which needs a class`, {
        example: `${classKey} = org.apache.kafka.common.config.provider.EnvVarConfigProvider`,
      });
      continue;
    }
    const kind = providerKind(cls.value);
    if (kind === 'unsupported') {
      f.warn(classKey, 'is a config provider strait does not have (it has EnvVarConfigProvider, FileConfigProvider and DirectoryConfigProvider): references to it cannot be resolved');
    }
    const allowed = byKey.get(`config.providers.${name}.param.allowed.paths`);
    providers.set(name, { kind, className: cls.value.trim(), ...(allowed ? { allowedPaths: splitList(allowed.value) } : {}) });
  }
  for (const key of byKey.keys()) {
    const m = /^config\.providers\.([^.]+)\./.exec(key);
    if (m && !names.includes(m[1])) f.warn(key, `has no effect: config.providers does not list ${m[1]}`);
  }
  return providers;
}

/** Java's LIST type: trimmed, split at commas with the blanks around them; empty is an empty list. */
function splitList(value: string): string[] {
  const t = value.trim();
  return t === '' ? [] : t.split(/\s*,\s*/);
}

function readAliases(reading: Reading, sourced: Map<string, Sourced>): string[] {
  const entry = reading.clustersEntry;
  if (entry !== undefined && entry.value !== UNRESOLVED) {
    const list = splitList(entry.value);
    if (list.some((a) => a === '')) reading.f.error('clusters', 'has an empty alias (two commas in a row, or one at an end)', { example: 'clusters = source, target' });
    return [...new Set(list.filter((a) => a !== ''))];
  }
  if (entry !== undefined) return [];
  // Without the list nothing else can be placed; guess the aliases from the keys so that the
  // error can show the line to add, and the rest of the file is still checked.
  const guessed = new Set<string>();
  for (const key of sourced.keys()) {
    const flow = /^([^.]+)->([^.]+)\./.exec(key);
    if (flow) {
      guessed.add(flow[1]);
      guessed.add(flow[2]);
    }
    const cluster = /^([^.]+)\.bootstrap\.servers$/.exec(key);
    if (cluster) guessed.add(cluster[1]);
  }
  const aliases = [...guessed];
  reading.f.error('clusters', 'is required: the aliases of the clusters this file connects', { example: `clusters = ${aliases.length > 0 ? aliases.join(', ') : 'source, target'}` });
  return aliases;
}

/** The declared alias `key` starts with (followed by `.`), the longest if several do. */
function aliasPrefix(key: string, aliases: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const a of aliases) if (key.startsWith(`${a}.`) && (best === undefined || a.length > best.length)) best = a;
  return best;
}

function classify(s: Sourced, r: Reading): void {
  const { key } = s;
  const f = r.f;
  const setting = MM2_FLOW_SETTINGS[key];
  if (setting !== undefined) {
    if (setting.flowOnly) {
      f.error(key, 'can only be given per flow, since two flows cannot share it', { example: `${r.aliases[0] ?? 'source'}->${r.aliases[1] ?? 'target'}.${key} = ${setting.example}` });
      return;
    }
    r.global.set(key, parseSetting(s, key, setting, f));
    return;
  }
  if (MM2_CLUSTER_CLIENT_SETTINGS.has(key)) {
    r.clientDefaults.set(key, s);
    return;
  }
  if (key.startsWith('strait.engine.')) {
    readEngineKey(s, key.slice('strait.engine.'.length), r);
    return;
  }
  if (key === 'exactly.once.source.support') {
    f.warn(key, `has no effect at the top level (in MM2 either): it is a worker setting of each target cluster, written <alias>.exactly.once.source.support`, {
      example: `${r.aliases[1] ?? 'target'}.exactly.once.source.support = enabled`,
    });
    return;
  }
  if (key.includes('->')) {
    classifyFlowKey(s, r);
    return;
  }
  const alias = aliasPrefix(key, r.aliases);
  if (alias !== undefined) {
    classifyClusterKey(s, alias, key.slice(alias.length + 1), r);
    return;
  }
  const ignored = ignoredReason(key);
  if (ignored !== undefined) {
    f.warn(key, ignored);
    return;
  }
  const section = /^(consumer|producer|admin)\.(.+)$/.exec(key);
  if (section || isJavaClientSetting(key)) {
    const name = section ? section[2] : key;
    const place = section ? section[1] : name === 'linger.ms' || name.startsWith('batch.') || name.startsWith('compression.') ? 'producer' : 'consumer';
    f.warn(key, `has no effect at the top level (in MM2 either): client settings are given per cluster, as <alias>.${place}.${name}`, {
      example: `${r.aliases[0] ?? 'source'}.${place}.${name} = ${shown(s)}`,
    });
    return;
  }
  reportUnknown(s, r);
}

/**
 * The value for an example line. Where the key is a guess at what was meant, the value is shown
 * only when neither name suggests a secret: a misspelt `sasl.pasword` is not recognised as one.
 */
function shown(s: Sourced, meant?: string): string {
  return s.value === UNRESOLVED || isSecretName(s.key) || (meant !== undefined && isSecretName(meant)) ? '...' : s.value;
}

/** A key nothing above recognised: a misspelling (error with the likely key) or something else (warning). */
function reportUnknown(s: Sourced, r: Reading): void {
  const { key } = s;
  const dot = key.indexOf('.');
  if (dot > 0) {
    // `<something>.<cluster setting>`: probably a cluster alias that is misspelt or not in `clusters`.
    const head = key.slice(0, dot);
    const rest = key.slice(dot + 1);
    if (isClusterLevel(rest)) {
      const hint = closest(head, r.aliases);
      if (hint !== undefined) {
        r.f.error(key, `names cluster ${head}, which is not in clusters (${r.aliases.join(', ')}); did you mean \`${hint}.${rest}\`?`, { example: `${hint}.${rest} = ${shown(s, rest)}` });
      } else {
        r.f.warn(key, `is ignored: ${head} is not in clusters (${r.aliases.join(', ') || 'none'}), as MM2 ignores it`, { example: `clusters = ${[...r.aliases, head].join(', ')}` });
      }
      return;
    }
  }
  const known = [...Object.keys(MM2_FLOW_SETTINGS).filter((k) => !MM2_FLOW_SETTINGS[k].flowOnly), 'clusters', 'config.providers', ...MM2_CLUSTER_CLIENT_SETTINGS, ...engineKeys().map((k) => `strait.engine.${k}`)];
  const hint = closest(key, known);
  if (hint !== undefined) {
    const setting = MM2_FLOW_SETTINGS[hint];
    r.f.error(key, `is not an MM2 setting; did you mean \`${hint}\`?`, { example: `${hint} = ${setting ? setting.example : shown(s, hint)}` });
  } else {
    r.f.warn(key, 'is not an MM2 setting strait knows, so it is ignored');
  }
}

function isClusterLevel(rest: string): boolean {
  return rest === 'bootstrap.servers' || /^(consumer|producer|admin)\./.test(rest) || MM2_CLUSTER_CLIENT_SETTINGS.has(rest) || rest === 'exactly.once.source.support';
}

function classifyClusterKey(s: Sourced, alias: string, rest: string, r: Reading): void {
  const f = r.f;
  const scopes = r.clusterSettings.get(alias)!;
  const section = /^(consumer|producer|admin)\.(.+)$/.exec(rest);
  if (section) {
    scopes[section[1] as 'consumer' | 'producer' | 'admin'].set(section[2], s);
    return;
  }
  if (MM2_CLUSTER_CLIENT_SETTINGS.has(rest)) {
    scopes.common.set(rest, s);
    return;
  }
  if (rest === 'exactly.once.source.support') {
    const v = s.value === UNRESOLVED ? undefined : s.value.trim().toLowerCase();
    if (v !== undefined && !['enabled', 'preparing', 'disabled'].includes(v)) {
      f.error(s.key, 'expected enabled, preparing or disabled', { value: s.value, example: `${alias}.exactly.once.source.support = enabled` });
      r.exactlyOnce.set(alias, { value: undefined, from: s });
    } else r.exactlyOnce.set(alias, { value: v, from: s });
    return;
  }
  const ignored = ignoredReason(rest);
  if (ignored !== undefined) {
    f.warn(s.key, ignored);
    return;
  }
  if (MM2_FLOW_SETTINGS[rest] !== undefined) {
    const other = r.aliases.find((a) => a !== alias) ?? 'target';
    f.warn(s.key, `has no effect (in MM2 either): MM2 reads <alias>.<name> as a client setting of that cluster. For the flows from ${alias}, write ${alias}->${other}.${rest}`, {
      example: `${alias}->${other}.${rest} = ${shown(s)}`,
    });
    return;
  }
  if (isJavaClientSetting(rest)) {
    const place = rest === 'linger.ms' || rest.startsWith('batch.') || rest.startsWith('compression.') || rest === 'acks' ? 'producer' : 'consumer';
    f.warn(
      s.key,
      `has no effect (in MM2 either): at the cluster level only bootstrap.servers, security.protocol, ssl.* and sasl.* reach the clients. To set it for ${alias}'s ${place}s, write ${alias}.${place}.${rest}`,
      { example: `${alias}.${place}.${rest} = ${shown(s)}` },
    );
    return;
  }
  if (Object.hasOwn(LIBRDKAFKA_PROPERTIES, rest)) {
    // A librdkafka property with no Java namesake (socket.keepalive.enable, ssl.ca.location,
    // ...) can only be meant for strait: it applies to every client of the cluster, as in YAML.
    scopes.common.set(rest, s);
    return;
  }
  const hint = suggestClientSetting(rest);
  if (hint !== undefined) {
    f.error(s.key, `is not a setting of cluster ${alias}; did you mean \`${alias}.${hint}\`?`, { example: `${alias}.${hint} = ${shown(s, hint)}` });
  } else {
    f.warn(s.key, `is not a client setting strait knows, so it is ignored`);
  }
}

function classifyFlowKey(s: Sourced, r: Reading): void {
  const { key } = s;
  const f = r.f;
  const arrow = key.indexOf('->');
  const source = key.slice(0, arrow);
  const after = key.slice(arrow + 2);
  const target = aliasPrefix(after, r.aliases);
  const sourceKnown = r.aliases.includes(source);
  if (!sourceKnown || target === undefined) {
    reportUnknownFlow(s, source, after, sourceKnown, r);
    return;
  }
  const rest = after.slice(target.length + 1);
  if (source === target) {
    f.error(key, `names the same cluster as source and target; a flow copies from one cluster to another`, { example: `${source}->${r.aliases.find((a) => a !== source) ?? 'target'}.${rest} = ${shown(s)}` });
    return;
  }
  const pair = `${source}->${target}`;
  let flow = r.flows.get(pair);
  if (flow === undefined) {
    flow = { source, target, settings: new Map(), line: s.line };
    r.flows.set(pair, flow);
  }
  flow.line = Math.min(flow.line, s.line);
  const setting = MM2_FLOW_SETTINGS[rest];
  if (setting !== undefined) {
    flow.settings.set(rest, parseSetting(s, rest, setting, f));
    return;
  }
  const section = /^(consumer|producer|admin)\.(.+)$/.exec(rest);
  if (section) {
    const cluster = section[1] === 'producer' ? target : section[1] === 'consumer' ? source : `${source} or ${target}`;
    const example = section[1] === 'admin' ? `${source}.admin.${section[2]}` : `${cluster}.${section[1]}.${section[2]}`;
    f.warn(key, `is ignored: strait configures clients per cluster, not per flow. Write ${example} (it then applies to every flow using ${cluster})`, {
      example: `${example} = ${shown(s)}`,
    });
    return;
  }
  const ignored = ignoredReason(rest);
  if (ignored !== undefined) {
    f.warn(key, ignored);
    return;
  }
  if (MM2_CLUSTER_CLIENT_SETTINGS.has(rest) || isKnownClientSetting(rest)) {
    f.warn(key, `has no effect (in MM2 either): client settings belong to a cluster, like ${source}.${rest}`, { example: `${source}.${rest} = ${shown(s)}` });
    return;
  }
  const hint = closest(rest, Object.keys(MM2_FLOW_SETTINGS));
  if (hint !== undefined) {
    f.error(key, `is not a setting of a flow; did you mean \`${pair}.${hint}\`?`, { example: `${pair}.${hint} = ${MM2_FLOW_SETTINGS[hint].example}` });
  } else {
    f.warn(key, 'is not a flow setting strait knows, so it is ignored');
  }
}

function reportUnknownFlow(s: Sourced, source: string, after: string, sourceKnown: boolean, r: Reading): void {
  const { key } = s;
  const defined = r.aliases.length > 0 ? ` (clusters: ${r.aliases.join(', ')})` : '';
  // The target alias ends at some dot; try each split to find the alias it was meant to be.
  let target = after.split('.')[0];
  let rest = after.slice(target.length + 1);
  let targetHint: string | undefined;
  if (!r.aliases.some((a) => after.startsWith(`${a}.`))) {
    const dots = [...after.matchAll(/\./g)].map((m) => m.index);
    for (const at of dots) {
      const hint = closest(after.slice(0, at), r.aliases);
      if (hint !== undefined) {
        targetHint = hint;
        target = after.slice(0, at);
        rest = after.slice(at + 1);
        break;
      }
    }
  } else {
    target = aliasPrefix(after, r.aliases)!;
    rest = after.slice(target.length + 1);
    targetHint = target;
  }
  if (rest === '') {
    r.f.error(key, `is a flow without a setting: write ${key}.enabled = true`, { example: `${key}.enabled = true` });
    return;
  }
  const sourceHint = sourceKnown ? source : closest(source, r.aliases);
  const unknown = [!sourceKnown ? source : undefined, targetHint === undefined || targetHint !== target ? target : undefined].filter((x) => x !== undefined);
  const fixed = `${sourceHint ?? source}->${targetHint ?? target}.${rest}`;
  const canFix = sourceHint !== undefined && targetHint !== undefined;
  r.f.error(key, `names cluster${unknown.length > 1 ? 's' : ''} ${unknown.join(' and ')}, not in clusters${defined}${canFix ? `; did you mean \`${fixed}\`?` : ''}`, {
    example: canFix ? `${fixed} = ${shown(s, rest)}` : `clusters = ${[...new Set([...r.aliases, source, target])].join(', ')}`,
  });
}

function engineKeys(): string[] {
  return [...Object.keys(ENGINE_KEYS).filter((k) => k !== 'metrics'), ...Object.keys(METRICS_KEYS).map((k) => `metrics.${k}`)];
}

function readEngineKey(s: Sourced, name: string, r: Reading): void {
  if (engineKeys().includes(name)) {
    r.engine.set(name, s);
    return;
  }
  const hint = closest(name, engineKeys());
  r.f.error(s.key, `is not an engine setting${hint ? `; did you mean \`strait.engine.${hint}\`?` : `; known: ${engineKeys().join(', ')}`}`, {
    ...(hint ? { example: `strait.engine.${hint} = ${shown(s, hint)}` } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Values

function parseSetting(s: Sourced, key: string, setting: Setting, f: Findings): Given<unknown> {
  const given = (value: unknown): Given<unknown> => ({ value, from: s });
  if (s.value === UNRESOLVED) return given(undefined);
  // Java's ConfigDef trims every value before parsing it.
  const text = s.value.trim();
  const bad = (expected: string): Given<unknown> => {
    f.error(s.key, `expected ${expected}`, { value: s.value, example: `${s.key} = ${setting.example}` });
    return given(undefined);
  };
  const t = setting.type;
  switch (t.kind) {
    case 'boolean':
      if (/^(true|false)$/i.test(text)) return given(text.toLowerCase() === 'true');
      return bad('true or false');
    case 'integer':
    case 'seconds': {
      if (!/^[+-]?\d+$/.test(text)) return bad(t.kind === 'seconds' ? 'a whole number of seconds' : 'a whole number');
      const n = Number(text);
      if (t.kind === 'integer' && (n < t.min || n > t.max)) return bad(`a whole number from ${t.min} to ${t.max}`);
      if (t.kind === 'seconds' && (n === 0 || n > DAY_SECONDS)) {
        return bad(`a number of seconds from 1 to ${DAY_SECONDS} (24h, strait's longest interval), or a negative one to turn the task off as in MM2`);
      }
      if (!Number.isSafeInteger(n * 1000)) return bad('a smaller number of seconds');
      return given(n);
    }
    case 'patterns':
      return given(readPatterns(s, key, setting, f));
    case 'string':
      if (text === '') return bad('a value');
      return given(text);
    case 'enum': {
      const v = t.values.find((x) => x === text);
      if (v !== undefined) return given(v);
      const hint = closest(text, t.values);
      return bad(`one of ${t.values.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    case 'class':
      return given(text);
  }
}

/**
 * An MM2 pattern list, with MM2's exact semantics: Java's LIST splits the value at commas, and
 * DefaultTopicFilter joins the items with `|` into one regular expression that must match the
 * whole name (an empty list matches nothing). So the list becomes that one joined pattern, and a
 * comma inside a pattern (`a{1,3}`) splits it exactly as MM2 does.
 */
function readPatterns(s: Sourced, key: string, setting: Setting, f: Findings): string[] | undefined {
  const items = splitList(s.value as string);
  const translated: string[] = [];
  for (const item of items) {
    const t = fromJavaRegex(item);
    if (typeof t !== 'string') {
      const split = /\{[^}]*,/.test(s.value as string) ? '. MM2 splits the list at every comma, so a repetition like {1,3} is cut in two' : '';
      const why = t.java ? `${t.problem}: MM2 cannot start with it either${split}` : `${t.problem}, a Java regular expression feature that strait's (JavaScript) regular expressions do not have or read differently. Rewrite the pattern without it`;
      f.error(s.key, why, {
        value: item,
        example: `${s.key} = ${setting.example}`,
      });
      return undefined;
    }
    translated.push(t);
  }
  if (translated.length === 0) return [];
  const joined = translated.join('|');
  try {
    compilePattern(joined);
  } catch (err) {
    f.error(s.key, `is not a valid regular expression (the items joined with |, as MM2 joins them): ${err instanceof Error ? err.message : String(err)}`, {
      value: s.value,
      example: `${s.key} = ${MM2_FLOW_SETTINGS[key]?.example ?? setting.example}`,
    });
    return undefined;
  }
  return [joined];
}

// ---------------------------------------------------------------------------------------------
// The document

interface FlowPlan {
  source: string;
  target: string;
  pair: string;
  line: number;
  get: (key: string) => Given<unknown> | undefined;
}

function toDocument(r: Reading, options: Mm2LoadOptions, origins: Map<string, Origin>, suppressed: Set<string>): Record<string, unknown> {
  const clustersLine = r.clustersEntry?.line ?? 0;
  const document: Record<string, unknown> = {};
  const sanitized = r.aliases.map((a) => a.replace(/[^A-Za-z0-9_-]+/g, '-'));
  origins.set('clusters', { key: 'clusters', line: clustersLine, example: `clusters = ${sanitized.join(', ') || 'source, target'}` });
  if (r.clustersEntry === undefined) suppressed.add('clusters');
  const clusters: Record<string, unknown> = {};
  for (const alias of r.aliases) clusters[alias] = clusterDocument(alias, r, origins, clustersLine);
  if (r.aliases.length > 0 || r.clustersEntry !== undefined) document.clusters = clusters;

  const plans = planFlows(r);
  if (plans.length === 0 && r.aliases.length > 0) {
    const [a, b] = [r.aliases[0], r.aliases[1] ?? 'target'];
    r.f.error(`${a}->${b}.enabled`, 'no replication flow is enabled, so there is nothing to replicate (MM2 would only emit heartbeats). Enable one per source and target', {
      example: `${a}->${b}.enabled = true`,
    });
  }
  if (plans.length === 0) suppressed.add('flows');
  document.flows = plans.map((plan, i) => flowDocument(plan, i, r, origins));
  if (plans.length > 0) origins.set('flows', { key: `${plans[0].pair}.enabled`, line: plans[0].line });

  document.engine = engineDocument(r, plans, options, origins);
  return document;
}

function clusterDocument(alias: string, r: Reading, origins: Map<string, Origin>, clustersLine: number): Record<string, unknown> {
  const path = keyPath('clusters', alias);
  const safe = alias.replace(/[^A-Za-z0-9_-]+/g, '-');
  origins.set(path, {
    key: 'clusters',
    line: clustersLine,
    subject: `cluster "${alias}"`,
    example: `clusters = ${r.aliases.map((a) => a.replace(/[^A-Za-z0-9_-]+/g, '-')).join(', ')}`,
  });
  origins.set(keyPath(path, 'bootstrap.servers'), { key: `${alias}.bootstrap.servers`, line: clustersLine, example: `${safe}.bootstrap.servers = 10.0.0.1:9092,10.0.0.2:9092` });
  const scopes = r.clusterSettings.get(alias)!;
  const body: Record<string, unknown> = {};
  // MM2 hands top-level client settings to every cluster that does not set them itself.
  const common = new Map([...r.clientDefaults, ...scopes.common]);
  const place = (target: Record<string, unknown>, targetPath: string, prefix: string, props: TranslatedProperty[]): void => {
    for (const p of props) {
      let value = p.value;
      // Java's list syntax allows blanks after commas; librdkafka's does not need them.
      if (p.name === 'bootstrap.servers' && typeof value === 'string') value = splitList(value).join(',');
      target[p.name] = value;
      origins.set(keyPath(targetPath, p.name), { key: p.from.key, line: p.from.line, property: { name: p.name, prefix } });
    }
  };
  const commonScope: ClientScope = { alias, place: 'cluster', props: common, prefix: `${alias}.` };
  place(body, path, `${alias}.`, translateClientScope(commonScope, r.f));
  for (const section of ['consumer', 'producer', 'admin'] as const) {
    const props = scopes[section];
    if (props.size === 0) continue;
    const sectionBody: Record<string, unknown> = {};
    const prefix = `${alias}.${section}.`;
    place(sectionBody, keyPath(path, section), prefix, translateClientScope({ alias, place: section, props, prefix, inherited: common }, r.f));
    body[section] = sectionBody;
  }
  const bootstrap = common.get('bootstrap.servers');
  if (bootstrap !== undefined) {
    origins.set(keyPath(path, 'bootstrap.servers'), { key: bootstrap.key, line: bootstrap.line, example: `${safe}.bootstrap.servers = 10.0.0.1:9092,10.0.0.2:9092` });
  }
  return body;
}

/**
 * References were resolved when the file was read, so a `${` still in a value is text: escape it
 * (`$${`) before the validation, which would otherwise read it as a reference again.
 */
function escapeReferences<T>(node: T): T {
  if (typeof node === 'string') return node.replace(/\$\{/g, () => '$${') as T;
  if (Array.isArray(node)) return node.map((x: unknown) => escapeReferences(x)) as T;
  if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, escapeReferences(v as unknown)])) as T;
  return node;
}

function planFlows(r: Reading): FlowPlan[] {
  const globalEnabled = r.global.get('enabled');
  const pairs: { source: string; target: string }[] = [];
  if (globalEnabled?.value === true) {
    // `enabled = true` at the top level enables every pair, as in MM2.
    for (const source of r.aliases) for (const target of r.aliases) if (source !== target) pairs.push({ source, target });
  } else {
    for (const flow of r.flows.values()) pairs.push({ source: flow.source, target: flow.target });
  }
  const plans: FlowPlan[] = [];
  for (const { source, target } of pairs) {
    const pair = `${source}->${target}`;
    const flow = r.flows.get(pair);
    const get = (key: string): Given<unknown> | undefined => flow?.settings.get(key) ?? r.global.get(key);
    const enabled = get('enabled');
    if (enabled === undefined) {
      // Settings for a pair that is not enabled have no effect, as in MM2 (except heartbeats,
      // which strait ties to flows).
      const first = flow ? [...flow.settings.values()].sort((a, b) => a.from.line - b.from.line)[0] : undefined;
      if (first !== undefined && !/heartbeats/.test(first.from.key)) {
        r.f.warn(first.from.key, `has no effect: ${pair} is not enabled (MM2 flows are off unless ${pair}.enabled = true)`, { example: `${pair}.enabled = true` });
      }
      continue;
    }
    plans.push({ source, target, pair, line: flow?.line ?? globalEnabled?.from.line ?? 0, get });
  }
  return plans.sort((a, b) => a.line - b.line || a.pair.localeCompare(b.pair));
}

function flowDocument(plan: FlowPlan, index: number, r: Reading, origins: Map<string, Origin>): Record<string, unknown> {
  const path = indexPath('flows', index);
  const { get, pair } = plan;
  const enabledFrom = get('enabled')!.from;
  const origin = (docPath: string, key: string, example?: string): void => {
    originOf(origins, docPath, plan, key);
    if (example !== undefined) origins.get(docPath)!.example = `${origins.get(docPath)!.key} = ${example}`;
  };
  origins.set(path, { key: enabledFrom.key, line: enabledFrom.line, example: `${pair}.enabled = true` });
  const flow: Record<string, unknown> = { source: plan.source, target: plan.target, enabled: get('enabled')?.value ?? false };
  origin(keyPath(path, 'enabled'), 'enabled');

  // Topics and groups: MM2's lists replace its defaults when given, so strait's defaults are
  // then left out too (excludeDefaults: false).
  for (const [what, include, exclude] of [
    ['topics', 'topics', 'topics.exclude'],
    ['groups', 'groups', 'groups.exclude'],
  ] as const) {
    const section: Record<string, unknown> = {};
    const inc = get(include);
    if (inc !== undefined && inc.value !== undefined) section.include = inc.value;
    origin(keyPath(path, `${what}.include`), include, what === 'topics' ? '.*' : undefined);
    const exc = effectiveExclude(get, exclude, r);
    if (exc !== undefined) {
      if (exc.value !== undefined) {
        section.exclude = exc.value;
        section.excludeDefaults = false;
      }
      origins.set(keyPath(path, `${what}.exclude`), { key: exc.from.key, line: exc.from.line, example: `${exc.from.key} = ${MM2_FLOW_SETTINGS[exclude].example}` });
    }
    flow[what] = section;
  }

  const replication: Record<string, unknown> = {};
  const policy = get('replication.policy.class');
  if (policy?.value !== undefined) {
    const name = POLICIES[policy.value as string];
    if (name === undefined) {
      reportOnce(r, policy.from, () =>
        r.f.error(
          policy.from.key,
          `is a replication policy strait does not have: it has ${DEFAULT_POLICY} (remote topics "<source>.<topic>") and ${IDENTITY_POLICY} (names kept). A custom policy is Java code; choose the one that names topics like it`,
          { value: policy.value, example: `${policy.from.key} = ${DEFAULT_POLICY}` },
        ),
      );
    } else replication.policy = name;
  }
  origin(keyPath(path, 'replication.policy'), 'replication.policy.class', DEFAULT_POLICY);
  const separator = get('replication.policy.separator');
  if (separator?.value !== undefined) replication.separator = separator.value;
  origin(keyPath(path, 'replication.separator'), 'replication.policy.separator');
  const internal = get('replication.policy.internal.topic.separator.enabled');
  if (internal?.value !== undefined) replication.internalTopicSeparatorEnabled = internal.value;
  origin(keyPath(path, 'replication.internalTopicSeparatorEnabled'), 'replication.policy.internal.topic.separator.enabled');
  flow.replication = replication;

  // MM2's default replication factor of remote topics is 2.
  flow.replicationFactor = get('replication.factor')?.value ?? 2;
  origin(keyPath(path, 'replicationFactor'), 'replication.factor');

  flow.refreshTopicsInterval = refreshInterval(plan, r);
  origin(keyPath(path, 'refreshTopicsInterval'), 'refresh.topics.interval.seconds');

  const emit = (docKey: string, enabledKey: string, intervalKey: string, defaultEnabled: boolean, defaultSeconds: number): void => {
    const on = (get(enabledKey)?.value as boolean | undefined) ?? defaultEnabled;
    const secs = (get(intervalKey)?.value as number | undefined) ?? defaultSeconds;
    // A negative interval turns the task off in MM2.
    flow[docKey] = secs < 0 ? { enabled: false } : { enabled: on, interval: secs * 1000 };
    origin(keyPath(path, `${docKey}.enabled`), enabledKey);
    origin(keyPath(path, `${docKey}.interval`), intervalKey);
  };
  emit('checkpoints', 'emit.checkpoints.enabled', 'emit.checkpoints.interval.seconds', true, 60);
  emit('heartbeats', 'emit.heartbeats.enabled', 'emit.heartbeats.interval.seconds', true, 1);
  emit('syncGroupOffsets', 'sync.group.offsets.enabled', 'sync.group.offsets.interval.seconds', false, 60);
  const location = get('offset-syncs.topic.location');
  if (location?.value !== undefined) {
    flow['offsetSyncsTopicLocation'] = location.value;
    origin(keyPath(path, 'offsetSyncsTopicLocation'), 'offset-syncs.topic.location');
  }

  const mode = modeOf(plan, r);
  if (mode !== undefined) flow.mode = mode.value;
  origins.set(keyPath(path, 'mode'), { key: mode?.key ?? `${pair}.strait.mode`, line: mode?.line ?? plan.line, example: `${pair}.strait.mode = at-least-once` });
  for (const [docKey, key, example] of [
    ['onRecordError', 'strait.onRecordError', undefined],
    ['onDataLoss', 'strait.onDataLoss', undefined],
    ['groupId', 'strait.groupId', `strait.${plan.source}.${plan.target}`],
    ['name', 'strait.name', pair],
  ] as const) {
    const g = get(key);
    if (g?.value !== undefined) flow[docKey] = g.value;
    origin(keyPath(path, docKey), key, example);
  }
  placeSync(flow, path, plan, r, origins);
  warnUnsupported(plan, r);
  return flow;
}

/** `topics.exclude` wins over the deprecated `topics.blacklist`, after flow and global values are merged (MM2's order). */
function effectiveExclude(get: FlowPlan['get'], exclude: string, r: Reading): Given<unknown> | undefined {
  const current = get(exclude);
  const deprecated = Object.keys(DEPRECATED).find((k) => DEPRECATED[k] === exclude)!;
  const old = get(deprecated);
  if (old !== undefined) {
    reportOnce(r, old.from, () =>
      r.f.warn(old.from.key, `is deprecated (and gone from Kafka 4.0): write ${old.from.key.replace(/blacklist$/, 'exclude')}${current !== undefined ? `. It is ignored here: ${current.from.key} is set too, and wins as in MM2` : ''}`, {
        example: `${old.from.key.replace(/blacklist$/, 'exclude')} = ${MM2_FLOW_SETTINGS[exclude].example}`,
      }),
    );
  }
  return current ?? old;
}

const reported = new WeakMap<Findings, Set<string>>();

/** A global value is read once per flow; what it says is said once. */
function reportOnce(r: Reading, from: Sourced, report: () => void): void {
  let set = reported.get(r.f);
  if (set === undefined) {
    set = new Set();
    reported.set(r.f, set);
  }
  if (set.has(from.key)) return;
  set.add(from.key);
  report();
}

const DAY_SECONDS = 86_400;

function refreshInterval(plan: FlowPlan, r: Reading): number {
  const enabled = plan.get('refresh.topics.enabled');
  const interval = plan.get('refresh.topics.interval.seconds');
  const secs = (interval?.value as number | undefined) ?? 600;
  const off = enabled?.value === false ? enabled : secs < 0 ? interval : undefined;
  if (off !== undefined) {
    reportOnce(r, off.from, () =>
      r.f.warn(off.from.key, 'turns topic refresh off in MM2; strait always follows new topics and partitions, and does so every 24h, its longest interval', {
        example: 'refresh.topics.interval.seconds = 86400',
      }),
    );
    return DAY_SECONDS * 1000;
  }
  return secs * 1000;
}

function modeOf(plan: FlowPlan, r: Reading): { value: string; key: string; line: number } | undefined {
  const explicit = plan.get('strait.mode');
  if (explicit?.value !== undefined) return { value: explicit.value as string, key: explicit.from.key, line: explicit.from.line };
  // MM2 writes with exactly-once semantics into a target whose worker has it enabled.
  const eos = r.exactlyOnce.get(plan.target);
  if (eos?.value === 'enabled') return { value: 'exactly-once', key: eos.from.key, line: eos.from.line };
  return undefined;
}

/** Topic configuration and ACL sync: the flow's `sync` section, with MM2's defaults (on, every 10 minutes). */
function placeSync(flow: Record<string, unknown>, path: string, plan: FlowPlan, r: Reading, origins: Map<string, Origin>): void {
  const part = (name: string, enabledKey: string, intervalKey: string): Record<string, unknown> => {
    const secs = (plan.get(intervalKey)?.value as number | undefined) ?? 600;
    const enabled = (plan.get(enabledKey)?.value as boolean | undefined) ?? true;
    originOf(origins, keyPath(path, `sync.${name}.enabled`), plan, enabledKey);
    originOf(origins, keyPath(path, `sync.${name}.interval`), plan, intervalKey);
    return secs < 0 ? { enabled: false } : { enabled, interval: secs * 1000 };
  };
  const topicConfigs = part('topicConfigs', 'sync.topic.configs.enabled', 'sync.topic.configs.interval.seconds');
  // MM2's config.properties.exclude replaces its default list, so strait's defaults are left out too.
  const exclude = effectiveExclude(plan.get, 'config.properties.exclude', r);
  if (exclude !== undefined) {
    if (exclude.value !== undefined) {
      topicConfigs.exclude = exclude.value;
      topicConfigs.excludeDefaults = false;
    }
    origins.set(keyPath(path, 'sync.topicConfigs.exclude'), { key: exclude.from.key, line: exclude.from.line, example: `${exclude.from.key} = ${MM2_FLOW_SETTINGS['config.properties.exclude'].example}` });
  }
  const defaults = plan.get('use.defaults.from');
  if (defaults?.value !== undefined) topicConfigs.useDefaultsFrom = defaults.value;
  originOf(origins, keyPath(path, 'sync.topicConfigs.useDefaultsFrom'), plan, 'use.defaults.from');
  flow.sync = { topicConfigs, acls: part('acls', 'sync.topic.acls.enabled', 'sync.topic.acls.interval.seconds') };
}

function originOf(origins: Map<string, Origin>, docPath: string, plan: FlowPlan, key: string): void {
  const g = plan.get(key);
  const where = g ? { key: g.from.key, line: g.from.line } : { key: `${plan.pair}.${key}`, line: plan.line };
  origins.set(docPath, { ...where, example: `${where.key} = ${MM2_FLOW_SETTINGS[key]?.example ?? ''}` });
}

/** Settings strait reads but does differently or not at all: one warning per key. */
function warnUnsupported(plan: FlowPlan, r: Reading): void {
  const warn = (key: string, message: string, when: (v: unknown) => boolean = () => true): void => {
    const g = plan.get(key);
    if (g === undefined || g.value === undefined || !when(g.value)) return;
    reportOnce(r, g.from, () => r.f.warn(g.from.key, message));
  };
  const rf = (v: unknown): boolean => v !== -1;
  const internal = "strait creates MM2's internal topics (heartbeats, checkpoints, offset syncs) with the broker's default replication factor (default.replication.factor)";
  warn('checkpoints.topic.replication.factor', `is not applied: ${internal}`, rf);
  warn('heartbeats.topic.replication.factor', `is not applied: ${internal}`, rf);
  warn('offset-syncs.topic.replication.factor', `is not applied: ${internal}`, rf);
  warn('emit.offset-syncs.enabled', 'is not supported: strait always writes offset syncs, which checkpoints and offset translation by MM2 tools rely on', (v) => v === false);
  warn('heartbeats.replication.enabled', 'is not supported: strait always replicates heartbeats topics, as MM2 does by default', (v) => v === false);
  warn('refresh.groups.enabled', 'has no effect: strait looks for consumer groups at every checkpoint');
  warn('refresh.groups.interval.seconds', 'has no effect: strait looks for consumer groups at every checkpoint');
  warn('offset.lag.max', 'has no effect: strait records the exact offset of every run of records it copies, so offset translation never lags');
  warn('consumer.poll.timeout.ms', 'has no effect: strait polls its consumers itself');
  warn('admin.timeout.ms', 'has no effect: strait sets the timeouts of its admin calls itself');
  for (const key of Object.keys(DEFAULT_CLASSES)) {
    warn(key, `is ignored: it names a Java class, which strait cannot load. strait selects with the topics, topics.exclude, groups and groups.exclude patterns`, (v) => !DEFAULT_CLASSES[key].includes(v as string));
  }
}

function engineDocument(r: Reading, plans: FlowPlan[], options: Mm2LoadOptions, origins: Map<string, Origin>): Record<string, unknown> {
  const engine: Record<string, unknown> = {};
  const metrics: Record<string, unknown> = {};
  for (const [name, s] of r.engine) {
    const value = s.value === UNRESOLVED ? UNRESOLVED : s.value.trim();
    if (name.startsWith('metrics.')) metrics[name.slice('metrics.'.length)] = value;
    else engine[name] = value;
    const docPath = name.startsWith('metrics.') ? `engine.metrics.${name.slice(8)}` : `engine.${name}`;
    const spec = name.startsWith('metrics.') ? (METRICS_KEYS as Table)[name.slice(8)] : (ENGINE_KEYS as Table)[name];
    origins.set(docPath, { key: s.key, line: s.line, example: `${s.key} = ${spec?.example.replace(/^[^:]+:\s*/, '') ?? ''}` });
  }
  if (Object.keys(metrics).length > 0) engine.metrics = metrics;
  if (!r.engine.has('workers')) {
    // tasks.max bounds how many tasks share a flow's partitions; strait's worker threads each
    // serve a share of every flow, so the largest tasks.max of the enabled flows sets their
    // number, up to the cores (more threads than cores add nothing).
    const tasks = plans
      .filter((p) => p.get('enabled')?.value === true)
      .map((p) => p.get('tasks.max'))
      .filter((g): g is Given<unknown> => g?.value !== undefined);
    if (tasks.length > 0) {
      const largest = tasks.reduce((a, b) => ((b.value as number) > (a.value as number) ? b : a));
      const cores = Math.max(1, options.availableParallelism ?? availableParallelism());
      const wanted = largest.value as number;
      const max = (ENGINE_KEYS.workers.type as { max: number }).max;
      const workers = Math.min(wanted, cores, max);
      engine.workers = workers;
      origins.set('engine.workers', { key: largest.from.key, line: largest.from.line, example: `${largest.from.key} = ${workers}` });
      if (workers < wanted) {
        reportOnce(r, largest.from, () =>
          r.f.warn(largest.from.key, `asks for ${wanted} tasks; strait runs ${workers} worker thread(s), one per core, each serving a share of every flow's partitions (strait.engine.workers sets the number)`, {
            example: `strait.engine.workers = ${workers}`,
          }),
        );
      }
    }
  }
  return engine;
}

// ---------------------------------------------------------------------------------------------
// Findings of the validation, reported under MM2 keys

/** Terms of the YAML format in the validator's messages, and their MM2 counterparts. */
const YAML_TERMS: readonly [RegExp, string][] = [
  [/replication\.policy: default/g, `replication.policy.class = ${DEFAULT_POLICY}`],
  [/replication\.separator/g, 'replication.policy.separator'],
  [/\btopics\.include\b/g, 'topics'],
  [/its own groupId/g, 'its own strait.groupId'],
];

function relocateFinding(p: ConfigProblem, origins: Map<string, Origin>, suppressed: Set<string>, flowNames: string[]): Located[] {
  if (suppressed.has(p.path)) return [];
  let best: string | undefined;
  for (const candidate of origins.keys()) {
    const next = p.path.charAt(candidate.length);
    if (p.path.startsWith(candidate) && (next === '' || next === '.' || next === '[') && (best === undefined || candidate.length > best.length)) best = candidate;
  }
  let message = p.message
    .replace(/flows\[(\d+)\] \(([^)]*)\)/g, 'flow $2')
    .replace(/flows\[(\d+)\]/g, (_m, i: string) => `flow ${flowNames[Number(i)] ?? i}`);
  for (const [re, text] of YAML_TERMS) message = message.replace(re, text);
  if (best === undefined) return [{ ...p, message, line: 0 }];
  const o = origins.get(best)!;
  if (o.subject !== undefined && best === p.path) message = `${o.subject} ${message}`;
  const out: Located = { path: o.key, message, line: o.line };
  if (p.value !== undefined) {
    // The validator shows its own name of the policy; the file named a class.
    const policyClass = o.key.endsWith('replication.policy.class') ? { default: DEFAULT_POLICY, identity: IDENTITY_POLICY }[p.value as string] : undefined;
    out.value = policyClass ?? p.value;
  }
  const example = exampleFor(p.example, o);
  if (example !== undefined) out.example = example;
  return [out];
}

/** A corrected example in properties syntax: the origin's own, or the validator's `name: value` moved to the MM2 key. */
function exampleFor(yaml: string | undefined, o: Origin): string | undefined {
  if (o.property !== undefined && yaml !== undefined) {
    const m = /^([A-Za-z0-9_.-]+): (.*)$/.exec(yaml);
    if (m) return m[1] === o.property.name ? `${o.key} = ${m[2]}` : `${o.property.prefix}${m[1]} = ${m[2]}`;
  }
  return o.example;
}
