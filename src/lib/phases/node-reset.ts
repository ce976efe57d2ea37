import type { NodeContext } from '../phase/node-context.js';
import { reset } from '../actions/reset.js';
import type { Phase } from '../phase/phase.js';
import { changeTarget } from './node-wait.js';

/**
 * `node remove --reset`: once the node is out of the swarm, runs `eectl reset` for that one host (engine,
 * its data and eectl's files removed), so it can be reused or joined again from scratch. Its changes are
 * recorded with this command's. A dead host (--force) cannot be reset: that is a warning.
 */
export const nodeResetPhase: Phase<NodeContext> = {
  title: 'Reset the host',
  shouldRun: (ctx) => ctx.reset && ctx.spec !== undefined,
  async run(ctx, out) {
    const spec = ctx.spec!;
    if (!ctx.host) {
      const warning = `${spec.address}: cannot be reached, so it was not reset; reset it before it joins any swarm again`;
      ctx.warnings.push(warning);
      ctx.log.warn(warning);
      return;
    }
    out.report(spec.address, 'resetting');
    const result = await reset({
      config: { ...ctx.config, spec: { ...ctx.config.spec, hosts: [spec] } },
      // The command's session: its connection to the host is reused, and closed with the others.
      session: { connect: ctx.connect, close: () => Promise.resolve() },
      log: ctx.log,
      dryRun: ctx.dryRun,
      concurrency: 1,
      progress: 'silent',
      // The host is out of the swarm (under --dry-run: would be); the other managers stay in the cluster.
      checkManagers: false,
      signal: ctx.signal,
    });
    for (const change of result.changes) ctx.changes.entries.push(change);
    changeTarget(ctx).log.info(`reset: ${result.changes.length} change(s)`);
  },
};
