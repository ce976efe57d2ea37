import { nodeName, type NodeContext } from './node-context.js';
import { EectlError, ExitCode } from '../../errors.js';
import { HostDocker } from '../../swarm/docker.js';
import type { PhaseOutput, With } from './phase.js';
import type { SwarmNode } from '../../swarm/nodes.js';
import { drainProgress, runningByService } from '../../swarm/tasks.js';
import { done, pending, pollUntil, type Observation } from '../../util/poll.js';

const POLL_MS = 1000;

/** Where a node change is recorded and logged: the host when it was reached, else the node's name. */
export function changeTarget(ctx: NodeContext): { name: string; log: NodeContext['log'] } {
  const name = ctx.spec?.address ?? ctx.node?.hostname ?? ctx.target;
  return { name, log: ctx.host?.log ?? ctx.log.child(name) };
}

/**
 * Polls the node list through the contact until `ready(node, nodes)` holds for the target node, then
 * keeps that list; throws (exit 4: the change was made, the wait was not over) after `timeoutMs`.
 */
export async function waitForNode(
  ctx: With<NodeContext, 'node' | 'contact'>,
  what: string,
  ready: (node: SwarmNode | undefined, nodes: SwarmNode[]) => boolean,
  timeoutMs: number,
  out: PhaseOutput,
): Promise<void> {
  const docker = new HostDocker(ctx.contact);
  const id = ctx.node.id;
  const outcome = await pollUntil(
    async () => {
      const nodes = await docker.nodes();
      const node = nodes.find((n) => n.id === id);
      if (!ready(node, nodes)) return pending(node);
      ctx.nodes = nodes;
      if (node) ctx.node = node;
      return done(node);
    },
    {
      timeoutMs,
      intervalMs: POLL_MS,
      signal: ctx.signal,
      onWait: () => out.report(changeTarget(ctx).name, `waiting until ${what}`),
    },
  );
  if ('timedOut' in outcome) {
    const node = outcome.waiting;
    throw new EectlError(
      `${nodeName(ctx)}: not ${what} after ${timeoutMs / 1000}s (now ${node ? `${node.role}, ${node.state}` : 'gone'})`,
      {
        code: 'ENODE_WAIT',
        kind: 'external',
        exitCode: ExitCode.partial,
        host: ctx.spec?.address,
        suggestions: ['Look at `docker node ls` on a manager and `journalctl -u docker` on the node.'],
      },
    );
  }
}

/**
 * The tasks that run now of each service with a task on the node, before it is drained: what the drain
 * waits to see running elsewhere again (drainProgress).
 */
export async function servingBeforeDrain(
  docker: HostDocker,
  nodeId: string,
): Promise<{ watched: Set<string>; runningBefore: Map<string, number> }> {
  const watched = new Set((await docker.nodeTasks(nodeId)).map((t) => t.serviceId));
  return { watched, runningBefore: runningByService(await docker.serviceTasks([...watched]), watched) };
}

/**
 * One look at a drained node (for `pollUntil`): done once no task is wanted on it and every watched service
 * that ran there has its full count elsewhere; otherwise what is still awaited, in words.
 */
export async function drainObservation(
  docker: HostDocker,
  nodeId: string,
  watched: ReadonlySet<string>,
  runningBefore?: ReadonlyMap<string, number>,
): Promise<Observation<true, string>> {
  const services = await docker.services();
  // Full IDs of the watched services that still exist (`service ls` shows short ones).
  const ids = [...watched].filter((id) => services.some((s) => id.startsWith(s.id)));
  const tasks = [...(await docker.nodeTasks(nodeId)), ...(await docker.serviceTasks(ids))];
  const progress = drainProgress(nodeId, tasks, services, watched, runningBefore);
  if (progress.done) return done(true);
  return pending(
    [
      ...(progress.tasksOnNode > 0 ? [`${progress.tasksOnNode} task(s) still on it`] : []),
      ...progress.servicesShort,
    ].join(', '),
  );
}
