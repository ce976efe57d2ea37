import { excludedNames, type ClusterContext } from './runner/cluster-context.js';
import { ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import type { HostSpec } from '../config/schema.js';
import { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { mapSettled } from '../util/concurrency.js';
import type { UnreachableHost } from '../results/report.js';

/**
 * The two ways an action connects to the hosts of the file: every host must answer (`connectPhaseFor`), or
 * the run goes on without those that do not (`tolerantConnectPhase`). Node commands, which need a manager
 * only, reach them in `node-connect.ts`.
 */

/**
 * Opens one connection per host of the file, in parallel, leaving out the hosts excluded with --exclude
 * (never contacted); reports every host that cannot be reached. `command` is the action whose
 * `--exclude` the refusal suggests (none: the action has no such flag).
 */
export function connectPhaseFor(command?: 'install' | 'upgrade'): Phase<ClusterContext> {
  return {
    title: 'Connect to hosts',
    async run(ctx, out) {
      const excluded = new Set(excludedNames(ctx));
      for (const name of excluded) out.report(name, 'left out (--exclude): not contacted');
      const specs = ctx.config.spec.hosts.filter((s) => !excluded.has(s.address));
      const settled = await mapSettled(specs, ctx.concurrency, async (spec) => {
        const host = new Host(spec, await ctx.connect(spec));
        out.report(spec.address, 'connected');
        return host;
      });
      const failed = settled.flatMap((s, i) =>
        s.ok ? [] : [{ error: toEectlError(s.error), address: specs[i]!.address }],
      );
      if (failed.length > 0) {
        const down = failed.map((f) => f.address).join(',');
        throw hostsFailedError(
          failed.map((f) => f.error),
          {
            total: specs.length,
            headline: (hosts) => `cannot reach ${hosts}; nothing was changed`,
            code: 'ECONNECT',
            kind: 'user',
            exitCode: ExitCode.preflight,
            ...(command && {
              suggestions: [
                `If it stays down: eectl ${command} --exclude ${down} works on the other hosts and leaves it as it is.`,
              ],
            }),
          },
        );
      }
      ctx.hosts = settled.map((s) => (s as { value: Host }).value);
    },
  };
}

/** Connects to every host of the file (an action without --exclude). */
export const connectPhase = connectPhaseFor();

/**
 * Opens one connection per host, in parallel, for an action that can go on without some of them. Unlike
 * `connectPhaseFor`, a host that cannot be reached does not stop the run: it is kept in `unreachable` (its
 * address, and why, without the address again) and warned about with `consequence` (", so it is not
 * reset"; none for backup, whose plan decides); the action decides what that means. `wanted` picks the
 * hosts to reach (identity sync: the managers only).
 */
export function tolerantConnectPhase(
  consequence = '',
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
