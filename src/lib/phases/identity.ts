import { directoryRead } from './converge/directory-read.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';

/**
 * Reads the directory before any host changes (the access plan uses what it read): a directory that cannot
 * be reached, a bind refused or a certificate refused stop the run with nothing changed.
 */
export const readDirectoryPhase: Phase<ClusterContext> = {
  title: 'Read the directory',
  shouldRun: (ctx) => ctx.config.spec.identity.ldap !== undefined && ctx.config.spec.access !== undefined,
  async run(ctx, out) {
    const read = await directoryRead(ctx);
    if (!read) return;
    const { snapshot } = read;
    const members = new Set(snapshot.groups.flatMap((g) => g.members));
    out.report(
      snapshot.url,
      `${snapshot.users.length} users, ${members.size} in ${snapshot.groups.filter((g) => g.found).length} mapped groups (${snapshot.roundTrips} round trips)`,
    );
  },
};
