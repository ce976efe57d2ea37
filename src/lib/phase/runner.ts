import { createProgress, type ProgressMode } from '../ui/progress.js';
import type { Phase, PhaseContext, PhaseTiming } from './phase.js';

/**
 * Runs phases in order with progress. On failure, the `cleanup` of every phase that ran is called in
 * reverse order and the error is rethrown; `timings` (the caller's array) then holds the phases that ran.
 */
export async function runPhases<C extends PhaseContext>(
  phases: readonly Phase<C>[],
  ctx: C,
  mode: ProgressMode,
  timings: PhaseTiming[] = [],
): Promise<PhaseTiming[]> {
  const ran: Phase<C>[] = [];
  const tasks = phases.map((phase) => ({
    title: phase.title,
    task: async (_: C, task: { output: string; skip: (message?: string) => void }) => {
      const started = performance.now();
      await phase.prepare?.(ctx);
      if (phase.shouldRun && !phase.shouldRun(ctx)) {
        timings.push({ title: phase.title, ms: performance.now() - started, skipped: true });
        task.skip(`${phase.title} (nothing to do)`);
        return;
      }
      ran.push(phase);
      ctx.log.debug(`phase: ${phase.title}`);
      await phase.run(ctx, { report: (host, line) => (task.output = `[${host}] ${line}`) });
      timings.push({ title: phase.title, ms: performance.now() - started, skipped: false });
    },
  }));
  try {
    await createProgress(tasks, mode, ctx).run();
  } catch (error) {
    for (const phase of ran.reverse()) {
      if (!phase.cleanup) continue;
      await phase
        .cleanup(ctx)
        .catch((e: unknown) => ctx.log.warn(`cleanup of "${phase.title}" failed: ${String(e)}`));
    }
    throw error;
  }
  return timings;
}
