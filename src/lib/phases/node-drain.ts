import { nodeName, type NodeContext } from './runner/node-context.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import { pollUntil } from '../util/poll.js';
import { changeTarget, drainObservation, servingBeforeDrain } from './runner/node-wait.js';

const POLL_MS = 1000;

/**
 * Sets the node's availability to drain, then waits until its tasks run elsewhere: no task is wanted on
 * it and every replicated service that ran there has its full count on other nodes. Skipped for a dead
 * host under --force (its tasks are rescheduled once the node is removed).
 */
export const drainPhase: Phase<NodeContext, 'node' | 'contact'> = {
  title: 'Drain the node and wait until its tasks run elsewhere',
  needs: ['node', 'contact'],
  shouldRun: (ctx) => ctx.node !== undefined && !(ctx.force && ctx.host === undefined),
  async run(ctx, out) {
    const node = ctx.node;
    const docker = new HostDocker(ctx.contact);
    const { watched, runningBefore } = await servingBeforeDrain(docker, node.id);
    if (node.availability !== 'drain') {
      await ctx.changes.apply(changeTarget(ctx), `drain node ${node.hostname}`, () =>
        docker.nodeUpdate(node.id, { availability: 'drain' }),
      );
    }
    if (ctx.changes.dryRun) return;
    ctx.node = { ...node, availability: 'drain' };
    const elsewhere = ctx.nodes.some(
      (n) => n.id !== node.id && n.availability === 'active' && n.state === 'ready',
    );
    if (!elsewhere) return; // the check warned: the tasks have nowhere to go, so there is nothing to wait for
    const outcome = await pollUntil(() => drainObservation(docker, node.id, watched, runningBefore), {
      timeoutMs: ctx.drainTimeoutMs,
      intervalMs: POLL_MS,
      signal: ctx.signal,
      onWait: (waiting) => out.report(changeTarget(ctx).name, `waiting for ${waiting}`),
    });
    if ('timedOut' in outcome) {
      throw new EectlError(
        `${nodeName(ctx)} is drained, but after ${ctx.drainTimeoutMs / 1000}s its tasks do not all run elsewhere: ${outcome.waiting}`,
        {
          code: 'EDRAIN_TIMEOUT',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: ctx.spec?.address,
          suggestions: [
            'Look at `docker service ps SERVICE` on a manager: placement constraints, resources, or an image the other nodes lack.',
            `Run the command again to go on waiting, or undo the drain with eectl node activate ${ctx.target}.`,
          ],
        },
      );
    }
    changeTarget(ctx).log.info(`drained: ${watched.size} service(s) that ran here run elsewhere`);
  },
};

/** Sets the node's availability back to active: the swarm may schedule tasks on it again. */
export const activatePhase: Phase<NodeContext, 'node' | 'contact'> = {
  title: 'Activate the node',
  needs: ['node', 'contact'],
  shouldRun: (ctx) => ctx.node !== undefined && ctx.node.availability !== 'active',
  async run(ctx) {
    const node = ctx.node;
    await ctx.changes.apply(changeTarget(ctx), `activate node ${node.hostname}`, () =>
      new HostDocker(ctx.contact).nodeUpdate(node.id, { availability: 'active' }),
    );
    if (!ctx.changes.dryRun) ctx.node = { ...node, availability: 'active' };
  },
};
