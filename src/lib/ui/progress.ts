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

/**
 * A phase's progress line at any number of hosts: the latest host's line with how many hosts have reported
 * (`[37 hosts] 10.0.0.9: install docker-ce`), shown at most once per `intervalMs` (the plain renderer
 * prints every update as a line), then one summary line with the counts when the phase ends.
 */
export class PhaseProgress {
  private readonly hosts = new Set<string>();
  private shownAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly show: (line: string) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  report(host: string, line: string): void {
    this.hosts.add(host);
    const t = this.now();
    if (t - this.shownAt < this.intervalMs) return;
    this.shownAt = t;
    this.show(this.hosts.size > 1 ? `[${this.hosts.size} hosts] ${host}: ${line}` : `[${host}] ${line}`);
  }

  /** The phase's last line: how many hosts it changed (or, under --dry-run, would), and how much. */
  finish(changes: readonly { host: string }[], dryRun: boolean): void {
    if (this.hosts.size <= 1 && changes.length === 0) return;
    const changed = new Set(changes.map((c) => c.host)).size;
    const verb = dryRun ? 'would change' : 'changed';
    this.show(
      changes.length === 0
        ? `${this.hosts.size} hosts, nothing ${dryRun ? 'would change' : 'changed'}`
        : `${changes.length} change${changes.length === 1 ? '' : 's'}: ${verb} ${changed} host${changed === 1 ? '' : 's'}`,
    );
  }
}

/** How often a phase's progress line may change: a terminal redraws one line, plain output adds one each time. */
export const PROGRESS_INTERVAL_MS: Record<ProgressMode, number> = { tty: 100, plain: 2000, silent: 0 };
