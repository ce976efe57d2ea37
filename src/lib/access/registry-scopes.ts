import { privateCollection, type AccessPolicy, type RegistryNamespace } from './model.js';
import { inSystem } from '../config/access-names.js';
import { permissionsOf } from './policy.js';

/**
 * Registry scopes (Distribution's token authentication) and what a user of the access policy is granted
 * of them: the repository's namespace (its first path part) is a collection, and the user's role there
 * decides. Pure: the token service and `eectl access check --registry-scope` run it alike.
 */

/** One resource and the actions asked for it, as a `scope` parameter names them. */
export interface RegistryAccess {
  type: string;
  /** `repository(plugin)`: Distribution 2.8's registry ignores the class when it checks a token. */
  class?: string;
  name: string;
  actions: string[];
}

/** The actions eectl knows; anything else is never granted. */
export const REGISTRY_ACTIONS = ['pull', 'push', 'delete', '*'] as const;

/** Distribution's resource type, with an optional `(class)` (contrib/token-server, splitResourceClass). */
const TYPE = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/;
/** A repository path (distribution/reference): lowercase components joined by `/`, 255 characters at most. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const MAX_NAME = 255;

/**
 * Parses `scope` parameters exactly as Distribution's token server does (ResolveScopeSpecifiers): three
 * parts split at the first two `:` (so a name with a `:` leaves the rest in the actions, which then match
 * nothing), the type with an optional `(class)`, actions split at `,`. Malformed specifiers are dropped.
 */
export function parseScopes(specifiers: readonly string[]): RegistryAccess[] {
  const byResource = new Map<string, RegistryAccess>();
  for (const spec of specifiers) {
    const first = spec.indexOf(':');
    const second = first < 0 ? -1 : spec.indexOf(':', first + 1);
    if (second < 0) continue;
    const typed = TYPE.exec(spec.slice(0, first));
    if (!typed) continue;
    const [, type, cls] = typed as unknown as [string, string, string | undefined];
    const name = spec.slice(first + 1, second);
    const key = `${type}\u0000${cls ?? ''}\u0000${name}`;
    let access = byResource.get(key);
    if (!access) {
      access = { type, ...(cls !== undefined && { class: cls }), name, actions: [] };
      byResource.set(key, access);
    }
    for (const action of spec.slice(second + 1).split(',')) {
      if (!access.actions.includes(action)) access.actions.push(action);
    }
  }
  return [...byResource.values()];
}

/** A scope as the token spec writes it, for logs and messages. */
export function formatScope(a: RegistryAccess): string {
  return `${a.type}${a.class ? `(${a.class})` : ''}:${a.name}:${a.actions.join(',')}`;
}

/** Whether `name` is a repository path Distribution accepts. */
export function validRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME && name.split('/').every((c) => COMPONENT.test(c));
}

/** Where a repository belongs: a namespace of the file, a user's private namespace, or nowhere. */
export function repositoryCollection(
  policy: AccessPolicy,
  repository: string,
): { collection: string; namespace?: RegistryNamespace } | undefined {
  const slash = repository.indexOf('/');
  if (slash < 0) return undefined;
  const ns = repository.slice(0, slash);
  const mapped = policy.registry?.namespaces.find((n) => n.name === ns);
  if (mapped) return { collection: mapped.collection, namespace: mapped };
  if (policy.users.some((u) => u.name === ns)) return { collection: privateCollection(ns) };
  return undefined;
}

/** The decision on one requested resource: what is granted of it and why the rest is not. */
export interface AccessDecision {
  requested: RegistryAccess;
  granted: string[];
  reason: string;
}

/**
 * The registry actions a user has on a collection, from the access model's permissions (grants of the
 * user and their teams, inherited by child collections, the private collection included; never /System):
 * view → pull (viewOnly and up); create and update → push (restrictedControl, fullControl);
 * unrestricted → delete (fullControl only).
 */
export function registryActionsOn(policy: AccessPolicy, user: string, collection: string): Set<string> {
  const permissions = permissionsOf(policy, user, collection);
  const actions = new Set<string>();
  if (permissions.has('view')) actions.add('pull');
  if (permissions.has('create') && permissions.has('update')) actions.add('push');
  if (permissions.has('unrestricted')) actions.add('delete');
  return actions;
}

/**
 * What `user` (a user of the policy, already authenticated and not revoked) is granted of each requested
 * resource. Admins get everything they ask for on valid repository names and the catalog; everyone else
 * gets repository actions by their role on the namespace's collection, and pull on public namespaces.
 * Anything unknown (types, actions, names, namespaces) is granted nothing.
 */
export function decideScopes(
  policy: AccessPolicy,
  userName: string,
  requested: readonly RegistryAccess[],
): AccessDecision[] {
  const user = policy.users.find((u) => u.name === userName);
  return requested.map((r): AccessDecision => {
    const refuse = (reason: string): AccessDecision => ({ requested: r, granted: [], reason });
    if (!user) return refuse(`${userName} is not a user of the access policy`);
    const unknown = r.actions.filter((a) => !(REGISTRY_ACTIONS as readonly string[]).includes(a));
    const known = r.actions.filter((a) => (REGISTRY_ACTIONS as readonly string[]).includes(a));
    const note = unknown.length > 0 ? ` (unknown actions ${unknown.join(',')} refused)` : '';
    if (r.type === 'registry') {
      if (r.name !== 'catalog') return refuse(`registry resource ${r.name} is unknown`);
      return user.admin
        ? { requested: r, granted: known, reason: `admin${note}` }
        : refuse('the catalog is for admins only');
    }
    if (r.type !== 'repository') return refuse(`resource type ${r.type} is unknown`);
    if (!validRepositoryName(r.name)) return refuse(`${JSON.stringify(r.name)} is not a repository name`);
    if (user.admin) return { requested: r, granted: known, reason: `admin${note}` };
    const place = repositoryCollection(policy, r.name);
    if (!place) {
      return refuse(
        `namespace ${r.name.split('/')[0]} is not in registry.namespaces and is no user's private namespace`,
      );
    }
    if (inSystem(place.collection)) return refuse(`${place.collection} is for admins only`);
    const allowed = registryActionsOn(policy, user.name, place.collection);
    if (place.namespace?.public) allowed.add('pull');
    const granted = known.filter((a) => allowed.has(a));
    const missing = known.filter((a) => !allowed.has(a));
    const role = allowed.size === 0 ? 'no role' : `${[...allowed].join(', ')}`;
    const reason =
      missing.length === 0
        ? `${place.collection}${place.namespace?.public ? ' (public)' : ''}: ${role}${note}`
        : `${place.collection}: ${user.name} may ${allowed.size === 0 ? 'do nothing' : [...allowed].join(', ')} there, not ${missing.join(', ')}${note}`;
    return { requested: r, granted, reason };
  });
}

/**
 * What `user` is granted through the mirror `mirror` (a pull-through cache, pull-only): a repository
 * `library/alpine` there is judged as `<mirror>/library/alpine` on the registry, by the collection
 * registry.namespaces maps the mirror's name to (never a user's private namespace); admins may pull; only
 * `pull` is ever granted, and the decision keeps the name the mirror asked for.
 */
export function decideMirrorScopes(
  policy: AccessPolicy,
  userName: string,
  mirror: string,
  requested: readonly RegistryAccess[],
): AccessDecision[] {
  const user = policy.users.find((u) => u.name === userName);
  const mapped = policy.registry?.namespaces.find((n) => n.name === mirror);
  return requested.map((r): AccessDecision => {
    const refuse = (reason: string): AccessDecision => ({ requested: r, granted: [], reason });
    if (!user) return refuse(`${userName} is not a user of the access policy`);
    if (r.type !== 'repository') return refuse(`mirror ${mirror} serves repositories only, not ${r.type}`);
    if (!validRepositoryName(r.name)) return refuse(`${JSON.stringify(r.name)} is not a repository name`);
    const others = r.actions.filter((a) => a !== 'pull');
    const note = others.length > 0 ? ` (${others.join(',')} refused: a mirror is pull-only)` : '';
    if (!r.actions.includes('pull')) return refuse(`mirror ${mirror} is pull-only${note}`);
    if (user.admin) return { requested: r, granted: ['pull'], reason: `admin, mirror ${mirror}${note}` };
    if (!mapped)
      return refuse(`mirror ${mirror}: namespace ${mirror} is not in registry.namespaces (admins only)`);
    if (inSystem(mapped.collection)) return refuse(`${mapped.collection} is for admins only`);
    const pull = mapped.public || registryActionsOn(policy, user.name, mapped.collection).has('pull');
    return pull
      ? {
          requested: r,
          granted: ['pull'],
          reason: `mirror ${mirror}: ${mapped.collection}${mapped.public ? ' (public)' : ''}: pull${note}`,
        }
      : refuse(`mirror ${mirror}: ${mapped.collection}: ${user.name} may not pull there`);
  });
}
