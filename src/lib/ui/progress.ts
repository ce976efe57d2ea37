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

/** tty: spinners on a terminal; plain: one line per phase (CI, pipes; PlainPhaseLines); silent: nothing (`--json`). */
export function progressMode(json: boolean): ProgressMode {
  if (json) return 'silent';
  return process.stderr.isTTY && !process.env.CI ? 'tty' : 'plain';
}

/** Duration in seconds with one decimal, as shown next to finished tasks and in summaries. */
export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/**
 * A listr2 list with the renderer for a terminal (`tty`), or none (`silent`; `plain` output is
 * PlainPhaseLines', not listr2's). Progress goes to stderr so that stdout carries only the command's
 * result (a table, or JSON).
 */
export function createProgress<C>(
  tasks: ListrTask<C>[],
  mode: Exclude<ProgressMode, 'plain'>,
  ctx: C,
): Progress<C> {
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
  return new Listr<C, 'silent', 'silent'>(tasks, { ...common, renderer: 'silent' });
}

/**
 * The `Phases:` table of a summary: each phase that ran with its time (a composed phase's own phases as
 * `outer › inner`), then how many had nothing to do, on one line, instead of one line per skipped phase.
 */
export function formatPhaseTable(
  phases: readonly { title: string; seconds: number; skipped: boolean }[],
): string {
  const ran = phases.filter((p) => !p.skipped);
  const skipped = phases.length - ran.length;
  const width = Math.max(0, ...ran.map((p) => p.title.length));
  const times = ran.map((p) => `${p.seconds.toFixed(1)}s`);
  const timeWidth = Math.max(0, ...times.map((t) => t.length));
  const lines = ran.map((p, i) => `  ${p.title.padEnd(width)}  ${times[i]!.padStart(timeWidth)}`);
  if (skipped > 0) lines.push(`  ${skipped} skipped: nothing to do`);
  return ['Phases:', ...lines].join('\n');
}

/**
 * The non-terminal rendering of a run's phases (`plain`: CI logs, pipes): one line per phase when it ends,
 * `✔ Title: counts (1.2s)`, `↓ Title: nothing to do`, or `✖ Title: failed after 1.2s`. What a phase
 * reports while it runs (each host's step, the commands' own output) is not printed (the run log has the
 * commands and their output); a phase
 * that runs longer than `heartbeatMs` says so at most once per `heartbeatMs`, with the number of hosts
 * that reported, so a long phase in a CI log is not silence.
 */
export class PlainPhaseLines {
  private title = '';
  private started = 0;
  private lastBeat = 0;
  private readonly hosts = new Set<string>();
  private last: string | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly heartbeatMs = 30_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(title: string): void {
    this.title = title;
    this.started = this.lastBeat = this.now();
    this.hosts.clear();
    this.last = undefined;
  }

  /** A progress line of the running phase: remembered (the phase's own summary may be it), not printed. */
  report(host: string, line: string): void {
    this.hosts.add(host);
    this.last = line;
    const t = this.now();
    if (t - this.lastBeat < this.heartbeatMs) return;
    this.lastBeat = t;
    const n = this.hosts.size;
    this.write(
      `… ${this.title}: running for ${Math.round((t - this.started) / 1000)}s, ${n} host${n === 1 ? '' : 's'} so far`,
    );
  }

  /**
   * The phase's one line: its counts (phaseSummary) when it has them, else the last line its one host
   * reported (phases that speak for every host through the first: "4 hosts passed", "engine 27.3.1").
   */
  done(changes: readonly { host: string }[], dryRun: boolean): void {
    const counts = phaseSummary(this.hosts.size, changes, dryRun);
    const what = counts ?? (this.hosts.size === 1 ? this.last : undefined);
    this.write(`✔ ${this.title}${what ? `: ${what}` : ''} (${formatSeconds(this.now() - this.started)})`);
  }

  skipped(): void {
    this.write(`↓ ${this.title}: nothing to do`);
  }

  failed(): void {
    this.write(`✖ ${this.title}: failed after ${formatSeconds(this.now() - this.started)}`);
  }
}

/**
 * A phase's counts when it ends: how many changes on how many hosts (under --dry-run: would), or how many
 * hosts it went through without a change; undefined for a phase of one host (or none) that changed nothing.
 */
export function phaseSummary(
  hostsReported: number,
  changes: readonly { host: string }[],
  dryRun: boolean,
): string | undefined {
  if (hostsReported <= 1 && changes.length === 0) return undefined;
  const changed = new Set(changes.map((c) => c.host)).size;
  const verb = dryRun ? 'would change' : 'changed';
  return changes.length === 0
    ? `${hostsReported} hosts, nothing ${dryRun ? 'would change' : 'changed'}`
    : `${changes.length} change${changes.length === 1 ? '' : 's'}: ${verb} ${changed} host${changed === 1 ? '' : 's'}`;
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
    const summary = phaseSummary(this.hosts.size, changes, dryRun);
    if (summary !== undefined) this.show(summary);
  }
}

/** How often a phase's progress line may change on a terminal (plain output has none: PlainPhaseLines). */
export const PROGRESS_INTERVAL_MS: Record<Exclude<ProgressMode, 'plain'>, number> = { tty: 100, silent: 0 };
