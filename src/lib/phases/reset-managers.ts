import type { ClusterContext } from './runner/cluster-context.js';
import type { HostSpec } from '../config/schema.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { nodesOfHost, type SwarmNode } from '../swarm/nodes.js';

/**
 * The swarm's managers that no host of the file is, from the node list of a manager of the file: matched
 * by the node ID a reached host reported, else by the address label or the address (nodesOfHost).
 */
export function unlistedManagerNodes(
  specs: readonly HostSpec[],
  hosts: readonly Host[],
  nodes: readonly SwarmNode[],
): SwarmNode[] {
  const listed = new Set<string>();
  for (const spec of specs) {
    const own = hosts.find((h) => h.name === spec.address)?.facts?.swarm?.nodeId;
    for (const n of nodesOfHost(spec, nodes, own)) listed.add(n.id);
  }
  return nodes.filter((n) => n.role === 'manager' && !listed.has(n.id));
}

/**
 * The manager addresses a worker knows (host:port) that no host of the file has: the way to tell when no
 * manager of the file answers. A file host's addresses are its file address, privateAddress and, when
 * reached, every address it has.
 */
export function unlistedManagerAddresses(specs: readonly HostSpec[], hosts: readonly Host[]): string[] {
  const known = new Set<string>();
  for (const spec of specs) {
    known.add(spec.address);
    if (spec.privateAddress) known.add(spec.privateAddress);
  }
  for (const h of hosts) for (const a of h.facts?.addresses ?? []) known.add(a);
  const remote = new Set(hosts.flatMap((h) => h.facts?.swarm?.remoteManagers ?? []));
  return [...remote].filter((addr) => !known.has(addr.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')));
}

/**
 * Refuses a reset (exit 3, nothing changed) when the swarm its hosts are in has managers the file does not
 * list: force-leaving the listed ones would take the quorum from the others, which go on serving. Runs
 * under the lock, before anything leaves.
 */
export const resetManagersPhase: Phase<ClusterContext & { checkManagers: boolean }> = {
  title: "Check the swarm's managers",
  shouldRun: (ctx) => ctx.checkManagers && ctx.hosts.some((h) => h.facts?.swarm?.state === 'active'),
  async run(ctx, out) {
    const specs = ctx.config.spec.hosts;
    const manager = ctx.hosts.find((h) => h.facts?.swarm?.state === 'active' && h.facts.swarm.isManager);
    let unlisted: string[];
    if (manager) {
      const nodes = await new HostDocker(manager).nodes();
      unlisted = unlistedManagerNodes(specs, ctx.hosts, nodes).map(
        (n) => `${n.hostname} (${n.addr}, node ${n.id.slice(0, 12)}, ${n.state})`,
      );
    } else {
      unlisted = unlistedManagerAddresses(specs, ctx.hosts);
    }
    if (unlisted.length === 0) {
      out.report(manager?.name ?? ctx.hosts[0]!.name, 'every manager of the swarm is in the file');
      return;
    }
    throw new EectlError(
      `refusing to reset: the swarm has ${unlisted.length} manager${unlisted.length === 1 ? '' : 's'} that the cluster file does not list, which would lose the quorum when the listed ones leave; nothing was changed:\n` +
        unlisted.map((u) => `  ${u}`).join('\n'),
      {
        code: 'EUNLISTED_MANAGERS',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: [
          'Add every manager of the swarm to the file to reset the whole cluster (see `eectl node ls`).',
          'To take only some hosts out of a cluster that goes on, use `eectl node remove HOST --reset` for each.',
        ],
      },
    );
  },
};
