import type { ClusterContext } from '../phase/cluster-context.js';
import { ExitCode, hostsFailedError, toEectlError } from '../errors.js';
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
    const failed = settled.flatMap((s) => (s.ok ? [] : [toEectlError(s.error)]));
    if (failed.length > 0) {
      throw hostsFailedError(failed, {
        total: specs.length,
        headline: (hosts) => `cannot reach ${hosts}; nothing was changed`,
        code: 'ECONNECT',
        kind: 'user',
        exitCode: ExitCode.preflight,
      });
    }
    ctx.hosts = settled.map((s) => (s as { value: Host }).value);
  },
};
