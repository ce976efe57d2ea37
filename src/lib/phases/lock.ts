import { managers, type ClusterContext } from '../actions/cluster-context.js';
import { ClusterLock } from '../cluster/lock.js';
import type { Phase } from '../phase/phase.js';

/**
 * Takes the cluster lock on the first manager of the file, so two runs cannot change the cluster at once.
 * A dry run changes nothing and takes no lock. The action releases it at the end, also on failure.
 */
export const lockPhase: Phase<ClusterContext> = {
  title: 'Lock the cluster',
  shouldRun: (ctx) => !ctx.dryRun,
  async run(ctx) {
    ctx.lock = await ClusterLock.acquire(managers(ctx)[0]!, 'install');
  },
};
