import type { ClusterContext } from './runner/cluster-context.js';
import { toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Facts } from '../host/facts-types.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { lockHost } from './lock.js';

/**
 * Who leaves the swarm, in order: first every worker (registry nodes are workers), then the managers one at
 * a time, `last` at the very end. By the node's own swarm facts, not its role in the file: a worker promoted
 * by hand is a manager and needs --force. Hosts whose engine does not answer are not in the list; their
 * swarm state goes with /var/lib/docker.
 */
export function leaveOrder<H extends { facts?: Facts | undefined }>(
  hosts: readonly H[],
  last: H | undefined,
): { workers: H[]; managers: H[] } {
  const members = hosts.filter((h) => (h.facts?.swarm?.state ?? 'inactive') !== 'inactive');
  const managers = members.filter((h) => h.facts?.swarm?.isManager === true);
  return {
    workers: members.filter((h) => !managers.includes(h)),
    managers: [...managers.filter((h) => h !== last), ...managers.filter((h) => h === last)],
  };
}

/**
 * Leaves the swarm on one host. A manager leaves with --force: the reset destroys the cluster, so keeping
 * its quorum protects nothing. A failed leave only warns: the swarm state is removed with the engine's data.
 */
async function leave(ctx: ClusterContext, host: Host, force: boolean): Promise<void> {
  const description = force ? 'leave the swarm (--force: the cluster is being destroyed)' : 'leave the swarm';
  await ctx.changes.apply(host, description, async () => {
    await new HostDocker(host).swarmLeave(force).catch((error: unknown) => {
      host.log.warn(
        `could not leave the swarm (${toEectlError(error).message.split('\n')[0]}); its swarm state goes with /var/lib/docker`,
      );
    });
  });
}

/**
 * Every host leaves the swarm: workers first, in parallel, so that the managers still see them go; then the
 * managers one at a time, the lock host (the first manager of the file, install's founder) last.
 */
export const leaveSwarmPhase: Phase<ClusterContext> = {
  title: 'Leave the swarm',
  shouldRun: (ctx) => {
    const { workers, managers } = leaveOrder(ctx.hosts, undefined);
    return workers.length + managers.length > 0;
  },
  async run(ctx, out) {
    const { workers, managers } = leaveOrder(ctx.hosts, lockHost(ctx));
    await mapAll(workers, ctx.concurrency, async (host) => {
      await leave(ctx, host, host.facts?.swarm?.state !== 'active');
      if (!ctx.changes.dryRun) out.report(host.name, 'left the swarm');
    });
    for (const host of managers) {
      await leave(ctx, host, true);
      if (!ctx.changes.dryRun) out.report(host.name, 'left the swarm');
    }
  },
};
