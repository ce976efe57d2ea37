import type { ClusterFile } from '../config/cluster-file.js';
import type { HostSpec, Role } from '../config/schema.js';
import type { Session } from '../cluster/session.js';
import { HostDocker } from '../swarm/docker.js';
import { Host } from '../host/host.js';
import { reachManagers, readOnlyManagerContext } from '../phases/node-connect.js';
import { ADDRESS_LABEL, managerCounts, nodesOfHost, type SwarmNode } from '../swarm/nodes.js';
import { describeQuorum } from '../swarm/quorum.js';
import type { Logger } from '../util/log.js';
import { mapSettled } from '../util/concurrency.js';
import type { NodeListRow, NodeListResult } from '../results/node.js';

/** What `node ls` is given. */
export interface NodeListOptions {
  file: ClusterFile;
  session: Session;
  log: Logger;
  concurrency: number;
}

/** The swarm address of a file host's node: its privateAddress, else its SSH address. */
const advertised = (spec: HostSpec): string => spec.privateAddress ?? spec.address;

/**
 * Pairs the file's hosts with the swarm's nodes: by the node ID a host reported itself, else by the
 * address label install puts on nodes, else by its advertised address (nodesOfHost). Returns the node of each host (in file order) and the nodes no host claims.
 */
export function pairHostsWithNodes(
  specs: readonly HostSpec[],
  nodes: readonly SwarmNode[],
  ownNodeIds: ReadonlyMap<string, string | undefined>,
): { paired: (SwarmNode | undefined)[]; unclaimed: SwarmNode[] } {
  const claimed = new Set<string>();
  const paired = specs.map((spec) => {
    const node = nodesOfHost(spec, nodes, ownNodeIds.get(spec.address)).find((n) => !claimed.has(n.id));
    if (node) claimed.add(node.id);
    return node;
  });
  return { paired, unclaimed: nodes.filter((n) => !claimed.has(n.id)) };
}

/**
 * `eectl node ls`: every node as a manager sees it, and whether the file lists it; every host of the file
 * the swarm lacks. Hosts whose address the swarm does not show are asked for their node ID. Read-only:
 * takes no lock.
 */
export async function listNodes(options: NodeListOptions): Promise<NodeListResult> {
  const ctx = readOnlyManagerContext(
    options.file.config,
    (spec) => options.session.connect(spec),
    options.log,
  );
  const contact = await reachManagers(ctx);
  const nodes = await new HostDocker(contact).nodes();
  const specs = ctx.config.spec.hosts;
  const ownIds = new Map([...ctx.swarm].map(([address, swarm]) => [address, swarm?.nodeId]));
  const byAddress = new Set(nodes.map((n) => n.addr));
  const byLabel = new Set(nodes.map((n) => n.labels[ADDRESS_LABEL]));
  // Only hosts the node list does not show by address cost a login.
  const unknown = specs.filter(
    (s) =>
      !ownIds.has(s.address) &&
      !ctx.unreachable.has(s.address) &&
      !byAddress.has(advertised(s)) &&
      !byLabel.has(s.address),
  );
  const asked = await mapSettled(unknown, options.concurrency, async (spec) => {
    const swarm = await new HostDocker(new Host(spec, await ctx.connect(spec))).swarmInfo();
    return swarm?.state === 'active' ? swarm.nodeId : undefined;
  });
  const unreachable = new Set(ctx.unreachable.keys());
  for (const a of asked) {
    if (a.ok) ownIds.set(a.item.address, a.value);
    else unreachable.add(a.item.address);
  }
  const { paired, unclaimed } = pairHostsWithNodes(specs, nodes, ownIds);
  const rows: NodeListRow[] = [
    ...specs.map((spec, i) => row(spec.address, paired[i], spec.role, unreachable.has(spec.address))),
    ...unclaimed.map((n) => row(n.addr, n, undefined, false)),
  ];
  const counts = managerCounts(nodes);
  return {
    cluster: ctx.config.metadata.name,
    contact: contact.name,
    nodes: rows,
    quorum: { ...counts, description: describeQuorum(counts) },
  };
}

function row(
  address: string,
  node: SwarmNode | undefined,
  fileRole: Role | undefined,
  unreachable: boolean,
): NodeListRow {
  return {
    host: fileRole !== undefined ? address : undefined,
    address: node?.addr ?? address,
    hostname: node?.hostname,
    id: node?.id,
    role: node?.role,
    fileRole,
    state: node?.state ?? (unreachable ? 'unreachable' : 'not in swarm'),
    availability: node?.availability,
    leader: node?.leader ?? false,
    reachability: node?.reachability,
    engineVersion: node?.engineVersion,
    inFile: fileRole !== undefined,
    inSwarm: node !== undefined,
  };
}
