import type { RemoteCommand } from '../../ssh/connection.js';

/**
 * A command for the install phase to run on a host. Configurers only describe steps; the phase runs them in
 * order, which keeps dry-run honest (it prints the same list) and keeps this code free of I/O.
 */
export interface CommandStep {
  readonly kind: 'command';
  readonly command: RemoteCommand;
  /** Run as root: `sudo -n` when the login user is not root. */
  readonly sudo: boolean;
  /** Says what the step is for, in the plan and in logs ("hold docker-ce at 5:26.1.4-1~debian.12~bookworm"). */
  readonly description: string;
  readonly stdin?: string;
  /** Environment for the command (a proxy for curl): it travels on stdin, never on the command line. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * false: a non-zero exit is not an error. The step is optional (a version lock plugin that may be
   * missing) or its caller reads the result (a listing that finds nothing, a status probe).
   */
  readonly check: boolean;
}

/** A file to write on a host as root (atomic upload), instead of shell `echo … > file`. */
export interface UploadStep {
  readonly kind: 'upload';
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly description: string;
  /** Holds a secret (mirror credentials): 0600, never read back with the facts, never shown. */
  readonly secret?: boolean;
}

/** What configurers and service managers return: run or upload each, in order. */
export type Step = CommandStep | UploadStep;

/** A checked command run as root, the common case. */
export function rootCommand(
  command: RemoteCommand,
  description: string,
  options: { check?: boolean; stdin?: string; env?: Record<string, string> } = {},
): CommandStep {
  return {
    kind: 'command',
    command,
    sudo: true,
    description,
    check: options.check ?? true,
    ...stdinOf(options),
    ...(options.env !== undefined && Object.keys(options.env).length > 0 && { env: options.env }),
  };
}

/** A command that needs no privileges (status probes, queries). */
export function userCommand(command: RemoteCommand, description: string, check = true): CommandStep {
  return { kind: 'command', command, sudo: false, description, check };
}

/** A file written as root with the given mode (0644: package sources and keys are public). */
export function upload(path: string, content: string, description: string, mode = 0o644): UploadStep {
  return { kind: 'upload', path, content, mode, description };
}

/** A file only root may read, holding a secret (a mirror's password): never read back, never shown. */
export function secretUpload(path: string, content: string, description: string): UploadStep {
  return { kind: 'upload', path, content, mode: 0o600, description, secret: true };
}

function stdinOf(options: { stdin?: string }): { stdin?: string } {
  return options.stdin === undefined ? {} : { stdin: options.stdin };
}
