import { removeHost } from '../config/edit.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { nodeCheckPhase } from '../phases/node-check.js';
import { nodeConnectPhase, nodeLockPhase } from '../phases/node-connect.js';
import { drainPhase } from '../phases/node-drain.js';
import { nodeFilePhase } from '../phases/node-file.js';
import { nodeResetPhase } from '../phases/node-reset.js';
import { forgetPhase, leavePhase } from '../phases/node-leave.js';
import { demotePhase } from '../phases/node-role.js';
import { nodeTargetPhase } from '../phases/node-target.js';
import { removalVerdict, type NodeChange, type Verdict } from '../swarm/node-safety.js';
import type { NodeContext } from '../phases/runner/node-context.js';
import { RESET_PHASES } from './reset.js';
import { runNodeAction, type NodeActionOptions } from './node-action.js';
import type { NodeActionResult } from '../results/node.js';

/** What --force risks, said before it is used and in --help. */
export const FORCE_RISKS =
  'its tasks are not drained first, so its replicas are missing until the swarm reschedules them; and if the host comes back, it still believes it is in the swarm: reset it, or run `docker swarm leave --force` on it, before it joins again';

/** The swarm's verdict plus what only removal needs: a host eectl can log in to, or --force. */
export function removalRules(
  change: NodeChange,
  ctx: Pick<NodeContext, 'force' | 'node' | 'host' | 'spec' | 'target' | 'hostError'>,
): Verdict {
  const verdict = removalVerdict(change);
  if (ctx.force || !ctx.node) {
    if (ctx.force && ctx.node && !ctx.host) verdict.warnings.push(`--force: ${FORCE_RISKS}`);
    return verdict;
  }
  if (!ctx.spec) {
    verdict.refusals.push({
      code: 'ENOT_IN_FILE',
      message: `${change.name} is not in the cluster file, so eectl cannot log in to make it leave the swarm`,
      suggestions: [
        `Add it to the file; or remove its node without leaving: eectl node remove ${ctx.target} --force. What --force risks: ${FORCE_RISKS}.`,
      ],
    });
  } else if (!ctx.host) {
    verdict.refusals.push({
      code: 'ENODE_UNREACHABLE',
      message: `${change.name} cannot be reached (${ctx.hostError?.message.split('\n')[0] ?? 'unknown error'}), so it cannot be drained and leave the swarm`,
      suggestions: [
        `Bring it back and run again; or, if it is dead for good: eectl node remove ${ctx.target} --force. What --force risks: ${FORCE_RISKS}.`,
      ],
    });
  }
  return verdict;
}

/**
 * `eectl node remove`: demote (a manager), drain and wait until its tasks run elsewhere, leave the swarm,
 * remove the node once it is Down, and take the host out of the cluster file. Refused when it would lose
 * the quorum, the last manager or the last registry replica. --force removes a dead host.
 */
export const NODE_REMOVE_PHASES: AnyPhase<NodeContext>[] = [
  nodeLockPhase,
  nodeConnectPhase,
  nodeTargetPhase,
  nodeCheckPhase({
    verdict: removalRules,
    nextFile: (ctx) =>
      ctx.spec &&
      ctx.file.edited(
        removeHost(ctx.file.text, ctx.file.indexOf(ctx.spec.address)),
        `without ${ctx.spec.address}`,
      ),
  }),
  demotePhase,
  drainPhase,
  leavePhase,
  forgetPhase,
  nodeResetPhase(RESET_PHASES),
  nodeFilePhase,
];

/** Runs `eectl node remove` (see NODE_REMOVE_PHASES). */
export function removeNode(options: NodeActionOptions): Promise<NodeActionResult> {
  return runNodeAction('remove', NODE_REMOVE_PHASES, options);
}
