/** The sandbox's public surface: local Kafka clusters for users, tests, the demo and benchmarks. */
export { Sandbox, type ClusterCustomization, type SandboxDownResult, type SandboxOptions, type SandboxUpResult } from './sandbox.js';
export {
  KafkaCluster,
  PortInUseError,
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  type ClusterRunState,
  type ClusterStatus,
  type RestartOptions,
  type StartOptions,
  type StopOptions,
} from './cluster.js';
export { bootstrapAddress, brokerProperties, renderServerProperties, type ClusterConfig, type ListenerSpec, type SecurityProtocol } from './broker-config.js';
export {
  ensureKafkaDist,
  kafkaDistHome,
  kafkaJavaCommand,
  runKafkaTool,
  KAFKA_JVM_PERFORMANCE_OPTS,
  KAFKA_VERSION,
  type JavaLaunch,
  type JavaLaunchOptions,
  type KafkaDist,
  type KafkaToolOptions,
  type KafkaToolResult,
} from './kafka-dist.js';
export {
  DEFAULT_SANDBOX_PORTS,
  SANDBOX_CLUSTER_NAMES,
  isSandboxClusterName,
  resolveSandboxSettings,
  type SandboxClusterName,
  type SandboxOverrides,
} from './options.js';
export { cacheRoot, defaultSandboxDir } from './paths.js';
export { streamProgress, silentProgress, type Progress } from './progress.js';
