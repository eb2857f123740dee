/**
 * Include/exclude name filters with MM2's semantics: every pattern is a regular expression that
 * must match the WHOLE name (Java's Matcher.matches()), a name is selected when some include
 * pattern matches and no exclude pattern does.
 *
 * Patterns are compiled once per distinct pattern string, and a filter remembers its answer per
 * name: topic discovery asks about the same few thousand names every refresh.
 */
import type { PatternList } from '../config/types.js';

/** MM2's DefaultTopicFilter `topics.exclude` default: Connect/MM2 internals and replica topics. */
export const MM2_DEFAULT_TOPIC_EXCLUDES: readonly string[] = ['.*[\\-\\.]internal', '.*\\.replica', '__.*'];

/** MM2's DefaultGroupFilter `groups.exclude` default: console consumers, Connect, internals. */
export const MM2_DEFAULT_GROUP_EXCLUDES: readonly string[] = ['console-consumer-.*', 'connect-.*', '__.*'];

const compiled = new Map<string, RegExp>();

/**
 * Compile one pattern with full-match semantics. Throws the JavaScript SyntaxError for an invalid
 * pattern; configuration validation calls this too, so what validates is exactly what runs.
 */
export function compilePattern(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    // Compile the bare pattern first: wrapped, an unbalanced `a)|(b` would compile as
    // ^(?:a)|(b)$ and silently mean something else.
    new RegExp(pattern);
    // The group keeps alternations inside the anchors: `a|b` must mean ^(a|b)$, not ^a|b$.
    // No flags: Java's default is case-sensitive, and without `u` JavaScript tolerates the
    // redundant escapes (`\-` outside a class) that MM2 patterns often contain.
    re = new RegExp(`^(?:${pattern})$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** Escape a literal name for use inside a pattern (e.g. to exclude one exact group id). */
export function escapePattern(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// A filter sees every topic or group name of a cluster; names come and go, so the memo is
// bounded and simply starts over when full instead of tracking recency.
const MEMO_LIMIT = 100_000;

export class NameFilter {
  private readonly include: readonly RegExp[];
  private readonly exclude: readonly RegExp[];
  private readonly memo = new Map<string, boolean>();

  constructor(patterns: PatternList) {
    this.include = patterns.include.map(compilePattern);
    this.exclude = patterns.exclude.map(compilePattern);
  }

  /** True when `name` matches an include pattern and no exclude pattern. */
  matches(name: string): boolean {
    let hit = this.memo.get(name);
    if (hit === undefined) {
      hit = this.include.some((re) => re.test(name)) && !this.exclude.some((re) => re.test(name));
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(name, hit);
    }
    return hit;
  }
}

// Flows hand in the same PatternList object on every call; a WeakMap keeps one filter per list
// without holding on to lists of flows that were reconfigured away.
const filters = new WeakMap<PatternList, NameFilter>();

/** The (cached) filter for a pattern list. */
export function nameFilter(patterns: PatternList): NameFilter {
  let f = filters.get(patterns);
  if (f === undefined) {
    f = new NameFilter(patterns);
    filters.set(patterns, f);
  }
  return f;
}
