import { inSwarm, type ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Phase } from './runner/phase.js';
import type { SwarmNode } from '../swarm/nodes.js';
import { done, pending, pollUntil } from '../util/poll.js';

const READY_TIMEOUT_MS = 120_000;

/** Waits until the node of every host of the file is Ready; the nodes seen last are kept for the summary. */
export const waitReadyPhase: Phase<ClusterContext, 'swarmManager'> = {
  title: 'Wait until every node is Ready',
  needs: ['swarmManager'],
  shouldRun: (ctx) => !ctx.changes.dryRun && ctx.swarmManager !== undefined && inSwarm(ctx.swarmManager),
  async run(ctx, out) {
    const notReady = (nodes: SwarmNode[]) => {
      const byId = new Map(nodes.map((n) => [n.id, n]));
      return ctx.hosts
        .filter((h) => byId.get(h.facts?.swarm?.nodeId ?? '')?.state !== 'ready')
        .map((h) => h.name);
    };
    // Nothing changed since labelling read the nodes, and all were Ready then: no need to ask again.
    const seen = ctx.nodesSeen;
    if (seen && seen.changes === ctx.changes.count && notReady(seen.nodes).length === 0) {
      ctx.nodes = seen.nodes;
      return;
    }
    const docker = new HostDocker(ctx.swarmManager);
    const outcome = await pollUntil(
      async () => {
        const nodes = await docker.nodes();
        const waiting = notReady(nodes);
        return waiting.length === 0 ? done(nodes) : pending(waiting);
      },
      {
        timeoutMs: READY_TIMEOUT_MS,
        intervalMs: 1000,
        signal: ctx.signal,
        onWait: (waiting) => {
          const some = waiting.slice(0, 5).join(', ') + (waiting.length > 5 ? ', …' : '');
          out.report(ctx.swarmManager.name, `waiting for ${waiting.length} of ${ctx.hosts.length}: ${some}`);
        },
      },
    );
    if ('value' in outcome) {
      ctx.nodes = outcome.value;
      return;
    }
    throw new EectlError(`nodes not Ready after ${READY_TIMEOUT_MS / 1000}s: ${outcome.waiting.join(', ')}`, {
      code: 'ENODES_NOT_READY',
      kind: 'external',
      exitCode: ExitCode.partial,
      suggestions: ['Look at `journalctl -u docker` on those hosts, then run install again.'],
    });
  },
};
