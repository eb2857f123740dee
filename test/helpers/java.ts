/**
 * Runs test/java/Mm2Check.java: Kafka's own MirrorMaker 2 client code (RemoteClusterUtils,
 * Checkpoint/Heartbeat/OffsetSync) asked about what strait wrote, so the compatibility tests
 * compare with the real thing rather than with our reading of it.
 *
 * The source is compiled with javac against the Kafka jars the sandbox uses, once: the classes
 * are cached under strait's cache folder in a directory named by a hash of the source and the
 * Kafka versions, so an edit or a version bump compiles afresh and everything else reuses them.
 * Concurrent test processes compile into private folders and the first rename wins.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, isNotFound, javaErrorLines } from '../../src/sandbox/exec.js';
import { ensureKafkaDist, kafkaJavaCommand, KAFKA_VERSION, MIRROR_CLIENT_VERSION, type KafkaDist } from '../../src/sandbox/kafka-dist.js';
import { cacheRoot } from '../../src/sandbox/paths.js';
import type { Mm2Format } from '../../src/mirror/formats.js';

/** test/java/: this file runs compiled from dist/test/helpers/, or from test/helpers/ under a TypeScript loader. */
const JAVA_SOURCES = ['../../../test/java/', '../java/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../java/', import.meta.url));

export interface CompiledJava {
  dist: KafkaDist;
  /** The folder holding the compiled classes. */
  classDir: string;
  mainClass: string;
}

/** javac beside the java the sandbox uses, else $JAVA_HOME/bin/javac, else javac on PATH. */
function findJavac(dist: KafkaDist): string {
  const candidates: string[] = [];
  if (path.isAbsolute(dist.java)) candidates.push(path.join(path.dirname(dist.java), 'javac'));
  const home = process.env['JAVA_HOME'];
  if (home) candidates.push(path.join(home, 'bin', 'javac'));
  return candidates.find((c) => existsSync(c)) ?? 'javac';
}

async function compile(mainClass: string): Promise<CompiledJava> {
  const dist = await ensureKafkaDist();
  const sourceFile = path.join(JAVA_SOURCES, `${mainClass}.java`);
  const source = await readFile(sourceFile, 'utf8');
  const hash = createHash('sha256').update(`${KAFKA_VERSION}\n${MIRROR_CLIENT_VERSION}\n`).update(source).digest('hex').slice(0, 16);
  const classDir = path.join(cacheRoot(), 'test-java', `${mainClass}-${hash}`);
  if (existsSync(path.join(classDir, `${mainClass}.class`))) return { dist, classDir, mainClass };

  const scratch = `${classDir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(scratch, { recursive: true });
  try {
    const javac = findJavac(dist);
    let result;
    try {
      result = await exec(javac, ['--release', '17', '-encoding', 'UTF-8', '-cp', dist.classpath, '-d', scratch, sourceFile], { timeoutMs: 180_000 });
    } catch (err) {
      if (isNotFound(err)) throw new Error(`javac not found (looked for ${javac}): the MM2 compatibility tests need a JDK 17+, not only a JRE`, { cause: err });
      throw err;
    }
    if (result.code !== 0 || result.timedOut) {
      throw new Error(`javac ${mainClass}.java failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}):\n${(result.stderr || result.stdout).trim()}`);
    }
    try {
      await rename(scratch, classDir);
    } catch (err) {
      // Another process finished first: its classes are the same.
      if (!existsSync(path.join(classDir, `${mainClass}.class`))) throw err;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { dist, classDir, mainClass };
}

const compiled = new Map<string, Promise<CompiledJava>>();

/** Compiles test/java/<mainClass>.java once per source version (cached across runs). */
export function compileTestJava(mainClass: string): Promise<CompiledJava> {
  let p = compiled.get(mainClass);
  if (!p) {
    p = compile(mainClass);
    compiled.set(mainClass, p);
    p.catch(() => compiled.delete(mainClass));
  }
  return p;
}

/** JSON with every non-ASCII character escaped, so a command-line argument survives any locale. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Runs a compiled test class with the Kafka class path; returns its stdout. Throws on a non-zero exit. */
export async function runTestJava(mainClass: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const { dist, classDir } = await compileTestJava(mainClass);
  const launch = kafkaJavaCommand(
    { ...dist, classpath: `${classDir}${path.delimiter}${dist.classpath}` },
    { mainClass, args, heap: '256m', log4jConfig: dist.toolsLog4jConfig },
  );
  const timeoutMs = options.timeoutMs ?? 120_000;
  const result = await exec(launch.command, launch.args, { timeoutMs });
  if (result.code !== 0 || result.timedOut) {
    throw new Error(`${mainClass} ${result.timedOut ? `did not finish within ${timeoutMs} ms` : `failed (exit ${result.code ?? result.signal})`}:\n${javaErrorLines(`${result.stdout}\n${result.stderr}`, 12)}`);
  }
  return result.stdout;
}

export type Mm2CheckRequest =
  | { op: 'translateOffsets'; remoteClusterAlias: string; consumerGroupId: string; timeoutMs?: number }
  | { op: 'replicationHops'; sourceClusterAlias: string }
  | { op: 'upstreamClusters' | 'heartbeatTopics' | 'checkpointTopics' }
  | { op: 'decode'; format: Mm2Format; key: string; value: string }
  | { op: 'encode'; format: Mm2Format; record: Record<string, string | number> };

/** One answer of Mm2Check. int64 values come as decimal strings. */
export interface Mm2CheckAnswer {
  op: string;
  /** "<exception class>: <message>" when the request threw. */
  error?: string;
  offsets?: { topic: string; partition: number; offset: string; metadata: string }[];
  hops?: number;
  clusters?: string[];
  topics?: string[];
  format?: string;
  /** decode: the fields Java read. */
  record?: Record<string, string | number>;
  /** encode: MM2's bytes, hex. */
  key?: string;
  value?: string;
}

/**
 * Asks Kafka's MM2 client code. `properties` are RemoteClusterUtils' (bootstrap.servers at
 * least; may be empty for decode/encode only). One JVM answers all requests, in order.
 */
export async function mm2Check(properties: Record<string, string>, requests: Mm2CheckRequest[], options: { timeoutMs?: number } = {}): Promise<Mm2CheckAnswer[]> {
  const stdout = await runTestJava('Mm2Check', [asciiJson({ properties, requests })], options);
  const line = stdout.trim().split(/\r?\n/).pop() ?? '';
  let answers: unknown;
  try {
    answers = JSON.parse(line);
  } catch (err) {
    throw new Error(`Mm2Check printed something that is not JSON: ${line.slice(0, 500)}`, { cause: err });
  }
  if (!Array.isArray(answers) || answers.length !== requests.length) throw new Error(`Mm2Check gave ${Array.isArray(answers) ? answers.length : 'no'} answers to ${requests.length} requests`);
  return answers as Mm2CheckAnswer[];
}
