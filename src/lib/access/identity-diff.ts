import type { AccessPolicy, PolicyUser } from './model.js';

/** A user as `identity sync` reports it. */
export interface SyncUser {
  name: string;
  source: 'file' | 'ldap';
}

/** Who joins or leaves a team. */
export interface SyncMembership {
  team: string;
  user: string;
}

/** What a new policy changes for people, against the one the managers enforce. */
export interface IdentityDiff {
  usersAdded: SyncUser[];
  usersRemoved: SyncUser[];
  membershipsAdded: SyncMembership[];
  membershipsRemoved: SyncMembership[];
  /** Names whose certificates (and registry logins) stop working from this policy on. */
  revoked: string[];
}

const sourceOf = (u: PolicyUser): 'file' | 'ldap' => u.source ?? 'file';

/** The difference in users, team members and revocations between the policy in force and the next one. */
export function identityDiff(before: AccessPolicy | undefined, after: AccessPolicy): IdentityDiff {
  const old = new Map((before?.users ?? []).map((u) => [u.name, u]));
  const next = new Map(after.users.map((u) => [u.name, u]));
  const users = (from: Map<string, PolicyUser>, not: Map<string, PolicyUser>) =>
    [...from.values()]
      .filter((u) => !not.has(u.name))
      .map((u) => ({ name: u.name, source: sourceOf(u) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  const pairs = (p: AccessPolicy | undefined) =>
    new Set((p?.teams ?? []).flatMap((t) => t.members.map((m) => JSON.stringify([t.name, m]))));
  const was = pairs(before);
  const is = pairs(after);
  const memberships = (from: Set<string>, not: Set<string>) =>
    [...from]
      .filter((k) => !not.has(k))
      .sort()
      .map((k) => {
        const [team, user] = JSON.parse(k) as [string, string];
        return { team, user };
      });
  const revokedBefore = new Map((before?.revoked ?? []).map((r) => [r.user, r.since]));
  return {
    usersAdded: users(next, old),
    usersRemoved: users(old, next),
    membershipsAdded: memberships(is, was),
    membershipsRemoved: memberships(was, is),
    revoked: after.revoked
      .filter((r) => revokedBefore.get(r.user) !== r.since)
      .map((r) => r.user)
      .sort(),
  };
}

/** True when the diff changes nobody's access. */
export const diffIsEmpty = (d: IdentityDiff): boolean =>
  d.usersAdded.length +
    d.usersRemoved.length +
    d.membershipsAdded.length +
    d.membershipsRemoved.length +
    d.revoked.length ===
  0;
