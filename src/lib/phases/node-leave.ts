import type { NodeContext } from './runner/node-context.js';
import { toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { changeTarget, waitForNode } from './runner/node-wait.js';

const DEMOTED_TIMEOUT_MS = 60_000;
const DOWN_TIMEOUT_MS = 60_000;

/**
 * Makes the host leave the swarm (`docker swarm leave` on it), once it no longer sees itself as a manager.
 * Under --force a failure is a warning (the node is then removed forcibly); a dead host is skipped.
 */
export const leavePhase: Phase<NodeContext, 'host'> = {
  title: 'Leave the swarm',
  needs: ['host'],
  shouldRun: (ctx) => ctx.node !== undefined && ctx.host !== undefined,
  async run(ctx) {
    const host = ctx.host;
    const docker = new HostDocker(host);
    try {
      if (!ctx.changes.dryRun) {
        // A demoted manager learns it is a worker a moment after the swarm does; leave refuses before.
        // On a timeout the leave is tried anyway: its own error then says why.
        const outcome = await pollUntil(
          async () => {
            const swarm = await docker.swarmInfo();
            return swarm?.isManager ? pending(swarm) : done(swarm);
          },
          { timeoutMs: DEMOTED_TIMEOUT_MS, intervalMs: 1000, signal: ctx.signal },
        );
        const swarm = 'value' in outcome ? outcome.value : outcome.waiting;
        if (swarm?.state === 'inactive') return;
      }
      await ctx.changes.apply(host, 'leave the swarm', () => docker.swarmLeave(ctx.force));
    } catch (error) {
      if (!ctx.force) throw error;
      ctx.hostError = toEectlError(error);
      const warning = `${host.name}: could not leave the swarm (${ctx.hostError.message.split('\n')[0]}); removing its node by force`;
      ctx.warnings.push(warning);
      ctx.log.warn(warning);
    }
  },
};

/**
 * Takes the node off the swarm's node list through the contact: after a clean leave once it shows Down;
 * under --force at once (`docker node rm --force`).
 */
export const forgetPhase: Phase<NodeContext, 'node' | 'contact'> = {
  title: "Remove the node from the swarm's list",
  needs: ['node', 'contact'],
  shouldRun: (ctx) => ctx.node !== undefined,
  async run(ctx, out) {
    const node = ctx.node;
    const force = ctx.force && (ctx.host === undefined || ctx.hostError !== undefined);
    if (!ctx.changes.dryRun && !force) {
      await waitForNode(ctx, 'Down', (n) => n === undefined || n.state === 'down', DOWN_TIMEOUT_MS, out);
    }
    await ctx.changes.apply(
      changeTarget(ctx),
      `remove node ${node.hostname} from the swarm${force ? ' (--force)' : ''}`,
      () => new HostDocker(ctx.contact).nodeRemove(node.id, force),
    );
    if (!ctx.changes.dryRun) {
      const left: NodeContext = ctx; // the node is gone: later phases see no node
      left.node = undefined;
    }
  },
};
