/** Raft arithmetic for swarm managers: how many must agree, and how many may fail. */

/** Managers that must be reachable for the swarm to be managed: a strict majority. */
export function quorumSize(managers: number): number {
  return Math.floor(managers / 2) + 1;
}

/** Managers that may fail while the swarm keeps its quorum. */
export function faultTolerance(managers: number): number {
  return managers <= 0 ? 0 : Math.floor((managers - 1) / 2);
}

export interface QuorumState {
  managers: number;
  reachable: number;
}

export function hasQuorum(state: QuorumState): boolean {
  return state.managers > 0 && state.reachable >= quorumSize(state.managers);
}

/**
 * Whether taking one manager away (remove or demote) keeps the quorum. The remaining managers must hold a
 * majority of the new, smaller membership, counting only those reachable now.
 */
export function quorumAfterRemoval(state: QuorumState, removedIsReachable: boolean): boolean {
  const managers = state.managers - 1;
  const reachable = state.reachable - (removedIsReachable ? 1 : 0);
  return managers > 0 && reachable >= quorumSize(managers);
}

/**
 * Whether a manager's engine may restart now. A restart keeps the membership (unlike a removal), so the
 * others must hold the quorum alone: 'safe'. With one or two managers they never can, yet a restart may be
 * the only way to a change: 'pause' (management stops for a few seconds) when every manager is up. When
 * one is already down and this restart would lose the quorum: 'refuse'.
 */
export function restartVerdict(counts: QuorumState): 'safe' | 'pause' | 'refuse' {
  if (hasQuorum({ managers: counts.managers, reachable: counts.reachable - 1 })) return 'safe';
  return counts.reachable >= counts.managers ? 'pause' : 'refuse';
}

/** "3 managers, tolerates 1 failure, all reachable" */
export function describeQuorum(state: QuorumState): string {
  const tolerates = faultTolerance(state.managers);
  const failures = `tolerates ${tolerates} failure${tolerates === 1 ? '' : 's'}`;
  const down = state.managers - state.reachable;
  const reach = down === 0 ? 'all reachable' : `${down} unreachable`;
  const verdict = hasQuorum(state) ? '' : ', QUORUM LOST';
  return `${state.managers} manager${state.managers === 1 ? '' : 's'}, ${failures}, ${reach}${verdict}`;
}
