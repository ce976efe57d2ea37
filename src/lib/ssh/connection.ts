import type { Logger } from '../util/log.js';

/** A command to run on a host: an argv (quoted in one place, `quote.ts`), never a concatenated string. */
export type RemoteCommand = readonly string[];

/** How to run one command; everything is optional. */
export interface ExecOptions {
  /** Run as root: nothing when the login user is root, `sudo -n` otherwise (detected once per host). */
  sudo?: boolean;
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /**
   * Environment for the command. Values never appear on a command line or in a log: they travel on stdin
   * (see env-preamble.ts) and are registered as secrets, so they are redacted wherever they are shown.
   * For a value that is not secret, put `env NAME=value` in front of the command instead.
   */
  env?: Record<string, string>;
  /** Kill the command after this many milliseconds (CommandFailedError with reason "timed out"). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Stdout's raw bytes go here, with backpressure, instead of the result (a tar stream); never logged. */
  stdoutTo?: NodeJS.WritableStream;
  /** Piped into stdin after `stdin` (and the env preamble); stdin closes when it ends. */
  stdinFrom?: NodeJS.ReadableStream;
  /** Streaming callbacks, called per complete line (without the newline), already redacted. */
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Extra values to redact in logs and errors for this command (registered globally as secrets). */
  secrets?: string[];
  /**
   * stdout is itself secret (a key, a password, a token, or any encoding of one): it is returned but never
   * logged, streamed to callbacks or put in an error's output tail. stderr is still logged.
   */
  secretOutput?: boolean;
  /** Throw CommandFailedError on a non-zero exit (default true). */
  check?: boolean;
}

/** How a command ended; stdout and stderr are exactly what it wrote (not redacted, not trimmed). */
export interface ExecResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Mode, owner and privilege of an uploaded file. */
export interface UploadOptions {
  /** File mode, default 0o644. Secrets: 0o600. */
  mode?: number;
  /** `user:group` after upload (needs root or sudo); default root-owned when `sudo` is set. */
  owner?: string;
  /** Write as root (to root-owned paths) even when the login user is not root. */
  sudo?: boolean;
}

/**
 * One connection per host, reused for the whole run. Implemented over ssh2 (`ssh2-connection.ts`) and
 * locally over execa (`local-connection.ts`, `localhost: true`).
 */
export interface Connection {
  /** The host as the user named it in cluster.yaml; every log line and error starts with it. */
  readonly name: string;
  readonly log: Logger;
  connect(): Promise<void>;
  /** Whether commands run as root without sudo (the login user is root). Known after connect(). */
  readonly isRoot: boolean;
  exec(command: RemoteCommand, options?: ExecOptions): Promise<ExecResult>;
  /** Atomic upload (temp file + rename) with mode and owner, also to root-owned paths. */
  upload(remotePath: string, content: string | Buffer, options?: UploadOptions): Promise<void>;
  /** Reads a remote file (as root when `sudo`), or undefined when it does not exist. */
  readFile(remotePath: string, options?: { sudo?: boolean }): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
