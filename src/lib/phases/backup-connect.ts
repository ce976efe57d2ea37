import type { ClusterContext } from '../phase/cluster-context.js';
import { toEectlError } from '../errors.js';
import { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';
import { mapSettled } from '../util/concurrency.js';
import type { UnreachableHost } from './reset-connect.js';

/**
 * Opens one connection per host, in parallel. A host that cannot be reached does not stop the run here: a
 * backup needs only the managers it reads from and copies, and the plan then decides (a dead manager can
 * be exactly why the swarm cannot spare another one for the copy).
 */
export const backupConnectPhase: Phase<ClusterContext & { unreachable: UnreachableHost[] }> = {
  title: 'Connect to hosts',
  async run(ctx, out) {
    const settled = await mapSettled(ctx.config.spec.hosts, ctx.concurrency, async (spec) => {
      const host = new Host(spec, await ctx.connect(spec));
      out.report(spec.address, 'connected');
      return host;
    });
    for (const s of settled) {
      if (s.ok) continue;
      const message = toEectlError(s.error).message;
      ctx.unreachable.push({ host: s.item.address, message });
      ctx.log.warn(`${s.item.address}: cannot be reached: ${message}`);
    }
    ctx.hosts = settled.flatMap((s) => (s.ok ? [s.value] : []));
  },
};
