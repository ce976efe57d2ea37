import type { AccessSpec } from '../config/schema.js';
import { privateCollection, type AccessPolicy, type RevokedUser } from './model.js';

/**
 * The policy file the managers enforce, from `spec.access` and the policies the managers have now. A user
 * the managers knew and the file no longer lists is revoked from this moment: every certificate of that
 * name issued before it is refused, even if the name comes back later (it then needs a new bundle).
 * Revocations are kept forever; they are a few bytes each.
 */
export function compilePolicy(
  cluster: string,
  access: AccessSpec,
  current: readonly AccessPolicy[],
  now = new Date(),
): AccessPolicy {
  const users = access.users.map((u) => ({
    name: u.name,
    admin: u.admin,
    defaultCollection: u.defaultCollection ?? privateCollection(u.name),
  }));
  const names = new Set(users.map((u) => u.name));
  const revoked = new Map<string, RevokedUser>();
  for (const policy of current) {
    for (const r of policy.revoked) {
      const known = revoked.get(r.user);
      if (!known || known.since < r.since) revoked.set(r.user, r);
    }
  }
  // Gone from the file: revoked now. The next run no longer finds the name among the users, so it keeps
  // this moment; a name that comes back and goes again is revoked again, from then.
  for (const policy of current) {
    for (const u of policy.users) {
      if (!names.has(u.name)) revoked.set(u.name, { user: u.name, since: now.toISOString() });
    }
  }
  return {
    version: 1,
    cluster,
    users,
    teams: access.teams.map((t) => ({ name: t.name, members: [...t.members] })),
    grants: access.grants.map((g) => ({
      ...(g.user !== undefined && { user: g.user }),
      ...(g.team !== undefined && { team: g.team }),
      role: g.role,
      collection: g.collection,
    })),
    revoked: [...revoked.values()].sort((a, b) => a.user.localeCompare(b.user)),
  };
}
