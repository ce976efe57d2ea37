import { chooseBackupSource } from '../backup/source.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../host/docker.js';
import type { Host } from '../host/host.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { PhaseOutput } from '../phase/phase.js';
import { managerCounts } from '../swarm/nodes.js';
import { describeQuorum, hasQuorum } from '../swarm/quorum.js';
import type { BackupContext, BackupPlan } from './backup-plan.js';
import { applySteps } from '../phase/steps.js';

/** How long the copied manager may take to be Reachable again (with the quorum whole) after its start. */
const BACK_IN_QUORUM_TIMEOUT_MS = 120_000;

/**
 * The one place where a backup stops an engine: the source manager's, only for `copy`, and only while the
 * other managers keep a majority — checked from another manager right before the stop, and awaited after
 * the start (the source Reachable again, the quorum whole). This is not the rolling path of upgrades: the
 * node is neither drained nor changed; its engine is paused so that its swarm state is still on disk.
 */
export async function withEngineStoppedForCopy(
  ctx: BackupContext,
  plan: BackupPlan,
  out: PhaseOutput,
  copy: () => Promise<void>,
): Promise<void> {
  const { source, contact } = plan;
  if (!plan.outage) await checkQuorumBeforeStop(plan);
  const service = serviceManagerFor(source.known.initSystem);
  await applySteps(ctx, source, service.stop('docker'), out);
  try {
    await copy();
  } finally {
    await applySteps(ctx, source, service.enableAndStart('docker'), out);
    if (!ctx.changes.dryRun) {
      await new HostDocker(source).waitUntilUp();
      if (plan.unlockKey) await new HostDocker(source).swarmUnlock(plan.unlockKey);
      await waitBackInQuorum(source, contact, plan, out);
    }
  }
}

async function checkQuorumBeforeStop(plan: BackupPlan): Promise<void> {
  const nodes = await new HostDocker(plan.contact).nodes();
  const choice = chooseBackupSource(nodes, [plan.sourceNode.addr]);
  if (!choice.ok || choice.node.id !== plan.sourceNode.id) {
    throw new EectlError(
      `cannot stop ${plan.source.name} for the copy: ${choice.ok ? `it became the leader` : choice.reason}; nothing was changed`,
      {
        code: 'EBACKUP_QUORUM',
        kind: 'user',
        exitCode: ExitCode.preflight,
        host: plan.source.name,
        suggestions: choice.ok ? ['Run backup again: it picks another manager.'] : choice.suggestions,
      },
    );
  }
}

async function waitBackInQuorum(
  source: Host,
  contact: Host,
  plan: BackupPlan,
  out: PhaseOutput,
): Promise<void> {
  const deadline = Date.now() + BACK_IN_QUORUM_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const nodes = await new HostDocker(contact).nodes().catch(() => []);
    const me = nodes.find((n) => n.id === plan.sourceNode.id);
    const counts = managerCounts(nodes);
    last = nodes.length === 0 ? 'the swarm does not answer yet' : describeQuorum(counts);
    if (me?.reachability === 'reachable' && me.state === 'ready' && hasQuorum(counts)) {
      source.log.info(`engine back, manager reachable; ${last}`);
      return;
    }
    out.report(source.name, `waiting until the manager is reachable again (${last})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new EectlError(
    `${source.name}: its engine started again but the manager is not reachable (${last})`,
    {
      code: 'EBACKUP_NOT_BACK',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: source.name,
      suggestions: [`Look at \`journalctl -u docker\` on ${source.name}; \`eectl status\` shows the quorum.`],
    },
  );
}
