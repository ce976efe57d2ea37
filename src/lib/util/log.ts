import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pruneRunLogs, type LogRetention } from './log-retention.js';
import { redact } from './redact.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A logger bound to a prefix (usually a host address), so every line names the host it is about. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** A logger whose lines start with `[prefix]`. */
  child(prefix: string): Logger;
}

/** Lines are written to the file in batches of up to this many bytes, or after FLUSH_MS. */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 50;
/** Run logs with lines not yet written: the process's exit writes them (a crash included, not a kill -9). */
const unflushed = new Set<RunLog>();
let exitHook = false;

/**
 * One per run: writes every line at debug level to the run's log file (secrets redacted) and lines at or
 * above the console level to stderr. Lines logged before the file is known are kept and written when it is.
 * File lines go out in batches (FLUSH_BYTES, FLUSH_MS, close, exit): one write per line was an eighth of
 * a converged install's CPU at 500 hosts.
 */
export class RunLog {
  private fd: number | undefined;
  private pending: string[] = [];
  private batch: string[] = [];
  private batchBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private fileFailed = false;
  path: string | undefined;
  consoleLevel: LogLevel;
  /** Set while a progress renderer owns the terminal; console lines are then routed through it. */
  consoleSink: ((line: string) => void) | undefined;

  constructor(consoleLevel: LogLevel = 'warn') {
    this.consoleLevel = consoleLevel;
  }

  /**
   * Opens `<dir>/<timestamp>-<command>.log` (0600) and flushes what was logged so far. With `retention`,
   * the oldest run logs of `dir` beyond it are deleted first (`pruneRunLogs`: never this run's file, never
   * a file that is not a run log), and the deletions are logged at debug level.
   */
  openFile(dir: string, command: string, retention?: LogRetention): string {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(dir, `${stamp}-${command.replace(/[^a-z0-9-]+/gi, '-')}.log`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.fd = openSync(path, 'a', 0o600);
    this.path = path;
    if (retention) {
      const deleted = pruneRunLogs(dir, retention, basename(path));
      if (deleted.length > 0)
        this.pending.push(
          `${new Date().toISOString()} DEBUG run logs: deleted the ${deleted.length} oldest beyond the last ${retention.runs || 'unlimited'} runs / ${retention.bytes > 0 ? `${retention.bytes / 1024 / 1024} MiB` : 'unlimited size'} (EECTL_LOG_KEEP_RUNS, EECTL_LOG_KEEP_MIB): ${deleted.join(', ')}\n`,
        );
    }
    const pending = this.pending;
    this.pending = [];
    for (const line of pending) if (this.fd !== undefined) this.writeFile(line);
    return path;
  }

  write(level: LogLevel, prefix: string, message: string): void {
    const text = redact(message);
    const head = prefix ? `[${prefix}] ` : '';
    const fileLine = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${head}${text}\n`;
    if (this.fd === undefined) {
      if (this.pending.length < 10_000 && !this.fileFailed) this.pending.push(fileLine);
    } else {
      this.writeFile(fileLine);
    }
    if (rank[level] <= rank[this.consoleLevel]) {
      const consoleLine = `${level === 'info' ? '' : `${level}: `}${head}${text}`;
      if (this.consoleSink) this.consoleSink(consoleLine);
      else process.stderr.write(`${consoleLine}\n`);
    }
  }

  /**
   * A log file that cannot be written (a full disk) must not stop the run it describes: the file is given
   * up, once, with a line on stderr, and the run goes on logging to the terminal only.
   */
  private writeFile(line: string): void {
    this.batch.push(line);
    this.batchBytes += line.length;
    if (this.batchBytes >= FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS).unref();
      unflushed.add(this);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const log of unflushed) log.flush();
        });
      }
    }
  }

  /** Writes the lines logged so far to the file now. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    unflushed.delete(this);
    if (this.batch.length === 0 || this.fd === undefined) return;
    const text = this.batch.join('');
    this.batch = [];
    this.batchBytes = 0;
    try {
      writeSync(this.fd, text);
    } catch (error) {
      this.fileFailed = true;
      this.close();
      this.pending = [];
      process.stderr.write(
        `warn: the run log ${this.path ?? ''} cannot be written (${(error as Error).message}): the rest of this run is not in it\n`,
      );
    }
  }

  logger(prefix = ''): Logger {
    const make = (p: string): Logger => ({
      error: (m) => this.write('error', p, m),
      warn: (m) => this.write('warn', p, m),
      info: (m) => this.write('info', p, m),
      debug: (m) => this.write('debug', p, m),
      child: (c) => make(p ? `${p} ${c}` : c),
    });
    return make(prefix);
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** `~/.eectl` unless EECTL_HOME says otherwise; per-cluster state lives in `<home>/<cluster>/`. */
export function eectlHome(): string {
  return process.env.EECTL_HOME ?? join(homedir(), '.eectl');
}

export function clusterDir(cluster: string): string {
  return join(eectlHome(), cluster);
}

/** A logger that discards everything: for library code called without a run (tests, pure helpers). */
export const nullLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => nullLogger,
};
