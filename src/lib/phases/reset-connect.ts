import { excludedNames, type ClusterContext } from '../phase/cluster-context.js';
import { toEectlError } from '../errors.js';
import type { HostSpec } from '../config/schema.js';
import { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';
import { mapSettled } from '../util/concurrency.js';
import type { UnreachableHost } from '../results/report.js';

/**
 * Opens one connection per host, in parallel. Unlike install's connect phase, a host that cannot be reached
 * does not stop the run: it is kept in `unreachable` (its address, and why, without the address again) and
 * warned about with `consequence` (", so it is not reset"); the action decides what that means. `wanted`
 * picks the hosts to reach (identity sync: the managers only).
 */
export function tolerantConnectPhase(
  consequence: string,
  wanted: (spec: HostSpec) => boolean = () => true,
): Phase<ClusterContext & { unreachable: UnreachableHost[] }> {
  return {
    title: 'Connect to hosts',
    async run(ctx, out) {
      // Hosts left out with --exclude (upgrade's backup first) are not contacted.
      const excluded = new Set(excludedNames(ctx));
      const specs = ctx.config.spec.hosts.filter((s) => wanted(s) && !excluded.has(s.address));
      const settled = await mapSettled(specs, ctx.concurrency, async (spec) => {
        const host = new Host(spec, await ctx.connect(spec));
        out.report(spec.address, 'connected');
        return host;
      });
      for (const s of settled) {
        if (s.ok) continue;
        const full = toEectlError(s.error).message;
        const message = full.startsWith(`${s.item.address}: `) ? full.slice(s.item.address.length + 2) : full;
        ctx.unreachable.push({ host: s.item.address, message });
        ctx.log.warn(`${s.item.address}: cannot be reached${consequence}: ${message}`);
      }
      ctx.hosts = settled.flatMap((s) => (s.ok ? [s.value] : []));
    },
  };
}

/**
 * A reset of the others is still wanted when a host cannot be reached (a dead host is often why the
 * cluster is being torn down); the action reports those hosts at the end (exit 4).
 */
export const resetConnectPhase = tolerantConnectPhase(', so it is not reset');
