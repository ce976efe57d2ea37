import { newClusterContext, type ClusterContext } from './runner/cluster-context.js';
import { composedPhase } from './runner/compose.js';
import type { NodeContext } from './runner/node-context.js';
import type { AnyPhase } from './runner/phase.js';
import { changeTarget } from './runner/node-wait.js';

/**
 * After a promotion, install's phases (`installPhases`, given by the action) run over the file, which now
 * names the host a manager, so the new manager becomes a control-plane replica like the others: its API
 * certificates and mutual TLS, its engine restarted one manager at a time. On a converged cluster the other
 * hosts cost a second or two. They run under the command's lock (re-entered), and their changes are the
 * command's. Under --dry-run the promotion has not happened, so install's plan would not be the real one:
 * the phase says that it would run.
 */
export function nodeConvergePhase(installPhases: readonly AnyPhase<ClusterContext>[]): AnyPhase<NodeContext> {
  const converge = composedPhase<NodeContext, ClusterContext>({
    title: 'Converge the new manager (install)',
    phases: installPhases,
    context: (ctx, shared) => ({
      ...newClusterContext({
        config: (ctx.nextFile ?? ctx.file).config,
        // The command's session: connections are reused, and closed with the others at the end.
        session: { connect: ctx.connect, close: () => Promise.resolve() },
        log: ctx.log,
        dryRun: ctx.changes.dryRun,
        concurrency: ctx.concurrency,
        progress: 'silent',
        signal: ctx.signal,
        lock: ctx.lock,
      }),
      ...shared,
    }),
  });
  return {
    title: converge.title,
    shouldRun: (ctx) => ctx.node?.role === 'manager' || ctx.changes.dryRun,
    async run(ctx, out) {
      const target = changeTarget(ctx);
      if (ctx.changes.dryRun) {
        await ctx.changes.apply(
          target,
          'converge the cluster with install (control-plane API certificates for the new manager)',
          () => Promise.resolve(),
        );
        return;
      }
      out.report(target.name, 'install');
      await converge.run(ctx, out);
    },
  };
}
