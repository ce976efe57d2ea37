import type { HostSpec } from '../config/schema.js';
import { EectlError, ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import { gatherFacts } from '../host/facts.js';
import type { Facts } from '../host/facts-types.js';
import { formatBytes, renderTable } from '../util/table.js';
import { mapSettled } from '../util/concurrency.js';
import type { Session } from './session.js';

/** One host's facts, or why they could not be read. */
export type HostDescription =
  | { address: string; role: HostSpec['role']; ok: true; facts: Facts }
  | {
      address: string;
      role: HostSpec['role'];
      ok: false;
      error: { code: string; message: string; suggestions?: string[] };
    };

/**
 * A host as `eectl describe hosts --json` shows it: the facts, with the files eectl manages on the host
 * named with their size instead of their content (certificates, apt sources, daemon.json).
 */
export type DescribedHost =
  | { address: string; role: HostSpec['role']; ok: true; facts: PublicFacts }
  | Extract<HostDescription, { ok: false }>;
export type PublicFacts = Omit<Facts, 'files'> & { managedFiles: { path: string; bytes: number }[] };

/** `eectl describe hosts --json`'s result. */
export interface DescribeResult {
  hosts: DescribedHost[];
}

/** The result of `describe hosts`, from what `describeHosts` read. */
export function describeResult(rows: readonly HostDescription[]): DescribeResult {
  return {
    hosts: rows.map((r): DescribedHost => {
      if (!r.ok) return r;
      const { files, ...facts } = r.facts;
      const managedFiles = Object.entries(files).map(([path, text]) => ({
        path,
        bytes: Buffer.byteLength(text),
      }));
      return { ...r, facts: { ...facts, managedFiles } };
    }),
  };
}

/** Connects to every host in parallel and reads its facts (one round trip each after connecting). */
export async function describeHosts(
  hosts: readonly HostSpec[],
  session: Session,
  concurrency: number,
): Promise<HostDescription[]> {
  const settled = await mapSettled(hosts, concurrency, async (spec) =>
    gatherFacts(await session.connect(spec)),
  );
  return settled.map((s): HostDescription => {
    const base = { address: s.item.address, role: s.item.role };
    if (s.ok) return { ...base, ok: true, facts: s.value };
    const e = toEectlError(s.error);
    return { ...base, ok: false, error: { code: e.code, message: e.message, suggestions: e.suggestions } };
  });
}

/** The error of a `describe hosts` that could not read every host (exit 1), naming each; undefined when it read all. */
export function describeFailedError(
  rows: readonly HostDescription[],
  result: DescribeResult,
): EectlError | undefined {
  const failures = rows.flatMap((r) =>
    r.ok
      ? []
      : [
          new EectlError(r.error.message, {
            code: r.error.code,
            kind: 'external',
            host: r.address,
            suggestions: r.error.suggestions,
          }),
        ],
  );
  if (failures.length === 0) return undefined;
  return hostsFailedError(failures, {
    total: rows.length,
    headline: (hosts) => `cannot read ${hosts}`,
    code: 'EDESCRIBE',
    kind: 'external',
    exitCode: ExitCode.failure,
    result,
  });
}

/** The human table of `eectl describe hosts`. */
export function renderHostTable(rows: readonly HostDescription[]): string {
  const header = [
    'HOST',
    'ROLE',
    'HOSTNAME',
    'OS',
    'ARCH',
    'KERNEL',
    'INIT',
    'PKG',
    'CPUS',
    'MEMORY',
    'DISK FREE',
    'PRIVATE ADDRESSES',
    'ENGINE',
    'SWARM',
  ];
  const body = rows.map((r) => {
    if (!r.ok) return [r.address, r.role, `error: ${r.error.message.split('\n')[0]}`];
    const f = r.facts;
    const swarm =
      f.swarm && f.swarm.state !== 'inactive'
        ? `${f.swarm.state}${f.swarm.isManager ? ' (manager)' : ''}`
        : '-';
    return [
      r.address,
      r.role,
      f.hostname,
      `${f.os.id} ${f.os.versionId}`,
      f.arch,
      f.kernel,
      f.initSystem,
      f.packageManager,
      String(f.cpus),
      formatBytes(f.memoryBytes),
      formatBytes(f.diskFreeBytes),
      f.privateAddresses.join(',') || '-',
      f.engine?.serverVersion ?? (f.engine?.packageVersion ? `${f.engine.packageVersion} (stopped)` : '-'),
      swarm,
    ];
  });
  return renderTable(header, body);
}
