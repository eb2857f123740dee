/**
 * Loading strait's YAML configuration file. See docs/config.md for the format.
 *
 * parseConfig / loadConfigFile return the validated StraitConfig or throw one ConfigError that
 * lists every problem; the *WithWarnings variants also return the non-fatal findings (settings
 * that are redundant or have no effect) for the caller to show.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from '../util/errors.js';
import type { StraitConfig } from './types.js';
import { buildConfig, type BuildOptions } from './validate.js';

export type LoadOptions = BuildOptions;

export interface LoadedConfig {
  config: StraitConfig;
  /** Non-fatal findings, each naming the key path. */
  warnings: ConfigProblem[];
}

export function parseConfigWithWarnings(text: string, sourceName: string, options: LoadOptions = {}): LoadedConfig {
  const lines = new LineCounter();
  // prettyErrors off: the pretty form quotes the offending source line, which may hold a secret.
  // merge on: `<<: *common` lets clusters share security settings.
  const doc = parseDocument(text, { prettyErrors: false, merge: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e): ConfigProblem => {
      const { line, col } = lines.linePos(e.pos[0]);
      return { path: `line ${line}, column ${col}`, message: `YAML syntax: ${e.message}` };
    });
    throw new ConfigError(problems, sourceName);
  }
  let document: unknown;
  try {
    // A document with aliases expanding to huge trees ("billion laughs") stops here.
    document = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError([{ path: '(document)', message: `cannot be read: ${err instanceof Error ? err.message : String(err)}` }], sourceName);
  }
  const { config, problems, warnings } = buildConfig(document, options);
  if (problems.length > 0) throw new ConfigError(inFileOrder(doc, problems), sourceName);
  return { config, warnings: inFileOrder(doc, warnings) };
}

/**
 * Findings come out grouped by the check that made them; a person reads the file top to
 * bottom, so list them in the order of the lines they are about (stable for equal lines).
 */
function inFileOrder(doc: Document, problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i, at: locate(doc.contents, p.path) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.p);
}

/**
 * Source offset of the deepest node a finding's path reaches (a missing key is placed at its
 * parent). Path segments are `.key`, `[index]` and `["odd key"]`; keys may contain dots
 * (`bootstrap.servers`), so at each mapping the longest key the path continues with wins.
 */
function locate(root: unknown, path: string): number {
  let node = root;
  let at = 0;
  let rest = path;
  while (rest.length > 0 && node !== null && typeof node === 'object') {
    if (isSeq(node)) {
      const m = /^\[(\d+)\]/.exec(rest);
      const item: unknown = m ? node.items[Number(m[1])] : undefined;
      if (!m || item === undefined) break;
      node = item;
      rest = rest.slice(m[0].length).replace(/^\./, '');
    } else if (isMap(node)) {
      let best: { value: unknown; start: number; length: number } | undefined;
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const v = pair.key.value;
        // toJS turns scalar keys into strings the same way.
        const key = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || v === null ? String(v) : undefined;
        if (key === undefined) continue;
        const keyStart = pair.key.range?.[0] ?? at;
        const quoted = `[${JSON.stringify(key)}]`;
        for (const form of [key, quoted]) {
          const next = rest.charAt(form.length);
          if (rest.startsWith(form) && (next === '' || next === '.' || next === '[') && (!best || form.length > best.length)) {
            best = { value: pair.value, start: keyStart, length: form.length };
          }
        }
      }
      if (!best) break;
      at = best.start;
      node = best.value;
      rest = rest.slice(best.length).replace(/^\./, '');
    } else break;
  }
  return path.startsWith('line ') ? 0 : at;
}

export function parseConfig(text: string, sourceName: string, options: LoadOptions = {}): StraitConfig {
  return parseConfigWithWarnings(text, sourceName, options).config;
}

/** Reads a configuration file, or throws a ConfigError saying why it cannot be read. */
export function readConfigText(path: string, what: string, example: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : err instanceof Error ? err.message : String(err);
    throw new ConfigError([{ path: '(file)', message: `cannot read the ${what}: ${why}`, example }], path);
  }
}

export function loadConfigFileWithWarnings(path: string, options: LoadOptions = {}): LoadedConfig {
  const text = readConfigText(path, 'configuration file', 'strait validate --config strait.yaml');
  return parseConfigWithWarnings(text, path, { baseDir: dirname(path), ...options });
}

export function loadConfigFile(path: string, options: LoadOptions = {}): StraitConfig {
  return loadConfigFileWithWarnings(path, options).config;
}
