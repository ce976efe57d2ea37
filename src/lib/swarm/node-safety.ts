import type { Role } from '../config/schema.js';
import { managerCounts, type SwarmNode } from './nodes.js';
import { describeQuorum, faultTolerance, hasQuorum, quorumAfterRemoval } from './quorum.js';

/**
 * Whether a node change (remove, demote, promote, drain) is safe for the swarm and for the cluster file's
 * promises, decided from the node list and the file alone, so every rule is unit-tested.
 */

/** Why eectl refuses a node change: a stable code, the reason in plain words, and what to do instead. */
export interface Refusal {
  code: string;
  message: string;
  suggestions: string[];
}

/** Reasons to refuse a node change, and warnings to show when it goes ahead. */
export interface Verdict {
  refusals: Refusal[];
  warnings: string[];
}

/** What a decision about one node reads. */
export interface NodeChange {
  /** How the user named the node (its address in the file, or its hostname). */
  name: string;
  /** The node as the swarm reports it; undefined when it is not in the swarm. */
  node: SwarmNode | undefined;
  nodes: readonly SwarmNode[];
  /** Its role in cluster.yaml; undefined when the file does not list it. */
  fileRole: Role | undefined;
  /** The roles of every host of cluster.yaml. */
  fileRoles: readonly Role[];
}

/** `node remove`: keeps the quorum, a manager, and a registry replica. */
export function removalVerdict(change: NodeChange): Verdict {
  const verdict: Verdict = { refusals: [], warnings: [] };
  if (change.node?.role === 'manager') addManagerLoss(verdict, change, 'removing');
  const registries = change.fileRoles.filter((r) => r === 'registry').length;
  if (change.fileRole === 'registry' && registries === 1) {
    verdict.refusals.push({
      code: 'ELAST_REGISTRY',
      message: `${change.name} is the last registry host of cluster.yaml: removing it would leave no registry replica, and the images it serves would be unreachable`,
      suggestions: [
        'Join another registry host first: eectl node join --address ADDRESS --role registry',
        'Then remove this one.',
      ],
    });
  }
  return verdict;
}

/** `node demote`: the same quorum rules as removing a manager. */
export function demotionVerdict(change: NodeChange): Verdict {
  const verdict: Verdict = { refusals: [], warnings: [] };
  if (change.node?.role === 'manager') addManagerLoss(verdict, change, 'demoting');
  return verdict;
}

/** `node promote`: only a Ready worker of a swarm that has its quorum; warns on an even manager count. */
export function promotionVerdict(change: NodeChange): Verdict {
  const verdict: Verdict = { refusals: [], warnings: [] };
  const node = change.node;
  if (!node || node.role === 'manager') return verdict;
  const counts = managerCounts(change.nodes);
  if (change.fileRole === 'registry') {
    verdict.refusals.push({
      code: 'EROLE',
      message: `${change.name} is a registry host in cluster.yaml: a host has one role, and promoting it would take its registry replica away`,
      suggestions: ['Promote a worker instead, or join a new host with --role manager.'],
    });
  }
  if (!hasQuorum(counts)) verdict.refusals.push(quorumLost(change.nodes));
  if (node.state !== 'ready') {
    verdict.refusals.push({
      code: 'ENODE_NOT_READY',
      message: `${change.name} is ${node.state}, not Ready: a manager that cannot take part in Raft counts against the quorum`,
      suggestions: [
        `Bring ${change.name} back (its engine running, reachable from the managers), then promote it.`,
      ],
    });
  }
  const after = counts.managers + 1;
  if (after % 2 === 0) verdict.warnings.push(evenManagers(after));
  const down = unreachableManagers(change.nodes);
  if (down.length > 0 && hasQuorum(counts)) {
    verdict.warnings.push(
      `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unreachable: until ${change.name} is a reachable manager the swarm has less margin than ${describeQuorum({ managers: after, reachable: after - down.length })} suggests`,
    );
  }
  return verdict;
}

/** `node drain`: always allowed; warns when no other node could take the tasks. */
export function drainVerdict(change: NodeChange): Verdict {
  const others = change.nodes.filter(
    (n) => n.id !== change.node?.id && n.availability === 'active' && n.state === 'ready',
  );
  return {
    refusals: [],
    warnings:
      others.length === 0
        ? [`no other node is active and Ready: the tasks of ${change.name} will stop and have nowhere to run`]
        : [],
  };
}

function addManagerLoss(verdict: Verdict, change: NodeChange, doing: 'removing' | 'demoting'): void {
  const node = change.node!;
  const counts = managerCounts(change.nodes);
  if (counts.managers <= 1) {
    verdict.refusals.push({
      code: 'ELAST_MANAGER',
      message: `${change.name} is the only manager: ${doing} it would leave the swarm without a manager, and with it every service, secret and network`,
      suggestions: [
        'Add a manager first (eectl node join --role manager, or eectl node promote WORKER), then try again.',
      ],
    });
    return;
  }
  if (!hasQuorum(counts)) {
    verdict.refusals.push(quorumLost(change.nodes));
    return;
  }
  const reachable = node.reachability === 'reachable';
  if (!quorumAfterRemoval(counts, reachable)) {
    const after = counts.managers - 1;
    const left = counts.reachable - (reachable ? 1 : 0);
    const down = unreachableManagers(change.nodes).filter((n) => n !== node.hostname);
    verdict.refusals.push({
      code: 'EQUORUM',
      message:
        `${doing} ${change.name} would lose the quorum: ${after} managers need ${Math.floor(after / 2) + 1} reachable, ` +
        `and only ${left} would be (${describeQuorum(counts)}${down.length > 0 ? `; unreachable: ${down.join(', ')}` : ''})`,
      suggestions: [
        down.length > 0
          ? `Bring ${down.join(', ')} back first; or, if ${down.length === 1 ? 'it is' : 'they are'} gone for good, remove ${down.length === 1 ? 'it' : 'them'} first with eectl node remove ADDRESS --force.`
          : 'Add a manager first, then try again.',
      ],
    });
    return;
  }
  const after = counts.managers - 1;
  if (after === 1)
    verdict.warnings.push('1 manager will be left: the swarm then tolerates no manager failure');
  else if (after % 2 === 0) verdict.warnings.push(evenManagers(after));
}

function quorumLost(nodes: readonly SwarmNode[]): Refusal {
  const down = unreachableManagers(nodes);
  return {
    code: 'EQUORUM_LOST',
    message: `the swarm has lost its quorum (${describeQuorum(managerCounts(nodes))}): it cannot change its managers until enough of them are back`,
    suggestions: [
      `Start the unreachable managers${down.length > 0 ? ` (${down.join(', ')})` : ''}.`,
      'If they are gone for good: `docker swarm init --force-new-cluster` on a surviving manager, then eectl install.',
    ],
  };
}

function evenManagers(count: number): string {
  const tolerates = faultTolerance(count);
  return `${count} managers tolerate ${tolerates} failure${tolerates === 1 ? '' : 's'}, no more than ${count - 1} do: an odd number of managers is better (add or remove one)`;
}

function unreachableManagers(nodes: readonly SwarmNode[]): string[] {
  return nodes.filter((n) => n.role === 'manager' && n.reachability !== 'reachable').map((n) => n.hostname);
}
