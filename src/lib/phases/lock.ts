import type { ClusterContext } from './runner/cluster-context.js';
import { ClusterLock } from '../cluster/lock.js';
import type { ClusterConfig, HostSpec } from '../config/schema.js';
import { EectlError, ExitCode, toEectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';

/**
 * Where every run locks the cluster: the first manager of the file, always. Not the first reachable one:
 * runs that see different hosts up would lock different hosts and both go on.
 */
export const lockSpec = (config: ClusterConfig): HostSpec | undefined =>
  config.spec.hosts.find((h) => h.role === 'manager');

/** The lock host among the hosts a run reached, or undefined when it could not be reached. */
export const lockHost = (ctx: Pick<ClusterContext, 'config' | 'hosts' | 'lock'>): Host | undefined => {
  // A run nested in a holder's (node remove --reset of one host) is under the holder's lock, wherever it is.
  const address = ctx.lock?.hostName ?? lockSpec(ctx.config)?.address;
  return ctx.hosts.find((h) => h.name === address);
};

/** The run stops, nothing changed, when the host that holds the lock cannot be reached. */
export function lockHostUnreachable(address: string, cause?: unknown): EectlError {
  const why = cause === undefined ? '' : ` (${toEectlError(cause).message.split('\n')[0]})`;
  return new EectlError(
    `the cluster lock lives on the first manager of the file, ${address}, which cannot be reached${why}; nothing was changed`,
    {
      code: 'ELOCK_HOST',
      kind: 'user',
      exitCode: ExitCode.preflight,
      host: address,
      suggestions: [
        `Bring ${address} back and run again.`,
        `If it is gone for good: eectl node remove ${address} --force takes it out of the swarm and the file (it locks the next manager of the file).`,
      ],
    },
  );
}

/**
 * Takes the cluster lock on the first manager of the file (`lockSpec`), so two runs cannot change the
 * cluster at once; it runs right after connecting, before any fact is read, so what a run decides from is
 * what no other run changes. The owner record names `command`. A dry run changes nothing and takes no
 * lock. The action releases it at the end, also on failure or interrupt. A run nested in another that
 * holds the lock already has it (re-entered, see `ClusterLock.reenter`) and takes nothing.
 */
export function lockPhaseFor(command: string): Phase<ClusterContext> {
  return {
    title: 'Lock the cluster',
    shouldRun: (ctx) => !ctx.changes.dryRun,
    async run(ctx) {
      if (ctx.lock) {
        ctx.log.debug(`cluster lock: held by the run this one is part of (${ctx.lock.hostName})`);
        return;
      }
      const spec = lockSpec(ctx.config);
      if (!spec) throw new Error('bug: a run that changes the cluster needs a manager in its file to lock');
      const host = lockHost(ctx);
      if (!host) throw lockHostUnreachable(spec.address);
      ctx.lock = await ClusterLock.acquire(host, command);
    },
  };
}

/** The lock of `eectl install`. */
export const lockPhase = lockPhaseFor('install');
