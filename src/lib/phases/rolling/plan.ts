/** The order of a rolling change: pure, so batch sizes and ordering are tested without hosts. */

/** One host of a rolling change, as ordering needs it. */
export interface RollingMember<T> {
  item: T;
  role: 'manager' | 'worker' | 'registry';
  /** The manager that leads Raft now: restarted last, so leadership moves once only. */
  leader: boolean;
}

/** The turns of a rolling change: each inner array is restarted at once, the arrays one after another. */
export interface RollingOrder<T> {
  managers: T[][];
  workers: T[][];
  registries: T[][];
  /** Workers restarted at once (the size of every worker batch but maybe the last). */
  batchSize: number;
}

/**
 * Workers that may be down at once: `maxUnavailable` when given, else 10 % of the workers rounded down;
 * at least 1, at most all of them.
 */
export function workerBatchSize(workers: number, maxUnavailable?: number): number {
  if (workers <= 0) return 0;
  const wanted = maxUnavailable ?? Math.floor(workers / 10);
  return Math.min(workers, Math.max(1, Math.floor(wanted)));
}

/**
 * Managers one at a time in the given order with the leader last, then workers in batches, then registry
 * nodes one at a time (each replica is checked before the next one stops).
 */
export function rollingOrder<T>(
  members: readonly RollingMember<T>[],
  maxUnavailable?: number,
): RollingOrder<T> {
  const managers = members.filter((m) => m.role === 'manager');
  const ordered = [...managers.filter((m) => !m.leader), ...managers.filter((m) => m.leader)];
  const workers = members.filter((m) => m.role === 'worker').map((m) => m.item);
  const batchSize = workerBatchSize(workers.length, maxUnavailable);
  const batches: T[][] = [];
  for (let i = 0; i < workers.length; i += batchSize) batches.push(workers.slice(i, i + batchSize));
  return {
    managers: ordered.map((m) => [m.item]),
    workers: batches,
    registries: members.filter((m) => m.role === 'registry').map((m) => [m.item]),
    batchSize,
  };
}
