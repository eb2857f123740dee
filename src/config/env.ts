/**
 * `${env:NAME}` and `${file:path}` references in configuration values: the syntax of Kafka's
 * EnvVarConfigProvider and FileConfigProvider, so the secrets plumbing operators built for MM2
 * (variables set by the service manager, files mounted from a Kubernetes Secret) serves strait too.
 *
 * - `${env:NAME}`: the environment variable NAME.
 * - `${file:path}`: the whole content of a file, without one trailing line break (what
 *   `echo secret > file` and mounted secrets end with). A relative path is taken from the
 *   configuration file's folder, so a service started from another directory reads the same file.
 * - `${file:path:key}`: the value of `key` in a Java properties file, as MM2's FileConfigProvider
 *   reads it (the path ends at its first `:`).
 * - `$${` writes a literal `${`.
 *
 * References are replaced inside scalar values only, after YAML parsing, so neither a variable
 * nor a file can change the structure of the configuration. What they resolve to is treated as a
 * secret wherever settings are shown (see Findings.protect): the text is never quoted back.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseProperties } from './mm2-properties.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where references are resolved. */
export interface ReferenceContext {
  env: Env;
  /** Folder relative `${file:...}` paths start from: the configuration file's folder. */
  baseDir: string;
}

/** One reference that could not be resolved; `describeReferenceProblem` words it. */
export type UnresolvedReference =
  | { kind: 'missing-env'; name: string }
  | { kind: 'malformed'; reference: string }
  | { kind: 'file'; path: string; why: string }
  | { kind: 'file-key'; path: string; key: string };

export type Substitution = { ok: true; value: string; resolved: string[] } | { ok: false; problems: UnresolvedReference[] };

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A secret file is a password, a key or a few certificates; anything larger is a wrong path. */
export const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/**
 * Reads the files `${file:...}` references name, each once per configuration load (a file shared
 * by several clusters is read once, so they all see the same content).
 */
class FileCache {
  private readonly files = new Map<string, { text: string } | { why: string }>();

  read(path: string): { text: string } | { why: string } {
    let entry = this.files.get(path);
    if (entry === undefined) {
      entry = readSecretFile(path);
      this.files.set(path, entry);
    }
    return entry;
  }
}

function readSecretFile(path: string): { text: string } | { why: string } {
  try {
    // A device or a fifo (a mistyped /dev/... path) could block or never end.
    const st = statSync(path);
    if (st.isDirectory()) return { why: 'it is a directory' };
    if (!st.isFile()) return { why: 'it is not a regular file' };
    if (st.size > MAX_SECRET_FILE_BYTES) return { why: `it has ${st.size} bytes, more than the ${MAX_SECRET_FILE_BYTES} a secret file may have` };
    const text = readFileSync(path, 'utf8');
    return { text };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'permission denied' : err instanceof Error ? err.message : String(err) };
  }
}

/** One trailing line break is the file's end, not part of the secret. */
function withoutFinalNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

function fromFile(body: string, context: ReferenceContext, files: FileCache, problems: UnresolvedReference[]): string | undefined {
  // MM2's pattern `${provider:[path:]key}`: the path ends at its first colon.
  const colon = body.indexOf(':');
  const given = colon < 0 ? body : body.slice(0, colon);
  const key = colon < 0 ? undefined : body.slice(colon + 1);
  const path = isAbsolute(given) ? given : resolve(context.baseDir, given);
  const read = files.read(path);
  if ('why' in read) {
    problems.push({ kind: 'file', path, why: read.why });
    return undefined;
  }
  if (key === undefined) {
    const text = withoutFinalNewline(read.text);
    if (text === '') problems.push({ kind: 'file', path, why: 'it is empty' });
    return text === '' ? undefined : text;
  }
  // The last entry of a key counts, as in java.util.Properties.
  const entry = parseProperties(read.text).entries.filter((e) => e.key === key).pop();
  if (entry === undefined) problems.push({ kind: 'file-key', path, key });
  return entry?.value;
}

function substitute(text: string, context: ReferenceContext, files: FileCache): Substitution {
  if (!text.includes('${')) return { ok: true, value: text, resolved: [] };
  const problems: UnresolvedReference[] = [];
  const resolved: string[] = [];
  const value = text.replace(REFERENCE, (whole: string, body: string | undefined) => {
    if (body === undefined) return '${'; // the `$${` escape
    let v: string | undefined;
    if (body.startsWith('env:') && ENV_NAME.test(body.slice(4))) {
      const name = body.slice(4);
      v = context.env[name];
      if (v === undefined) problems.push({ kind: 'missing-env', name });
    } else if (body.startsWith('file:') && body.length > 5) {
      v = fromFile(body.slice(5), context, files, problems);
    } else {
      problems.push({ kind: 'malformed', reference: whole });
    }
    if (v === undefined) return whole;
    resolved.push(v);
    return v;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value, resolved };
}

/**
 * The message and example for a reference that could not be resolved. `secret`: the value
 * belongs to a secret property, so the text around a bad reference is not quoted (it may be part
 * of the secret); a file path is never secret and is always named.
 */
export function describeReferenceProblem(p: UnresolvedReference, property: string, secret: boolean): { message: string; example: string } {
  const key = property || 'key';
  switch (p.kind) {
    case 'missing-env':
      return { message: `refers to environment variable ${p.name}, which is not set`, example: `export ${p.name}=...   (before starting strait)` };
    case 'file':
      return {
        message: `refers to file ${p.path} (\${file:...}), which cannot be read: ${p.why}. Create it with the secret as its only content, or fix the path (relative paths start at the configuration file's folder)`,
        example: `${key}: \${file:/run/secrets/${key}}`,
      };
    case 'file-key':
      return {
        message: `refers to key ${p.key} of the properties file ${p.path} (\${file:path:key}), which that file does not have`,
        example: `${p.key}=...   (a line in ${p.path})`,
      };
    case 'malformed':
      return {
        message: `${secret ? 'a `${...}` reference' : `\`${p.reference}\``} is not supported: write \${env:NAME} for an environment variable, \${file:path} for a file's content, or $\${ for a literal \${`,
        example: `${key}: \${env:MY_VARIABLE}`,
      };
  }
}

/**
 * Stands in for a value whose reference could not be resolved. The reference was reported
 * already, so checks treat it as "no value" without reporting it again.
 */
export const UNRESOLVED: unique symbol = Symbol('unresolved');

export interface TreeProblem {
  path: string;
  /** The key the value belongs to (for redaction). */
  property: string;
  problem: UnresolvedReference;
}

export interface SubstitutedTree {
  tree: unknown;
  problems: TreeProblem[];
  /** Path -> the value as written (with its references), for every value that had a reference. */
  referenced: Map<string, string>;
  /** Everything a reference resolved to: secrets, never to be shown. */
  resolved: Set<string>;
}

/**
 * Replace the references in every string of a parsed YAML tree. Values with a reference that
 * cannot be resolved become UNRESOLVED.
 */
export function substituteTree(tree: unknown, context: ReferenceContext, pathOf: (parent: string, key: string | number) => string): SubstitutedTree {
  const files = new FileCache();
  const problems: TreeProblem[] = [];
  const referenced = new Map<string, string>();
  const resolved = new Set<string>();
  const walk = (node: unknown, path: string, property: string): unknown => {
    if (typeof node === 'string') {
      const r = substitute(node, context, files);
      if (!r.ok) {
        for (const problem of r.problems) problems.push({ path, property, problem });
        return UNRESOLVED;
      }
      if (r.resolved.length > 0) {
        referenced.set(path, node);
        for (const v of r.resolved) resolved.add(v);
      }
      return r.value;
    }
    if (Array.isArray(node)) return node.map((item: unknown, i) => walk(item, pathOf(path, i), property));
    if (typeof node === 'object' && node !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, pathOf(path, k), k);
      return out;
    }
    return node;
  };
  return { tree: walk(tree, '', ''), problems, referenced, resolved };
}
