import { execa } from 'execa';
import { CommandFailedError, EectlError, ExitCode } from '../errors.js';
import { quoteCommand } from '../ssh/quote.js';
import { nullLogger, type Logger } from '../util/log.js';

/** How to run one program on this machine (the machine that hosts the sandbox). */
export interface LocalRunOptions {
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Throw CommandFailedError on a non-zero exit (default true). */
  check?: boolean;
  /** Called with every line of stdout and stderr as it arrives (progress). */
  onLine?: (line: string) => void;
  /** What to tell the user when the program is not installed. */
  missing?: { message: string; suggestions: string[] };
}

/** The outcome of a local command: stderr alone is never a failure. */
export interface LocalResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TAIL_LINES = 15;

/**
 * Runs a program with an argv (never a shell line), logs it at debug level, and turns failures into typed
 * errors. The sandbox's one door to execa: docker.ts, image.ts, apt.ts … all come through here.
 */
export async function runLocal(
  file: string,
  args: string[],
  options: LocalRunOptions = {},
): Promise<LocalResult> {
  const logger = options.logger ?? nullLogger;
  const shown = quoteCommand([file, ...args]);
  logger.debug(`$ ${shown}`);
  const subprocess = execa(file, args, {
    reject: false,
    input: options.input,
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    stripFinalNewline: true,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (options.onLine) forwardLines(subprocess, options.onLine);
  const result = await subprocess;
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  if (result.code === 'ENOENT' && result.exitCode === undefined) {
    throw new EectlError(options.missing?.message ?? `${file} is not installed on this machine`, {
      code: 'ENOTFOUND',
      kind: 'user',
      exitCode: ExitCode.failure,
      suggestions: options.missing?.suggestions ?? [`Install ${file} and run again.`],
    });
  }
  const code = result.exitCode ?? -1;
  logger.debug(`exit ${result.exitCode ?? result.signal ?? '?'}: ${file}`);
  if (options.check !== false && (result.failed || code !== 0)) {
    const reason = result.timedOut
      ? `timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`
      : result.isCanceled
        ? 'was cancelled'
        : undefined;
    throw new CommandFailedError({
      host: 'local',
      command: shown,
      exitCode: result.exitCode ?? null,
      outputTail: tail(stderr || stdout),
      ...(reason === undefined ? {} : { reason }),
    });
  }
  return { code, stdout, stderr };
}

/** The last lines of some output, for error messages. */
export function tail(text: string, lines = TAIL_LINES): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines);
}

function forwardLines(
  subprocess: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null },
  onLine: (line: string) => void,
): void {
  for (const stream of [subprocess.stdout, subprocess.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer | string) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') onLine(line);
    });
  }
}
