import { EectlError, ExitCode, interruptedError, toEectlError } from '../../errors.js';
import {
  createProgress,
  PhaseProgress,
  PlainPhaseLines,
  PROGRESS_INTERVAL_MS,
  type ProgressMode,
} from '../../ui/progress.js';
import type { AnyPhase, PhaseContext, PhaseTiming, With } from './phase.js';
import type { ActionReport } from '../../results/report.js';

/**
 * Runs phases in order with progress. On failure, the `cleanup` of every phase that ran is called in
 * reverse order and the error is rethrown; `timings` (the caller's array) then holds the phases that ran.
 */
export async function runPhases<C extends PhaseContext>(
  phases: readonly AnyPhase<C>[],
  ctx: C,
  mode: ProgressMode,
  timings: PhaseTiming[] = [],
): Promise<PhaseTiming[]> {
  const ran: AnyPhase<C>[] = [];
  /** Runs one phase; `ui` is where its progress goes (a listr2 task, or the plain lines). */
  const runOne = async (
    phase: AnyPhase<C>,
    ui: {
      report: (host: string, line: string) => void;
      finish: (changes: readonly { host: string }[], dryRun: boolean) => void;
      skip: () => void;
    },
  ): Promise<void> => {
    // An interrupt between phases: the next one does not start.
    if (ctx.signal?.aborted) throw interruptedError();
    // A run that lost the cluster lock stops here, between phases: another run may be changing the cluster.
    ctx.lock?.assertHeld(`before "${phase.title}"`);
    const started = performance.now();
    await phase.prepare?.(ctx);
    if (phase.shouldRun && !phase.shouldRun(ctx)) {
      timings.push({ title: phase.title, ms: performance.now() - started, skipped: true });
      ui.skip();
      return;
    }
    const missing = (phase.needs ?? []).filter((field) => ctx[field] === undefined);
    if (missing.length > 0) {
      throw new Error(
        `bug: phase "${phase.title}" needs ${missing.join(', ')}, which no phase before it set`,
      );
    }
    ran.push(phase);
    ctx.log.debug(`phase: ${phase.title}`);
    const firstChange = ctx.changes.count;
    const inner: PhaseTiming[] = [];
    // Checked just above: what the phase needs is set.
    await phase.run(ctx as With<C, keyof C>, {
      report: ui.report,
      inner: (ts) => inner.push(...ts.map((t) => ({ ...t, title: `${phase.title} › ${t.title}` }))),
    });
    ui.finish(ctx.changes.entries.slice(firstChange), ctx.changes.dryRun);
    timings.push({ title: phase.title, ms: performance.now() - started, skipped: false }, ...inner);
  };
  try {
    if (mode === 'plain') {
      const lines = new PlainPhaseLines((line) => process.stderr.write(`${line}\n`));
      for (const phase of phases) {
        lines.start(phase.title);
        try {
          await runOne(phase, {
            report: (host, line) => lines.report(host, line),
            finish: (changes, dryRun) => lines.done(changes, dryRun),
            skip: () => lines.skipped(),
          });
        } catch (error) {
          lines.failed();
          throw error;
        }
      }
    } else {
      const tasks = phases.map((phase) => ({
        title: phase.title,
        task: async (_: C, task: { output: string; skip: (message?: string) => void }) => {
          const progress = new PhaseProgress((line) => (task.output = line), PROGRESS_INTERVAL_MS[mode]);
          await runOne(phase, {
            report: (host, line) => progress.report(host, line),
            finish: (changes, dryRun) => progress.finish(changes, dryRun),
            skip: () => task.skip('nothing to do'),
          });
        },
      }));
      await createProgress(tasks, mode, ctx).run();
    }
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

/**
 * Runs an action: its phases with progress, then `finish` whatever happened (it releases the cluster lock).
 * A failure after the first applied change exits 4 — the hosts are part-way and the same command, run
 * again, continues where it stopped — unless the error already has a more telling code (locked, interrupted). A run that lost the lock stops
 * before its next phase with ELOCK_LOST (exit 4).
 */
export async function runAction<C extends PhaseContext>(
  phases: readonly AnyPhase<C>[],
  ctx: C,
  mode: ProgressMode,
  finish: () => Promise<void>,
): Promise<ActionReport> {
  const started = performance.now();
  const timings: PhaseTiming[] = [];
  try {
    await runPhases(phases, ctx, mode, timings);
  } catch (error) {
    throw ctx.changes.entries.some((c) => c.applied) ? partialFailure(error) : error;
  } finally {
    await finish().catch((e: unknown) => ctx.log.warn(`could not finish cleanly: ${String(e)}`));
  }
  return {
    phases: timings.map((t) => ({ title: t.title, seconds: Math.round(t.ms) / 1000, skipped: t.skipped })),
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

function partialFailure(error: unknown): EectlError {
  const e = toEectlError(error);
  if (
    e.exitCode === ExitCode.partial ||
    e.exitCode === ExitCode.locked ||
    e.exitCode === ExitCode.interrupted
  ) {
    return e;
  }
  return new EectlError(e.message, {
    code: e.code,
    kind: e.kind,
    exitCode: ExitCode.partial,
    host: e.host,
    cause: e.cause,
    suggestions: [...e.suggestions, 'Then run the same command again: it continues where it stopped.'],
  });
}
