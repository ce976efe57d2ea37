import type { HostSpec, Role } from '../config/schema.js';
import { CommandFailedError, UsageError, toEectlError } from '../errors.js';
import { mapSettled } from '../util/concurrency.js';
import type { Session } from './session.js';

/** One host's outcome of `eectl exec`. */
export interface ExecOutcome {
  host: string;
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
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
    return { host: s.item.address, code, stdout: '', stderr: '', error: e.message };
  });
}
