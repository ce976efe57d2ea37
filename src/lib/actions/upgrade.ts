import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { newClusterContext } from '../phases/runner/cluster-context.js';
import { connectPhaseFor } from '../phases/connect.js';
import { excludedHostsPhase } from '../phases/excluded-hosts.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { hooksPhase } from '../phases/hooks.js';
import { imageBundlesPhase } from '../phases/image-bundles.js';
import { lockPhaseFor } from '../phases/lock.js';
import { pkiPhase } from '../phases/pki.js';
import { registryDeployPhase } from '../phases/registry-deploy.js';
import { registryHosts, registryPlanPhase } from '../phases/registry-plan.js';
import { registryTrustPhase } from '../phases/registry-trust.js';
import { spreadHintPhase } from '../phases/spread-hint.js';
import {
  onlyWhenUpgrading,
  upgradeDownloadPhase,
  upgradeFileAndBackupPhase,
  upgradePlanPhase,
  upgradeRollPhase,
  type UpgradeContext,
  type UpgradeOptions,
} from '../phases/upgrade.js';
import type { UpgradeResult } from '../results/upgrade.js';

/**
 * `eectl upgrade`: lock → facts → plan → confirm → hooks before → file → download everywhere → rolling engine upgrade →
 * registry image → which services the drains left crowded (the hint to rebalance).
 */
export const UPGRADE_PHASES: AnyPhase<UpgradeContext>[] = [
  connectPhaseFor('upgrade'),
  // Before any fact is read: what the plan decides from is what no other run changes.
  lockPhaseFor('upgrade'),
  gatherFactsPhase,
  excludedHostsPhase,
  upgradePlanPhase,
  // After the plan and the question, before the file, the backup and the first package: only when it upgrades.
  onlyWhenUpgrading(hooksPhase('upgrade', 'before')),
  upgradeFileAndBackupPhase,
  upgradeDownloadPhase,
  upgradeRollPhase,
  // The registry replicas' image, when the file names another: the registry's own rollout, one task at a time.
  { ...pkiPhase, shouldRun: (ctx) => registryHosts(ctx).length > 0 },
  registryPlanPhase,
  imageBundlesPhase,
  registryTrustPhase,
  registryDeployPhase,
  onlyWhenUpgrading(hooksPhase('upgrade', 'after')),
  // Only after hosts took their turns: a drained node came back to no tasks.
  spreadHintPhase(
    (ctx) => ctx.swarmManager,
    (ctx) => ctx.rolling.hosts.some((h) => h.drained),
  ),
];

export async function upgrade(options: UpgradeOptions): Promise<UpgradeResult> {
  const ctx: UpgradeContext = {
    ...newClusterContext(options),
    options,
    offers: new Map(),
    targets: new Map(),
    fileChanged: false,
    rolling: { batchSize: 0, hosts: [] },
    hooks: { action: 'upgrade', runs: [] },
  };
  const report = await runAction(UPGRADE_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    plan: setByPhases(ctx.plan, 'an upgrade plan'),
    file: {
      path: options.file.path,
      changed:
        ctx.fileChanged ||
        (options.dryRun &&
          options.to !== undefined &&
          options.to !== options.file.config.spec.engine.version),
    },
    ...(ctx.backupPath !== undefined && { backup: ctx.backupPath }),
    changes: ctx.changes.entries,
    hooks: ctx.hooks?.runs ?? [],
    rolling: ctx.rolling,
    ...(ctx.uneven && { uneven: ctx.uneven }),
    ...report,
  };
}
