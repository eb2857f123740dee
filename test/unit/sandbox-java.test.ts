import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJavaVersion } from '../../src/sandbox/java.js';

void test('java -version output: the feature release', () => {
  const cases: [string, number | undefined][] = [
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)', 17],
    ['java version "1.8.0_392"\nJava(TM) SE Runtime Environment', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['openjdk version "21" 2023-09-19', 21],
    ['openjdk version "22-ea" 2024-03-19', 22],
    ['openjdk version "25.0.1+8-LTS"', 25],
    ['Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "17.0.2" 2022-01-18', 17],
    ['bash: java: command not found', undefined],
    ['openjdk version ""', undefined],
  ];
  for (const [output, expected] of cases) assert.equal(parseJavaVersion(output), expected, output);
});
