import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import type { ResetContext } from './reset-host.js';
import { describeWorkloads, workloadsOf } from '../swarm/workloads.js';

/**
 * Reads, from a manager, the services and stacks the reset destroys with the swarm, so the dry run and the
 * summary name them (changes nothing). Not for `node remove --reset`, whose host leaves a swarm that goes on.
 */
export const resetWorkloadsPhase: Phase<ResetContext> = {
  title: 'List the services the reset destroys',
  shouldRun: (ctx) =>
    ctx.checkManagers && ctx.hosts.some((h) => h.facts?.swarm?.state === 'active' && h.facts.swarm.isManager),
  async run(ctx, out) {
    const manager = ctx.hosts.find((h) => h.facts?.swarm?.state === 'active' && h.facts.swarm.isManager)!;
    ctx.workloads = workloadsOf(await new HostDocker(manager).inspectAllServices());
    out.report(manager.name, describeWorkloads(ctx.workloads));
  },
};
