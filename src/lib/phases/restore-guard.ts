import type { ClusterContext } from './runner/cluster-context.js';
import { describeMapping, mapManagers, type ManagerMap, type ManagerMapping } from '../backup/address-map.js';
import type { DecryptionKeys } from '../backup/keys.js';
import type { Manifest } from '../backup/manifest.js';
import type { ArchiveSignature } from '../backup/signature.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import type { SwarmNode } from '../swarm/nodes.js';

/** What `eectl restore` is asked for, once the archive was checked whole. */
export interface RestoreRequest {
  archive: string;
  keys: DecryptionKeys;
  manifest: Manifest;
  /**
   * Who signed the archive, checked against the operator's trust anchor before the restore was started
   * (readTrustedArchive): verified, or accepted unverified with --accept-unsigned.
   */
  signature: ArchiveSignature;
  /** The autolock key from the archive, for the restored manager's first start. */
  unlockKey?: string;
  force: boolean;
  /** `--map OLD=NEW`: which manager of the file takes an old manager's place. */
  maps: ManagerMap[];
  /** Asks before a running swarm is replaced (--force): prompt, --yes, or refuse. */
  confirmReplace: (message: string) => Promise<boolean>;
}

export interface RestoreContext extends ClusterContext {
  nodes?: SwarmNode[];
  request: RestoreRequest;
  /** The manager that gets the swarm state (see mapManagers). */
  target?: Host;
  /** Old managers → new ones, and whether the target moves to a new address (with its helper). */
  mapping?: ManagerMapping<Host>;
  /** Hosts in a swarm now, which leave it first (only with --force). */
  replacing: Host[];
  /** What differs from the manifest after the restore (empty when everything came back). */
  differences: string[];
  /** Services left unevenly spread once everything runs (the hint to rebalance). */
  uneven?: string[];
}

/**
 * Before anything changes: decides which manager of the file gets the swarm state (the one `--map` names,
 * else the one at the archive's source address, else the first; see mapManagers) and shows the old-to-new
 * mapping of managers, and refuses to run over a swarm — the same one,
 * running, or another — unless --force, saying what would be replaced.
 */
export const restoreGuardPhase: Phase<RestoreContext> = {
  title: 'Check what the restore would replace',
  async run(ctx, out) {
    const m = ctx.request.manifest;
    const mapping = mapManagers(m, ctx.hosts, ctx.request.maps, ctx.request.archive);
    const target = mapping.target;
    ctx.mapping = mapping;
    const signed = ctx.request.signature;
    out.report(
      target.name,
      signed.verified
        ? `the archive is signed by the CA of ${signed.anchor} (SHA-256 ${signed.signer.slice(0, 16)}…)`
        : `the archive's signature is NOT verified (--accept-unsigned): ${signed.problem}`,
    );
    for (const line of describeMapping(mapping)) out.report(target.name, line);
    if (mapping.helper) {
      out.report(
        mapping.helper.host.name,
        `holds the quorum while ${target.name} hands off the Raft identity of ${m.source.address}${mapping.helper.temporary ? ' (a manager for the hand-off only, then a worker again)' : ''}`,
      );
    }
    ctx.target = target;
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
