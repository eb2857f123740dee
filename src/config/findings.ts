/**
 * Collects every problem and warning found while reading a configuration, so the user sees all
 * of them at once instead of fixing one per run. Values are redacted here, in one place: when the
 * property they belong to is a secret, and when they came from a `${env:}` or `${file:}`
 * reference (see protect()).
 */
import type { ConfigProblem } from '../util/errors.js';
import { REDACTED, isSecretName } from './redact.js';

export interface FindingDetails {
  /** The offending value; omitted from the message when undefined. */
  value?: unknown;
  /** A corrected example the user can copy (YAML). */
  example?: string;
  /** The property's own name, when the value may be a secret (checked with isSecretName). */
  property?: string;
}

// Long values (a PEM blob, a huge list) would drown the message; the path already says where.
const MAX_SHOWN = 120;

/**
 * Resolved text shorter than this is not searched for in messages: a one-letter value would
 * blank out every word containing that letter. Such a value is still never shown as the `value`
 * of the setting it came from.
 */
export const MIN_SCRUBBED_LENGTH = 4;

export class Findings {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];
  /** Path -> the value as written, for values that had a reference. */
  private referenced: ReadonlyMap<string, string> = new Map();
  /** What references resolved to, longest first (so a secret containing another goes whole). */
  private secrets: string[] = [];

  /**
   * Values that came from the environment or a file are secrets as far as messages go: a
   * finding about such a value shows the value as written (`${env:EAST_BROKERS}`), or
   * `[redacted]` for a secret property, and any resolved text a message quotes is blanked.
   */
  protect(referenced: ReadonlyMap<string, string>, resolved: Iterable<string>): void {
    this.referenced = referenced;
    this.secrets = [...resolved].filter((s) => s.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
  }

  error(path: string, message: string, details: FindingDetails = {}): void {
    this.problems.push(this.finding(path, message, details));
  }

  warn(path: string, message: string, details: FindingDetails = {}): void {
    this.warnings.push(this.finding(path, message, details));
  }

  private finding(path: string, message: string, d: FindingDetails): ConfigProblem {
    const p: ConfigProblem = { path, message: this.scrub(message) };
    if (d.value !== undefined) {
      const written = this.referenced.get(path);
      const value = written !== undefined && typeof d.value === 'string' ? written : d.value;
      const v = shown(value, d.property);
      p.value = typeof v === 'string' ? this.scrub(v) : v;
    }
    if (d.example !== undefined) p.example = this.scrub(d.example);
    return p;
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }
}

function shown(value: unknown, property: string | undefined): unknown {
  if (property !== undefined && isSecretName(property)) return REDACTED;
  if (typeof value === 'string' && value.length > MAX_SHOWN) return `${value.slice(0, MAX_SHOWN - 3)}...`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** `a.b` for plain keys, `a["odd key"]` for keys a dotted path would garble. */
export function keyPath(parent: string, key: string): string {
  if (/^[A-Za-z0-9_.>-]+$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
