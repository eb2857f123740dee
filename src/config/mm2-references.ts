/**
 * `${provider:[path:]key}` references in MM2 properties values, resolved the way MM2's
 * ConfigTransformer does it for the config providers declared in the file:
 *
 *   config.providers = env, file
 *   config.providers.env.class = org.apache.kafka.common.config.provider.EnvVarConfigProvider
 *   config.providers.file.class = org.apache.kafka.common.config.provider.FileConfigProvider
 *
 * - EnvVarConfigProvider: `${env:NAME}`, an environment variable. `${env:NAME}` also works without
 *   the declaration, as in strait's YAML files (MM2 would keep the text as it is).
 * - FileConfigProvider: `${file:/etc/kafka/secrets.properties:password}`, a key of a properties file.
 * - DirectoryConfigProvider: `${dir:/run/secrets:password}`, the content of a file in a directory.
 *
 * A reference to a provider the file does not declare stays as it is, as in MM2. Nothing read
 * here is ever put in a message.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Env } from './env.js';
import { parseProperties } from './mm2-properties.js';

const PROVIDER_PACKAGE = 'org.apache.kafka.common.config.provider.';
export const PROVIDER_CLASSES = {
  env: `${PROVIDER_PACKAGE}EnvVarConfigProvider`,
  file: `${PROVIDER_PACKAGE}FileConfigProvider`,
  directory: `${PROVIDER_PACKAGE}DirectoryConfigProvider`,
} as const;

type ProviderKind = keyof typeof PROVIDER_CLASSES | 'unsupported';

export interface Provider {
  kind: ProviderKind;
  className: string;
  /** KIP-993 `allowed.paths`: files may be read only below these directories. */
  allowedPaths?: string[];
}

export interface ReferenceProblem {
  message: string;
  example?: string;
}

export type Resolution = { ok: true; value: string; unchanged: boolean } | { ok: false; problems: ReferenceProblem[] };

// MM2's ConfigTransformer.DEFAULT_PATTERN.
const REFERENCE = /\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}/g;

/** Which provider kind a declared class is. */
export function providerKind(className: string): ProviderKind {
  for (const [kind, cls] of Object.entries(PROVIDER_CLASSES)) if (cls === className.trim()) return kind as ProviderKind;
  return 'unsupported';
}

export class ReferenceResolver {
  /** Undeclared `${env:...}` references seen: MM2 would not have resolved them. */
  undeclaredEnv = false;
  /** Undeclared provider names seen (kept as text, like MM2). */
  readonly undeclared = new Set<string>();
  /** Everything a reference resolved to: secrets, never to be shown in a message. */
  readonly resolved = new Set<string>();
  private readonly files = new Map<string, Map<string, string> | Error>();

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly env: Env,
  ) {}

  resolve(text: string): Resolution {
    if (!text.includes('${')) return { ok: true, value: text, unchanged: true };
    const problems: ReferenceProblem[] = [];
    let unchanged = true;
    const value = text.replace(REFERENCE, (whole: string, name: string, path: string | undefined, key: string) => {
      const provider = this.providers.get(name);
      if (provider === undefined && name !== 'env') {
        this.undeclared.add(name);
        return whole;
      }
      const kind = provider?.kind ?? 'env';
      if (provider === undefined) this.undeclaredEnv = true;
      unchanged = false;
      switch (kind) {
        case 'env': {
          const v = this.env[key];
          if (v === undefined) problems.push({ message: `refers to environment variable ${key}, which is not set`, example: `export ${key}=...   (before starting strait)` });
          return this.secret(v) ?? whole;
        }
        case 'file':
          return this.secret(this.fromFile(name, provider!, path, key, problems)) ?? whole;
        case 'directory':
          return this.secret(this.fromDirectory(name, provider!, path, key, problems)) ?? whole;
        default:
          problems.push({ message: `refers to config provider ${name}, whose class ${provider!.className} strait does not have (it has EnvVarConfigProvider, FileConfigProvider and DirectoryConfigProvider)` });
          return whole;
      }
    });
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, value, unchanged };
  }

  private secret(v: string | undefined): string | undefined {
    if (v !== undefined) this.resolved.add(v);
    return v;
  }

  private allowed(provider: Provider, file: string): boolean {
    if (provider.allowedPaths === undefined) return true;
    return provider.allowedPaths.some((dir) => {
      const rel = relative(resolve(dir), resolve(file));
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    });
  }

  private fromFile(name: string, provider: Provider, path: string | undefined, key: string, problems: ReferenceProblem[]): string | undefined {
    if (path === undefined || path === '') {
      problems.push({ message: `refers to ${name} without a file: write \${${name}:/path/to/file.properties:key}` });
      return undefined;
    }
    if (!this.allowed(provider, path)) {
      problems.push({ message: `refers to file ${path}, which is outside config.providers.${name}.param.allowed.paths` });
      return undefined;
    }
    let props = this.files.get(path);
    if (props === undefined) {
      try {
        props = new Map(parseProperties(readFileSync(path, 'utf8')).entries.map((e) => [e.key, e.value]));
      } catch (err) {
        props = err instanceof Error ? err : new Error(String(err));
      }
      this.files.set(path, props);
    }
    if (props instanceof Error) {
      problems.push({ message: `refers to file ${path}, which cannot be read: ${describeFsError(props)}` });
      return undefined;
    }
    const v = props.get(key);
    if (v === undefined) problems.push({ message: `refers to key ${key} of ${path}, which that file does not have` });
    return v;
  }

  private fromDirectory(name: string, provider: Provider, path: string | undefined, key: string, problems: ReferenceProblem[]): string | undefined {
    if (path === undefined || path === '') {
      problems.push({ message: `refers to ${name} without a directory: write \${${name}:/path/to/directory:file}` });
      return undefined;
    }
    const file = resolve(path, key);
    if (!this.allowed(provider, file) || relative(resolve(path), file).startsWith('..')) {
      problems.push({ message: `refers to a file outside the allowed directories of config provider ${name}` });
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ message: `refers to file ${file}, which cannot be read: ${describeFsError(err)}` });
      return undefined;
    }
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}
