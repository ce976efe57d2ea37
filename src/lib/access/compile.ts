import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { AccessSpec, ClusterConfig } from '../config/schema.js';
import { clusterRegistries } from '../images/cluster-policy.js';
import type { DirectoryGroup, DirectoryUser } from '../identity/directory.js';
import { sameDn } from '../identity/dn.js';
import { mirrorTokenService, tokenAuthSettings } from '../registry/token-auth.js';
import {
  privateCollection,
  type AccessPolicy,
  type DirectoryConnection,
  type RegistryRules,
  type ImagePolicyRules,
  type PolicyKey,
  type PolicyUser,
  type RevokedUser,
} from './model.js';

/** What the directory said (identity sync, install), and how the token service reaches it. */
export interface DirectoryInput {
  users: readonly DirectoryUser[];
  groups: readonly DirectoryGroup[];
  /** `policy.directory`: the connection without the bind account, and `syncedAt`. */
  connection: DirectoryConnection;
  /** Told each directory user left out because the file has the name. */
  warn?: (message: string) => void;
}

/**
 * The policy file the managers enforce, from `spec.access` and the policies the managers have now. A user
 * the managers knew and the file no longer lists is revoked from this moment: every certificate of that
 * name issued before it is refused, even if the name comes back later (it then needs a new bundle).
 * Revocations are kept forever; they are a few bytes each.
 *
 * With a directory, its users who are members of a group a team maps (`ldapGroup`) are users too, and
 * members of those teams; the others are no users at all, so one who leaves every mapped group (or the
 * directory) is revoked like a name removed from the file. A name in both: the file's user, alone.
 */
export function compilePolicy(
  cluster: string,
  access: AccessSpec | undefined,
  current: readonly AccessPolicy[],
  now = new Date(),
  images?: ImagePolicyRules,
  directory?: DirectoryInput,
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
  const fileUsers = access.users.map((u): PolicyUser => ({
    name: u.name,
    admin: u.admin,
    defaultCollection: u.defaultCollection ?? privateCollection(u.name),
    source: 'file',
  }));
  const fromDirectory = directory ? directoryMembers(access, directory) : undefined;
  const users = [...fileUsers, ...(fromDirectory?.users ?? [])];
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
    teams: access.teams.map((t) => ({
      name: t.name,
      members: [...new Set([...t.members, ...(fromDirectory?.members.get(t.name) ?? [])])],
      ...(t.ldapGroup !== undefined && { ldapGroup: t.ldapGroup }),
    })),
    grants: access.grants.map((g) => ({
      ...(g.user !== undefined && { user: g.user }),
      ...(g.team !== undefined && { team: g.team }),
      role: g.role,
      collection: g.collection,
    })),
    revoked: [...revoked.values()].sort((a, b) => a.user.localeCompare(b.user)),
    ...(images && { images }),
    ...(directory && { directory: directory.connection }),
  };
}

/**
 * The directory's users who are in a mapped group (source ldap, their DN, no admin, their private
 * collection), and each team's members from its group; names the file has are left out, with a warning.
 */
function directoryMembers(
  access: AccessSpec,
  directory: DirectoryInput,
): { users: PolicyUser[]; members: Map<string, string[]> } {
  const inFile = new Set(access.users.map((u) => u.name));
  const dnOf = new Map(directory.users.map((u) => [u.name, u.dn]));
  const members = new Map<string, string[]>();
  const chosen = new Set<string>();
  const collided = new Set<string>();
  for (const team of access.teams) {
    if (team.ldapGroup === undefined) continue;
    const group = directory.groups.find((g) => sameDn(g.dn, team.ldapGroup!));
    const names = (group?.members ?? []).filter((name) => {
      if (!dnOf.has(name)) return false;
      if (inFile.has(name)) {
        collided.add(name);
        return false;
      }
      return true;
    });
    members.set(team.name, names);
    for (const n of names) chosen.add(n);
  }
  for (const name of [...collided].sort()) {
    directory.warn?.(
      `${name} is a user of the cluster file and of the directory (${dnOf.get(name)}): the file's user is kept, the directory's left out`,
    );
  }
  const users = [...chosen].sort().map((name): PolicyUser => ({
    name,
    admin: false,
    defaultCollection: privateCollection(name),
    source: 'ldap',
    dn: dnOf.get(name)!,
  }));
  return { users, members };
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
    mirrors: config.spec.registry.mirrors.map((m) => ({
      name: m.name,
      service: mirrorTokenService(config.metadata.name, m.name),
    })),
  };
}
