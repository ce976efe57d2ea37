import type { ClusterContext } from './runner/cluster-context.js';
import type { Host } from '../host/host.js';
import {
  RECORD_PROBE_SCRIPT,
  formatInstallRecord,
  newInstallRecord,
  parseInstallRecord,
  parseRecordProbe,
  type InstallRecord,
  type RecordProbe,
} from '../host/install-record.js';
import { INSTALL_RECORD, INSTALL_RECORD_DIR } from '../host-layout.js';
import { configurerFor } from '../host/os/index.js';
import type { Phase } from './runner/phase.js';
import { mapAll } from '../util/concurrency.js';

/** Reads a host's record probe (as root): the record, eectl's traces and what reset may put back. */
export async function probeRecord(host: Host): Promise<RecordProbe> {
  const r = await host.sudo(['sh', '-c', RECORD_PROBE_SCRIPT, 'sh', INSTALL_RECORD], { timeoutMs: 60_000 });
  return parseRecordProbe(r.stdout);
}

/** The engine packages installed on a host, as the configurer's query reports them. */
export async function installedEnginePackages(host: Host): Promise<string[]> {
  const configurer = configurerFor(host.known);
  const query = configurer.installedQuery();
  const installed = await host.exec(query.command, {
    sudo: query.sudo,
    check: query.check,
    timeoutMs: 60_000,
  });
  return configurer.parseInstalled(installed.stdout).map((p) => p.name);
}

/** The host's record as read, or undefined; a record that does not parse is reported and not used. */
export function recordOf(host: Host, probe: RecordProbe): InstallRecord | undefined {
  if (probe.record === undefined) return undefined;
  try {
    return parseInstallRecord(probe.record);
  } catch (error) {
    host.log.warn(`${INSTALL_RECORD} is unreadable (${(error as Error).message}): it is not used`);
    return undefined;
  }
}

/** Writes a host's record (root-only). */
async function writeRecord(host: Host, record: InstallRecord): Promise<void> {
  await host.sudo(['install', '-d', '-m', '0755', INSTALL_RECORD_DIR]);
  await host.conn.upload(INSTALL_RECORD, formatInstallRecord(record), { mode: 0o600, sudo: true });
}

/**
 * Before install first changes a host, records what was there (engine packages, the docker group,
 * /etc/docker's daemon.json and certs.d, whether the engine ran), so reset puts that back. A host that
 * eectl's own files show was installed by an older eectl gets no record: what is there now is partly
 * eectl's, and recording it as the operator's would make reset keep it; reset handles it as before.
 */
export const installRecordPhase: Phase<ClusterContext> = {
  title: 'Record what each host has before install',
  async run(ctx, out) {
    const records = (ctx.installRecords ??= new Map());
    await mapAll(ctx.hosts, ctx.concurrency, async (host) => {
      const probe = await probeRecord(host);
      const existing = recordOf(host, probe);
      if (existing) {
        records.set(host.name, existing);
        return;
      }
      if (probe.record !== undefined) return; // unreadable: left for the operator, never overwritten
      if (probe.traces.length > 0) {
        host.log.info(
          `no install record: eectl installed this host before records existed (${probe.traces.join(', ')}); reset removes the engine from it as before`,
        );
        return;
      }
      const packages = await installedEnginePackages(host);
      const record = newInstallRecord(probe, packages, host.facts?.engine?.running === true);
      const kept = packages.length > 0 ? `, keeps ${packages.join(', ')}` : '';
      await ctx.changes.apply(
        host,
        `record the host as it is before install (reset puts it back${kept})`,
        () => writeRecord(host, record),
      );
      records.set(host.name, record);
      if (!ctx.changes.dryRun) out.report(host.name, 'recorded');
    });
  },
};

/** Adds certs.d entries eectl wrote to the host's record, so reset removes them (and no other). */
export async function recordCertsD(
  ctx: ClusterContext,
  host: Host,
  entries: readonly string[],
): Promise<void> {
  const record = ctx.installRecords?.get(host.name);
  if (!record) return;
  const added = entries.filter((e) => !record.certsD.includes(e) && !record.certsDAdded.includes(e));
  if (added.length === 0) return;
  record.certsDAdded.push(...added);
  await writeRecord(host, record);
}
