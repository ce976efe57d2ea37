import type { ClusterConfig } from '../config/schema.js';
import type { AnyPhase } from '../phases/runner/phase.js';
import { runAction } from '../phases/runner/runner.js';
import { gatherFactsPhase } from '../phases/gather-facts.js';
import { hooksPhase } from '../phases/hooks.js';
import { lockHost, lockPhaseFor } from '../phases/lock.js';
import { tolerantConnectPhase } from '../phases/connect.js';
import { notResetError, releaseResetLock, resetHostsPhase, type ResetContext } from '../phases/reset-host.js';
import { isClean, resetInventoryPhase } from '../phases/reset-inventory.js';
import { resetManagersPhase } from '../phases/reset-managers.js';
import { leaveSwarmPhase } from '../phases/reset-swarm.js';
import { resetWorkloadsPhase } from '../phases/reset-workloads.js';
import {
  newClusterContext,
  type ActionOptions,
  type ClusterContext,
} from '../phases/runner/cluster-context.js';
import type { ResetResult } from '../results/install.js';

/**
 * `eectl reset`: reachable hosts → lock → facts → every manager of the swarm in the file → the services it
 * destroys → what is there
 * (less what the install records keep) → hooks before → swarm left → engines and files removed, the rest put
 * back → hooks after.
 */
export const RESET_PHASES: AnyPhase<ResetContext>[] = [
  // A reset of the others is still wanted when a host cannot be reached (a dead host is often why the
  // cluster is being torn down); the action reports those hosts at the end (exit 4).
  tolerantConnectPhase(', so it is not reset'),
  lockPhaseFor('reset'),
  gatherFactsPhase,
  resetManagersPhase,
  resetWorkloadsPhase,
  resetInventoryPhase,
  // Once everything to remove is known, before the first removal.
  hooksPhase('reset', 'before'),
  leaveSwarmPhase,
  resetHostsPhase,
  // Only when every host was reset: a run that skipped an unreachable host did not succeed.
  withReachableHosts(hooksPhase('reset', 'after')),
];

function withReachableHosts(phase: AnyPhase<ClusterContext>): AnyPhase<ResetContext> {
  return { ...phase, shouldRun: (ctx) => ctx.unreachable.length === 0 && (phase.shouldRun?.(ctx) ?? true) };
}

/** What reset is given. */
export type ResetOptions = ActionOptions & {
  /** Refuse when the swarm has managers the file lacks (default); node remove --reset resets a host it took out. */
  checkManagers?: boolean;
};

/** The confirmation question: what is destroyed, on how many hosts, and that quorum is not protected. */
export function resetWarning(config: ClusterConfig): string {
  const hosts = config.spec.hosts.map((h) => h.address);
  const named = hosts.length <= 5 ? hosts.join(', ') : `${hosts.slice(0, 5).join(', ')}, …`;
  return (
    `This destroys cluster ${config.metadata.name}: its ${hosts.length} host${hosts.length === 1 ? '' : 's'} ` +
    `(${named}) leave the swarm without quorum protection, and lose the engine and all services, ` +
    `containers, volumes and images on them, and every file eectl wrote. Reset?`
  );
}

/**
 * Resets the hosts of the file to how they were before install. Hosts that cannot be reached are skipped
 * and reported at the end (exit 4) after the others are reset.
 */
export async function reset(options: ResetOptions): Promise<ResetResult> {
  const ctx: ResetContext = {
    ...newClusterContext(options),
    inventory: new Map(),
    unreachable: [],
    checkManagers: options.checkManagers ?? true,
    hooks: { action: 'reset', runs: [] },
  };
  const report = await runAction(RESET_PHASES, ctx, options.progress, async () => {
    if (ctx.lock) await releaseResetLock(ctx.lock, lockHost(ctx), options.log);
  });
  if (ctx.unreachable.length > 0) throw notResetError(ctx, []);
  return {
    cluster: options.config.metadata.name,
    dryRun: options.dryRun,
    alreadyClean: ctx.changes.count === 0,
    ...(ctx.workloads && { destroys: ctx.workloads }),
    packages: packagesWithHosts(
      ctx.hosts.map((h) => {
        const inventory = ctx.inventory.get(h.name);
        // The engine's packages and what they pulled in go together, only when there are engine packages.
        const purged = inventory?.packages.length ? [...inventory.packages, ...inventory.pulledIn] : [];
        return { host: h.name, packages: purged };
      }),
    ),
    hosts: ctx.hosts.map((h) => {
      const inventory = ctx.inventory.get(h.name);
      return {
        host: h.name,
        role: h.role,
        clean: inventory !== undefined && isClean(inventory),
        removed: ctx.changes.forHost(h.name),
        kept: inventory?.kept ?? [],
        legacy: inventory?.legacy === true,
      };
    }),
    changes: ctx.changes.entries,
    hooks: ctx.hooks?.runs ?? [],
    ...report,
  };
}

/**
 * Each package once, with the hosts it is removed from (in the hosts' order), in the order the packages
 * first appear: what `reset --dry-run` lists once instead of once per host.
 */
export function packagesWithHosts(
  hosts: readonly { host: string; packages: readonly string[] }[],
): ResetResult['packages'] {
  const byName = new Map<string, string[]>();
  for (const h of hosts) {
    for (const name of h.packages) {
      const on = byName.get(name) ?? [];
      if (!on.includes(h.host)) on.push(h.host);
      byName.set(name, on);
    }
  }
  return [...byName].map(([name, on]) => ({ name, hosts: on }));
}
