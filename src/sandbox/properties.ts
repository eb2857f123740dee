/**
 * Java `.properties` rendering. Kafka and log4j read these with java.util.Properties.load on a
 * byte stream, i.e. as ISO-8859-1 with backslash escapes, so anything outside printable ASCII is
 * written as \uXXXX and separators inside keys are escaped.
 */

export type PropertyValue = string | number | boolean;

function escapeChar(ch: string, inKey: boolean): string {
  switch (ch) {
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\f':
      return '\\f';
  }
  if (inKey && (ch === ' ' || ch === ':' || ch === '=' || ch === '#' || ch === '!')) return `\\${ch}`;
  const code = ch.charCodeAt(0);
  // UTF-16 code units map one-to-one onto Java's \u escapes, surrogate pairs included.
  if (code < 0x20 || code > 0x7e) return `\\u${code.toString(16).padStart(4, '0')}`;
  return ch;
}

export function escapePropertyKey(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) out += escapeChar(key[i], true);
  return out;
}

export function escapePropertyValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    // Leading blanks would be eaten by the parser as separator whitespace.
    out += i === 0 && (ch === ' ' || ch === '\t') ? `\\${ch === ' ' ? ' ' : 't'}` : escapeChar(ch, false);
  }
  return out;
}

/** One `key=value` line per entry, in order, after optional `#` comment lines. */
export function renderProperties(entries: Iterable<readonly [string, PropertyValue]>, comments: readonly string[] = []): string {
  const lines = comments.map((c) => `# ${c}`);
  for (const [k, v] of entries) lines.push(`${escapePropertyKey(k)}=${escapePropertyValue(String(v))}`);
  return `${lines.join('\n')}\n`;
}
