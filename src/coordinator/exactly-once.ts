/**
 * exactly-once: where the source offsets live, and where a partition resumes.
 *
 * Each transaction of a worker commits, with its records, the next source offset of every
 * partition it wrote, to a consumer group on the TARGET cluster (the source group's generation
 * means nothing there). Offsets are stored under the remote topic's name (the broker accepts
 * commits only for topics it has), and the group name starts with `__` so that MM2's default
 * group filter (and strait's) never checkpoints or syncs it in a reverse flow.
 */
import type { FlowConfig } from '../config/types.js';

/** The target-side group holding the committed source offsets of an exactly-once flow. */
export function exactlyOnceOffsetsGroup(flow: Pick<FlowConfig, 'groupId'>): string {
  return `__strait-eos.${flow.groupId}`;
}

/** The transactional.id of one worker of one process: stable across restarts of that process. */
export function transactionalId(flow: Pick<FlowConfig, 'groupId'>, instanceId: string, workerId: number): string {
  return `${flow.groupId}-${instanceId}-${workerId}`;
}

/**
 * Where a partition resumes: the offset committed in the target (the truth: it was committed
 * atomically with the records), else the source group's committed offset (a flow switched from
 * at-least-once keeps its position), else the log start (-1 here: "not committed").
 */
export function resumeOffset(fromTarget: number | undefined, fromSource: number | undefined): number {
  if (fromTarget !== undefined && fromTarget >= 0) return fromTarget;
  if (fromSource !== undefined && fromSource >= 0) return fromSource;
  return -1;
}
