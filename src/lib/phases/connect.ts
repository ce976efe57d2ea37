import type { ClusterContext } from '../phase/cluster-context.js';
import { EectlError, ExitCode, toEectlError } from '../errors.js';
import { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';
import { mapSettled } from '../util/concurrency.js';

/** Opens one connection per host, in parallel; reports every host that cannot be reached. */
export const connectPhase: Phase<ClusterContext> = {
  title: 'Connect to hosts',
  async run(ctx, out) {
    const specs = ctx.config.spec.hosts;
    const settled = await mapSettled(specs, ctx.concurrency, async (spec) => {
      const host = new Host(spec, await ctx.connect(spec));
      out.report(spec.address, 'connected');
      return host;
    });
    const failed = settled.filter((s) => !s.ok).map((s) => (s.ok ? undefined : toEectlError(s.error)));
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new EectlError(
        `cannot reach ${failed.length} of ${specs.length} hosts; nothing was changed:\n` +
          failed.map((e) => `  ${e!.message.split('\n').join('\n  ')}`).join('\n'),
        {
          code: failed.length === 1 ? first.code : 'ECONNECT',
          kind: 'user',
          exitCode: ExitCode.preflight,
          suggestions: [...new Set(failed.flatMap((e) => e!.suggestions))],
        },
      );
    }
    ctx.hosts = settled.map((s) => (s as { value: Host }).value);
  },
};
