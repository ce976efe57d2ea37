/**
 * The vocabulary of access control the cluster file and the managers share: roles, collection paths and the
 * two collections eectl keeps. It imports nothing: the authorization plugin ships it with access/model.ts.
 */

/** Roles of a grant, weakest first; `scheduler` stands apart (nodes, not workloads). */
export const ACCESS_ROLES = ['none', 'viewOnly', 'restrictedControl', 'scheduler', 'fullControl'] as const;

/** Managers and eectl's own services (the registry): admins only, whatever the grants say. */
export const SYSTEM_COLLECTION = '/System';

/** Where workers are, and every user's private collection below it. */
export const SHARED_COLLECTION = '/Shared';

/** A collection path: `/` or `/A/B`, each part letters, digits, `.`, `_`, `-` or `@`. */
export const COLLECTION_PATH = /^\/$|^(\/[A-Za-z0-9][A-Za-z0-9._@-]{0,63})+$/;

/** Whether `collection` is `ancestor` or below it (grants are inherited by child collections). */
export function within(collection: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return collection === ancestor || collection.startsWith(`${ancestor}/`);
}

/**
 * Whether a collection is /System or below it, in any spelling of case: swarmkit matches a placement
 * constraint's value without regard to case, so `node.labels.eectl.collection==/system` reaches the nodes
 * of /System, and no spelling of it may ever be granted.
 */
export function inSystem(collection: string): boolean {
  return within(collection.toLowerCase(), SYSTEM_COLLECTION.toLowerCase());
}
