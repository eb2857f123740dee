/**
 * Collects every problem and warning found while reading a configuration, so the user sees all
 * of them at once instead of fixing one per run. Values are redacted here, in one place, when the
 * property they belong to is a secret.
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

export class Findings {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];

  error(path: string, message: string, details: FindingDetails = {}): void {
    this.problems.push(finding(path, message, details));
  }

  warn(path: string, message: string, details: FindingDetails = {}): void {
    this.warnings.push(finding(path, message, details));
  }
}

function finding(path: string, message: string, d: FindingDetails): ConfigProblem {
  const p: ConfigProblem = { path, message };
  if (d.value !== undefined) p.value = shown(d.value, d.property);
  if (d.example !== undefined) p.example = d.example;
  return p;
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
