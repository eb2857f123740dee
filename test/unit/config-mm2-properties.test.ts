/**
 * The .properties reader: every syntax case of java.util.Properties.load, and the JAAS reader
 * used for sasl.jaas.config.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../../src/config/mm2-properties.js';
import { JaasSyntaxError, parseJaasConfig } from '../../src/config/mm2-jaas.js';

function pairs(text: string): [string, string][] {
  const { entries, problems } = parseProperties(text);
  assert.deepEqual(problems, []);
  return entries.map((e) => [e.key, e.value]);
}

void describe('parseProperties', () => {
  void test('the three separators, with blanks around them', () => {
    assert.deepEqual(pairs('a=1\nb: 2\nc 3\nd = 4\ne :5\nf\t=\t6\n'), [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
      ['f', '6'],
    ]);
  });

  void test('only the first separator counts; the rest is the value', () => {
    assert.deepEqual(pairs('url=http://h:8080/x=y\nk == v\nk2 = : v'), [
      ['url', 'http://h:8080/x=y'],
      ['k', '= v'],
      ['k2', ': v'],
    ]);
  });

  void test('a key without a value, and trailing blanks kept in the value', () => {
    assert.deepEqual(pairs('alone\nempty=\nspaced = v  \n'), [
      ['alone', ''],
      ['empty', ''],
      ['spaced', 'v  '],
    ]);
  });

  void test('comments with # and !, also after leading blanks; no end-of-line comments', () => {
    assert.deepEqual(pairs('# a comment\n! another\n   # indented comment\ntopics = a  # not a comment\n'), [['topics', 'a  # not a comment']]);
  });

  void test('leading blanks (space, tab, form feed) are skipped; blank lines ignored', () => {
    assert.deepEqual(pairs('\n   \n\t key = v\n\f k2=v2\n'), [
      ['key', 'v'],
      ['k2', 'v2'],
    ]);
  });

  void test('a trailing backslash continues the line; the next line\'s leading blanks are skipped', () => {
    assert.deepEqual(pairs('jaas = a \\\n    b \\\n\t  c;\nnext = 1'), [
      ['jaas', 'a b c;'],
      ['next', '1'],
    ]);
  });

  void test('an even number of trailing backslashes does not continue', () => {
    assert.deepEqual(pairs('path = c:\\\\\nnext = 1'), [
      ['path', 'c:\\'],
      ['next', '1'],
    ]);
  });

  void test('a # on a continuation line is part of the value; a comment line never continues', () => {
    assert.deepEqual(pairs('a = 1 \\\n # 2\n# comment \\\nb = 3'), [
      ['a', '1 # 2'],
      ['b', '3'],
    ]);
  });

  void test('a blank line ends a continuation; a backslash at the end of the file is dropped', () => {
    assert.deepEqual(pairs('a = 1\\\n\nb = 2\\'), [
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  void test('escapes: \\t \\n \\r \\f, \\uXXXX, and any other escaped character stands for itself', () => {
    assert.deepEqual(pairs('k = a\\tb\\nc\\rd\\fe\nu = caf\\u00e9 \\u0041\nre = orders\\\\..*\nplain = orders\\..*\n'), [
      ['k', 'a\tb\nc\rd\fe'],
      ['u', 'café A'],
      ['re', 'orders\\..*'],
      ['plain', 'orders..*'],
    ]);
  });

  void test('escaped separators and blanks belong to the key', () => {
    assert.deepEqual(pairs('a\\=b = c\nx\\:y: z\nsp\\ ace = v\nhash\\#key = 1'), [
      ['a=b', 'c'],
      ['x:y', 'z'],
      ['sp ace', 'v'],
      ['hash#key', '1'],
    ]);
  });

  void test('line endings \\n, \\r\\n and \\r; line numbers of multi-line entries', () => {
    const { entries } = parseProperties('a=1\r\nb=2\rc=3\n# x\nd = \\\n  4\ne=5');
    assert.deepEqual(
      entries.map((e) => [e.key, e.value, e.line]),
      [
        ['a', '1', 1],
        ['b', '2', 2],
        ['c', '3', 3],
        ['d', '4', 5],
        ['e', '5', 7],
      ],
    );
  });

  void test('a key given twice appears twice, in order (the caller keeps the last)', () => {
    assert.deepEqual(pairs('a=1\na=2'), [
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  void test('a byte-order mark is not part of the first key', () => {
    assert.deepEqual(pairs('\ufeffclusters = a, b'), [['clusters', 'a, b']]);
  });

  void test('a malformed \\u escape is a problem naming the line, never quoting it', () => {
    const { entries, problems } = parseProperties('ok = 1\nsecret.password = ab\\u12zz\n');
    assert.deepEqual(
      entries.map((e) => e.key),
      ['ok'],
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0].path, 'line 2');
    assert.match(problems[0].message, /malformed \\uXXXX escape/);
    assert.doesNotMatch(JSON.stringify(problems), /ab|12zz/);
  });
});

void describe('parseJaasConfig', () => {
  void test('a module, its flag and quoted options', () => {
    const [e] = parseJaasConfig('org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="p@ss w=rd;";');
    assert.equal(e.loginModule, 'org.apache.kafka.common.security.scram.ScramLoginModule');
    assert.equal(e.flag, 'required');
    assert.deepEqual([...e.options], [
      ['username', 'alice'],
      ['password', 'p@ss w=rd;'],
    ]);
  });

  void test('escapes in quotes, single quotes, unquoted words, comments', () => {
    const [e] = parseJaasConfig(`M REQUIRED /* c */ a="x\\"y\\\\z" b='q' c=word_1 // end\n ;`);
    assert.equal(e.flag, 'required');
    assert.deepEqual([...e.options], [
      ['a', 'x"y\\z'],
      ['b', 'q'],
      ['c', 'word_1'],
    ]);
  });

  void test('several entries', () => {
    assert.equal(parseJaasConfig('A required; B optional x="1";').length, 2);
  });

  void test('errors say what is wrong without repeating the text', () => {
    const cases: [string, RegExp][] = [
      ['M required username="u" password="secret1"', /semicolon/],
      ['M required password="secret2', /not closed/],
      ['M sometimes password="secret3";', /control flag/],
      ['M required password;', /no value for option password/],
      ['', /no login module/],
    ];
    for (const [text, expected] of cases) {
      assert.throws(
        () => parseJaasConfig(text),
        (err: unknown) => err instanceof JaasSyntaxError && expected.test(err.message) && !/secret/.test(err.message),
        text,
      );
    }
  });
});
