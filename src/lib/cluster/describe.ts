import type { HostSpec } from '../config/schema.js';
import { toEectlError } from '../errors.js';
import { gatherFacts } from '../host/facts.js';
import type { Facts } from '../host/facts-types.js';
import { formatBytes, renderTable } from '../ui/table.js';
import { mapSettled } from '../util/concurrency.js';
import type { Session } from './session.js';

/** One host's facts, or why they could not be read. */
export type HostDescription =
  | { address: string; role: HostSpec['role']; ok: true; facts: Facts }
  | { address: string; role: HostSpec['role']; ok: false; error: { code: string; message: string } };

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
    return { ...base, ok: false, error: { code: e.code, message: e.message } };
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
