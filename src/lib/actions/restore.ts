import { describeMapping } from '../backup/address-map.js';
import { HostDocker } from '../swarm/docker.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { convergePhase } from '../phases/converge.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { isHooksPhase } from '../phases/hooks.js';
import { lockPhase, lockPhaseFor } from '../phases/lock.js';
import { pkiPhase } from '../phases/pki.js';
import { registryPlanPhase } from '../phases/registry-plan.js';
import { restoreGuardPhase, type RestoreContext, type RestoreRequest } from '../phases/restore-guard.js';
import { restoreFilesPhase, restoreSwarmPhase } from '../phases/restore-swarm.js';
import { restoreServicesPhase, restoreVerifyPhase } from '../phases/restore-verify.js';
import { spreadHintPhase } from '../phases/spread-hint.js';
import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import { INSTALL_PHASES } from './install.js';
import type { RestoreResult } from '../results/backup.js';

/**
 * `eectl restore`: install's phases, with the restore woven in — what would be replaced is checked as soon
 * as the hosts' facts are known (the guard reads each host's swarm state) and before anything changes,
 * eectl's files go back before install reads them (CA, registry), the swarm comes back on the target
 * manager before the registry is planned and the others join it — then the services converge and the result is checked against the
 * manifest. The nodes joined one after the other, so the run ends by naming the services left crowded on
 * the first ones (the hint to rebalance).
 */
export const RESTORE_PHASES: AnyPhase<RestoreContext>[] = [
  ...(INSTALL_PHASES as AnyPhase<RestoreContext>[]).flatMap((phase): AnyPhase<RestoreContext>[] => {
    if (phase === lockPhase) return [lockPhaseFor('restore')];
    // spec.hooks names install, upgrade, backup and reset: a restore runs no install hooks.
    if (isHooksPhase(phase)) return [];
    if (phase === gatherFactsPhase) return [phase, restoreGuardPhase];
    if (phase === pkiPhase) return [restoreFilesPhase, phase];
    // The registry's plan reuses what the managers of the swarm keep: only once the swarm is back on the
    // target does it find the restored users, certificate and secrets (before, it would make new ones).
    if (phase === registryPlanPhase) return [];
    if (phase === convergePhase) return [restoreSwarmPhase, registryPlanPhase, phase];
    return [phase];
  }),
  restoreServicesPhase,
  restoreVerifyPhase,
  spreadHintPhase((ctx) => ctx.swarmManager),
];

export type RestoreOptions = ActionOptions & { request: RestoreRequest };

export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const ctx: RestoreContext = {
    ...newClusterContext(options),
    request: options.request,
    replacing: [],
    differences: [],
  };
  const report = await runAction(RESTORE_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  const wanted = new Set(options.request.manifest.services.map((s) => s.name));
  const services =
    !options.dryRun && ctx.swarmManager
      ? (await new HostDocker(ctx.swarmManager).services())
          .filter((s) => wanted.has(s.name))
          .map((s) => ({ name: s.name, running: s.running, desired: s.desired }))
      : [];
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    archive: options.request.archive,
    swarmId: options.request.manifest.swarmId,
    target: ctx.target?.name ?? '',
    replaced: ctx.replacing.map((h) => h.name),
    mapping: ctx.mapping ? describeMapping(ctx.mapping) : [],
    services,
    differences: ctx.differences,
    signature: options.request.signature,
    ...(ctx.uneven && { uneven: ctx.uneven }),
    changes: ctx.changes.entries,
    ...report,
  };
}
