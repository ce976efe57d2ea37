import type { ClusterFile } from '../../config/cluster-file.js';
import type { ClusterConfig, HostSpec } from '../../config/schema.js';
import type { ClusterLock } from '../../cluster/lock.js';
import { EectlError } from '../../errors.js';
import type { SwarmFacts } from '../../host/facts-types.js';
import type { Host } from '../../host/host.js';
import type { PhaseContext } from './phase.js';
import type { Connection } from '../../ssh/connection.js';
import type { SwarmNode } from '../../swarm/nodes.js';
import type { NodeCommand } from '../../results/node.js';

/** What the phases of one node command share: the file, the swarm as a manager sees it, and the node. */
export interface NodeContext extends PhaseContext {
  command: NodeCommand;
  file: ClusterFile;
  config: ClusterConfig;
  /** Tolerate an unreachable or broken target host (node remove --force). */
  force: boolean;
  /** Reset the host once it is out of the swarm (node remove --reset). */
  reset: boolean;
  /** Longest wait for a drained node's tasks to run elsewhere. */
  drainTimeoutMs: number;
  connect: (spec: HostSpec) => Promise<Connection>;
  /** The node as the user named it: its address in the file, its hostname or its node ID. */
  target: string;
  /** Managers of the file that answered, in file order (those tried: the first reachable is the lock's). */
  managers: Host[];
  /** Managers of the file that were tried and did not answer, with the reason. */
  unreachable: Map<string, EectlError>;
  /** Each reached host's own view of the swarm (`docker info`), by address; undefined: no engine answered. */
  swarm: Map<string, SwarmFacts | undefined>;
  /** Tries the managers after the contact, in file order: the next one in the swarm, if any. */
  nextContact?: () => Promise<Host | undefined>;
  /** A manager in the swarm, other than the target when possible: swarm-wide commands go through it. */
  contact?: Host;
  lock?: ClusterLock;
  /** How the run releases `lock` when not plainly: a reset lock host's state directory goes with it. */
  releaseLock?: () => Promise<void>;
  nodes: SwarmNode[];
  /** The target in the swarm (undefined: not in it). */
  node?: SwarmNode;
  /** The target in the file (undefined: not in it). */
  spec?: HostSpec;
  /** The target host, when it could be reached (file hosts only: eectl logs in with the file's settings). */
  host?: Host;
  /** Why the target host could not be reached. */
  hostError?: EectlError;
  warnings: string[];
  /** The file as this command leaves it, checked before any host changes; undefined: unchanged. */
  nextFile?: ClusterFile;
  /** Whether the file was written (under --dry-run: would be). */
  fileChanged: boolean;
  /** Services left unevenly spread at the end (node activate: the hint to rebalance). */
  uneven?: string[];
}

/** The name a node goes by in messages: `10.0.0.21 (w1)`. */
export function nodeName(ctx: Pick<NodeContext, 'spec' | 'node' | 'target'>): string {
  const address = ctx.spec?.address ?? ctx.node?.addr ?? ctx.target;
  const hostname = ctx.node?.hostname;
  return hostname && hostname !== address ? `${address} (${hostname})` : address;
}
