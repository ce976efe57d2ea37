import { newClusterContext } from './runner/cluster-context.js';
import { composedPhase } from './runner/compose.js';
import type { NodeContext } from './runner/node-context.js';
import type { AnyPhase, Phase, With } from './runner/phase.js';
import { changeTarget } from './runner/node-wait.js';
import { notResetError, releaseResetLock, type ResetContext } from './reset-host.js';

/**
 * `node remove --reset`: once the node is out of the swarm, reset's phases (`resetPhases`, given by the
 * action) run for that one host (engine, its data and eectl's files removed), so it can be reused or joined
 * again from scratch. They run under the command's lock (re-entered: removing the first manager locks that
 * very host), and their changes are the command's. A dead host (--force) cannot be reset: that is a warning.
 */
export function nodeResetPhase(resetPhases: readonly AnyPhase<ResetContext>[]): Phase<NodeContext, 'spec'> {
  const resetHost = composedPhase<With<NodeContext, 'spec'>, ResetContext>({
    title: 'Reset the host',
    phases: resetPhases,
    context: (ctx, shared) => ({
      ...newClusterContext({
        config: { ...ctx.config, spec: { ...ctx.config.spec, hosts: [ctx.spec] } },
        // The command's session: its connection to the host is reused, and closed with the others.
        session: { connect: ctx.connect, close: () => Promise.resolve() },
        log: ctx.log,
        dryRun: ctx.changes.dryRun,
        concurrency: 1,
        progress: 'silent',
        signal: ctx.signal,
        lock: ctx.lock,
      }),
      ...shared,
      inventory: new Map(),
      unreachable: [],
      // The host is out of the swarm (under --dry-run: would be); the other managers stay in the cluster.
      checkManagers: false,
    }),
    after(ctx, inner) {
      if (inner.unreachable.length > 0) throw notResetError(inner, []);
      // The reset host held the lock (the first manager removed): its state directory goes with the lock.
      const { lock, host } = ctx;
      if (lock && host && lock.hostName === host.name) {
        ctx.releaseLock = () => releaseResetLock(lock, host, ctx.log);
      }
    },
  });
  return {
    title: resetHost.title,
    needs: ['spec'],
    shouldRun: (ctx) => ctx.reset && ctx.spec !== undefined,
    async run(ctx, out) {
      const spec = ctx.spec;
      if (!ctx.host) {
        const warning = `${spec.address}: cannot be reached, so it was not reset; reset it before it joins any swarm again`;
        ctx.warnings.push(warning);
        ctx.log.warn(warning);
        return;
      }
      out.report(spec.address, 'resetting');
      const before = ctx.changes.count;
      await resetHost.run(ctx, out);
      changeTarget(ctx).log.info(`reset: ${ctx.changes.count - before} change(s)`);
    },
  };
}
