/**
 * Finding the tools the sandbox runs on: a Java 17+ runtime (Kafka 4.x brokers, Connect and
 * tools need it) and Maven (used once, to fetch Kafka's jars from Maven Central).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SandboxError } from '../util/errors.js';
import { exec, isNotFound } from './exec.js';

export const MIN_JAVA_VERSION = 17;

const INSTALL_JAVA = 'install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless) or point JAVA_HOME at one';

/**
 * The feature release from `java -version` output: `openjdk version "17.0.15" 2025-04-15` is 17,
 * `java version "1.8.0_392"` is 8 (the old 1.x scheme), `openjdk version "22-ea"` is 22.
 */
export function parseJavaVersion(output: string): number | undefined {
  const m = /version "([^"]+)"/.exec(output);
  if (!m) return undefined;
  const parts = m[1].split(/[.\-+_]/);
  const first = Number(parts[0]);
  if (!Number.isInteger(first) || parts[0] === '') return undefined;
  if (first === 1 && parts.length > 1) {
    const second = Number(parts[1]);
    return Number.isInteger(second) ? second : undefined;
  }
  return first;
}

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set (as Kafka's own scripts do), else `java` on PATH. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['JAVA_HOME'];
  if (home) {
    const candidate = path.join(home, 'bin', 'java');
    if (existsSync(candidate)) return candidate;
  }
  return 'java';
}

export interface JavaInfo {
  command: string;
  version: number;
}

/** Checks the runtime exists and is new enough; the error says how to get one. */
export async function checkJava(env: NodeJS.ProcessEnv = process.env): Promise<JavaInfo> {
  const command = findJava(env);
  let result;
  try {
    result = await exec(command, ['-version'], { env, timeoutMs: 30_000 });
  } catch (err) {
    if (isNotFound(err)) throw new SandboxError(`java not found (looked for ${command}): ${INSTALL_JAVA}`, undefined, { cause: err });
    throw new SandboxError(`could not run ${command} -version: ${String(err)}`, undefined, { cause: err });
  }
  // java -version writes to stderr; some wrappers use stdout.
  const text = `${result.stderr}\n${result.stdout}`;
  const version = parseJavaVersion(text);
  if (version === undefined) {
    throw new SandboxError(`could not read the Java version from "${command} -version" (output: ${text.trim().slice(0, 200)}): ${INSTALL_JAVA}`);
  }
  if (version < MIN_JAVA_VERSION) {
    throw new SandboxError(`${command} is Java ${version}, but Kafka 4 needs Java ${MIN_JAVA_VERSION} or newer: ${INSTALL_JAVA}`);
  }
  return { command, version };
}

/** Checks `mvn` runs; only needed while the jar cache is empty. */
export async function checkMaven(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const command = 'mvn';
  try {
    const result = await exec(command, ['-B', '-v'], { env, timeoutMs: 60_000 });
    if (result.code !== 0) {
      throw new SandboxError(`"mvn -v" failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
    }
    // -B (batch mode) also turns off Maven's colours, so the first line is plain text.
    return result.stdout.split(/\r?\n/)[0]?.trim() ?? 'mvn';
  } catch (err) {
    if (isNotFound(err)) {
      throw new SandboxError(
        'mvn not found: install Apache Maven 3.6.3+ (Debian: apt-get install maven); strait runs it once to fetch the Kafka jars from Maven Central',
        undefined,
        { cause: err },
      );
    }
    throw err;
  }
}
