/**
 * Granting and revoking ACLs on a sandbox cluster with Kafka's own AclCommand, through the
 * cluster's PLAINTEXT listener (its principal, User:ANONYMOUS, is a super user: see secure.ts).
 * For tests and demos that need a principal with exactly some permissions. One JVM per call
 * (a few seconds), so grant in few calls.
 */
import { SandboxError } from '../util/errors.js';
import type { KafkaCluster } from './cluster.js';
import { runKafkaTool, type KafkaDist } from './kafka-dist.js';

const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';

/** AclCommand's operation names. */
export type AclOperation =
  | 'All'
  | 'Read'
  | 'Write'
  | 'Create'
  | 'Delete'
  | 'Alter'
  | 'Describe'
  | 'DescribeConfigs'
  | 'AlterConfigs'
  | 'IdempotentWrite';

export type AclResource = { topic: string } | { group: string } | { transactionalId: string } | { cluster: true };

/**
 * Some operations for one principal on some resources: every operation on every resource, so
 * each operation must be valid for each resource type (All always is).
 */
export interface AclGrant {
  /** e.g. `User:strait`. */
  principal: string;
  operations: readonly AclOperation[];
  resources: readonly AclResource[];
  /** The resource names are prefixes (PREFIXED pattern); default literal names (`*` = every name). */
  prefixed?: boolean;
  /** Deny instead of allow. */
  deny?: boolean;
}

function grantArgs(bootstrap: string, action: '--add' | '--remove', g: AclGrant): string[] {
  const resources = g.resources.flatMap((r) => ('topic' in r ? ['--topic', r.topic] : 'group' in r ? ['--group', r.group] : 'transactionalId' in r ? ['--transactional-id', r.transactionalId] : ['--cluster']));
  return [
    '--bootstrap-server',
    bootstrap,
    action,
    ...(action === '--remove' ? ['--force'] : []),
    g.deny ? '--deny-principal' : '--allow-principal',
    g.principal,
    ...g.operations.flatMap((op) => ['--operation', op]),
    ...resources,
    ...(g.prefixed ? ['--resource-pattern-type', 'prefixed'] : []),
  ];
}

async function run(cluster: KafkaCluster, action: '--add' | '--remove', grants: readonly AclGrant[], dist?: KafkaDist): Promise<void> {
  for (const g of grants) {
    const result = await runKafkaTool(ACL_COMMAND, grantArgs(cluster.bootstrap, action, g), { ...(dist ? { dist } : {}), timeoutMs: 60_000 });
    if (result.code !== 0) {
      throw new SandboxError(`AclCommand ${action} for ${g.principal} on cluster "${cluster.name}" failed (exit ${result.code ?? result.signal}): ${`${result.stdout}\n${result.stderr}`.trim().slice(-600)}`);
    }
  }
}

/** Adds the grants (one AclCommand run each). The broker applies them within a moment. */
export function grantAcls(cluster: KafkaCluster, grants: readonly AclGrant[], dist?: KafkaDist): Promise<void> {
  return run(cluster, '--add', grants, dist);
}

/** Removes exactly these grants. */
export function revokeAcls(cluster: KafkaCluster, grants: readonly AclGrant[], dist?: KafkaDist): Promise<void> {
  return run(cluster, '--remove', grants, dist);
}
