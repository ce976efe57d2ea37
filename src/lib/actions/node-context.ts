import type { ClusterFile } from '../config/cluster-file.js';
import type { ClusterConfig, HostSpec } from '../config/schema.js';
import type { ClusterLock } from '../cluster/lock.js';
import type { Session } from '../cluster/session.js';
import { EectlError } from '../errors.js';
import type { SwarmFacts } from '../host/facts-types.js';
import type { Host } from '../host/host.js';
import { ChangeLog, type Change } from '../phase/changes.js';
import type { Phase, PhaseContext } from '../phase/phase.js';
import { runAction } from '../phase/runner.js';
import type { Connection } from '../ssh/connection.js';
import type { SwarmNode } from '../swarm/nodes.js';
import type { ProgressMode } from '../ui/progress.js';
import type { Logger } from '../ui/log.js';

/** The day-2 node commands that change the cluster (ls only reads it). */
export type NodeCommand = 'remove' | 'promote' | 'demote' | 'drain' | 'activate';

/** What the phases of one node command share: the file, the swarm as a manager sees it, and the node. */
export interface NodeContext extends PhaseContext {
  command: NodeCommand;
  file: ClusterFile;
  config: ClusterConfig;
  dryRun: boolean;
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
}

/** What a node command's action is given by its command. */
export interface NodeActionOptions {
  file: ClusterFile;
  session: Session;
  log: Logger;
  target: string;
  dryRun: boolean;
  force?: boolean;
  reset?: boolean;
  drainTimeoutMs?: number;
  concurrency: number;
  progress: ProgressMode;
  signal?: AbortSignal;
}

/** What every node command reports (the `--json` result). */
export interface NodeActionResult {
  cluster: string;
  command: NodeCommand;
  target: string;
  dryRun: boolean;
  /** The node after the command (undefined once removed, or when it never was in the swarm). */
  node: NodeSummary | undefined;
  changes: Change[];
  warnings: string[];
  file: { path: string; changed: boolean };
  phases: { title: string; seconds: number; skipped: boolean }[];
  seconds: number;
}

/** A node as node commands report it. */
export interface NodeSummary {
  id: string;
  hostname: string;
  address: string;
  role: string;
  state: string;
  availability: string;
  manager: string | undefined;
  engineVersion: string;
}

/** A swarm node as the result of a node command shows it. */
export function summarizeNode(n: SwarmNode): NodeSummary {
  return {
    id: n.id,
    hostname: n.hostname,
    address: n.addr,
    role: n.role,
    state: n.state,
    availability: n.availability,
    manager: n.leader ? 'leader' : n.reachability,
    engineVersion: n.engineVersion,
  };
}

/** Runs one node command's phases; the cluster lock is released at the end, also on failure. */
export async function runNodeAction(
  command: NodeCommand,
  phases: readonly Phase<NodeContext>[],
  options: NodeActionOptions,
): Promise<NodeActionResult> {
  const ctx: NodeContext = {
    command,
    file: options.file,
    config: options.file.config,
    dryRun: options.dryRun,
    force: options.force ?? false,
    reset: options.reset ?? false,
    drainTimeoutMs: options.drainTimeoutMs ?? 300_000,
    log: options.log,
    changes: new ChangeLog(options.dryRun),
    concurrency: options.concurrency,
    signal: options.signal,
    connect: (spec) => options.session.connect(spec),
    target: options.target,
    managers: [],
    unreachable: new Map(),
    swarm: new Map(),
    nodes: [],
    warnings: [],
    fileChanged: false,
  };
  const report = await runAction(phases, ctx, options.progress, async () => ctx.lock?.release());
  return {
    cluster: ctx.config.metadata.name,
    command,
    target: options.target,
    dryRun: options.dryRun,
    node: ctx.node ? summarizeNode(ctx.node) : undefined,
    changes: ctx.changes.entries,
    warnings: ctx.warnings,
    file: { path: ctx.file.path, changed: ctx.fileChanged },
    ...report,
  };
}

/** The name a node goes by in messages: `10.0.0.21 (w1)`. */
export function nodeName(ctx: Pick<NodeContext, 'spec' | 'node' | 'target'>): string {
  const address = ctx.spec?.address ?? ctx.node?.addr ?? ctx.target;
  const hostname = ctx.node?.hostname;
  return hostname && hostname !== address ? `${address} (${hostname})` : address;
}
