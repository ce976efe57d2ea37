import { X509Certificate } from 'node:crypto';
import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { tolerantConnectPhase } from '../phases/connect.js';
import { backupPlanPhase, type BackupContext, type BackupRequest } from '../phases/backup-plan.js';
import { backupWritePhase } from '../phases/backup-write.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { hooksPhase } from '../phases/hooks.js';
import { lockPhaseFor } from '../phases/lock.js';
import type { Manifest } from '../backup/manifest.js';
import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import type { BackupResult } from '../results/backup.js';

/** `eectl backup`: reachable hosts → lock → facts → plan (source, quorum) → hooks before → copy with the engine stopped → archive → hooks after. */
export const BACKUP_PHASES: AnyPhase<BackupContext>[] = [
  // Only the managers it reads from and copies are needed, so a host that cannot be reached does not
  // stop it here: the plan decides (a dead manager can be exactly why the swarm cannot spare another for
  // the copy).
  tolerantConnectPhase(),
  // Before any fact is read (as every action that changes hosts: the copy stops an engine).
  lockPhaseFor('backup'),
  gatherFactsPhase,
  backupPlanPhase,
  // After the plan (which refuses a backup that cannot be taken), before the engine stops.
  hooksPhase('backup', 'before'),
  backupWritePhase,
  hooksPhase('backup', 'after'),
];

export type BackupOptions = ActionOptions & { request: BackupRequest };

export async function backup(options: BackupOptions): Promise<BackupResult> {
  const ctx: BackupContext = {
    ...newClusterContext(options),
    unreachable: [],
    request: options.request,
    pruned: [],
    hooks: { action: 'backup', runs: [] },
  };
  const report = await runAction(BACKUP_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  const plan = setByPhases(ctx.plan, 'a backup plan');
  const manifest: Omit<Manifest, 'entries' | 'createdAt'> = ctx.written?.manifest ?? plan.manifest;
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    archive: ctx.written?.path ?? options.request.out,
    ...(ctx.written ? { bytes: ctx.written.bytes } : {}),
    source: { host: plan.source.name, hostname: plan.sourceNode.hostname },
    outage: plan.outage,
    swarmId: manifest.swarmId,
    registryData: manifest.registryData,
    signedBy: new X509Certificate(plan.signer.certPem).fingerprint256.replace(/:/g, '').toLowerCase(),
    counts: {
      nodes: manifest.nodes.length,
      services: manifest.services.length,
      secrets: manifest.secrets.length,
      configs: manifest.configs.length,
      networks: manifest.networks.length,
      ...(ctx.written ? { files: ctx.written.manifest.entries.length } : {}),
    },
    pruned: ctx.pruned,
    unreachable: ctx.unreachable,
    changes: ctx.changes.entries,
    hooks: ctx.hooks?.runs ?? [],
    ...report,
  };
}
