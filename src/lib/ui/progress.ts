import {
  Listr,
  ListrLogger,
  PRESET_TIMER,
  ProcessOutput,
  type ListrRendererValue,
  type ListrTask,
} from 'listr2';

export type Progress<C> = Listr<C, ListrRendererValue, ListrRendererValue>;

export type ProgressMode = 'tty' | 'plain' | 'silent';

/** tty: spinners on a terminal; plain: one line per event (CI, pipes); silent: nothing (`--json`). */
export function progressMode(json: boolean): ProgressMode {
  if (json) return 'silent';
  return process.stderr.isTTY && !process.env.CI ? 'tty' : 'plain';
}

/** Duration in seconds with one decimal, as shown next to finished tasks and in summaries. */
export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/**
 * A listr2 list with the renderer for the mode. Progress goes to stderr so that stdout carries only the
 * command's result (a table, or JSON).
 */
export function createProgress<C>(tasks: ListrTask<C>[], mode: ProgressMode, ctx: C): Progress<C> {
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const timer = PRESET_TIMER;
  const common = { ctx, exitOnError: true, concurrent: false, registerSignalListeners: false } as const;
  if (mode === 'tty') {
    return new Listr<C, 'default', 'simple'>(tasks, {
      ...common,
      renderer: 'default',
      rendererOptions: { logger, timer, collapseSubtasks: false },
    });
  }
  if (mode === 'plain') {
    return new Listr<C, 'simple', 'simple'>(tasks, {
      ...common,
      renderer: 'simple',
      rendererOptions: { logger, timer },
    });
  }
  return new Listr<C, 'silent', 'silent'>(tasks, { ...common, renderer: 'silent' });
}

/** "Phases: Connect to hosts 0.1s, Lock the cluster skipped, …" for summaries. */
export function formatPhaseLine(
  phases: readonly { title: string; seconds: number; skipped: boolean }[],
): string {
  return `Phases: ${phases.map((p) => `${p.title} ${p.skipped ? 'skipped' : `${p.seconds.toFixed(1)}s`}`).join(', ')}`;
}
