import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { ExitCode, hostsFailedError, toEectlError } from '../errors.js';
import { mapSettled } from '../util/concurrency.js';
import { planFiles } from './converge/files.js';

/**
 * Reads every host's side of its files (one round trip each: checksums, modes, owners, the destination's
 * directory with symbolic links resolved) and refuses before any host changes (exit 3) when a destination
 * leads into eectl's own places or is not a regular file. Converging writes what this found different.
 */
export const filesCheckPhase: Phase<ClusterContext> = {
  title: 'Check the files to upload',
  shouldRun: (ctx) =>
    ctx.config.spec.files.length > 0 || ctx.hosts.some((h) => (h.spec.files ?? []).length > 0),
  async run(ctx) {
    ctx.files = new Map();
    const settled = await mapSettled(ctx.hosts, ctx.concurrency, async (host) => {
      const work = await planFiles(ctx, host);
      if (work) ctx.files!.set(host.name, work);
    });
    const failed = settled.flatMap((s) => (s.ok ? [] : [toEectlError(s.error)]));
    if (failed.length === 0) return;
    throw hostsFailedError(failed, {
      total: ctx.hosts.length,
      headline: (hosts) => `files refused on ${hosts}; nothing was changed`,
      code: 'EFILE_REFUSED',
      kind: 'user',
      exitCode: failed.every((e) => e.exitCode === ExitCode.preflight)
        ? ExitCode.preflight
        : ExitCode.failure,
    });
  },
};
