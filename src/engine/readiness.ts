/**
 * Readiness, for `GET /readyz` (a Kubernetes readiness probe, `kubectl rollout status`), as
 * distinct from liveness (`GET /healthz`: the process answers at all).
 *
 * A process is ready once every running flow has joined its consumer group and handled its first
 * assignment, which may be empty: with more processes than partitions some get none, and they
 * are still doing their job (standing by). Until then a rolling update must not count it as
 * replacing an old process. From the moment it begins to stop it is not ready. A flow stopped on
 * request (`POST /flows/<name>/stop`, `strait failover`) does not hold readiness back: it was
 * meant to stop.
 */
import type { FlowReadiness } from '../coordinator/flow.js';

export type EnginePhase = 'starting' | 'running' | 'stopping';

export interface Readiness {
  ready: boolean;
  /** What the engine is doing. */
  phase: EnginePhase;
  flows: { name: string; state: FlowReadiness }[];
}

export function engineReadiness(phase: EnginePhase, flows: { name: string; state: FlowReadiness }[]): Readiness {
  const ready = phase === 'running' && flows.every((f) => f.state !== 'starting');
  return { ready, phase, flows };
}
