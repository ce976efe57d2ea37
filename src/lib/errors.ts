/** Exit codes of every eectl command; documented in the README and in `--help`. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  preflight: 3,
  partial: 4,
  locked: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The kinds of failure (after Shopify CLI): something the user can fix, an external command or host that
 * failed, and a bug of ours. Every eectl error carries a stable `code`, the exit code and "try this" steps.
 */
export type ErrorKind = 'user' | 'external' | 'bug';

export interface EectlErrorOptions {
  code: string;
  exitCode?: ExitCodeValue;
  kind?: ErrorKind;
  suggestions?: string[];
  host?: string;
  cause?: unknown;
}

export class EectlError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly kind: ErrorKind;
  readonly suggestions: string[];
  readonly host: string | undefined;

  constructor(message: string, options: EectlErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.kind = options.kind ?? 'user';
    this.exitCode = options.exitCode ?? (this.kind === 'user' ? ExitCode.usage : ExitCode.failure);
    this.suggestions = options.suggestions ?? [];
    this.host = options.host;
  }
}

/** Bad flags, a bad cluster file, a missing secret: the user fixes it and runs again (exit 2). */
export class UsageError extends EectlError {
  constructor(message: string, options: Partial<Omit<EectlErrorOptions, 'kind' | 'exitCode'>> = {}) {
    super(message, { ...options, code: options.code ?? 'EUSAGE', kind: 'user', exitCode: ExitCode.usage });
  }
}

/** A checked command on a host exited non-zero. Carries host, the redacted command, exit code and output tail. */
export class CommandFailedError extends EectlError {
  readonly command: string;
  readonly commandExitCode: number | null;
  readonly outputTail: string[];

  constructor(args: {
    host: string;
    command: string;
    exitCode: number | null;
    outputTail: string[];
    reason?: string;
    suggestions?: string[];
  }) {
    const status = args.reason ?? (args.exitCode === null ? 'was killed' : `exited ${args.exitCode}`);
    const tail = args.outputTail.length > 0 ? `\n  ${args.outputTail.join('\n  ')}` : '';
    super(`${args.host}: \`${args.command}\` ${status}${tail}`, {
      code: 'ECOMMAND',
      kind: 'external',
      exitCode: ExitCode.failure,
      host: args.host,
      suggestions: args.suggestions ?? [],
    });
    this.command = args.command;
    this.commandExitCode = args.exitCode;
    this.outputTail = args.outputTail;
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM): exit 130 once the lock is released. */
export function interruptedError(): EectlError {
  return new EectlError('interrupted', {
    code: 'EINTERRUPTED',
    kind: 'user',
    exitCode: ExitCode.interrupted,
    suggestions: ['Run the same command again: it continues where it stopped.'],
  });
}

/** How per-host failures become one error (`hostsFailedError`). */
export interface HostsFailedOptions {
  /** How many hosts were worked on: the count reads "2 of 5 hosts". */
  total: number;
  /** The first line around that count, e.g. (hosts) => `cannot reach ${hosts}; nothing was changed`. */
  headline: (hosts: string) => string;
  /** The error's code; when only one host failed, that host's own code (unless `ownCodeWhenOne` is false). */
  code: string;
  ownCodeWhenOne?: boolean;
  kind: ErrorKind;
  exitCode: ExitCodeValue;
  /** What to do, after the failures' own suggestions (each said once). */
  suggestions?: readonly string[];
}

/**
 * One error for the hosts that failed, each failure (an error naming its host) on its own indented lines
 * under the headline: "2 of 5 hosts did not converge:\n  10.0.0.12: …\n  10.0.0.13: …".
 */
export function hostsFailedError(failures: readonly EectlError[], options: HostsFailedOptions): EectlError {
  const lines = failures.map((e) => `  ${e.message.split('\n').join('\n  ')}`);
  const hosts = `${failures.length} of ${options.total} hosts`;
  const one = failures.length === 1 && options.ownCodeWhenOne !== false;
  return new EectlError(`${options.headline(hosts)}:\n${lines.join('\n')}`, {
    code: one ? failures[0]!.code : options.code,
    kind: options.kind,
    exitCode: options.exitCode,
    suggestions: [...new Set([...failures.flatMap((e) => e.suggestions), ...(options.suggestions ?? [])])],
  });
}

/** Renders any thrown value as an EectlError; unknown errors are bugs (exit 1). */
export function toEectlError(error: unknown): EectlError {
  if (error instanceof EectlError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EectlError(message, {
    code: 'EINTERNAL',
    kind: 'bug',
    exitCode: ExitCode.failure,
    cause: error,
    suggestions: ['This looks like a bug in eectl: please report it with the log file named below.'],
  });
}
