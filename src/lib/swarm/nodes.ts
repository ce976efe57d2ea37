/** A swarm node as `docker node inspect` reports it, reduced to what eectl decides on. */
export interface SwarmNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** ready | down | unknown | disconnected */
  state: string;
  /** active | pause | drain */
  availability: string;
  /** Address the node is seen at (Status.Addr). */
  addr: string;
  engineVersion: string;
  leader: boolean;
  /** reachable | unreachable | unknown — managers only. */
  reachability: string | undefined;
  /** The Raft member's address (ManagerStatus.Addr, host:port) — managers only. */
  managerAddr?: string;
  labels: Record<string, string>;
  /** What the scheduler reads of the node besides its spec (swarm/constraints.ts, swarm/spread.ts). */
  placement?: NodePlacement;
}

/**
 * The node's description as placement reads it: its platform (`node.platform.os/arch`, a service's
 * platforms), its engine's labels (`engine.labels.KEY`) and plugins (a service's log driver). Absent in
 * the node's description: empty, as swarmkit compares a missing value with "".
 */
export interface NodePlacement {
  os: string;
  arch: string;
  engineLabels: Record<string, string>;
  plugins: { type: string; name: string }[];
}

interface RawNode {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> | null };
  Description?: {
    Hostname?: string;
    Platform?: { OS?: string; Architecture?: string } | null;
    Engine?: {
      EngineVersion?: string;
      Labels?: Record<string, string> | null;
      Plugins?: { Type?: string; Name?: string }[] | null;
    };
  };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

/** Parses `docker node inspect <ids…>` (a JSON array). */
export function parseNodeInspect(json: string): SwarmNode[] {
  const raw = JSON.parse(json) as RawNode[];
  return raw.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'active',
    // A manager's Status.Addr can be 0.0.0.0 on older engines; its ManagerStatus.Addr is host:2377.
    addr:
      n.Status?.Addr && n.Status.Addr !== '0.0.0.0'
        ? n.Status.Addr
        : (n.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? ''),
    engineVersion: n.Description?.Engine?.EngineVersion ?? '',
    leader: n.ManagerStatus?.Leader === true,
    reachability: n.ManagerStatus?.Reachability,
    ...(n.ManagerStatus?.Addr ? { managerAddr: n.ManagerStatus.Addr } : {}),
    labels: n.Spec?.Labels ?? {},
    placement: {
      os: n.Description?.Platform?.OS ?? '',
      arch: n.Description?.Platform?.Architecture ?? '',
      engineLabels: n.Description?.Engine?.Labels ?? {},
      plugins: (n.Description?.Engine?.Plugins ?? []).map((p) => ({
        type: p.Type ?? '',
        name: p.Name ?? '',
      })),
    },
  }));
}

/** Managers counted for quorum, from the node list. */
export function managerCounts(nodes: readonly SwarmNode[]): { managers: number; reachable: number } {
  const managers = nodes.filter((n) => n.role === 'manager');
  return {
    managers: managers.length,
    reachable: managers.filter((n) => n.reachability === 'reachable').length,
  };
}

/** The node label install keeps on every node: the host's `address` in the cluster file (reserved prefix). */
export const ADDRESS_LABEL = 'eectl.address';

/** What a file host is matched by: the address eectl logs in to, and the one it advertises when set. */
export interface HostAddresses {
  address: string;
  privateAddress?: string | undefined;
}

/**
 * The swarm nodes that can be a host of the file, by the first rule that finds any: the node ID the host
 * reported itself (exclusive when known); the address label install put on its node; then, for clusters
 * installed before that label, the address the node shows (privateAddress, else address) or a hostname
 * equal to the file's address. A node labelled for another address never matches by the fallbacks. More
 * than one candidate means the host cannot be told apart.
 */
export function nodesOfHost(
  host: HostAddresses,
  nodes: readonly SwarmNode[],
  ownNodeId: string | undefined,
): SwarmNode[] {
  if (ownNodeId) return nodes.filter((n) => n.id === ownNodeId);
  const labelled = nodes.filter((n) => n.labels[ADDRESS_LABEL] === host.address);
  if (labelled.length > 0) return labelled;
  const unlabelled = nodes.filter((n) => n.labels[ADDRESS_LABEL] === undefined);
  const advertised = host.privateAddress ?? host.address;
  const byAddress = unlabelled.filter((n) => n.addr === advertised);
  if (byAddress.length > 0) return byAddress;
  return unlabelled.filter((n) => n.hostname === host.address);
}
