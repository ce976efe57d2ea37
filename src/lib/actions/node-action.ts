import type { ClusterFile } from '../config/cluster-file.js';
import type { Session } from '../cluster/session.js';
import { ChangeLog } from '../phases/runner/changes.js';
import type { NodeContext } from '../phases/runner/node-context.js';
import type { NodeCommand, NodeActionResult, NodeSummary } from '../results/node.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import type { SwarmNode } from '../swarm/nodes.js';
import type { ProgressMode } from '../ui/progress.js';
import type { Logger } from '../util/log.js';

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

/** A swarm node as the result of a node command shows it. */
export function summarizeNode(n: SwarmNode): NodeSummary {
  return { id: n.id, ...nodeRow(n) };
}

/** A swarm node as results show it in a table row (install's nodes; node commands add its ID). */
export function nodeRow(n: SwarmNode): Omit<NodeSummary, 'id'> {
  return {
    hostname: n.hostname,
    address: n.addr,
    role: n.role,
    state: n.state,
    availability: n.availability,
    leader: n.leader,
    reachability: n.reachability,
    engineVersion: n.engineVersion,
  };
}

/** Runs one node command's phases; the cluster lock is released at the end, also on failure. */
/** A fresh context for a node command (what its phases fill in starts empty). */
export function newNodeContext(command: NodeCommand, options: NodeActionOptions): NodeContext {
  return {
    command,
    file: options.file,
    config: options.file.config,
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
}

export async function runNodeAction(
  command: NodeCommand,
  phases: readonly AnyPhase<NodeContext>[],
  options: NodeActionOptions,
): Promise<NodeActionResult> {
  const ctx = newNodeContext(command, options);
  const report = await runAction(phases, ctx, options.progress, async () =>
    ctx.releaseLock ? ctx.releaseLock() : ctx.lock?.release(),
  );
  return {
    cluster: ctx.config.metadata.name,
    command,
    target: options.target,
    dryRun: options.dryRun,
    node: ctx.node ? summarizeNode(ctx.node) : undefined,
    changes: ctx.changes.entries,
    warnings: ctx.warnings,
    file: { path: ctx.file.path, changed: ctx.fileChanged },
    ...(ctx.uneven && { uneven: ctx.uneven }),
    ...report,
  };
}
