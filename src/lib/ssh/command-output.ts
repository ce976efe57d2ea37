import { StringDecoder } from 'node:string_decoder';
import { CommandFailedError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { redact } from '../util/redact.js';
import type { ExecResult } from './connection.js';

const TAIL_LINES = 20;

/** Where a command's lines go besides the result. */
export interface OutputOptions {
  onStdout?: ((line: string) => void) | undefined;
  onStderr?: ((line: string) => void) | undefined;
  /** Off when stdout is itself secret (a file read with `sudo cat`); stderr is always logged. */
  logStdout: boolean;
}

/**
 * Collects a command's output: keeps the bytes, cuts complete lines (UTF-8 safe across chunks), hands
 * them redacted to the callbacks and the debug log, and keeps the last lines for an error message.
 */
export class CommandOutput {
  private readonly chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly partial = { stdout: '', stderr: '' };
  private readonly last: string[] = [];

  constructor(
    private readonly log: Logger,
    private readonly options: OutputOptions,
  ) {}

  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.chunks[stream].push(chunk);
    const text = this.partial[stream] + this.decoders[stream].write(chunk);
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.line(stream, line);
  }

  /** Flushes unterminated last lines; call once when the command has ended. */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].end();
      this.partial[stream] = '';
      if (rest !== '') this.line(stream, rest);
    }
  }

  stdout(): Buffer {
    return Buffer.concat(this.chunks.stdout);
  }

  stderr(): Buffer {
    return Buffer.concat(this.chunks.stderr);
  }

  /** The last lines of stdout and stderr as they arrived, redacted. */
  tail(): string[] {
    return [...this.last];
  }

  private line(stream: 'stdout' | 'stderr', raw: string): void {
    const line = redact(raw.replace(/\r$/, ''));
    if (stream === 'stderr' || this.options.logStdout) {
      this.last.push(line);
      if (this.last.length > TAIL_LINES) this.last.shift();
      this.log.debug(`${stream === 'stdout' ? 'out' : 'err'}: ${line}`);
    }
    if (stream === 'stdout' && !this.options.logStdout) return;
    (stream === 'stdout' ? this.options.onStdout : this.options.onStderr)?.(line);
  }
}

/** How a command ended, from either transport. */
export interface CommandEnd {
  host: string;
  /** The command as logged: quoted and redacted. */
  display: string;
  code: number | null;
  /** Set when eectl ended the command (timeout); always a failure. */
  reason?: string;
  check: boolean;
  startedAt: number;
}

/** A command's end as it starts: no code yet, checked unless the caller said `check: false`. */
export function startedCommand(host: string, display: string, check: boolean | undefined): CommandEnd {
  return { host, display, code: null, check: check ?? true, startedAt: Date.now() };
}

/** Logs how a command ended, and turns a checked failure into CommandFailedError. */
export function settleCommand(log: Logger, end: CommandEnd, output: CommandOutput): ExecResult {
  const seconds = ((Date.now() - end.startedAt) / 1000).toFixed(2);
  const status = end.reason ?? (end.code === null ? 'killed by a signal' : `exit ${end.code}`);
  log.debug(`${status} after ${seconds}s: ${end.display}`);
  if (end.reason !== undefined || (end.check && end.code !== 0)) {
    throw new CommandFailedError({
      host: end.host,
      command: end.display,
      exitCode: end.code,
      outputTail: output.tail(),
      ...(end.reason === undefined ? {} : { reason: end.reason }),
    });
  }
  return {
    code: end.code,
    stdout: output.stdout().toString('utf8'),
    stderr: output.stderr().toString('utf8'),
  };
}
