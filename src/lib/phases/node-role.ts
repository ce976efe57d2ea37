import type { NodeContext } from './runner/node-context.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import { managerCounts, type SwarmNode } from '../swarm/nodes.js';
import { describeQuorum, hasQuorum } from '../swarm/quorum.js';
import { changeTarget, waitForNode } from './runner/node-wait.js';

const ROLE_CHANGE_TIMEOUT_MS = 90_000;

/** install labels its nodes with their role (label-nodes.ts); a role change keeps the label true. */
function roleLabel(node: SwarmNode, role: 'manager' | 'worker'): Record<string, string> {
  return node.labels['eectl.managed'] === 'true' && node.labels['eectl.role'] !== 'registry'
    ? { 'eectl.role': role }
    : {};
}

/** Makes a worker a manager, then waits until it is a reachable manager and the swarm has its quorum. */
export const promotePhase: Phase<NodeContext, 'node' | 'contact'> = {
  title: 'Promote to manager',
  needs: ['node', 'contact'],
  shouldRun: (ctx) => ctx.node?.role === 'worker',
  async run(ctx, out) {
    const node = ctx.node;
    await ctx.changes.apply(changeTarget(ctx), `promote node ${node.hostname} to manager`, () =>
      new HostDocker(ctx.contact).nodeUpdate(node.id, {
        role: 'manager',
        labels: roleLabel(node, 'manager'),
      }),
    );
    if (ctx.changes.dryRun) return;
    await waitForNode(
      ctx,
      'a reachable manager',
      (n, nodes) =>
        n?.role === 'manager' && n.reachability === 'reachable' && hasQuorum(managerCounts(nodes)),
      ROLE_CHANGE_TIMEOUT_MS,
      out,
    );
    changeTarget(ctx).log.info(`manager reachable; ${describeQuorum(managerCounts(ctx.nodes))}`);
  },
};

/**
 * Makes a manager a worker (Raft forgets it), then waits until the swarm reports it without manager
 * status and still has its quorum. Also the first step of removing a manager.
 */
export const demotePhase: Phase<NodeContext, 'node' | 'contact'> = {
  title: 'Demote to worker',
  needs: ['node', 'contact'],
  shouldRun: (ctx) => ctx.node?.role === 'manager',
  async run(ctx, out) {
    const node = ctx.node;
    await ctx.changes.apply(changeTarget(ctx), `demote node ${node.hostname} to worker`, () =>
      new HostDocker(ctx.contact).nodeUpdate(node.id, { role: 'worker', labels: roleLabel(node, 'worker') }),
    );
    if (ctx.changes.dryRun) return;
    await waitForNode(
      ctx,
      'a worker',
      (n, nodes) => n?.role === 'worker' && n.reachability === undefined && hasQuorum(managerCounts(nodes)),
      ROLE_CHANGE_TIMEOUT_MS,
      out,
    );
    changeTarget(ctx).log.info(`demoted; ${describeQuorum(managerCounts(ctx.nodes))}`);
  },
};
