import type { HookAction } from '../config/schema.js';
import type { ClusterContext } from './runner/cluster-context.js';
import { hasHooks, runHooks } from './runner/hooks.js';
import type { Phase } from './runner/phase.js';

/**
 * The user's hooks before or after an action (spec.hooks.<action>.before / .after) on the hosts of the run.
 * `before` sits after the plan and its checks and before the first change, so a failing hook stops the run
 * with nothing changed; `after` is the last change, so it runs only when everything before it succeeded.
 * It runs only in its own action's runs (`ctx.hooks`): install's phases inside restore or a node command
 * run no hooks.
 */
export function hooksPhase(action: HookAction, stage: 'before' | 'after'): Phase<ClusterContext> {
  const phase: Phase<ClusterContext> = {
    title: `Run the hooks ${stage} ${action}`,
    shouldRun: (ctx) => ctx.hooks?.action === action && hasHooks(ctx, stage, ctx.hosts),
    run: (ctx, out) => runHooks(ctx, stage, ctx.hosts, out),
  };
  made.add(phase);
  return phase;
}

const made = new WeakSet<object>();

/** Whether a phase is one of hooksPhase's (restore leaves install's out of its list). */
export const isHooksPhase = (phase: object): boolean => made.has(phase);
