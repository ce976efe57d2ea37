import type { AnyPhase } from '../phases/runner/phase.js';
import { nodeCheckPhase, notInSwarm } from '../phases/node-check.js';
import { nodeConnectPhase, nodeLockPhase } from '../phases/node-connect.js';
import { activatePhase, drainPhase } from '../phases/node-drain.js';
import { nodeTargetPhase } from '../phases/node-target.js';
import { spreadHintPhase } from '../phases/spread-hint.js';
import { drainVerdict } from '../swarm/node-safety.js';
import type { NodeContext } from '../phases/runner/node-context.js';
import { runNodeAction, type NodeActionOptions } from './node-action.js';
import type { NodeActionResult } from '../results/node.js';

/** `eectl node drain`: no new tasks on the node, and its tasks moved elsewhere before it returns. */
export const NODE_DRAIN_PHASES: AnyPhase<NodeContext>[] = [
  nodeLockPhase,
  nodeConnectPhase,
  nodeTargetPhase,
  nodeCheckPhase({
    verdict: (change) => {
      const verdict = drainVerdict(change);
      verdict.refusals.unshift(...notInSwarm(change));
      return verdict;
    },
  }),
  drainPhase,
];

/**
 * `eectl node activate`: the node takes tasks again (after a drain). The swarm does not move tasks back
 * onto it: the run ends by naming the services left crowded elsewhere (the hint to rebalance).
 */
export const NODE_ACTIVATE_PHASES: AnyPhase<NodeContext>[] = [
  nodeLockPhase,
  nodeConnectPhase,
  nodeTargetPhase,
  nodeCheckPhase({ verdict: (change) => ({ refusals: notInSwarm(change), warnings: [] }) }),
  activatePhase,
  spreadHintPhase((ctx) => ctx.contact),
];

/** Runs `eectl node drain` (see NODE_DRAIN_PHASES). */
export function drainNode(options: NodeActionOptions): Promise<NodeActionResult> {
  return runNodeAction('drain', NODE_DRAIN_PHASES, options);
}

/** Runs `eectl node activate`. */
export function activateNode(options: NodeActionOptions): Promise<NodeActionResult> {
  return runNodeAction('activate', NODE_ACTIVATE_PHASES, options);
}
