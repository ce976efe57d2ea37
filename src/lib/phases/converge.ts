import { inSwarm, managers, type ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { mapSettled } from '../util/concurrency.js';
import { convergeEngine } from './converge/engine.js';
import { initSwarm, joinManager, joinWorker } from './converge/swarm-membership.js';
import { labelJoinedNode } from './label-nodes.js';

/** A promise with its resolve/reject exposed: "the swarm exists, through this manager" for hosts waiting to join. */
function signal<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (e: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Runs `work` one at a time: Raft membership changes (manager joins) must never overlap. */
function serial(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Engines and swarm membership, per host, without waiting for the slowest host: the first manager
 * initialises the swarm as soon as its own engine runs, and every other host joins as soon as its own
 * engine runs and the swarm exists — managers one at a time with a quorum check, workers in parallel —
 * and is labelled right after it joins.
 */
export const convergePhase: Phase<ClusterContext> = {
  title: 'Install engines and form the swarm',
  prepare(ctx) {
    ctx.swarmManager ??= managers(ctx).find((m) => inSwarm(m) && m.facts?.swarm?.isManager);
  },
  async run(ctx, out) {
    const swarmExists = signal<Host>();
    const managerJoins = serial();
    const founder = ctx.swarmManager ? undefined : managers(ctx)[0];
    if (ctx.swarmManager) swarmExists.resolve(ctx.swarmManager);
    // The founder first, so it is never queued behind hosts that wait for it.
    const ordered = founder ? [founder, ...ctx.hosts.filter((h) => h !== founder)] : ctx.hosts;
    const settled = await mapSettled(ordered, ctx.concurrency, async (host: Host) => {
      try {
        await convergeEngine(ctx, host, out);
        if (host === founder) {
          const { contact, founded } = await initSwarm(ctx, host);
          swarmExists.resolve(contact);
          if (founded) await labelJoinedNode(ctx, host, host);
          return;
        }
      } catch (error) {
        if (host === founder) swarmExists.reject(error);
        throw error;
      }
      const contact = await swarmExists.promise.catch(() => {
        throw new EectlError(`${host.name}: not joined, because the swarm could not be initialised`, {
          code: 'ENO_SWARM',
          kind: 'external',
          host: host.name,
        });
      });
      const joined = host.isManager
        ? await managerJoins(() => joinManager(ctx, contact, host))
        : await joinWorker(ctx, contact, host);
      // Its labels now, not after every other host has joined.
      if (joined && inSwarm(host)) await labelJoinedNode(ctx, contact, host);
      if (!ctx.changes.dryRun) out.report(host.name, 'in the swarm');
    });
    const failed = settled.filter((s) => !s.ok);
    if (failed.length > 0) {
      const errors = failed.map((s) => toEectlError((s as { error: unknown }).error));
      throw hostsFailedError(errors, {
        total: ctx.hosts.length,
        headline: (hosts) => `${hosts} did not converge`,
        code: 'EAPPLY',
        kind: 'external',
        exitCode: ExitCode.partial,
        suggestions: ['Run install again: it continues where it stopped.'],
      });
    }
  },
};
