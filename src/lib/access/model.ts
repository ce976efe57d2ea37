/**
 * The access model after UCP 3.x, as the managers enforce it. This folder is uploaded to every manager and
 * run there by the authorization plugin, so its modules import only node: built-ins and each other (and
 * config/access-names.ts, the vocabulary the cluster file shares).
 */
import { ACCESS_ROLES, SHARED_COLLECTION } from '../config/access-names.js';

export type AccessRole = (typeof ACCESS_ROLES)[number];

/** What a role allows on the resources of a collection. */
export type Permission =
  | 'view' // inspect, list, logs
  | 'viewNodes' // nodes of the collection
  | 'create'
  | 'update'
  | 'delete'
  | 'exec' // exec, attach, copy files in and out
  | 'schedule' // run workloads on the nodes of the collection (node collections: see placement.ts)
  | 'unrestricted'; // any field of a body, beyond the allow-list (allow-list.ts): what reaches the node

export const ROLE_PERMISSIONS: Record<AccessRole, readonly Permission[]> = {
  none: [],
  viewOnly: ['view', 'viewNodes'],
  scheduler: ['viewNodes', 'schedule'],
  restrictedControl: ['view', 'viewNodes', 'create', 'update', 'delete', 'schedule'],
  fullControl: ['view', 'viewNodes', 'create', 'update', 'delete', 'exec', 'schedule', 'unrestricted'],
};

/** The label that puts a resource in a collection. */
export const COLLECTION_LABEL = 'eectl.collection';
export const privateCollection = (user: string): string => `${SHARED_COLLECTION}/Private/${user}`;

/** One grant: a role on a collection, for a user or a team. */
export interface PolicyGrant {
  user?: string;
  team?: string;
  role: AccessRole;
  collection: string;
}

/** A user refused from a moment on: every certificate of that name issued before `since`. */
export interface RevokedUser {
  user: string;
  /** ISO 8601. */
  since: string;
}

/** A cosign public key as the managers get it: a name for messages and the PEM. */
export interface PolicyKey {
  name: string;
  pem: string;
}

/** "Run only signed images" as the managers enforce it (from `spec.images.policy`). */
export interface ImagePolicyRules {
  requireSigned: boolean;
  /** Trusted for every workload. */
  keys: PolicyKey[];
  /** Trusted only for workloads in a collection (and below) or created by a team's members. */
  scoped: { collection?: string; team?: string; keys: PolicyKey[] }[];
  /** Image patterns of the file that may run unsigned. */
  allowUnsigned: string[];
  /**
   * eectl's own service images (the registry's), exactly as its service names them: admitted unsigned
   * only for an admin's create or update of one of `ownServices`.
   */
  ownImages: string[];
  /** eectl's own services by name (the registry's); absent in policies of older eectl: none. */
  ownServices?: string[];
  /** `host:port` names of the cluster registry: images must be there, and their signatures are read there. */
  registries: string[];
}

/** The policy file on every manager (what install writes from `spec.access` and `spec.images.policy`). */
export interface AccessPolicy {
  version: 1;
  cluster: string;
  /**
   * Access control is off (no `spec.access`): every certificate of the cluster CA has full control, as
   * without the plugin. The plugin runs anyway for the checks that hold for admins too (signed images).
   */
  open?: boolean;
  users: PolicyUser[];
  teams: { name: string; members: string[]; ldapGroup?: string }[];
  grants: PolicyGrant[];
  revoked: RevokedUser[];
  images?: ImagePolicyRules;
  /** The registry's token authentication (`registry.auth.token`); absent with htpasswd. */
  registry?: RegistryRules;
  /** The directory the token service checks directory users' passwords against (no secret in it). */
  directory?: DirectoryConnection;
}

/** A user of the policy: from the cluster file, or from the directory at the last sync. */
export interface PolicyUser {
  name: string;
  admin: boolean;
  defaultCollection: string;
  /** Where the user comes from; absent in policies of older eectl: the file. */
  source?: 'file' | 'ldap';
  /** A directory user's DN: the token service checks the password by a bind as this DN. */
  dn?: string;
}

/** How the token service reaches the directory (identity.ldap without the bind account). */
export interface DirectoryConnection {
  url: string;
  startTLS: boolean;
  /** ldap:// without TLS, on purpose. */
  insecure: boolean;
  /** The CA the directory's certificate is checked against; the system's CAs when absent. */
  caPem?: string;
  timeoutSeconds: number;
  /** When eectl last read the directory and wrote this policy (ISO 8601): `eectl identity ls` shows it. */
  syncedAt?: string;
}

/** A namespace of the registry: the first part of a repository path, and the collection it belongs to. */
export interface RegistryNamespace {
  name: string;
  collection: string;
  /** Every signed-in user may pull. */
  public: boolean;
}

/** A bcrypt hash as bcryptjs, `htpasswd -B` and Distribution write it (a file user's registry password). */
export const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** What the token service needs besides users and grants. */
export interface RegistryRules {
  /** The `service` the registry names in its challenge (auth.token.service), checked on every request. */
  service: string;
  /** The tokens' `iss` (auth.token.issuer). */
  issuer: string;
  expirySeconds: number;
  namespaces: RegistryNamespace[];
  /**
   * The pull-through caches (registry.mirrors): the `service` each one names in its challenge, and its
   * name, the namespace whose grants decide who may pull through it. Absent in policies of older eectl.
   */
  mirrors?: { name: string; service: string }[];
}

/** What the plugin and `eectl access check` answer for one request. */
export interface Decision {
  allow: boolean;
  /** Why: shown to the client on a denial (the engine prefixes the plugin's name), and in the audit log. */
  reason: string;
  /** The user, `(local socket)` without a certificate, or `(unknown)`. */
  user: string;
  /** What the request is about, e.g. `service web in /Shared/team`, or `info`. */
  resource: string;
  action: string;
}
