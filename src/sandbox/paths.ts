/**
 * Where strait keeps files that outlive one run: the Kafka jar cache (per machine, shared by every
 * project, like any tool cache) and the sandbox state (per working directory, so two checkouts
 * can each run their own pair).
 */
import { homedir } from 'node:os';
import path from 'node:path';

/** `$STRAIT_CACHE_DIR`, else `$XDG_CACHE_HOME/strait`, else `~/.cache/strait`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const explicit = env['STRAIT_CACHE_DIR'];
  if (explicit) return path.resolve(explicit);
  const xdg = env['XDG_CACHE_HOME'];
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'strait');
  return path.join(home, '.cache', 'strait');
}

/** `$STRAIT_SANDBOX_DIR` (relative to cwd), else `.strait/sandbox` under cwd. */
export function defaultSandboxDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const explicit = env['STRAIT_SANDBOX_DIR'];
  return path.resolve(cwd, explicit ? explicit : path.join('.strait', 'sandbox'));
}

/** A path as a person wants to read it: relative to cwd when inside it, `~/...` under home. */
export function displayPath(p: string, cwd: string = process.cwd(), home: string = homedir()): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel;
  const fromHome = path.relative(home, p);
  if (!fromHome.startsWith('..') && !path.isAbsolute(fromHome)) return path.join('~', fromHome);
  return p;
}
