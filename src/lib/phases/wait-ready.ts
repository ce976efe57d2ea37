import { inSwarm, type ClusterContext } from '../phase/cluster-context.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../host/docker.js';
import type { Phase } from '../phase/phase.js';

const READY_TIMEOUT_MS = 120_000;

/** Waits until the node of every host of the file is Ready; the nodes seen last are kept for the summary. */
export const waitReadyPhase: Phase<ClusterContext, 'swarmManager'> = {
  title: 'Wait until every node is Ready',
  needs: ['swarmManager'],
  shouldRun: (ctx) => !ctx.changes.dryRun && ctx.swarmManager !== undefined && inSwarm(ctx.swarmManager),
  async run(ctx, out) {
    const docker = new HostDocker(ctx.swarmManager);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let waiting: string[] = [];
    while (Date.now() < deadline) {
      const nodes = await docker.nodes();
      const byId = new Map(nodes.map((n) => [n.id, n]));
      waiting = ctx.hosts
        .filter((h) => byId.get(h.facts?.swarm?.nodeId ?? '')?.state !== 'ready')
        .map((h) => h.name);
      if (waiting.length === 0) {
        ctx.nodes = nodes;
        return;
      }
      const some = waiting.slice(0, 5).join(', ') + (waiting.length > 5 ? ', …' : '');
      out.report(ctx.swarmManager.name, `waiting for ${waiting.length} of ${ctx.hosts.length}: ${some}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new EectlError(`nodes not Ready after ${READY_TIMEOUT_MS / 1000}s: ${waiting.join(', ')}`, {
      code: 'ENODES_NOT_READY',
      kind: 'external',
      exitCode: ExitCode.partial,
      suggestions: ['Look at `journalctl -u docker` on those hosts, then run install again.'],
    });
  },
};
