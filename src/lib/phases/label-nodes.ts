import { inSwarm, type ClusterContext } from './runner/cluster-context.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';
import { ADDRESS_LABEL } from '../swarm/nodes.js';
import { COLLECTION_LABEL } from '../access/model.js';
import { SHARED_COLLECTION, SYSTEM_COLLECTION } from '../config/access-names.js';

/**
 * Labels eectl keeps on every node: its role in the file, that eectl manages it, its address in the file
 * (how node commands find the node of a dead host whose advertised address differs), its collection for
 * access control (managers and registry hosts /System, workers /Shared or the file's `collection`: a
 * non-admin's service must be pinned to one it may schedule on), and the file's labels.
 */
export function desiredLabels(host: Host): Record<string, string> {
  return {
    ...host.spec.labels,
    'eectl.role': host.role,
    'eectl.managed': 'true',
    [ADDRESS_LABEL]: host.spec.address,
    [COLLECTION_LABEL]:
      host.role === 'worker' ? (host.spec.collection ?? SHARED_COLLECTION) : SYSTEM_COLLECTION,
  };
}

/**
 * Labels a node that has just joined (or started) the swarm, in its own host's turn, through `contact`:
 * it has no labels yet, so every desired label is added at once, without reading the node first, and
 * without waiting for the other hosts to join. The phase below then finds nothing to add for it.
 */
export async function labelJoinedNode(ctx: ClusterContext, contact: Host, host: Host): Promise<void> {
  const nodeId = host.facts?.swarm?.nodeId;
  if (ctx.changes.dryRun || !nodeId) return;
  const labels = desiredLabels(host);
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  await ctx.changes.apply(host, `label node ${host.facts?.hostname ?? host.name}: ${text}`, () =>
    new HostDocker(contact).nodeUpdate(nodeId, { labels }),
  );
}

/**
 * Adds the labels a node lacks (one `node update` per node that needs one), several nodes at once: each
 * update is its own object's, so they do not conflict, and the manager's connection bounds its channels
 * (500 nodes one after the other took 20 s of a fresh install).
 */
export const labelNodesPhase: Phase<ClusterContext, 'swarmManager'> = {
  title: 'Label nodes',
  needs: ['swarmManager'],
  shouldRun: (ctx) => ctx.swarmManager !== undefined && inSwarm(ctx.swarmManager),
  async run(ctx) {
    const docker = new HostDocker(ctx.swarmManager);
    const seen = await docker.nodes();
    const nodes = new Map(seen.map((n) => [n.id, n]));
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      const node = nodes.get(host.facts?.swarm?.nodeId ?? '');
      if (!node) return;
      const missing = Object.fromEntries(
        Object.entries(desiredLabels(host)).filter(([k, v]) => node.labels[k] !== v),
      );
      if (Object.keys(missing).length === 0) return;
      const text = Object.entries(missing)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      await ctx.changes.apply(host, `label node ${node.hostname}: ${text}`, () =>
        docker.nodeUpdate(node.id, { labels: missing }),
      );
    });
    ctx.nodesSeen = { nodes: seen, changes: ctx.changes.count };
  },
};
