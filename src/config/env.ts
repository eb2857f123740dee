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
