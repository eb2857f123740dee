/**
 * Reading the value of Java's `sasl.jaas.config`, which librdkafka has no use for, so that its
 * credentials can move to librdkafka's own properties (sasl.username, sasl.password, ...).
 *
 * The format, as Kafka's JaasConfig reads it with java.io.StreamTokenizer:
 *   <login module class> <flag> (<option>=<value>)* ; [more entries]
 * Values are usually quoted with " or ' (StreamTokenizer escapes: \n \t \\ \" ...); `//` and
 * `/* *\/` start comments. Errors never repeat any part of the text: it holds a password.
 */

export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

export class JaasSyntaxError extends Error {}

type Token = { kind: 'word' | 'quoted'; text: string } | { kind: 'char'; text: string };

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);
const QUOTE_ESCAPES: Readonly<Record<string, string>> = { a: '\u0007', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function isWordChar(c: string): boolean {
  // StreamTokenizer's word characters (letters, Latin-1 letters), Kafka's additions (- _ $),
  // and what its number parsing lets through inside a class name (digits and dots).
  return /[A-Za-z0-9._$\u00a0-\u00ff-]/.test(c);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c <= ' ') {
      i++;
    } else if (c === '/') {
      if (text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        i = end === -1 ? text.length : end + 2;
      } else {
        // `//` comments, and (StreamTokenizer's default) a lone `/` too, run to the end of the line.
        const end = text.slice(i).search(/[\r\n]/);
        i = end === -1 ? text.length : i + end;
      }
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== c && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const e = text[i + 1];
          const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
          if (octal) {
            value += String.fromCharCode(parseInt(octal[0], 8));
            i += 1 + octal[0].length;
          } else {
            value += QUOTE_ESCAPES[e] ?? e;
            i += 2;
          }
        } else {
          value += text[i];
          i++;
        }
      }
      if (text[i] !== c) throw new JaasSyntaxError('a quoted value is not closed');
      i++;
      tokens.push({ kind: 'quoted', text: value });
    } else if (isWordChar(c)) {
      let j = i;
      while (j < text.length && isWordChar(text[j])) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: 'char', text: c });
      i++;
    }
  }
  return tokens;
}

/** Parse a `sasl.jaas.config` value; throws JaasSyntaxError with a message safe to show. */
export function parseJaasConfig(text: string): JaasEntry[] {
  const tokens = tokenize(text);
  const entries: JaasEntry[] = [];
  let i = 0;
  while (i < tokens.length) {
    const module = tokens[i++];
    if (module.kind !== 'word') throw new JaasSyntaxError('expected a login module class name at the start of an entry');
    const flag = tokens[i++];
    if (flag === undefined || flag.kind === 'char' || !FLAGS.has(flag.text.toLowerCase())) {
      throw new JaasSyntaxError(`expected a control flag (required, requisite, sufficient or optional) after ${module.text}`);
    }
    const options = new Map<string, string>();
    for (;;) {
      const t = tokens[i++];
      if (t === undefined) throw new JaasSyntaxError('the entry does not end with a semicolon');
      if (t.kind === 'char' && t.text === ';') break;
      if (t.kind !== 'word') throw new JaasSyntaxError('expected an option name');
      const eq = tokens[i++];
      const value = tokens[i++];
      if (eq?.kind !== 'char' || eq.text !== '=' || value === undefined || value.kind === 'char') {
        throw new JaasSyntaxError(`no value for option ${t.text}`);
      }
      options.set(t.text, value.text);
    }
    entries.push({ loginModule: module.text, flag: flag.text.toLowerCase(), options });
  }
  if (entries.length === 0) throw new JaasSyntaxError('no login module is given');
  return entries;
}
