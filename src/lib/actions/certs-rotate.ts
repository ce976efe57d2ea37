import { newClusterContext, type ActionOptions } from '../phase/cluster-context.js';
import { setByPhases, type AnyPhase } from '../phase/phase.js';
import { runAction } from '../phase/runner.js';
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
import { swarmCaRotatePhase } from '../phases/swarm-ca.js';
import type { CertsRotatePlan, CertsRotateResult } from '../ui/results/certs.js';

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
  const report = await runAction(CERTS_ROTATE_PHASES, ctx, options.progress, async () => ctx.lock?.release());
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    plan: setByPhases(ctx.plan, 'a rotation plan'),
    serials: ctx.serials,
    changes: ctx.changes.entries,
    warnings: ctx.warnings ?? [],
    ...(ctx.swarmCaDone && { swarmCa: ctx.swarmCaDone }),
    ...(ctx.rollingPreview && { rolling: ctx.rollingPreview }),
    ...report,
  };
}

export type { CertsRotatePlan, CertsRotateResult } from '../ui/results/certs.js';
