/** Where the authorization plugin lives on every manager. */

/** The name in daemon.json's `authorization-plugins`; the engine finds the socket by it. */
export const PLUGIN_NAME = 'eectl-authz';
/**
 * The plugin's socket, outside /run/docker/plugins (the engine's own directory for managed plugins): the
 * engine finds it through PLUGIN_SPEC, a legacy plugin spec file that holds its address.
 */
export const PLUGIN_SOCKET = `/run/${PLUGIN_NAME}/${PLUGIN_NAME}.sock`;
export const PLUGIN_SPEC = `/etc/docker/plugins/${PLUGIN_NAME}.spec`;
/** The Node.js runtime and the plugin's modules (in the folders they have under dist/lib). */
export const AUTHZ_DIR = '/opt/eectl/authz';
/** The plugin's entry point. */
export const AUTHZ_ENTRY = `${AUTHZ_DIR}/access/plugin.js`;
export const AUTHZ_NODE = `${AUTHZ_DIR}/node`;
/** What is installed in AUTHZ_DIR (checksums), read with the facts to know whether to upload again. */
export const AUTHZ_MANIFEST = `${AUTHZ_DIR}/manifest.json`;
export const AUTHZ_UNIT_NAME = `${PLUGIN_NAME}.service`;
export const AUTHZ_UNIT = `/etc/systemd/system/${AUTHZ_UNIT_NAME}`;
/** The policy the plugin enforces; it reads the file again when it changes (no engine restart). */
export const ACCESS_DIR = '/etc/eectl/access';
export const POLICY_FILE = `${ACCESS_DIR}/policy.json`;
/** The cluster CA the plugin checks client certificates against (as the engine does). */
export const CA_FILE = '/etc/eectl/pki/ca.pem';
/** The engine's local socket: the plugin looks resources up through it. */
export const ENGINE_SOCKET = '/var/run/docker.sock';
/** Client certificates start this long before they were issued (pki/certificates.ts backdates them). */
export const CERT_BACKDATE_MS = 5 * 60_000;
/**
 * The registry account the plugin reads signatures with: the registry's admin, whose password install
 * keeps root-only (0600) on every manager (the same file as registry/paths.ts names; a test keeps them
 * equal). The registry's htpasswd has no read-only users: any account could push, so a second one would
 * add a secret to rotate and no protection.
 */
export const REGISTRY_READER = 'admin';
export const REGISTRY_PASSWORD_FILE = '/etc/eectl/registry/admin-password';

/** The registry's token service (token auth): the same runtime and folder as the plugin, its own unit. */
export const TOKEN_SERVICE_NAME = 'eectl-token';
export const TOKEN_ENTRY = `${AUTHZ_DIR}/access/token-service.js`;
export const TOKEN_UNIT_NAME = `${TOKEN_SERVICE_NAME}.service`;
export const TOKEN_UNIT = `/etc/systemd/system/${TOKEN_UNIT_NAME}`;
/** File users' bcrypt hashes of their registry passwords (root, 0600): `{ "users": { "alice": "$2b$…" } }`. */
export const REGISTRY_LOGINS_FILE = `${ACCESS_DIR}/registry-logins.json`;
/** The SHA-256 of REGISTRY_LOGINS_FILE (public, read with the facts): whether the file must be written again. */
export const REGISTRY_LOGINS_SUM = `${ACCESS_DIR}/registry-logins.sha256`;
/** The manager's engine API certificate and key (pki/paths.ts): the token service serves HTTPS with them. */
export const SERVER_CERT_FILE = '/etc/eectl/pki/server-cert.pem';
export const SERVER_KEY_FILE = '/etc/eectl/pki/server-key.pem';
/**
 * The token-signing key (root, 0600) and its certificate from the cluster CA, kept with the registry's
 * state (registry/paths.ts names the same files; a test keeps them equal). The registry trusts only this
 * certificate (auth.token.rootcertbundle), never the CA: every client bundle's key is the CA's too.
 */
export const TOKEN_SIGNING_KEY_FILE = '/etc/eectl/registry/token-key.pem';
export const TOKEN_SIGNING_CERT_FILE = '/etc/eectl/registry/token-cert.pem';
/** The subject of the tokens the plugin mints for itself to read signatures. */
export const PLUGIN_REGISTRY_ACCOUNT = 'eectl-authz';
