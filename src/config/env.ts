/**
 * `${env:NAME}` references in configuration values, the syntax of Kafka's EnvVarConfigProvider,
 * so the same secrets plumbing works for strait and for MM2 property files. `$${` writes a
 * literal `${`. References are replaced inside scalar values only, after YAML parsing, so an
 * environment variable can never change the structure of the file.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export type Substitution =
  | { ok: true; value: string; substituted: boolean }
  | { ok: false; missing: string[]; malformed: string[] };

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function substituteEnv(text: string, env: Env): Substitution {
  if (!text.includes('${')) return { ok: true, value: text, substituted: false };
  const missing: string[] = [];
  const malformed: string[] = [];
  let substituted = false;
  const value = text.replace(REFERENCE, (whole: string, body: string | undefined) => {
    if (body === undefined) return '${'; // the `$${` escape
    substituted = true;
    const m = /^env:(.*)$/.exec(body);
    const name = m?.[1];
    if (name === undefined || !ENV_NAME.test(name)) {
      malformed.push(whole);
      return whole;
    }
    const v = env[name];
    if (v === undefined) {
      missing.push(name);
      return whole;
    }
    return v;
  });
  if (missing.length > 0 || malformed.length > 0) return { ok: false, missing, malformed };
  return { ok: true, value, substituted };
}

/**
 * Stands in for a value whose `${env:...}` reference could not be resolved. The reference was
 * reported already, so checks treat it as "no value" without reporting it again.
 */
export const UNRESOLVED: unique symbol = Symbol('unresolved');

export interface EnvProblem {
  path: string;
  /** The key the value belongs to (for redaction). */
  property: string;
  missing: string[];
  malformed: string[];
}

/**
 * Replace `${env:NAME}` in every string of a parsed YAML tree. Returns the new tree and the
 * references that could not be resolved; those values become UNRESOLVED.
 */
export function substituteTree(tree: unknown, env: Env, pathOf: (parent: string, key: string | number) => string): { tree: unknown; problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];
  const walk = (node: unknown, path: string, property: string): unknown => {
    if (typeof node === 'string') {
      const r = substituteEnv(node, env);
      if (r.ok) return r.value;
      problems.push({ path, property, missing: r.missing, malformed: r.malformed });
      return UNRESOLVED;
    }
    if (Array.isArray(node)) return node.map((item: unknown, i) => walk(item, pathOf(path, i), property));
    if (typeof node === 'object' && node !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, pathOf(path, k), k);
      return out;
    }
    return node;
  };
  return { tree: walk(tree, '', ''), problems };
}
