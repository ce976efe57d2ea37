import { posix } from 'node:path';

/**
 * Where the registry's files live on the hosts (under /etc/eectl and /var/lib/eectl, where
 * backup and reset find them). The state directory is world-readable so the facts script, which runs as
 * the login user, reads the public certificate; everything secret in it is root-only (0600).
 */
export const REGISTRY_STATE_DIR = '/etc/eectl/registry';
/** The replicas' server certificate, kept on every manager: a later run reuses it while it is valid. */
export const REGISTRY_CERT_FILE = `${REGISTRY_STATE_DIR}/server-cert.pem`;
/** Its key (root, 0600). */
export const REGISTRY_KEY_FILE = `${REGISTRY_STATE_DIR}/server-key.pem`;
/** The htpasswd file as last deployed (root, 0600): bcrypt is salted, so reusing a hash is what keeps it stable. */
export const REGISTRY_HTPASSWD_FILE = `${REGISTRY_STATE_DIR}/htpasswd`;
/** The shared `http.secret` of every replica (root, 0600). */
export const REGISTRY_HTTP_SECRET_FILE = `${REGISTRY_STATE_DIR}/http-secret`;
/** The generated admin password (root, 0600): generated once, shown once, never regenerated. */
export const REGISTRY_ADMIN_PASSWORD_FILE = `${REGISTRY_STATE_DIR}/admin-password`;

/** The token-signing certificate (token auth; public) and its key (root, 0600), on every manager. */
export const REGISTRY_TOKEN_CERT_FILE = `${REGISTRY_STATE_DIR}/token-cert.pem`;
export const REGISTRY_TOKEN_KEY_FILE = `${REGISTRY_STATE_DIR}/token-key.pem`;

/** The bearer token with which the replicas reach the webhook relays (root, 0600): kept, so the config stays. */
export const REGISTRY_WEBHOOK_TOKEN_FILE = `${REGISTRY_STATE_DIR}/webhook-token`;

/** Every state file, in the order the state script prints them. */
export const REGISTRY_STATE_FILES = [
  REGISTRY_CERT_FILE,
  REGISTRY_KEY_FILE,
  REGISTRY_HTPASSWD_FILE,
  REGISTRY_HTTP_SECRET_FILE,
  REGISTRY_ADMIN_PASSWORD_FILE,
  REGISTRY_TOKEN_CERT_FILE,
  REGISTRY_TOKEN_KEY_FILE,
  REGISTRY_WEBHOOK_TOKEN_FILE,
] as const;

/** One marker per image bundle loaded on a host, named by the bundle's SHA-256. */
export const BUNDLES_DIR = '/var/lib/eectl/bundles';

/** The marker of a loaded bundle. */
export const bundleMarker = (sha256: string): string => `${BUNDLES_DIR}/${sha256}.loaded`;

/** Where a bundle is uploaded before it is checked and loaded (root-only, removed after the load). */
export const bundleUpload = (sha256: string): string => `${BUNDLES_DIR}/${sha256}.tar`;

/** Docker's per-registry trust directory: `ca.crt` there makes every engine trust the registry. */
export const CERTS_D_DIR = '/etc/docker/certs.d';

/** The CA file an engine reads for `host:port` (or `host` alone for port 443). */
export const certsDCaFile = (endpoint: string): string => posix.join(CERTS_D_DIR, endpoint, 'ca.crt');

/** Globs read with the facts (see host/facts.ts MANAGED_FILES): trust files and bundle markers. */
export const REGISTRY_MANAGED_FILES = [
  REGISTRY_CERT_FILE,
  REGISTRY_TOKEN_CERT_FILE,
  `${CERTS_D_DIR}/*/ca.crt`,
  `${BUNDLES_DIR}/*.loaded`,
];

/** Where the pull-through caches keep their images on the registry hosts: never inside the registry's own storage. */
export const REGISTRY_MIRRORS_DIR = '/var/lib/eectl/registry-mirrors';

/** One mirror's cache on a registry host (root, 0700): `registry gc` and `prune` never look there. */
export const mirrorCacheDir = (name: string): string => `${REGISTRY_MIRRORS_DIR}/${name}`;
