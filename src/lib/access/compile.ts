import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { AccessSpec, ClusterConfig } from '../config/schema.js';
import { clusterRegistries } from '../images/cluster-policy.js';
import { tokenAuthSettings } from '../registry/token-auth.js';
import {
  privateCollection,
  type AccessPolicy,
  type RegistryRules,
  type ImagePolicyRules,
  type PolicyKey,
  type RevokedUser,
} from './model.js';

/**
 * The policy file the managers enforce, from `spec.access` and the policies the managers have now. A user
 * the managers knew and the file no longer lists is revoked from this moment: every certificate of that
 * name issued before it is refused, even if the name comes back later (it then needs a new bundle).
 * Revocations are kept forever; they are a few bytes each.
 */
export function compilePolicy(
  cluster: string,
  access: AccessSpec | undefined,
  current: readonly AccessPolicy[],
  now = new Date(),
  images?: ImagePolicyRules,
): AccessPolicy {
  if (!access) {
    // Access control off: no users to revoke (a name is not dropped, the whole model is), old revocations kept.
    return {
      version: 1,
      cluster,
      open: true,
      users: [],
      teams: [],
      grants: [],
      revoked: mergedRevocations(current),
      ...(images && { images }),
    };
  }
  const users = access.users.map((u) => ({
    name: u.name,
    admin: u.admin,
    defaultCollection: u.defaultCollection ?? privateCollection(u.name),
  }));
  const names = new Set(users.map((u) => u.name));
  const revoked = new Map(mergedRevocations(current).map((r) => [r.user, r]));
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
    ...(images && { images }),
  };
}

/** The revocations of every manager's policy, the latest moment of each user. */
function mergedRevocations(current: readonly AccessPolicy[]): RevokedUser[] {
  const revoked = new Map<string, RevokedUser>();
  for (const policy of current) {
    for (const r of policy.revoked) {
      const known = revoked.get(r.user);
      if (!known || known.since < r.since) revoked.set(r.user, r);
    }
  }
  return [...revoked.values()].sort((a, b) => a.user.localeCompare(b.user));
}

/**
 * `spec.images.policy` for the managers: the keys' PEMs (named by file name, so every operator's
 * checkout writes the same file), the scopes and exceptions, the registry's names, and eectl's own
 * registry image as its service names it (`ownImages`), admitted unsigned only for an admin's create or
 * update of eectl's own service (`ownServices`).
 */
export function compileImagePolicy(
  config: ClusterConfig,
  ownImages: readonly string[],
  ownServices: readonly string[] = [],
): ImagePolicyRules {
  const spec = config.spec.images.policy;
  const key = (file: string): PolicyKey => ({ name: basename(file), pem: readFileSync(file, 'utf8') });
  return {
    requireSigned: spec.requireSigned,
    keys: spec.keys.map(key),
    scoped: spec.trust.map((t) => ({
      ...(t.collection !== undefined && { collection: t.collection }),
      ...(t.team !== undefined && { team: t.team }),
      keys: t.keys.map(key),
    })),
    allowUnsigned: [...spec.allowUnsigned],
    ownImages: [...new Set(ownImages)],
    ownServices: [...ownServices],
    registries: clusterRegistries(config),
  };
}

/**
 * What the token service needs from `registry.auth.token` and `registry.namespaces` (undefined with
 * htpasswd): the registry's service and issuer names, the tokens' lifetime, namespaces → collections.
 */
export function compileRegistryRules(config: ClusterConfig): RegistryRules | undefined {
  const token = tokenAuthSettings(config);
  if (!token) return undefined;
  return {
    service: token.service,
    issuer: token.issuer,
    expirySeconds: token.expirySeconds,
    namespaces: config.spec.registry.namespaces.map((n) => ({
      name: n.name,
      collection: n.collection,
      public: n.public,
    })),
  };
}
