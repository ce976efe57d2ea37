import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import { setByPhases, type AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import {
  certsRotateGuardPhase,
  certsRotatePlanPhase,
  certsServerFilesPhase,
  certsWatcherPhase,
  type CertsRotateContext,
  type RotateRequest,
} from '../phases/certs-rotate.js';
import { connectPhase } from '../phases/connect.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { lockPhase } from '../phases/lock.js';
import { pkiPhase } from '../phases/pki.js';
import { registryDeployPhase } from '../phases/registry-deploy.js';
import { rollingRestartPhase } from '../phases/rolling-restart.js';
import {
  caSummary,
  clusterCaFilesPhase,
  clusterCaPlanPhase,
  clusterCaRetirePhase,
  clusterCaWatcherPhase,
  retiredCaFile,
  type ClusterCaChange,
} from '../phases/certs-cluster-ca.js';
import { registryTrustPhase } from '../phases/registry-trust.js';
import { swarmCaRotatePhase } from '../phases/swarm-ca.js';
import type { CertsRotatePlan, CertsRotateResult, ClusterCaRotation } from '../results/certs.js';

/**
 * `eectl certs rotate`: lock → facts → every host in the swarm → install's CA decision → new certificates,
 * planned and confirmed → API server certificates written → engines restarted through the rolling path →
 * the registry's service updated → the watcher's certificate → (--swarm-ca) the swarm's CA and the wait.
 */
export const CERTS_ROTATE_PHASES: AnyPhase<CertsRotateContext>[] = [
  connectPhase,
  lockPhase,
  gatherFactsPhase,
  certsRotateGuardPhase,
  pkiPhase,
  certsRotatePlanPhase,
  certsServerFilesPhase,
  rollingRestartPhase(),
  registryDeployPhase,
  certsWatcherPhase,
  swarmCaRotatePhase,
];

/**
 * `eectl certs rotate --cluster-ca [--finish]`: lock → facts → every host in the swarm → the rotation's
 * stage read from the managers, planned and confirmed → the CA files (start: the new CA beside the old one
 * in every CA file; finish: the new CA alone, and server certificates it issued) → engines restarted
 * through the rolling path → (finish) the registry's new certificates → certs.d on every node → the
 * ingress watcher → (finish) the old CA retired, which ends the rotation.
 */
export const CERTS_CLUSTER_CA_PHASES: AnyPhase<CertsRotateContext>[] = [
  connectPhase,
  lockPhase,
  gatherFactsPhase,
  certsRotateGuardPhase,
  clusterCaPlanPhase,
  clusterCaFilesPhase,
  rollingRestartPhase(),
  registryDeployPhase,
  registryTrustPhase,
  clusterCaWatcherPhase,
  clusterCaRetirePhase,
];

/** What `eectl certs rotate` is given. */
export interface CertsRotateOptions extends ActionOptions {
  request: RotateRequest;
  /** Shown the plan before any change; throws to stop. */
  confirm: (plan: CertsRotatePlan) => Promise<void>;
}

/** Runs `eectl certs rotate` (see CERTS_ROTATE_PHASES). */
export async function certsRotate(options: CertsRotateOptions): Promise<CertsRotateResult> {
  const ctx: CertsRotateContext = {
    ...newClusterContext(options),
    request: options.request,
    confirm: options.confirm,
    serials: {},
  };
  const phases = options.request.clusterCa ? CERTS_CLUSTER_CA_PHASES : CERTS_ROTATE_PHASES;
  const report = await runAction(phases, ctx, options.progress, async () => ctx.lock?.release());
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    plan: setByPhases(ctx.plan, 'a rotation plan'),
    serials: ctx.serials,
    changes: ctx.changes.entries,
    warnings: ctx.warnings ?? [],
    ...(ctx.swarmCaDone && { swarmCa: ctx.swarmCaDone }),
    ...(ctx.clusterCaChange && {
      clusterCa: clusterCaRotation(
        options.config.metadata.name,
        ctx.clusterCaChange,
        options.request.finish === true,
      ),
    }),
    ...(ctx.rollingPreview && { rolling: ctx.rollingPreview }),
    ...report,
  };
}

/** Where the cluster CA rotation stands after this run, and what the operator does next. */
function clusterCaRotation(cluster: string, change: ClusterCaChange, finish: boolean): ClusterCaRotation {
  const reissue = change.oldBundles.map((b) => ({ user: b.user, dir: b.dir }));
  const commands = reissue.map((b) => `eectl client-config --user ${b.user} --out ${b.dir}`);
  const next = finish
    ? [
        ...(commands.length > 0
          ? ['These client bundles of the old CA are refused from now on; issue them again:', ...commands]
          : []),
        'Client bundles issued during the overlap keep working; their ca.pem still lists the old CA, which nothing signs with any more (issue them again to drop it).',
        ...(change.old !== undefined
          ? [
              `Backups made before the finish were signed by the old CA: verify or restore them with --trust ${retiredCaFile(cluster, change.old)}`,
            ]
          : []),
      ]
    : [
        ...(commands.length > 0
          ? ['Issue these client bundles of the old CA again (they work until the finish):', ...commands]
          : []),
        'Bundles issued from now on are signed by the new CA and work before and after the finish.',
        'Then end the overlap: eectl certs rotate --cluster-ca --finish',
      ];
  return {
    stage: finish ? 'finished' : 'overlap',
    ...(change.old !== undefined && { old: caSummary(change.old) }),
    new: caSummary(change.next.certPem),
    reissue,
    next,
  };
}
