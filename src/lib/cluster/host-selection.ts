import type { ClusterConfig, HostSpec } from '../config/schema.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { hasQuorum, quorumSize } from '../swarm/quorum.js';

/** Which hosts of the file a run works on (`--hosts`, `--exclude`); pure, so the rules are tested without hosts. */
export interface HostSelection {
  /** The hosts the run changes, in file order. */
  selected: HostSpec[];
  /** Left out with --exclude: never contacted, never changed. */
  excluded: HostSpec[];
  /** Not named by --hosts (and not excluded): read, and left as they are. */
  notSelected: HostSpec[];
}

/** `A,B , C` → ['A', 'B', 'C']; an empty item is a usage error, since it usually hides a typo. */
export function parseHostList(flag: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) {
    throw new UsageError(`--${flag} "${value}": an empty host name; list hosts separated by commas`, {
      suggestions: [`eectl … --${flag} 10.0.0.21,10.0.0.22`],
    });
  }
  return items;
}

/** A host of the file by its address or its privateAddress, as the user may write either. */
function findHost(config: ClusterConfig, name: string): HostSpec | undefined {
  const wanted = name.toLowerCase();
  return config.spec.hosts.find(
    (h) => h.address.toLowerCase() === wanted || h.privateAddress?.toLowerCase() === wanted,
  );
}

function resolveNames(config: ClusterConfig, flag: string, names: readonly string[]): HostSpec[] {
  const unknown = names.filter((n) => findHost(config, n) === undefined);
  if (unknown.length > 0) {
    const valid = config.spec.hosts.map((h) =>
      h.privateAddress ? `${h.address} (${h.privateAddress})` : h.address,
    );
    throw new UsageError(
      `--${flag}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a host of the file; its hosts are ${valid.join(', ')}`,
      {
        code: 'EUNKNOWN_HOST',
        suggestions: ['Name hosts by their address in spec.hosts (or privateAddress).'],
      },
    );
  }
  return names.map((n) => findHost(config, n)!);
}

/**
 * The hosts named by `--hosts` (all when absent) minus those named by `--exclude`. Unknown names, an empty
 * selection and excluding the host that holds the cluster lock (the first manager of the file: every run
 * of this file locks there, so a run that skipped it could not exclude another) are refused before any
 * host is contacted.
 */
export function selectHosts(
  config: ClusterConfig,
  flags: { hosts?: readonly string[] | undefined; exclude?: readonly string[] | undefined },
): HostSelection {
  const named = flags.hosts === undefined ? undefined : new Set(resolveNames(config, 'hosts', flags.hosts));
  const excludedSet = new Set(resolveNames(config, 'exclude', flags.exclude ?? []));
  const all = config.spec.hosts;
  const excluded = all.filter((h) => excludedSet.has(h));
  const selected = all.filter((h) => (named === undefined || named.has(h)) && !excludedSet.has(h));
  const notSelected = all.filter((h) => named !== undefined && !named.has(h) && !excludedSet.has(h));
  if (selected.length === 0) {
    throw new UsageError('--hosts and --exclude leave no host to work on', {
      code: 'ENO_HOSTS',
      suggestions: ['Name at least one host in --hosts that --exclude does not also name.'],
    });
  }
  const lockHost = all.find((h) => h.role === 'manager');
  if (lockHost && excludedSet.has(lockHost)) {
    throw new EectlError(
      `--exclude ${lockHost.address}: it is the first manager of the file, where every run takes the cluster lock; a run without it could not keep another run out`,
      {
        code: 'EEXCLUDE_LOCK_HOST',
        kind: 'user',
        exitCode: ExitCode.preflight,
        host: lockHost.address,
        suggestions: [
          `Put another manager first in spec.hosts (every run of this file then locks there), then exclude ${lockHost.address}.`,
          `If ${lockHost.address} is gone for good: eectl node remove ${lockHost.address} --force.`,
        ],
      },
    );
  }
  return { selected, excluded, notSelected };
}

/** What the swarm says about its managers, for the quorum rule of --exclude. */
export interface ExcludedManagersState {
  /** Managers of the swarm (its membership, whatever the file says). */
  swarmManagers: number;
  /** Managers of the swarm that answer now and are not excluded: the run may count on these. */
  remainingReachable: number;
}

/**
 * Excluding managers is allowed only while the managers the run still reaches hold the quorum of the
 * swarm's managers: the run must be able to manage the swarm without them. Returns the refusal, or
 * undefined when allowed.
 */
export function excludedManagersRefusal(
  excluded: readonly string[],
  state: ExcludedManagersState | undefined,
): EectlError | undefined {
  if (excluded.length === 0) return undefined;
  const names = excluded.join(', ');
  if (state === undefined || state.swarmManagers === 0) {
    return new EectlError(
      `--exclude ${names}: no manager the run reaches is in a swarm, so the excluded manager may hold it; refusing to start another`,
      {
        code: 'EEXCLUDE_QUORUM',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: [`Bring ${names} back and run again without --exclude.`],
      },
    );
  }
  if (hasQuorum({ managers: state.swarmManagers, reachable: state.remainingReachable })) return undefined;
  const need = quorumSize(state.swarmManagers);
  return new EectlError(
    `--exclude ${names}: the swarm has ${state.swarmManagers} managers and needs ${need} for its quorum; without ${names} only ${state.remainingReachable} reachable would remain; nothing was changed`,
    {
      code: 'EEXCLUDE_QUORUM',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        'Exclude fewer managers, or bring the unreachable managers back first.',
        'If managers are gone for good: eectl node remove HOST --force takes each out of the swarm and the file.',
      ],
    },
  );
}
