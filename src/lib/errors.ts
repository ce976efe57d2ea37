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

/** What each exit code means, as `--help` shows it (EXIT CODES) and the README's table says. */
export const EXIT_CODE_MEANINGS: Record<ExitCodeValue, string> = {
  0: 'success',
  1: 'failure',
  2: 'usage or configuration error',
  3: 'preflight failed; nothing was changed',
  4: 'apply failed part-way; run it again to converge',
  5: 'another run holds the cluster lock',
  130: 'interrupted (Ctrl-C, SIGTERM, output closed)',
};

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
  /** What the command found before it failed (every host's outcome, a report): `result` next to `error` under --json. */
  result?: object;
  /** The command's own output already said it (a table, a DENY line): no error block on the terminal. */
  shown?: boolean;
}

export class EectlError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly kind: ErrorKind;
  readonly suggestions: string[];
  readonly host: string | undefined;
  readonly result: object | undefined;
  readonly shown: boolean;

  constructor(message: string, options: EectlErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.kind = options.kind ?? 'user';
    this.exitCode = options.exitCode ?? (this.kind === 'user' ? ExitCode.usage : ExitCode.failure);
    this.suggestions = options.suggestions ?? [];
    this.host = options.host;
    this.result = options.result;
    this.shown = options.shown ?? false;
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
  /** Why eectl ended the command ("timed out after 300s"), when it did. */
  readonly reason: string | undefined;

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
    this.reason = args.reason;
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
  /** Every host's outcome, failed or not (see `EectlErrorOptions.result`). */
  result?: object;
  shown?: boolean;
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
    result: options.result,
    shown: options.shown,
  });
}

/** Renders any thrown value as an EectlError: this machine's own trouble as `environmentError` says; other unknown errors are bugs (exit 1). */
export function toEectlError(error: unknown): EectlError {
  if (error instanceof EectlError) return error;
  const environment = environmentError(error);
  if (environment) return environment;
  const message = error instanceof Error ? error.message : String(error);
  return new EectlError(message, {
    code: 'EINTERNAL',
    kind: 'bug',
    exitCode: ExitCode.failure,
    cause: error,
    suggestions: ['This looks like a bug in eectl: please report it with the log file named below.'],
  });
}

/** A Node.js system error: `code` (EACCES …), the call that failed, and what it was about. */
interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
}

function isSystemError(error: unknown): error is SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** Where eectl keeps its state on this machine: a file there that cannot be written points at EECTL_HOME. */
function underEectlHome(path: string): boolean {
  const home = process.env.EECTL_HOME;
  return (
    (home !== undefined && path.startsWith(home)) || path.includes('/.eectl/') || path.endsWith('/.eectl')
  );
}

/**
 * This machine's own trouble, raised by Node.js for a local file, port or program, as an error that says
 * what happened and what to do, not "a bug in eectl": a port another program holds (exit 2), an address
 * that is not this machine's, a local file eectl may not write or a path of the wrong shape (exit 2), a
 * full disk, too many open files (exit 1). Undefined for anything else. Network errors of a host never get here raw: the SSH layer
 * names the host.
 */
export function environmentError(error: unknown): EectlError | undefined {
  if (!isSystemError(error)) return undefined;
  const { code, syscall } = error;
  const at =
    error.address === undefined
      ? undefined
      : `${error.address}${error.port === undefined ? '' : `:${error.port}`}`;
  const user = (message: string, eCode: string, suggestions: string[]) =>
    new EectlError(message, {
      code: eCode,
      kind: 'user',
      exitCode: ExitCode.usage,
      cause: error,
      suggestions,
    });
  const external = (message: string, eCode: string, suggestions: string[]) =>
    new EectlError(message, {
      code: eCode,
      kind: 'external',
      exitCode: ExitCode.failure,
      cause: error,
      suggestions,
    });
  if (syscall === 'listen' || syscall === 'bind') {
    const port = error.port === undefined ? 'the port' : `port ${error.port}`;
    if (code === 'EADDRINUSE')
      return user(`cannot listen on ${at ?? 'that address'}: another program uses ${port}`, 'EPORT_IN_USE', [
        'Choose another port, or port 0 for any free one (`eectl dashboard --port 0`).',
        ...(error.port === undefined
          ? []
          : [`See which program holds it: ss -ltnp 'sport = :${error.port}'`]),
      ]);
    if (code === 'EADDRNOTAVAIL')
      return user(
        `cannot listen on ${at ?? 'that address'}: it is not an address of this machine`,
        'EADDRESS',
        ['Listen on 127.0.0.1 (the default) or on an address `ip -brief address` lists.'],
      );
    if (code === 'EACCES' || code === 'EPERM')
      return user(
        `cannot listen on ${at ?? 'that address'}: ${port} needs privileges this user lacks`,
        'EPORT_DENIED',
        ['Choose a port from 1024 up, or port 0 for any free one (`eectl dashboard --port 0`).'],
      );
  }
  const path = error.path ?? error.dest;
  const what = path ?? 'a local file';
  const home =
    path !== undefined && underEectlHome(path)
      ? [
          'eectl keeps its state under ~/.eectl: set EECTL_HOME to a directory this user can write to use another.',
        ]
      : [];
  if ((code === 'EACCES' || code === 'EPERM') && path !== undefined)
    return user(`cannot ${verbOf(syscall)} ${what}: permission denied for this user`, 'ELOCAL_PERMISSION', [
      `Give this user access to ${what} (ls -ld, chmod, chown), run eectl as the user that owns it, or choose another path.`,
      ...home,
    ]);
  if (code === 'EROFS' && path !== undefined)
    return user(`cannot ${verbOf(syscall)} ${what}: the file system is read-only`, 'ELOCAL_READONLY', [
      'Choose a path on a writable file system.',
      ...home,
    ]);
  // A path of the wrong shape: a file where a directory must be, or the other way round (`init --out
  // /etc/passwd/x.yaml`, `--out` naming a directory where a file is written).
  if (path !== undefined && (code === 'ENOTDIR' || (code === 'EEXIST' && syscall === 'mkdir')))
    return user(
      `cannot ${verbOf(syscall)} ${what}: ${code === 'ENOTDIR' ? 'a part of the path is a file, not a directory' : 'a file of that name is in the way'}`,
      'ELOCAL_PATH',
      ['Choose a path whose directories are directories (ls -ld each part), or move the file away.'],
    );
  if (code === 'EISDIR' && path !== undefined)
    return user(`cannot ${verbOf(syscall)} ${what}: it is a directory, not a file`, 'ELOCAL_PATH', [
      `Name a file, e.g. ${path.replace(/\/+$/, '')}/<name>.`,
    ]);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return external(
      `cannot ${verbOf(syscall)} ${what}: ${code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded'}`,
      'ELOCAL_NO_SPACE',
      [
        `Free space where ${what} lives (df -h${path === undefined ? '' : ` ${path}`}), then run the command again.`,
        'eectl’s own run logs are under ~/.eectl/<cluster>/logs; EECTL_LOG_KEEP_RUNS and EECTL_LOG_KEEP_MIB bound them.',
      ],
    );
  if (code === 'EMFILE' || code === 'ENFILE')
    return external(`too many open files on this machine (${code}) while eectl worked`, 'ELOCAL_FILES', [
      'Lower --concurrency, or raise the limit of open files (ulimit -n 65536) and run again.',
    ]);
  return undefined;
}

/** What eectl was doing with a local path, in words ("create the directory", "open" …). */
function verbOf(syscall: string | undefined): string {
  const verbs: Record<string, string> = {
    mkdir: 'create the directory',
    mkdtemp: 'create a directory in',
    write: 'write to',
    copyfile: 'copy to',
    unlink: 'remove',
    rmdir: 'remove',
    rm: 'remove',
    scandir: 'list',
    chmod: 'change the mode of',
  };
  return (syscall && verbs[syscall]) ?? syscall ?? 'use';
}
