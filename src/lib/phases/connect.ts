import { excludedNames, type ClusterContext } from '../phase/cluster-context.js';
import { ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import { Host } from '../host/host.js';
import type { Phase } from '../phase/phase.js';
import { mapSettled } from '../util/concurrency.js';

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
