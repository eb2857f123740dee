/**
 * MM2 topic and group patterns are Java regular expressions; strait matches with JavaScript's.
 * They agree on what such patterns use (literals, `.`, classes, `*`, `+`, `?`, `{n,m}`, `|`,
 * groups, `\d`, `\w`, ...). The constructs that differ are refused with a clear message rather
 * than matched differently, and the one with an exact equivalent (`\Q...\E`) is rewritten.
 */
import { escapePattern } from '../mirror/filters.js';

/**
 * Check one Java pattern for constructs that JavaScript reads differently or not at all, and
 * rewrite those with an exact equivalent (\Q...\E quoting, a ] first in a class). Returns the
 * pattern, or what is wrong with it.
 */
export function fromJavaRegex(pattern: string): string | { problem: string; java?: boolean } {
  let out = '';
  let inClass = false;
  let classStart = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      if (n === 'Q') {
        if (inClass) return { problem: 'uses \\Q...\\E inside a character class' };
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end === -1 ? pattern.length : end);
        out += escapePattern(literal);
        i = end === -1 ? pattern.length : end + 1;
        continue;
      }
      if ('AzZGhHRXeavpP'.includes(n) && n !== '') return { problem: `uses \\${n}` };
      if (n === '0' || (n === 'x' && pattern[i + 2] === '{')) return { problem: `uses \\${n}${n === 'x' ? '{...}' : ''}` };
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[') return { problem: 'uses a character class inside a character class ([a-z[0-9]])' };
      if (c === '&' && pattern[i + 1] === '&') return { problem: 'uses a character class intersection (&&)' };
      if (c === ']') {
        // Java takes a ] right after [ or [^ as a literal; JavaScript would end the class there.
        if (i === classStart + 1 || (i === classStart + 2 && pattern[classStart + 1] === '^')) {
          out += '\\]';
          continue;
        }
        inClass = false;
      }
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      classStart = i;
    } else if (c === '{' && !/^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      // JavaScript takes such a brace literally; Java refuses the pattern.
      return { problem: 'has a { that does not start a repetition like {2} or {1,3}, which Java refuses (write \\{ for a brace)', java: true };
    } else if (c === '(' && pattern[i + 1] === '?') {
      const n = pattern[i + 2] ?? '';
      const lookbehindOrName = n === '<';
      if (n === '>') return { problem: 'uses an atomic group (?>...)' };
      if (!(n === ':' || n === '=' || n === '!' || lookbehindOrName)) return { problem: 'uses an inline flag such as (?i)' };
    } else if (c === '+' && i > 0 && '*+?}'.includes(pattern[i - 1]) && pattern[i - 2] !== '\\' && !(pattern[i - 1] === '?' && pattern[i - 2] === '(')) {
      return { problem: 'uses a possessive quantifier (*+, ++, ?+)' };
    }
    out += c;
  }
  return out;
}
