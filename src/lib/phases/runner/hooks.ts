import type { HookStage } from '../../config/schema.js';
import type { Host } from '../../host/host.js';
import { hooksFor } from '../../hooks/plan.js';
import { runHookStage } from '../../hooks/run.js';
import type { ClusterContext } from './cluster-context.js';
import type { PhaseOutput } from './phase.js';

/**
 * Runs the hooks of the run's action for `stage` on `hosts` (each host's in the file's order), or under
 * --dry-run lists them: the one switch is `ctx.changes.dryRun`. Hooks are not changes of eectl's (a
 * converged run that runs hooks is still converged), so they are recorded in `ctx.hooks.runs`.
 */
export async function runHooks(
  ctx: ClusterContext,
  stage: HookStage,
  hosts: readonly Host[],
  out: PhaseOutput,
): Promise<void> {
  if (!ctx.hooks) return;
  await runHookStage({
    hosts,
    hooks: ctx.config.spec.hooks,
    action: ctx.hooks.action,
    stage,
    cluster: ctx.config.metadata.name,
    dryRun: ctx.changes.dryRun,
    concurrency: ctx.concurrency,
    signal: ctx.signal,
    report: (host, line) => out.report(host, line),
    runs: ctx.hooks.runs,
  });
}

/** Whether the run's action has hooks for `stage` on any of `hosts`. */
export function hasHooks(ctx: ClusterContext, stage: HookStage, hosts: readonly Host[]): boolean {
  const { hooks } = ctx;
  if (!hooks) return false;
  return hosts.some((h) => hooksFor(ctx.config.spec.hooks, hooks.action, stage, h.spec).length > 0);
}
