import { posix } from 'node:path';
import type { ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import type { Facts } from '../host/facts-types.js';
import { DAEMON_JSON, API_DROP_IN, CERTS_D_DIR, EECTL_PATHS, INSTALL_RECORD_DIR } from '../host-layout.js';
import { configurerFor, type Step } from '../host/os/index.js';
import { removeEngineData } from '../host/os/packages.js';
import { rootCommand, upload } from '../host/os/steps.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { Phase } from './runner/phase.js';
import { mapSettled } from '../util/concurrency.js';
import { lockHost } from './lock.js';
import type { UnreachableHost } from '../results/report.js';
import type { ResetInventory } from './reset-inventory.js';
import {
  DROP_IN_DIR,
  isSystemdUnitPath,
  KEPT_WHILE_LOCKED,
  REMOVE_FIREWALL_SCRIPT,
  REMOVE_LINKS_SCRIPT,
  REMOVE_PATHS_SCRIPT,
} from '../host/reset-leftovers.js';
import { applySteps } from './runner/steps.js';
import type { ClusterLock } from '../cluster/lock.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../util/log.js';
import type { SwarmWorkloads } from '../swarm/workloads.js';
import { UNINTERRUPTIBLE } from '../ssh/signal-connection.js';

/** Lists names for a step's description: "a, b and c". */
const list = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/**
 * The steps that reset one host, from what the probe found there (nothing found: no steps): stop the
 * engine, purge its packages and what they pulled in, remove eectl's package source, the engine's data and
 * eectl's files, the engine's bridges, firewall chains and group. With an install record, what was there
 * before eectl stays (the probe left it out) and is put back: daemon.json, certs.d, the running engine;
 * the record goes last. `keep` is the lock this run holds there.
 */
export function resetSteps(facts: Facts, inventory: ResetInventory, keep: string | undefined): Step[] {
  const steps: Step[] = [];
  const service = serviceManagerFor(facts.initSystem);
  for (const name of inventory.activeServices) steps.push(...service.stop(name));

  // The configurer's removal ends with removeEngineData's two steps: its `rm -rf` of the engine's data
  // fails on a mount point (a data disk at /var/lib/docker) and both would run on a clean host too, so
  // reset takes only the package steps from it and removes the rest from what the probe found.
  const [dataStep, sourceStep] = removeEngineData([]).map((s) => s.description);
  const removal = configurerFor(facts).removeEngine([...inventory.packages, ...inventory.pulledIn]);
  if (inventory.packages.length > 0)
    steps.push(...removal.filter((s) => s.description !== dataStep && s.description !== sourceStep));
  if (inventory.sourceFiles.length > 0) steps.push(...removal.filter((s) => s.description === sourceStep));

  if (inventory.paths.length > 0) {
    steps.push(
      rootCommand(
        ['sh', '-c', REMOVE_PATHS_SCRIPT, 'sh', keep ?? '', ...inventory.paths],
        `remove ${list(inventory.paths)}`,
      ),
    );
    // Without a reload, systemd keeps the removed API drop-in in effect for a docker.service started later,
    // and eectl's removed units loaded.
    if (inventory.paths.some((p) => p === API_DROP_IN || p === DROP_IN_DIR || isSystemdUnitPath(p)))
      steps.push(...service.daemonReload());
  }
  if (inventory.links.length > 0) {
    steps.push(
      rootCommand(
        ['sh', '-c', REMOVE_LINKS_SCRIPT],
        `delete the engine's network links ${list(inventory.links)}`,
      ),
    );
  }
  if (inventory.firewall.length > 0) {
    const chains = [...new Set(inventory.firewall.flatMap((c) => /-X (\S+)$/.exec(c)?.[1] ?? []))];
    const what = chains.length > 0 ? `chains ${list(chains)} and the rules that use them` : 'rules';
    steps.push(rootCommand(['sh', '-c', REMOVE_FIREWALL_SCRIPT], `remove the engine's firewall ${what}`));
  }
  // /etc/docker stays when it was there before eectl: only what eectl changed in it goes back.
  if (inventory.restoreDaemonJson === null) {
    steps.push(
      rootCommand(['rm', '-f', DAEMON_JSON], `remove ${DAEMON_JSON} (there was none before install)`),
    );
  } else if (inventory.restoreDaemonJson !== undefined) {
    steps.push(
      upload(DAEMON_JSON, inventory.restoreDaemonJson, `put back ${DAEMON_JSON} as it was before install`),
    );
  }
  const added = inventory.etcDockerAdded ?? [];
  if (added.length > 0) {
    steps.push(
      rootCommand(
        ['rm', '-rf', '--one-file-system', ...added.map((e) => posix.join('/etc/docker', e))],
        `remove what the engine added to /etc/docker (${list(added)})`,
      ),
    );
  }
  const certsD = inventory.certsD ?? [];
  if (certsD.length > 0) {
    steps.push(
      rootCommand(
        ['rm', '-rf', '--one-file-system', ...certsD.map((e) => posix.join(CERTS_D_DIR, e))],
        `remove eectl's registry trust in ${CERTS_D_DIR} (${list(certsD)})`,
      ),
    );
  }
  // Unchecked: groupdel refuses when the group is some user's primary group, which is theirs to sort out.
  if (inventory.dockerGroup)
    steps.push(rootCommand(['groupdel', 'docker'], 'delete the docker group', { check: false }));
  if (inventory.startEngine) steps.push(...service.enableAndStart('docker'));
  // Last: a reset that stops before this still knows, when run again, what was there before eectl.
  if (inventory.record) {
    steps.push(
      rootCommand(
        ['sh', '-c', REMOVE_PATHS_SCRIPT, 'sh', keep ?? '', INSTALL_RECORD_DIR],
        `remove ${INSTALL_RECORD_DIR} (eectl's state and the install record)`,
      ),
    );
  }
  return steps;
}

/** Context of the reset phases. */
export interface ResetContext extends ClusterContext {
  inventory: Map<string, ResetInventory>;
  unreachable: UnreachableHost[];
  /** Refuse when the swarm has managers the file does not list (off for node remove's one-host reset). */
  checkManagers: boolean;
  /** The services and stacks destroyed with the swarm, read from a manager (not for a one-host reset). */
  workloads?: SwarmWorkloads;
}

/**
 * The error for hosts that were not reset (unreachable, or failed part-way): exit 4, because running reset
 * again finishes the job.
 */
export function notResetError(ctx: ResetContext, failed: EectlError[]): EectlError {
  const unreachable = ctx.unreachable.map(
    (u) => new EectlError(`${u.host}: not reached: ${u.message.split('\n')[0]}`, { code: 'EUNREACHABLE' }),
  );
  const verb = ctx.changes.dryRun ? 'could not plan the reset of' : 'did not reset';
  return hostsFailedError([...unreachable, ...failed], {
    total: ctx.config.spec.hosts.length,
    headline: (hosts) => `${verb} ${hosts}`,
    code: ctx.unreachable.length > 0 && failed.length === 0 ? 'EUNREACHABLE' : 'ERESET',
    ownCodeWhenOne: false,
    kind: 'external',
    exitCode: ExitCode.partial,
    suggestions: [
      'Run reset again once those hosts can be reached: hosts already reset are left as they are.',
    ],
  });
}

/** Resets every reachable host, in parallel: whatever fails on one host, the others are still reset. */
export const resetHostsPhase: Phase<ResetContext> = {
  title: 'Remove engines and eectl files',
  async run(ctx, out) {
    // The lock host keeps the lock's directory; the action removes it after releasing the lock.
    const keepOn = lockHost(ctx);
    const settled = await mapSettled(ctx.hosts, ctx.concurrency, async (host) => {
      const inventory = ctx.inventory.get(host.name)!;
      const steps = resetSteps(host.known, inventory, host === keepOn ? KEPT_WHILE_LOCKED : undefined);
      await applySteps(ctx, host, steps, out);
      if (!ctx.changes.dryRun) out.report(host.name, steps.length > 0 ? 'reset' : 'already clean');
    });
    const failed = settled.flatMap((s) => (s.ok ? [] : [toEectlError(s.error)]));
    if (failed.length > 0) throw notResetError(ctx, failed);
  },
};

/**
 * Releases the lock of a run that reset its own lock host, then removes the directory it lived in. The
 * reset removed everything of /var/lib/eectl but the lock it held; `rmdir` now takes the empty directory,
 * and leaves it when another run has taken the lock in the meantime (the directory is not empty then).
 * Not a recorded change: it only undoes what taking the lock created.
 */
export async function releaseResetLock(
  lock: ClusterLock,
  host: Host | undefined,
  log: Logger,
): Promise<void> {
  try {
    await lock.release();
    if (host && !lock.reentered) {
      await host.sudo(['rmdir', EECTL_PATHS[1]], { check: false, signal: UNINTERRUPTIBLE });
    }
  } catch (error) {
    log.warn(`could not release the cluster lock on ${lock.hostName}: ${String(error)}`);
  }
}
