/**
 * A small reader of PromQL expressions, for checking dashboards and alert rules against the
 * metrics strait exports: which metric names an expression selects, with which label matchers,
 * and which labels it groups or joins by. Not a parser: it tokenizes, skips strings, range and
 * subquery brackets and numbers, and tells functions (a name followed by "(") from metric names.
 * Grafana's variables ($var, ${var}, [[var]], $__rate_interval) are accepted where PromQL has a
 * value, a duration or a string.
 */

export interface Selector {
  metric: string;
  /** Label names of the matchers in braces, e.g. ["job", "flow"]. */
  labels: string[];
}

export interface PromqlRefs {
  selectors: Selector[];
  /** Label lists after by, without, on, ignoring, group_left and group_right, one per clause. */
  groupings: { keyword: string; labels: string[] }[];
  /** Whether it aggregates series into fewer (sum, max, count, ...; topk and bottomk keep labels). */
  aggregates: boolean;
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Words that are neither metric names nor functions. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'quantile']);
const IDENT = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const LABEL = /[A-Za-z_][A-Za-z0-9_]*/y;

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new Error(`${what} at ${this.pos} in: ${this.text}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      } else if (/\s/.test(c)) this.pos++;
      else break;
    }
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.pos];
  }

  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  /** A quoted string; the reader stands on its opening quote. */
  skipString(): void {
    const quote = this.text[this.pos++];
    while (this.pos < this.text.length && this.text[this.pos] !== quote) this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    if (this.pos >= this.text.length) this.fail('unterminated string');
    this.pos++;
  }

  /** Skips from an opening bracket to its closing one (ranges and subqueries hold no names). */
  skipBrackets(): void {
    const close = this.text.indexOf(']', this.pos);
    if (close < 0) this.fail('unclosed [');
    this.pos = close + 1;
  }

  /** `{name op "value", ...}`: the label names; the reader stands on "{". */
  matchers(): string[] {
    this.pos++;
    const names: string[] = [];
    for (;;) {
      if (this.peek() === '}') {
        this.pos++;
        return names;
      }
      const name = this.match(LABEL) ?? this.fail('label name expected');
      names.push(name);
      this.skipSpace();
      if (this.match(/=~|!~|!=|=/y) === undefined) this.fail(`matcher operator expected after ${name}`);
      this.skipSpace();
      const q = this.text[this.pos];
      if (q !== '"' && q !== "'" && q !== '`') this.fail(`quoted value expected for ${name}`);
      this.skipString();
      if (this.peek() === ',') this.pos++;
    }
  }

  /** `(a, b)` after a grouping keyword; the reader stands on "(". */
  labelList(): string[] {
    this.pos++;
    const names: string[] = [];
    for (;;) {
      const c = this.peek();
      if (c === ')') {
        this.pos++;
        return names;
      }
      if (c === ',') {
        this.pos++;
        continue;
      }
      names.push(this.match(LABEL) ?? this.fail('label name expected in a grouping list'));
    }
  }
}

export function promqlRefs(expr: string): PromqlRefs {
  const r = new Reader(expr);
  const selectors: Selector[] = [];
  const groupings: PromqlRefs['groupings'] = [];
  let aggregates = false;
  for (;;) {
    const c = r.peek();
    if (c === undefined) break;
    if (c === '"' || c === "'" || c === '`') r.skipString();
    else if (c === '[') r.skipBrackets();
    else if (c === '{') r.fail('a selector without a metric name is not supported here');
    else if (c === '$') {
      // A Grafana variable standing for a value: $name or ${name}.
      r.pos++;
      if (r.text[r.pos] === '{') r.pos = r.text.indexOf('}', r.pos) + 1;
      else r.match(/[A-Za-z0-9_]+/y);
    } else if (/[0-9.]/.test(c)) r.match(/[0-9.][0-9A-Za-z_.+-]*/y);
    else if (/[A-Za-z_:]/.test(c)) {
      const word = r.match(IDENT)!;
      const next = r.peek();
      if (GROUPING.has(word)) {
        if (next === '(') groupings.push({ keyword: word, labels: r.labelList() });
      } else if (KEYWORDS.has(word)) {
        // operators and literals
      } else if (next === '(' || (AGGREGATIONS.has(word) && (next === 'b' || next === 'w'))) {
        // A function or an aggregation (`sum by (..) (..)` too): its arguments are read as the
        // loop goes on.
        if (AGGREGATIONS.has(word)) aggregates = true;
      } else {
        selectors.push({ metric: word, labels: next === '{' ? r.matchers() : [] });
      }
    } else r.pos++;
  }
  return { selectors, groupings, aggregates };
}

/**
 * The labels an expression's result series carry, as far as this reader can tell, for checking
 * `{{ $labels.x }}` in alert annotations and `{{x}}` in legends: with `by` clauses, the labels
 * common to all of them (the files checked here aggregate by the same labels on both sides of an
 * operator); with an aggregation and no `by`, none; otherwise the labels every selected metric has.
 */
export function resultLabels(refs: PromqlRefs, labelsOf: (metric: string) => readonly string[]): Set<string> {
  const common = (sets: Set<string>[]): Set<string> => (sets.length === 0 ? new Set() : new Set([...sets[0]].filter((l) => sets.every((s) => s.has(l)))));
  const by = refs.groupings.filter((g) => g.keyword === 'by');
  if (by.length > 0) return common(by.map((g) => new Set(g.labels)));
  if (refs.aggregates) return new Set();
  return common(refs.selectors.map((s) => new Set(labelsOf(s.metric))));
}
