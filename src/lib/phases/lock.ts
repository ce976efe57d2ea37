import { managers, type ClusterContext } from '../actions/cluster-context.js';
import { ClusterLock } from '../cluster/lock.js';
import type { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';

/** Where the lock is taken: the first reachable manager of the file, else the first reachable host. */
export const lockHost = (ctx: ClusterContext): Host | undefined => managers(ctx)[0] ?? ctx.hosts[0];

/**
 * Takes the cluster lock on the first manager of the file (the first host when no manager is reachable, as
 * for a reset that goes on without unreachable hosts), so two runs cannot change the cluster at once. The
 * owner record names `command`. A dry run changes nothing and takes no lock. The action releases it at the
 * end, also on failure.
 */
export function lockPhaseFor(command: string): Phase<ClusterContext> {
  return {
    title: 'Lock the cluster',
    shouldRun: (ctx) => !ctx.dryRun && lockHost(ctx) !== undefined,
    async run(ctx) {
      ctx.lock = await ClusterLock.acquire(lockHost(ctx)!, command);
    },
  };
}

/** The lock of `eectl install`. */
export const lockPhase = lockPhaseFor('install');
