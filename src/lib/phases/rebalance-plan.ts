import { HostDocker } from '../swarm/docker.js';
import type { Phase, PhaseContext } from './runner/phase.js';
import { readSpreads, type SpreadReading } from './runner/service-spread.js';
import { chooseRebalance } from '../swarm/rebalance.js';
import type { ServiceSpread } from '../swarm/spread.js';
import type { RebalancedService, RebalancePlan } from '../results/rebalance.js';
import type { ManagerContext } from './node-connect.js';

/** What the phases of `eectl rebalance` share. */
export interface RebalanceContext extends PhaseContext, ManagerContext {
  /** --service: the services named (name, ID or ID prefix); empty: every uneven service. */
  named: string[];
  /** Longest wait for the swarm to replace one service's tasks; undefined: `replaceTimeoutMs` of each. */
  timeoutMs: number | undefined;
  /** Shown the plan before any change; throws to stop (declined, or no terminal without --yes). */
  confirm: (plan: RebalancePlan) => Promise<void>;
  /** The swarm as the plan read it. */
  reading?: SpreadReading;
  /** The services shown (every replicated one, or those named), judged. */
  shown?: ServiceSpread[];
  plan?: RebalancePlan;
  rebalanced: RebalancedService[];
}

/**
 * Reads the services, their tasks and the nodes through the contact, judges every replicated service's
 * spread and chooses what to rebalance (swarm/rebalance.ts); then asks, unless there is nothing to do or
 * this is a dry run.
 */
export const rebalancePlanPhase: Phase<RebalanceContext, 'contact'> = {
  title: 'Plan the rebalance',
  needs: ['contact'],
  async run(ctx, out) {
    out.report(ctx.contact.name, 'reading the services, their tasks and the nodes');
    ctx.reading = await readSpreads(new HostDocker(ctx.contact));
    const choice = chooseRebalance(ctx.reading.services, ctx.reading.spreads, ctx.named);
    ctx.shown = choice.shown;
    ctx.plan = { services: choice.planned };
    if (ctx.changes.dryRun || choice.planned.length === 0) return;
    await ctx.confirm(ctx.plan);
  },
};
