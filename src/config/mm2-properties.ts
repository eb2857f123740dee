/**
 * Reading a Java `.properties` file exactly as java.util.Properties.load does, because that is how
 * MirrorMaker 2 reads its configuration: a file MM2 accepts must mean the same to strait.
 *
 * - Lines end with \n, \r or \r\n. Leading spaces, tabs and form feeds are skipped.
 * - A line whose first non-blank character is `#` or `!` is a comment, even when it ends with a
 *   backslash. There are no end-of-line comments: `topics = a  # note` is the value `a  # note`.
 * - A line ending in an odd number of backslashes continues on the next line, whose leading
 *   blanks are skipped; a blank line ends it.
 * - The key ends at the first unescaped `=`, `:` or blank; blanks around that separator are
 *   skipped (one `=` or `:` after blanks is part of the separator). The rest of the line is the
 *   value, trailing blanks included.
 * - Escapes in keys and values: \t \n \r \f, \uXXXX, and a backslash before any other character
 *   stands for that character (`\=`, `\:`, `\ `, `\\`, `\#`).
 *
 * One difference: the text is taken as UTF-8 (Properties.load(InputStream) reads ISO-8859-1).
 * Identical for ASCII files; a non-ASCII character in a UTF-8 file means what its author wrote.
 */
import type { ConfigProblem } from '../util/errors.js';

export interface PropertiesEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts. */
  line: number;
}

export interface ParsedProperties {
  /** In file order; a key given twice appears twice (the last one counts, as in Java). */
  entries: PropertiesEntry[];
  /** Lines Java would refuse (a malformed \uXXXX escape). The line's text is never quoted: it may hold a secret. */
  problems: ConfigProblem[];
}

interface LogicalLine {
  text: string;
  line: number;
}

const BLANK = new Set([' ', '\t', '\f']);

/** Split the text into logical lines: comments and blank lines dropped, continuations joined. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let buf = '';
  let start = 1;
  let line = 1;
  let skipBlanks = true;
  /** The line continues a previous one: a line break here ends it instead of being skipped. */
  let appended = false;
  let comment = false;
  let backslash = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const newline = c === '\n' || c === '\r';
    if (newline) {
      // \r\n is one line break.
      if (c === '\r' && text[i + 1] === '\n') i++;
    }
    if (comment) {
      if (newline) {
        comment = false;
        skipBlanks = true;
        line++;
      }
      continue;
    }
    if (skipBlanks) {
      if (BLANK.has(c)) continue;
      if (newline && !appended) {
        line++;
        continue;
      }
      skipBlanks = false;
      appended = false;
    }
    if (buf.length === 0 && !newline) {
      if (c === '#' || c === '!') {
        comment = true;
        continue;
      }
      start = line;
    }
    if (!newline) {
      buf += c;
      backslash = c === '\\' ? !backslash : false;
      continue;
    }
    line++;
    if (buf.length === 0) {
      skipBlanks = true;
      continue;
    }
    if (backslash) {
      buf = buf.slice(0, -1);
      backslash = false;
      skipBlanks = true;
      appended = true;
      continue;
    }
    out.push({ text: buf, line: start });
    buf = '';
    skipBlanks = true;
  }
  if (buf.length > 0 && !comment) {
    // At the end of the file a trailing continuation backslash is dropped.
    out.push({ text: backslash ? buf.slice(0, -1) : buf, line: start });
  }
  return out;
}

/** Split one logical line into its raw key and value (escapes not yet converted). */
function splitKeyValue(text: string): { key: string; value: string } {
  let keyEnd = 0;
  let valueStart = text.length;
  let separator = false;
  let backslash = false;
  for (; keyEnd < text.length; keyEnd++) {
    const c = text[keyEnd];
    if ((c === '=' || c === ':') && !backslash) {
      valueStart = keyEnd + 1;
      separator = true;
      break;
    }
    if (BLANK.has(c) && !backslash) {
      valueStart = keyEnd + 1;
      break;
    }
    backslash = c === '\\' ? !backslash : false;
  }
  while (valueStart < text.length) {
    const c = text[valueStart];
    if (!BLANK.has(c)) {
      if (!separator && (c === '=' || c === ':')) separator = true;
      else break;
    }
    valueStart++;
  }
  return { key: text.slice(0, keyEnd), value: text.slice(valueStart) };
}

class MalformedEscape extends Error {}

const ESCAPED: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Java's loadConvert: resolve backslash escapes. */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= s.length) break; // cannot happen after logicalLines; Java would drop it too
    const e = s[i];
    if (e === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new MalformedEscape();
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += ESCAPED[e] ?? e;
    }
  }
  return out;
}

export function parseProperties(text: string): ParsedProperties {
  const entries: PropertiesEntry[] = [];
  const problems: ConfigProblem[] = [];
  // A byte-order mark is not part of the first key.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (const { text: lineText, line } of logicalLines(body)) {
    const raw = splitKeyValue(lineText);
    try {
      entries.push({ key: unescape(raw.key), value: unescape(raw.value), line });
    } catch (err) {
      if (!(err instanceof MalformedEscape)) throw err;
      problems.push({
        path: `line ${line}`,
        message: 'malformed \\uXXXX escape: \\u must be followed by exactly four hexadecimal digits (MM2 refuses the file too)',
        example: 'topics = caf\\u00e9-orders',
      });
    }
  }
  return { entries, problems };
}
