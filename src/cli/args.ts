/**
 * A small, strict argument parser for strait's subcommands: `--name value`, `--name=value`
 * and boolean `--flag`. Unknown flags are errors that suggest the closest known one.
 */
import { StraitError } from '../util/errors.js';
import { closest } from '../util/suggest.js';

export interface FlagSpec {
  /** true: a value follows; false: a boolean switch. */
  value: boolean;
  description: string;
  /** May be given several times; values collect into a list. */
  repeat?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedArgs {
  flags: Map<string, string[]>;
  positionals: string[];
}

export class UsageError extends StraitError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[name];
    if (!spec) {
      const hint = closest(name, Object.keys(specs));
      throw new UsageError(`unknown option --${name}${hint ? `; did you mean --${hint}?` : ''}`);
    }
    let value = 'true';
    if (spec.value) {
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`option --${name} needs a value (${spec.description})`);
        value = next;
        i++;
      }
    } else if (eq !== -1) {
      throw new UsageError(`option --${name} is a switch and takes no value`);
    }
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`option --${name} given more than once`);
    list.push(value);
    flags.set(name, list);
  }
  return { flags, positionals };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function flagBool(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

export function flagNumber(args: ParsedArgs, name: string, fallback: number): number {
  const v = flag(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`option --${name} must be a number (got ${JSON.stringify(v)})`);
  return n;
}

export function usage(command: string, summary: string, specs: FlagSpecs): string {
  const lines = [`usage: strait ${command}`, '', summary, ''];
  const flags = Object.entries(specs).map(([name, spec]) => [`  --${name}${spec.value ? ' <value>' : ''}`, spec.description] as const);
  // One column for every description, wide enough for the longest flag (at least 28, as before).
  const width = Math.max(28, ...flags.map(([flag]) => flag.length + 2));
  for (const [flag, description] of flags) lines.push(flag.padEnd(width) + description);
  return lines.join('\n');
}
