import type { SwarmNode } from '../swarm/nodes.js';
import { quorumSize } from '../swarm/quorum.js';

/** Which manager a backup copies the swarm state from, and what stopping its engine costs. */
export type BackupSource =
  | { ok: true; node: SwarmNode; address: string; outage: false }
  /** The only manager: the swarm cannot be managed while its engine is stopped (its tasks move elsewhere first). */
  | { ok: true; node: SwarmNode; address: string; outage: true }
  | { ok: false; reason: string; suggestions: string[] };

/**
 * Chooses the manager whose engine is stopped for the copy: a reachable manager that is not the leader
 * (stopping the leader forces an election), and only when the managers left keep a majority. `addresses`
 * are the managers eectl can reach, by the swarm's address of each (file order: the first candidate wins).
 */
export function chooseBackupSource(nodes: readonly SwarmNode[], addresses: readonly string[]): BackupSource {
  const managers = nodes.filter((n) => n.role === 'manager');
  const reachable = managers.filter((n) => n.reachability === 'reachable');
  if (managers.length === 1) {
    const [only] = managers;
    if (only && addresses.includes(only.addr))
      return { ok: true, node: only, address: only.addr, outage: true };
    return {
      ok: false,
      reason: `the only manager (${only?.hostname ?? '?'} at ${only?.addr ?? '?'}) is not a manager of the file eectl can reach`,
      suggestions: ['Check that the cluster file names the manager, and that it can be reached over SSH.'],
    };
  }
  const needed = quorumSize(managers.length);
  if (reachable.length - 1 < needed) {
    const down = managers
      .filter((n) => n.reachability !== 'reachable')
      .map((n) => `${n.hostname} (${n.addr})`);
    return {
      ok: false,
      reason:
        `${reachable.length} of ${managers.length} managers are reachable` +
        (down.length > 0 ? ` (${down.join(', ')} not)` : '') +
        `: stopping one more for the copy would leave ${reachable.length - 1}, fewer than the ${needed} a majority needs, and the swarm would lose its quorum`,
      suggestions: [
        `Bring the unreachable manager${down.length === 1 ? '' : 's'} back (until ${needed + 1} of ${managers.length} are reachable), then run backup again.`,
        'Or remove a dead manager first: eectl node remove --force HOST.',
      ],
    };
  }
  const candidates = reachable.filter((n) => !n.leader);
  for (const address of addresses) {
    const node = candidates.find((n) => n.addr === address);
    if (node) return { ok: true, node, address, outage: false };
  }
  return {
    ok: false,
    reason: 'no reachable manager other than the leader is one eectl can reach over SSH',
    suggestions: ['Check that every manager of the swarm is in the cluster file and can be reached.'],
  };
}
