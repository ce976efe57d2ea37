import { rollHosts } from './rolling/roll.js';
import type { PhaseOutput } from './runner/phase.js';
import type { BackupContext, BackupPlan } from './backup-plan.js';

/**
 * The one place where a backup stops an engine: the source manager's, only for `copy`, as one turn of the
 * rolling path like every other engine restart of a serving node: the quorum checked from another manager,
 * the node drained (its tasks run elsewhere first), the engine stopped, `copy` run, the engine started again
 * (also when the copy fails) and unlocked when the swarm is autolocked, the manager Ready and Reachable
 * with the quorum whole, the node active again. With one manager (`plan.outage`, confirmed before) there is
 * no other manager to check from: its tasks go to the other nodes, and the swarm is not managed meanwhile.
 */
export async function withEngineStoppedForCopy(
  ctx: BackupContext,
  plan: BackupPlan,
  out: PhaseOutput,
  copy: () => Promise<void>,
): Promise<void> {
  await rollHosts(
    ctx,
    [
      {
        host: plan.source,
        reasons: ['backup: its swarm state is copied with the engine stopped'],
        whileStopped: { what: 'copy its swarm state', run: copy },
      },
    ],
    out,
  );
}
