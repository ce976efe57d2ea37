import type { ActionOptions } from '../phases/runner/cluster-context.js';
import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { managerActionContext, managerLockPhase, nodeConnectPhase } from '../phases/node-connect.js';
import { rebalancePlanPhase, type RebalanceContext } from '../phases/rebalance-plan.js';
import { rebalanceServicesPhase } from '../phases/rebalance-services.js';
import type { RebalancePlan, RebalanceResult } from '../results/rebalance.js';

/** What `eectl rebalance` is given. */
export interface RebalanceOptions extends ActionOptions {
  /** --service: the services to rebalance (name, ID or ID prefix); empty: every uneven one. */
  services: string[];
  /** Longest wait for one service's tasks to be replaced (--timeout); undefined: as long as its size needs. */
  timeoutMs?: number;
  /** Shown the plan before any change; throws to stop (declined, or no terminal without --yes). */
  confirm: (plan: RebalancePlan) => Promise<void>;
}

/** `eectl rebalance`: lock → reach a manager → judge every service's spread and ask → one service at a time. */
export const REBALANCE_PHASES: AnyPhase<RebalanceContext>[] = [
  managerLockPhase('rebalance'),
  nodeConnectPhase,
  rebalancePlanPhase,
  rebalanceServicesPhase,
];

/** Runs `eectl rebalance` (see REBALANCE_PHASES). */
export async function rebalance(options: RebalanceOptions): Promise<RebalanceResult> {
  const ctx: RebalanceContext = {
    ...managerActionContext(options),
    named: options.services,
    timeoutMs: options.timeoutMs,
    confirm: options.confirm,
    rebalanced: [],
  };
  const report = await runAction(REBALANCE_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  return {
    cluster: options.config.metadata.name,
    contact: setByPhases(ctx.contact, 'a manager reached').name,
    dryRun: options.dryRun,
    services: setByPhases(ctx.shown, 'the services judged'),
    planned: setByPhases(ctx.plan, 'a rebalance plan').services.map((s) => s.name),
    rebalanced: ctx.rebalanced,
    changes: ctx.changes.entries,
    ...report,
  };
}
