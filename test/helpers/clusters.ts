/**
 * The two Kafka clusters integration tests run against.
 *
 * scripts/test.sh starts the sandbox once and exports STRAIT_TEST_SOURCE_BOOTSTRAP and
 * STRAIT_TEST_TARGET_BOOTSTRAP; with both set, tests use those addresses as they are. Without
 * them (one test file run by hand), the default sandbox is brought up here (a no-op when it
 * already runs) and left running for the next run: stop it with `strait sandbox down`.
 */
import { randomBytes } from 'node:crypto';
import { runKafkaTool, type KafkaToolOptions, type KafkaToolResult } from '../../src/sandbox/kafka-dist.js';
import { streamProgress } from '../../src/sandbox/progress.js';
import { Sandbox } from '../../src/sandbox/sandbox.js';

export interface TestCluster {
  /** bootstrap.servers for a client. */
  bootstrap: string;
}

export interface TestClusters {
  source: TestCluster;
  target: TestCluster;
  /** The sandbox this helper brought up; undefined when the addresses came from the environment. */
  sandbox: Sandbox | undefined;
}

let clusters: Promise<TestClusters> | undefined;

async function resolveClusters(): Promise<TestClusters> {
  const source = process.env['STRAIT_TEST_SOURCE_BOOTSTRAP'];
  const target = process.env['STRAIT_TEST_TARGET_BOOTSTRAP'];
  if (source && target) return { source: { bootstrap: source }, target: { bootstrap: target }, sandbox: undefined };
  const sandbox = await Sandbox.open({ progress: streamProgress(process.stderr) });
  const { started } = await sandbox.up();
  if (started.length > 0) process.stderr.write('test clusters: started the sandbox; it stays up for the next run (stop it with: strait sandbox down)\n');
  return {
    source: { bootstrap: sandbox.bootstrapServers('source') },
    target: { bootstrap: sandbox.bootstrapServers('target') },
    sandbox,
  };
}

/** Once per test process; concurrent callers share one start. */
export function getClusters(): Promise<TestClusters> {
  clusters ??= resolveClusters();
  return clusters;
}

/** A topic or group name no other test run uses: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Runs a Kafka Java tool class (e.g. org.apache.kafka.tools.TopicCommand) from the sandbox's jars. */
export function runTool(mainClass: string, args: readonly string[], options: KafkaToolOptions = {}): Promise<KafkaToolResult> {
  return runKafkaTool(mainClass, args, options);
}

/** Creates a topic with TopicCommand; throws with the tool's output if it fails. */
export async function createTopic(
  bootstrap: string,
  topic: string,
  options: { partitions?: number; config?: Readonly<Record<string, string | number>> } = {},
): Promise<void> {
  const configs = Object.entries(options.config ?? {}).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
  await runTool(
    'org.apache.kafka.tools.TopicCommand',
    ['--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', String(options.partitions ?? 1), '--replication-factor', '1', ...configs],
    { check: true },
  );
}

/** Topic names listed by TopicCommand --list. */
export async function listTopics(bootstrap: string): Promise<string[]> {
  const r = await runTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--list'], { check: true });
  return r.stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}
