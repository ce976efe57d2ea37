import { setHostRole } from '../config/edit.js';
import type { Role } from '../config/schema.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { nodeCheckPhase, notInSwarm } from '../phases/node-check.js';
import { nodeConnectPhase, nodeLockPhase } from '../phases/node-connect.js';
import { nodeConvergePhase } from '../phases/node-converge.js';
import { nodeFilePhase } from '../phases/node-file.js';
import { demotePhase, promotePhase } from '../phases/node-role.js';
import { nodeTargetPhase } from '../phases/node-target.js';
import { demotionVerdict, promotionVerdict, type NodeChange, type Verdict } from '../swarm/node-safety.js';
import type { NodeContext } from '../phases/runner/node-context.js';
import { INSTALL_PHASES } from './install.js';
import { runNodeAction, type NodeActionOptions } from './node-action.js';
import type { NodeActionResult } from '../results/node.js';

/**
 * The file gets the role the node now has, so the next install agrees: install promotes a worker that
 * the file calls a manager, and does not demote.
 */
function withRole(ctx: NodeContext, role: Role): NodeContext['nextFile'] {
  if (!ctx.spec || ctx.spec.role === role) return undefined;
  const index = ctx.file.indexOf(ctx.spec.address);
  return ctx.file.edited(setHostRole(ctx.file.text, index, role), `with ${ctx.spec.address} as a ${role}`);
}

function notInFile(ctx: NodeContext, verdict: Verdict): Verdict {
  if (!ctx.spec && ctx.node) {
    verdict.warnings.push(`${ctx.target} is not in the cluster file: only the swarm changes`);
  }
  return verdict;
}

const inSwarm =
  (decide: (change: NodeChange) => Verdict) =>
  (change: NodeChange, ctx: NodeContext): Verdict => {
    const verdict = decide(change);
    verdict.refusals.unshift(...notInSwarm(change));
    return notInFile(ctx, verdict);
  };

/**
 * `eectl node promote`: worker → manager (one at a time, waiting for quorum), manager in the file, then
 * install so it gets the control-plane API every manager has.
 */
export const NODE_PROMOTE_PHASES: AnyPhase<NodeContext>[] = [
  nodeLockPhase,
  nodeConnectPhase,
  nodeTargetPhase,
  nodeCheckPhase({ verdict: inSwarm(promotionVerdict), nextFile: (ctx) => withRole(ctx, 'manager') }),
  promotePhase,
  nodeFilePhase,
  nodeConvergePhase(INSTALL_PHASES),
];

/** `eectl node demote`: manager → worker when the quorum survives it, and worker in the file. */
export const NODE_DEMOTE_PHASES: AnyPhase<NodeContext>[] = [
  nodeLockPhase,
  nodeConnectPhase,
  nodeTargetPhase,
  nodeCheckPhase({ verdict: inSwarm(demotionVerdict), nextFile: (ctx) => withRole(ctx, 'worker') }),
  demotePhase,
  nodeFilePhase,
];

/** Runs `eectl node promote`. */
export function promoteNode(options: NodeActionOptions): Promise<NodeActionResult> {
  return runNodeAction('promote', NODE_PROMOTE_PHASES, options);
}

/** Runs `eectl node demote`. */
export function demoteNode(options: NodeActionOptions): Promise<NodeActionResult> {
  return runNodeAction('demote', NODE_DEMOTE_PHASES, options);
}
