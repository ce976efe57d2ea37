import type { ClusterContext } from '../phase/cluster-context.js';
import type { DecryptionKeys } from '../backup/keys.js';
import type { Manifest } from '../backup/manifest.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';
import type { SwarmNode } from '../swarm/nodes.js';

/** What `eectl restore` is asked for, once the archive was checked whole. */
export interface RestoreRequest {
  archive: string;
  keys: DecryptionKeys;
  manifest: Manifest;
  /** The autolock key from the archive, for the restored manager's first start. */
  unlockKey?: string;
  force: boolean;
  /** Asks before a running swarm is replaced (--force): prompt, --yes, or refuse. */
  confirmReplace: (message: string) => Promise<boolean>;
}

export interface RestoreContext extends ClusterContext {
  nodes?: SwarmNode[];
  request: RestoreRequest;
  /** The manager that gets the swarm state: the one at the address it was copied from. */
  target?: Host;
  /** Hosts in a swarm now, which leave it first (only with --force). */
  replacing: Host[];
  /** What differs from the manifest after the restore (empty when everything came back). */
  differences: string[];
}

/**
 * Before anything changes: finds the manager at the archive's source address (a manager's Raft identity
 * includes its address, so the state goes back there), and refuses to run over a swarm — the same one,
 * running, or another — unless --force, saying what would be replaced.
 */
export const restoreGuardPhase: Phase<RestoreContext> = {
  title: 'Check what the restore would replace',
  async run(ctx, out) {
    const m = ctx.request.manifest;
    const target = ctx.hosts.find((h) => h.isManager && h.advertiseAddress === m.source.address);
    if (!target) {
      const have = ctx.hosts.filter((h) => h.isManager).map((h) => `${h.name} (${h.advertiseAddress})`);
      throw new EectlError(
        `the swarm state in ${ctx.request.archive} was copied on ${m.source.hostname} at ${m.source.address}, and no manager of the file advertises that address (${have.join(', ')}); nothing was changed`,
        {
          code: 'ERESTORE_ADDRESS',
          kind: 'user',
          exitCode: ExitCode.preflight,
          suggestions: [
            `Give a manager of the file the address ${m.source.address} (or privateAddress: ${m.source.address}): the restored manager keeps the Raft identity and address it had.`,
            'The other managers and the workers may have any address: they join the restored swarm as new nodes.',
          ],
        },
      );
    }
    ctx.target = target;
    out.report(target.name, `gets the swarm state of ${m.source.hostname}`);
    const inASwarm = ctx.hosts.filter((h) => h.facts?.swarm?.state && h.facts.swarm.state !== 'inactive');
    if (inASwarm.length === 0) return;
    const same = inASwarm.filter((h) => h.facts?.swarm?.clusterId === m.swarmId);
    const running = same.filter((h) => h.facts?.swarm?.isManager);
    const describe = inASwarm.map((h) =>
      h.facts?.swarm?.isManager
        ? `  ${h.name}: manager of swarm ${h.facts.swarm.clusterId ?? '(unknown)'}`
        : `  ${h.name}: worker in a swarm (managed from ${h.facts?.swarm?.remoteManagers.join(', ') || 'unknown managers'})`,
    );
    const what =
      running.length > 0
        ? `swarm ${m.swarmId} (the one in the archive) is running on ${running.map((h) => h.name).join(', ')}`
        : `${inASwarm.length} host${inASwarm.length === 1 ? ' is' : 's are'} in a swarm now`;
    const replaceMessage = `${what}; a restore replaces it: every host leaves its swarm, the swarm state of ${target.name} is replaced by the archive's, and services, secrets, configs and networks made since ${m.createdAt} are lost:\n${describe.join('\n')}`;
    if (!ctx.request.force) {
      throw new EectlError(`refusing to restore over a swarm: ${replaceMessage}\nNothing was changed.`, {
        code: 'ERESTORE_LIVE',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: [
          'To go back to the backup anyway, run restore again with --force.',
          'To restore onto other hosts, name them in a cluster file of their own (-c).',
        ],
      });
    }
    if (!ctx.changes.dryRun && !(await ctx.request.confirmReplace(`${replaceMessage}\nReplace it?`))) {
      throw new EectlError('restore cancelled: nothing was changed', {
        code: 'ECANCELLED',
        exitCode: ExitCode.failure,
      });
    }
    ctx.replacing = inASwarm;
  },
};
