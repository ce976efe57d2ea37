import type { AnyPhase, Phase, PhaseContext } from './phase.js';
import { runPhases } from './runner.js';

/** What an outer run hands the phases it runs inside it: the shared part of every context. */
export type SharedContext = Pick<PhaseContext, 'log' | 'changes' | 'concurrency' | 'signal'>;

/** How a phase made of another action's phases is built (see `composedPhase`). */
export interface ComposedPhaseSpec<Outer extends PhaseContext, Inner extends PhaseContext> {
  title: string;
  phases: readonly AnyPhase<Inner>[];
  shouldRun?: (ctx: Outer) => boolean;
  /** The inner run's context, built on `shared` (the outer run's change log, log, concurrency, signal). */
  context: (ctx: Outer, shared: SharedContext) => Inner;
  /** After the inner phases ran: carry what they found back to the outer run. */
  after?: (ctx: Outer, inner: Inner) => void | Promise<void>;
}

/**
 * One phase of an action that runs another action's phases (node promote runs install's, node remove
 * --reset runs reset's), so no phase calls an action. The inner run shares the outer one's change log:
 * its changes are the outer run's changes (and a dry run is one switch), and a failure in it is the outer
 * run's failure (exit 4 once anything changed, cleanups of the inner phases first). The outer run reports
 * the inner phases' times after the composed phase's own, each titled `outer › inner`.
 */
export function composedPhase<Outer extends PhaseContext, Inner extends PhaseContext>(
  spec: ComposedPhaseSpec<Outer, Inner>,
): Phase<Outer> {
  return {
    title: spec.title,
    ...(spec.shouldRun && { shouldRun: spec.shouldRun }),
    async run(ctx, out) {
      const shared: SharedContext = {
        log: ctx.log,
        changes: ctx.changes,
        concurrency: ctx.concurrency,
        signal: ctx.signal,
      };
      const inner = spec.context(ctx, shared);
      // The outer phase's line shows the progress; the inner phases run without a renderer of their own.
      const timings = await runPhases(spec.phases, inner, 'silent');
      out.inner?.(timings);
      await spec.after?.(ctx, inner);
    },
  };
}
