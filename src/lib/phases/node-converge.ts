import type { NodeContext } from '../phase/node-context.js';
import { install } from '../actions/install.js';
import type { Phase } from '../phase/phase.js';
import { changeTarget } from './node-wait.js';

/**
 * After a promotion, runs install over the file (now naming the host a manager), so the new manager
 * becomes a control-plane replica like the others: its API certificates and mutual TLS, its engine
 * restarted one manager at a time. On a converged cluster the other hosts cost a second or two. The
 * command's lock is handed over to install's own (the same host takes it).
 */
export const nodeConvergePhase: Phase<NodeContext> = {
  title: 'Converge the new manager (install)',
  shouldRun: (ctx) => ctx.node?.role === 'manager' || ctx.dryRun,
  async run(ctx, out) {
    const config = (ctx.nextFile ?? ctx.file).config;
    await ctx.changes.apply(
      changeTarget(ctx),
      'converge the cluster with install (control-plane API certificates for the new manager)',
      async () => {
        await ctx.lock?.release();
        ctx.lock = undefined;
        out.report(changeTarget(ctx).name, 'install');
        const result = await install({
          config,
          // The command's session: connections are reused, and closed with the others at the end.
          session: { connect: ctx.connect, close: () => Promise.resolve() },
          log: ctx.log,
          dryRun: false,
          concurrency: ctx.concurrency,
          progress: 'silent',
          signal: ctx.signal,
        });
        for (const change of result.changes) ctx.changes.entries.push(change);
      },
    );
  },
};
