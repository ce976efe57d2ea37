import { newClusterContext, type ActionOptions } from '../phases/runner/cluster-context.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { certsReadPhase, type CertsStatusContext } from '../phases/certs-read.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { tolerantConnectPhase } from '../phases/connect.js';
import { expiryWarnings } from '../pki/expiry.js';
import type { CertsStatusResult } from '../results/certs.js';

/**
 * `eectl certs status`: reachable hosts → facts → every certificate's expiry. It changes nothing and takes
 * no cluster lock (as `status`): an expiry is worth reading while another run holds the lock.
 */
export const CERTS_STATUS_PHASES: AnyPhase<CertsStatusContext>[] = [
  tolerantConnectPhase(', so its certificates are not read'),
  gatherFactsPhase,
  certsReadPhase,
];

/** Runs `eectl certs status` (see CERTS_STATUS_PHASES). */
export async function certsStatus(options: Omit<ActionOptions, 'dryRun'>): Promise<CertsStatusResult> {
  const ctx: CertsStatusContext = {
    ...newClusterContext({ ...options, dryRun: false }),
    unreachable: [],
    expiries: [],
    unread: [],
    stale: [],
  };
  const report = await runAction(CERTS_STATUS_PHASES, ctx, options.progress, async () => {});
  return {
    cluster: options.config.metadata.name,
    certificates: ctx.expiries,
    unread: ctx.unread,
    warnings: [...expiryWarnings(ctx.expiries), ...ctx.stale],
    ...report,
  };
}
