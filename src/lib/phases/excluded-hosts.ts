import { excludedNames, inSwarm, type ClusterContext } from './runner/cluster-context.js';
import { excludedManagersRefusal, type ExcludedManagersState } from '../cluster/host-selection.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';

/**
 * --exclude: says which hosts are left out, and refuses (before any change) to leave out managers unless
 * the managers the run reaches keep the quorum of the swarm's managers, read from the swarm itself.
 */
export const excludedHostsPhase: Phase<ClusterContext> = {
  title: 'Check the excluded hosts',
  shouldRun: (ctx) => excludedNames(ctx).length > 0,
  async run(ctx, out) {
    const names = excludedNames(ctx);
    const message = `left out (--exclude), not contacted and not changed: ${names.join(', ')}`;
    ctx.log.warn(message);
    (ctx.warnings ??= []).push(message);
    const excludedManagers = excludedNames(ctx, true);
    if (excludedManagers.length === 0) return;
    const refusal = excludedManagersRefusal(excludedManagers, await managersState(ctx));
    if (refusal) throw refusal;
    out.report(excludedManagers.join(', '), 'excluded manager(s): the others keep the quorum');
  },
};

/** The swarm's managers and how many of them this run reaches, from the first reachable manager in it. */
async function managersState(ctx: ClusterContext): Promise<ExcludedManagersState | undefined> {
  const manager = ctx.hosts.find((h) => h.isManager && inSwarm(h) && h.facts?.swarm?.isManager);
  if (!manager) return undefined;
  const nodes = await new HostDocker(manager).nodes();
  const reached = new Set(ctx.hosts.flatMap((h) => (h.facts?.swarm?.nodeId ? [h.facts.swarm.nodeId] : [])));
  const swarmManagers = nodes.filter((n) => n.role === 'manager');
  return {
    swarmManagers: swarmManagers.length,
    remainingReachable: swarmManagers.filter((n) => n.reachability === 'reachable' && reached.has(n.id))
      .length,
  };
}
