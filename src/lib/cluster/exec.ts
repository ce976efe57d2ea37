import type { HostSpec, Role } from '../config/schema.js';
import {
  CommandFailedError,
  EectlError,
  ExitCode,
  hostsFailedError,
  UsageError,
  toEectlError,
} from '../errors.js';
import { mapSettled } from '../util/concurrency.js';
import type { Session } from './session.js';

/** One host's outcome of `eectl exec`. */
export interface ExecOutcome {
  host: string;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the command did not run or finish on the host (no connection, a timeout); `code` is then null. */
  error?: HostError;
}

/** A host's own failure, as `--json` shows it next to that host. */
export interface HostError {
  code: string;
  message: string;
  suggestions: string[];
}

/** The JSON form of a host's failure. */
export function hostError(e: EectlError): HostError {
  return { code: e.code, message: e.message, suggestions: e.suggestions };
}

/** `eectl exec --json`'s result: every host's outcome, in the file's order. */
export interface ExecResult {
  hosts: ExecOutcome[];
}

/** The hosts `--role` and `--host` select (both repeatable; no selector selects all). */
export function selectHosts(
  hosts: readonly HostSpec[],
  roles: readonly Role[],
  addresses: readonly string[],
): HostSpec[] {
  const unknown = addresses.filter((a) => !hosts.some((h) => h.address === a));
  if (unknown.length > 0) {
    throw new UsageError(`not in the cluster file: ${unknown.join(', ')}`, {
      suggestions: [`Hosts in the file: ${hosts.map((h) => h.address).join(', ')}`],
    });
  }
  const selected = hosts.filter(
    (h) =>
      (roles.length === 0 || roles.includes(h.role)) &&
      (addresses.length === 0 || addresses.includes(h.address)),
  );
  if (selected.length === 0) throw new UsageError('no host matches --role/--host');
  return selected;
}

/**
 * Runs a shell command on every selected host in parallel. Lines are passed to `onLine` as they arrive,
 * so the caller can prefix them with the host; every host's outcome is returned, failures included.
 */
export async function execOnHosts(
  hosts: readonly HostSpec[],
  session: Session,
  command: string,
  options: {
    sudo: boolean;
    concurrency: number;
    timeoutMs?: number;
    onLine?: (host: string, stream: 'stdout' | 'stderr', line: string) => void;
  },
): Promise<ExecOutcome[]> {
  const settled = await mapSettled(hosts, options.concurrency, async (spec) => {
    const conn = await session.connect(spec);
    return conn.exec(['sh', '-c', command], {
      sudo: options.sudo,
      check: false,
      timeoutMs: options.timeoutMs,
      onStdout: (line) => options.onLine?.(spec.address, 'stdout', line),
      onStderr: (line) => options.onLine?.(spec.address, 'stderr', line),
    });
  });
  return settled.map((s) => {
    if (s.ok) return { host: s.item.address, ...s.value };
    const e = toEectlError(s.error);
    const code = e instanceof CommandFailedError ? e.commandExitCode : null;
    return { host: s.item.address, code, stdout: '', stderr: '', error: hostError(e) };
  });
}

/**
 * The error of an exec whose command failed on some hosts (exit 1), naming each with its exit code or why
 * it did not run; `result` carries every host's outcome. Undefined when it succeeded everywhere.
 */
export function execFailedError(
  outcomes: readonly ExecOutcome[],
  result: ExecResult,
): EectlError | undefined {
  const failed = outcomes.filter((o) => o.code !== 0);
  if (failed.length === 0) return undefined;
  const failures = failed.map(
    (o) =>
      new EectlError(o.error?.message ?? `${o.host}: exited ${o.code}`, {
        code: o.error?.code ?? 'EEXEC',
        kind: 'external',
        host: o.host,
        suggestions: o.error?.suggestions,
      }),
  );
  return hostsFailedError(failures, {
    total: outcomes.length,
    headline: (hosts) => `the command failed on ${hosts}`,
    code: 'EEXEC',
    ownCodeWhenOne: false,
    kind: 'external',
    exitCode: ExitCode.failure,
    result,
  });
}
