import { Command, Flags, Interfaces } from '@oclif/core';
import chalk from 'chalk';
import { EectlError, ExitCode, toEectlError, UsageError } from './errors.js';
import { loadCluster, type LoadedCluster } from './config/load.js';
import { clusterDir, LOG_LEVELS, RunLog, type Logger, type LogLevel } from './util/log.js';
import { logRetentionFromEnv } from './util/log-retention.js';
import { join } from 'node:path';
import { openSession, type Session, type SessionOptions } from './cluster/session.js';
import type { ClusterConfig } from './config/schema.js';
import type { ActionOptions } from './phases/runner/cluster-context.js';
import { progressMode } from './ui/progress.js';
import { confirmAction } from './util/prompts.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;

/** Flags of every command that reaches hosts. */
export const hostFlags = {
  'accept-new-host-keys': Flags.boolean({
    description: 'Trust and record host keys never seen before (a changed key is always refused)',
  }),
  concurrency: Flags.integer({ description: 'Hosts worked on in parallel', default: 10, min: 1 }),
};

/** Flags of every command that changes hosts. */
export const changeFlags = {
  'dry-run': Flags.boolean({
    description: 'Connect and show what would change; change nothing',
    default: false,
  }),
  yes: Flags.boolean({ char: 'y', description: 'Answer yes to confirmations (needed without a terminal)' }),
};

/** How long an interrupted run may take to stop its remote commands and release the lock. */
const INTERRUPT_GRACE_MS = 20_000;

/**
 * Every eectl command extends this: shared flags (`-c/--config`, `--json`, `--log-level`), one run log,
 * errors rendered with a code, the cause and "try this" (the exit codes end every --help: cli/help.ts).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    // oclif's own --json says only "Format output as json."
    json: Flags.boolean({
      description:
        'Print one JSON document on stdout: {"status": 0, "result": {…}}, or {"status": N, "error": {"code", "message", "suggestions"}} (schema/output.schema.json)',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      char: 'c',
      description: 'Cluster file',
      env: 'EECTL_CONFIG',
      default: 'cluster.yaml',
      helpGroup: 'GLOBAL',
    }),
    'log-level': Flags.option({
      options: LOG_LEVELS,
      description: 'Lowest level shown on the terminal (the log file always has debug)',
      default: 'warn' as LogLevel,
      helpGroup: 'GLOBAL',
    })(),
  };

  protected flags!: BaseFlags<T>;
  protected args!: Interfaces.InferredArgs<T['args']>;
  protected runLog = new RunLog();
  protected log_!: Logger;
  /** Fires on Ctrl-C or SIGTERM: give it to actions (and sessions) so remote commands stop. */
  protected readonly interrupt = new AbortController();
  /** Set once the run's JSON envelope is on stdout (`logJson`). */
  private jsonPrinted = false;
  /** stdout or stderr once its reader went away (`outputClosed`). */
  private readonly closedOutputs = new Set<'stdout' | 'stderr'>();

  public override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as Interfaces.InferredArgs<T['args']>;
    this.runLog.consoleLevel = this.flags['log-level'];
    this.log_ = this.runLog.logger();
    process.once('SIGINT', () => this.interrupted('SIGINT'));
    process.once('SIGTERM', () => this.interrupted('SIGTERM'));
    // A reader that went away (`eectl … | head -1`, a killed tee) makes the next write fail with EPIPE;
    // unhandled, that error would end the process on the spot, with the cluster lock still held.
    process.stdout.on('error', (error) => this.outputClosed('stdout', error));
    process.stderr.on('error', (error) => this.outputClosed('stderr', error));
  }

  /**
   * The first Ctrl-C or SIGTERM stops remote commands and lets the action release the cluster lock, then
   * the command exits 130 (through `catch`). A second one, or a run that does not wind down within
   * INTERRUPT_GRACE_MS, exits at once.
   */
  private interrupted(cause: string): void {
    if (this.interrupt.signal.aborted) return;
    const now = (): never => {
      this.runLog.close();
      process.exit(ExitCode.interrupted);
    };
    this.log_.warn(`interrupted (${cause}): stopping remote commands and releasing the cluster lock`);
    this.interrupt.abort(new Error(`interrupted by ${cause}`));
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
    setTimeout(now, INTERRUPT_GRACE_MS).unref();
  }

  /**
   * stdout or stderr can no longer be written (its reader closed the pipe): the run stops as on Ctrl-C,
   * releasing the cluster lock, and exits 130. What it would have printed is in the run log.
   */
  private outputClosed(stream: 'stdout' | 'stderr', error: Error & { code?: string }): void {
    // Every later write to it fails too, each with its own error event: only the first one counts.
    if (this.closedOutputs.has(stream)) return;
    this.closedOutputs.add(stream);
    this.runLog.write('debug', '', `${stream}: ${error.code ?? ''} ${error.message}`);
    this.interrupted(`${stream} was closed`);
  }

  /** Loads the cluster file named by --config and opens the run's log file under ~/.eectl/<cluster>/logs. */
  protected async loadCluster(options: { showWarnings?: boolean } = {}): Promise<LoadedCluster> {
    const loaded = await loadCluster(this.flags.config);
    this.openRunLog(join(clusterDir(loaded.config.metadata.name), 'logs'));
    this.log_.debug(`eectl ${this.config.version} ${this.id ?? ''} ${this.argv.join(' ')}`);
    // Warnings matter where the file is acted on (install) or checked; elsewhere they would only be noise.
    for (const w of loaded.warnings)
      this.runLog.write(options.showWarnings ? 'warn' : 'debug', '', formatProblemLine(w));
    return loaded;
  }

  /**
   * Opens this run's log file in `dir`. A directory eectl cannot write (permissions, a full disk) costs the
   * run its log file, not the run: a warning says why, and the run goes on (a cron job's status still
   * reports). Errors of the run itself are still rendered, without a "Log:" line.
   */
  protected openRunLog(dir: string, command = this.id ?? 'eectl'): void {
    const retention = logRetentionFromEnv();
    try {
      this.runLog.openFile(dir, command, retention);
    } catch (error) {
      const e = toEectlError(error);
      const home = e.suggestions.find((x) => x.includes('EECTL_HOME'));
      this.log_.warn(`no log file for this run: ${e.message}${home ? `. ${home}` : ''}`);
    }
  }

  /** A pooled connection per host for this run, with the host-key policy of the flags; close it at the end. */
  protected openSession(
    clusterName: string,
    flags: { 'accept-new-host-keys': boolean; concurrency: number },
    timeouts: Pick<SessionOptions, 'readyTimeoutMs' | 'connectAttempts'> = {},
  ): Session {
    return openSession({
      clusterName,
      log: this.log_,
      acceptNewHostKeys: flags['accept-new-host-keys'],
      interactive: this.interactive,
      concurrency: flags.concurrency,
      signal: this.interrupt.signal,
      ...timeouts,
    });
  }

  /** Runs `work` with a session of this run (see `openSession`) and closes the session however it ends. */
  protected async withSession<R>(
    clusterName: string,
    flags: { 'accept-new-host-keys': boolean; concurrency: number },
    work: (session: Session) => Promise<R>,
    timeouts: Pick<SessionOptions, 'readyTimeoutMs' | 'connectAttempts'> = {},
  ): Promise<R> {
    const session = this.openSession(clusterName, flags, timeouts);
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  /**
   * What every action takes from its command: the file, the session, the run's log, dry run, concurrency,
   * progress for a terminal or --json, and the interrupt (so Ctrl-C also stops the action's own waits).
   */
  protected actionOptions(
    config: ClusterConfig,
    session: Session,
    flags: { 'dry-run'?: boolean | undefined; concurrency: number },
  ): ActionOptions {
    return {
      config,
      session,
      log: this.log_,
      // Boolean: oclif leaves an absent boolean flag undefined, which --json would drop.
      dryRun: flags['dry-run'] === true,
      concurrency: flags.concurrency,
      progress: progressMode(this.jsonEnabled()),
      signal: this.interrupt.signal,
    };
  }

  /**
   * Asks before a change that destroys or interrupts something, the same way in every command: --yes
   * answers yes; without a terminal it stops with ECONFIRM (`withoutTerminal` says what would have been
   * asked and how to confirm); on a terminal it asks, and "no" stops with ECANCELLED. Either way nothing
   * was changed.
   */
  protected async confirmOrStop(
    question: string,
    yes: boolean | undefined,
    withoutTerminal: { message: string; suggestions: string[] },
  ): Promise<void> {
    if (yes === true) return;
    if (!this.interactive) {
      throw new UsageError(`${withoutTerminal.message}; nothing was changed`, {
        code: 'ECONFIRM',
        suggestions: withoutTerminal.suggestions,
      });
    }
    if (!(await confirmAction(question))) {
      throw new EectlError(`${(this.id ?? 'eectl').replaceAll(':', ' ')} cancelled: nothing was changed`, {
        code: 'ECANCELLED',
        kind: 'user',
        exitCode: ExitCode.failure,
      });
    }
  }

  /** True when prompts may be shown: a terminal on both ends, not --json, not CI. */
  protected get interactive(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY && !this.jsonEnabled() && !process.env.CI);
  }

  protected override toSuccessJson(result: unknown): unknown {
    return { status: 0, result };
  }

  protected override toErrorJson(err: unknown): unknown {
    const e = toEectlError(err);
    return {
      status: e.exitCode,
      error: {
        code: e.code,
        message: e.message,
        host: e.host,
        suggestions: e.suggestions,
        log: this.runLog.path,
      },
      result: e.result,
    };
  }

  /**
   * One envelope per run on stdout: a command that prints its envelope early (the dashboard, as soon as it
   * listens, on one line so a script reads it at once) is not followed by a second one when it ends.
   */
  protected override logJson(json: unknown, options: { oneLine?: boolean } = {}): void {
    if (this.jsonPrinted) return;
    this.jsonPrinted = true;
    if (options.oneLine) process.stdout.write(`${JSON.stringify(json)}\n`);
    else super.logJson(json);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // oclif's own parse errors (unknown flag, missing arg) are usage errors.
    if (!(err instanceof EectlError) && err.oclif?.exit !== undefined) {
      // this.exit(n) throws an ExitError: the command already reported, only the exit code is left to do.
      if (err.oclif.exit === 0 || (err as { code?: string }).code === 'EEXIT') throw err;
      if (this.jsonEnabled()) {
        this.logJson({
          status: ExitCode.usage,
          error: { code: 'EUSAGE', message: err.message, suggestions: [] },
        });
        this.exit(ExitCode.usage);
      }
      err.oclif.exit = ExitCode.usage;
      throw err;
    }
    // Whatever failed once the run was interrupted (a cancelled command, a host error it caused) exits 130.
    const e = this.interrupt.signal.aborted ? asInterrupted(toEectlError(err)) : toEectlError(err);
    this.runLog.write('debug', '', `error: ${e.code} ${e.stack ?? e.message}`);
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(e));
    } else if (!e.shown) {
      process.stderr.write(renderError(e, this.runLog.path));
    }
    this.runLog.close();
    this.exit(e.exitCode);
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    // A run that got to its end although interrupted (nothing left to stop) still says it was interrupted.
    if (!err && this.interrupt.signal.aborted) process.exitCode = ExitCode.interrupted;
    this.runLog.close();
    return super.finally(err);
  }
}

/**
 * The base flags of a command that reads no cluster file (the sandbox commands): no `-c/--config`, so
 * help does not offer it and giving it is a usage error rather than ignored. Typed as the full set, which
 * TypeScript requires of an override (the command never reads `flags.config`).
 */
export const baseFlagsWithoutConfig = (({ config: _config, ...rest }) => rest)(
  BaseCommand.baseFlags,
) as typeof BaseCommand.baseFlags;

function asInterrupted(e: EectlError): EectlError {
  if (e.exitCode === ExitCode.interrupted) return e;
  return new EectlError(`interrupted: ${e.message}`, {
    code: 'EINTERRUPTED',
    kind: 'user',
    exitCode: ExitCode.interrupted,
    host: e.host,
    cause: e.cause,
    suggestions: ['Run the same command again: it continues where it stopped.'],
  });
}

/** `cluster.yaml:12:7: spec.hosts[2].role: must be one of …` */
export function formatProblemLine(p: {
  file: string;
  line?: number;
  col?: number;
  path: string;
  message: string;
}): string {
  const pos = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  return `${pos}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** The human rendering of an error: code, message, "try this" and where the log is. */
export function renderError(e: EectlError, logPath: string | undefined): string {
  const lines = [`${chalk.red('Error')} ${chalk.dim(`[${e.code}]`)} ${e.message}`];
  if (e.cause instanceof Error && e.kind !== 'bug') lines.push(chalk.dim(`  cause: ${e.cause.message}`));
  if (e.suggestions.length > 0) {
    lines.push('Try this:');
    for (const s of e.suggestions) lines.push(`  - ${s}`);
  }
  if (logPath) lines.push(chalk.dim(`Log: ${logPath}`));
  return `${lines.join('\n')}\n`;
}
