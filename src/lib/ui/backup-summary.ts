import type { BackupResult } from '../results/backup.js';
import { renderHooks } from './hooks-render.js';
import type { Manifest } from '../backup/manifest.js';
import type { TrustedArchive } from '../backup/trusted-archive.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The human summary of `eectl backup`. */
export function renderBackupSummary(r: BackupResult): string {
  const c = r.counts;
  const what = `${c.nodes} nodes, ${c.services} services, ${c.secrets} secrets, ${c.configs} configs, ${c.networks} networks`;
  const lines = r.dryRun
    ? [
        `Dry run: backup of cluster ${r.cluster} (swarm ${r.swarmId}) would copy from ${r.source.host} (${r.source.hostname}):`,
        ...r.changes.map((ch) => `  would ${ch.description} on ${ch.host}`),
        `  and write ${r.archive} (${what}${r.registryData ? ', registry storage' : ''})`,
        `  with its manifest signed by the cluster CA (SHA-256 ${r.signedBy.slice(0, 16)}…)`,
      ]
    : [
        `Backup of cluster ${r.cluster} (swarm ${r.swarmId}) from ${r.source.host} (${r.source.hostname}) in ${r.seconds.toFixed(1)} s:`,
        `  ${r.archive} (${mib(r.bytes ?? 0)}, ${c.files ?? 0} files; ${what})`,
        `  manifest signed by the cluster CA (SHA-256 ${r.signedBy.slice(0, 16)}…)`,
        r.registryData
          ? '  with the registry storage'
          : "  without the registry's image data (left to the storage's own snapshots; --include-registry-data adds it)",
      ];
  if (r.outage)
    lines.push(
      '  The only manager was drained and stopped for the copy (a short outage of swarm management).',
    );
  for (const p of r.pruned) lines.push(`  removed ${p} (--keep)`);
  for (const u of r.unreachable) lines.push(`  not reached: ${u.host}`);
  lines.push(...renderHooks(r.hooks));
  return lines.join('\n');
}

/** The manifest as `backup verify` prints it. */
export function renderManifest(path: string, check: TrustedArchive): string {
  const m: Manifest = check.manifest;
  const s = check.signature;
  const lines = [
    `${path}: OK, every checksum matches (${check.files} files, ${mib(check.bytes)})`,
    s.verified
      ? `  signed by the CA of ${s.anchor} (SHA-256 ${s.signer.slice(0, 16)}…)`
      : `  NOT VERIFIED (--accept-unsigned): ${s.problem}`,
    `  cluster ${m.cluster}, swarm ${m.swarmId}, taken ${m.createdAt} by eectl ${m.eectlVersion}`,
    `  from ${m.source.hostname} (${m.source.address})${m.autolock ? ', autolocked (unlock key inside)' : ''}`,
    `  registry storage: ${m.registryData ? 'included' : 'not included'}`,
    'Nodes:',
    ...m.nodes.map(
      (n) =>
        `  ${n.hostname.padEnd(16)} ${n.address.padEnd(15)} ${n.role.padEnd(8)} engine ${n.engineVersion}`,
    ),
    'Services:',
    ...m.services.map(
      (s) =>
        `  ${s.name} (${s.mode === 'global' ? 'global' : `${s.replicas} replicas`})` +
        (s.secrets.length ? ` secrets: ${s.secrets.join(', ')}` : '') +
        (s.configs.length ? ` configs: ${s.configs.join(', ')}` : '') +
        (s.networks.length ? ` networks: ${s.networks.join(', ')}` : ''),
    ),
    `Secrets: ${m.secrets.map((s) => s.name).join(', ') || 'none'}`,
    `Configs: ${m.configs.map((s) => s.name).join(', ') || 'none'}`,
    `Networks: ${m.networks.map((s) => s.name).join(', ') || 'none'}`,
  ];
  return lines.join('\n');
}
