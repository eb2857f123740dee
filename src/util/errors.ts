/**
 * One error module for strait. Every error a user can see carries enough data to act on:
 * which setting or which cluster/topic/partition, what is wrong, and how to fix it.
 *
 * - ConfigError: bad user input (a setting). Names the key path, the bad value, what is
 *   expected and an example. Never retryable.
 * - KafkaError: something a cluster said or did. Names the cluster alias and, where known,
 *   topic and partition; `retriable` says whether trying again can help.
 * - DataLossError: records the source deleted before strait copied them.
 * - SandboxError: the local clusters could not be started or checked; names the log file.
 */
export class StraitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface ConfigProblem {
  /** Dotted key path, e.g. `flows[0].topics.include[2]`. */
  path: string;
  /** What is wrong and what is expected. */
  message: string;
  /** The offending value, already redacted if it could be a secret. */
  value?: unknown;
  /** A corrected example the user can copy. */
  example?: string;
}

export class ConfigError extends StraitError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], source?: string) {
    super('CONFIG_INVALID', formatConfigProblems(problems, source));
    this.problems = problems;
  }
}

export function formatConfigProblems(problems: ConfigProblem[], source?: string): string {
  const head = `${source ? `${source}: ` : ''}${problems.length} configuration problem${problems.length === 1 ? '' : 's'}`;
  const lines = problems.map((p) => {
    let line = `  - ${p.path}: ${p.message}`;
    if (p.value !== undefined) line += ` (got ${describeValue(p.value)})`;
    if (p.example) line += `\n      example: ${p.example}`;
    return line;
  });
  return [head, ...lines].join('\n');
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : typeof v;
}

export interface KafkaErrorContext {
  cluster: string;
  topic?: string;
  partition?: number;
  offset?: bigint | number;
}

export class KafkaError extends StraitError {
  readonly context: KafkaErrorContext;
  readonly retriable: boolean;
  constructor(code: string, message: string, context: KafkaErrorContext, retriable: boolean, options?: { cause?: unknown }) {
    super(code, `${describeContext(context)}: ${message}`, options);
    this.context = context;
    this.retriable = retriable;
  }
}

export function describeContext(c: KafkaErrorContext): string {
  let s = `cluster "${c.cluster}"`;
  if (c.topic !== undefined) s += ` topic "${c.topic}"`;
  if (c.partition !== undefined) s += ` partition ${c.partition}`;
  if (c.offset !== undefined) s += ` offset ${c.offset}`;
  return s;
}

export class SandboxError extends StraitError {
  readonly logFile: string | undefined;
  constructor(message: string, logFile?: string, options?: { cause?: unknown }) {
    super('SANDBOX', logFile ? `${message} (see ${logFile})` : message, options);
    this.logFile = logFile;
  }
}

/** Render any thrown value for a person: the message, never a bare stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && !err.message.includes(cause.message) ? `${err.message} (cause: ${cause.message})` : err.message;
  }
  return String(err);
}
