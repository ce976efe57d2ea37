import type { ActionOptions } from './runner/cluster-context.js';
import { ChangeLog } from './runner/changes.js';
import type { NodeContext } from './runner/node-context.js';
import { ClusterLock } from '../cluster/lock.js';
import { EectlError, ExitCode, toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import { Host } from '../host/host.js';
import type { HostSpec } from '../config/schema.js';
import { lockHostUnreachable, lockSpec } from './lock.js';
import type { Phase, PhaseContext } from './runner/phase.js';

/** The context a node command needs to reach the swarm (ls and rebalance use it too, without a target). */
export type ManagerContext = Pick<
  NodeContext,
  'config' | 'connect' | 'log' | 'managers' | 'unreachable' | 'swarm' | 'contact' | 'nextContact'
>;

/**
 * A manager context for a read-only command (`node ls`, `ingress ls`): nothing reached yet, no lock; then
 * `reachManagers` finds the contact.
 */
export function readOnlyManagerContext(
  config: ManagerContext['config'],
  connect: ManagerContext['connect'],
  log: ManagerContext['log'],
): ManagerContext {
  return { config, connect, log, managers: [], unreachable: new Map(), swarm: new Map() };
}

/**
 * The context of a command that changes the swarm through one manager (rebalance, registry gc and prune),
 * before its first phase: nothing reached, nothing changed; the command adds its own fields.
 */
export function managerActionContext(
  options: Pick<ActionOptions, 'config' | 'session' | 'log' | 'dryRun' | 'concurrency' | 'signal'>,
): PhaseContext & ManagerContext {
  return {
    ...readOnlyManagerContext(options.config, (spec) => options.session.connect(spec), options.log),
    changes: new ChangeLog(options.dryRun),
    concurrency: options.concurrency,
    signal: options.signal,
  };
}

/**
 * Connects to the managers of the file one after the other, in file order, until one is a manager of an
 * active swarm: that one is the contact. The first reachable manager is where the lock goes, so the ones
 * before it must be tried anyway; the ones after it are never touched (a dead manager costs a connect
 * timeout). Unreachable managers are remembered, not fatal: a node command must work while one is down.
 */
export async function reachManagers(ctx: ManagerContext): Promise<Host> {
  const specs = ctx.config.spec.hosts.filter((h) => h.role === 'manager');
  let next = 0;
  const nextManager = async (): Promise<Host | undefined> => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      // Already tried for the lock and found down: a second connect timeout would tell nothing new.
      if (ctx.unreachable.has(spec.address)) continue;
      try {
        const host = new Host(spec, await ctx.connect(spec));
        const swarm = await new HostDocker(host)
          .swarmInfo()
          .catch((e: unknown) => void host.log.debug(`no swarm information: ${String(e)}`));
        ctx.managers.push(host);
        ctx.swarm.set(host.name, swarm ?? undefined);
        if (isSwarmManager(ctx, host)) return host;
      } catch (error) {
        ctx.unreachable.set(spec.address, toEectlError(error));
      }
    }
    return undefined;
  };
  ctx.contact = await nextManager();
  ctx.nextContact = nextManager;
  if (ctx.contact) return ctx.contact;
  const reasons = [...ctx.unreachable.entries()].map(([a, e]) => `  ${a}: ${e.message.split('\n')[0]}`);
  const inactive = ctx.managers.map((m) => `  ${m.name}: not a manager of an active swarm`);
  throw new EectlError(
    `no manager of the cluster file could be reached in a swarm; nothing was changed:\n${[...reasons, ...inactive].join('\n')}`,
    {
      code: 'ENO_MANAGER',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        ctx.managers.length > 0 && ctx.unreachable.size === 0
          ? 'Run `eectl install` first: it forms the swarm.'
          : 'Check that the managers are up and reachable over SSH, then run again.',
      ],
    },
  );
}

/** Whether a reached host is a manager of an active swarm, by its own account. */
export function isSwarmManager(ctx: Pick<NodeContext, 'swarm'>, host: Host): boolean {
  const swarm = ctx.swarm.get(host.name);
  return swarm?.state === 'active' && swarm.isManager;
}

/** Reaches the managers and picks the contact (see `reachManagers`). */
export const nodeConnectPhase: Phase<ManagerContext & PhaseContext> = {
  title: 'Reach the managers',
  async run(ctx, out) {
    const contact = await reachManagers(ctx);
    for (const [address, error] of ctx.unreachable) {
      ctx.log.warn(`${address}: manager unreachable (${error.message.split('\n')[0]})`);
    }
    out.report(contact.name, 'in the swarm');
  },
};

/**
 * Takes the cluster lock where every run takes it (`lockSpec`: the first manager of the file), before the
 * swarm is read, so a node command and an install cannot change the cluster at once. One exception keeps a
 * dead first manager removable: `node remove` naming it by its address locks the next manager of the file,
 * the first manager of the file as the command leaves it (every other run fails to reach the dead one's
 * lock, so none goes on beside it). A dry run takes no lock.
 */
export const nodeLockPhase: Phase<NodeContext> = {
  title: 'Lock the cluster',
  shouldRun: (ctx) => !ctx.changes.dryRun,
  async run(ctx) {
    const [first, second] = ctx.config.spec.hosts.filter((h) => h.role === 'manager');
    const command = `node ${ctx.command} ${ctx.target}`;
    const connect = async (spec: HostSpec) => new Host(spec, await ctx.connect(spec));
    let host: Host;
    try {
      host = await connect(first!);
    } catch (error) {
      const removingIt = ctx.command === 'remove' && ctx.target === first!.address && second;
      if (!removingIt) throw lockHostUnreachable(first!.address, error);
      ctx.unreachable.set(first!.address, toEectlError(error));
      ctx.log.warn(
        `${first!.address}: unreachable; the lock goes to the next manager of the file, ${second.address}`,
      );
      host = await connect(second).catch((e: unknown) => {
        throw lockHostUnreachable(second.address, e);
      });
    }
    ctx.lock = await ClusterLock.acquire(host, command);
  },
};

/**
 * Takes the cluster lock where every run takes it (`lockSpec`: the first manager of the file), before the
 * swarm is read, for a run that reaches the swarm through a manager context without a node to act on
 * (`eectl rebalance`). A dry run takes no lock.
 */
export function managerLockPhase(command: string): Phase<ManagerContext & PhaseContext> {
  return {
    title: 'Lock the cluster',
    shouldRun: (ctx) => !ctx.changes.dryRun,
    async run(ctx) {
      const spec = lockSpec(ctx.config);
      if (!spec) throw new Error('bug: a run that changes the cluster needs a manager in its file to lock');
      const connection = await ctx.connect(spec).catch((e: unknown) => {
        throw lockHostUnreachable(spec.address, e);
      });
      ctx.lock = await ClusterLock.acquire(new Host(spec, connection), command);
    },
  };
}
