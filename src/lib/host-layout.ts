/**
 * Where eectl's things live on a host: the one place that says so. The lock folder, the install record,
 * daemon.json, the engine's restart-pending marker and its data folders, the PKI and the API and proxy
 * drop-ins, the registry's state, bundles and certs.d, the authorization plugin's and token service's files,
 * eectl's service units, and what backup copies. Modules that write, read or remove them (facts, the install
 * record, reset, backup, the phases, the cluster file's checks) import the paths from here, so no folder has
 * to import another for a path. The package-source files of each OS family stay with their configurer
 * (host/os/).
 *
 * It sits below config/ (the file's checks refuse eectl's own paths) and imports only node: built-ins: the
 * programs eectl uploads to hosts (the authorization plugin, …) ship it as it is.
 */
import { posix } from 'node:path';

/** Where the lock lives on the lock host, with the rest of eectl's state under /var/lib/eectl. */
export const LOCK_DIR = '/var/lib/eectl/lock';

/** The engine's configuration file, which eectl merges `engine.daemon` into. */
export const DAEMON_JSON = '/etc/docker/daemon.json';

/**
 * Where the control plane's PKI lives on every manager: under /etc/eectl, where backup and
 * reset find it. The directory is world-readable so the facts script, which runs as the login user, can
 * read the public certificates; the keys in it are root-only (0600).
 */
export const HOST_PKI_DIR = '/etc/eectl/pki';

/** The cluster CA's certificate on a manager (public). */
export const HOST_CA_CERT = `${HOST_PKI_DIR}/ca.pem`;

/** The cluster CA's key on a manager (root, 0600): any operator machine can recover the CA from a manager. */
export const HOST_CA_KEY = `${HOST_PKI_DIR}/ca-key.pem`;

/**
 * The new cluster CA while a rotation (`certs rotate --cluster-ca`) is in its overlap: present on a manager
 * from the first step to the finish, and so the state that says a rotation is under way. Its key is
 * root's (0600), as the CA's own.
 */
export const HOST_CA_NEXT_CERT = `${HOST_PKI_DIR}/ca-next.pem`;

/** The new cluster CA's key during a rotation (root, 0600). */
export const HOST_CA_NEXT_KEY = `${HOST_PKI_DIR}/ca-next-key.pem`;

/** The engine API's server certificate on a manager (public). */
export const HOST_SERVER_CERT = `${HOST_PKI_DIR}/server-cert.pem`;

/** The engine API's server key on a manager (root, 0600). */
export const HOST_SERVER_KEY = `${HOST_PKI_DIR}/server-key.pem`;

/** The systemd drop-in that makes the engine listen on the API port with mutual TLS. */
export const API_DROP_IN = '/etc/systemd/system/docker.service.d/eectl-api.conf';

/** The engine's proxy (spec.proxy), beside the API drop-in: a systemd drop-in for docker.service. */
export const ENGINE_PROXY_DROP_IN = '/etc/systemd/system/docker.service.d/eectl-proxy.conf';

/**
 * With credentials, the drop-in names this file (root, 0600) instead of holding the URLs: systemd shows a
 * unit's Environment= to every local user (`systemctl show docker`), never an EnvironmentFile's content.
 */
export const ENGINE_PROXY_ENV = '/etc/eectl/proxy/engine.env';

/**
 * Present while a manager's engine still runs with API files older than those on disk: written before
 * them, removed once the engine restarted. A run that stopped in between (another host failed, Ctrl-C)
 * leaves it, and the next run restarts that engine although its files are already right.
 */
export const HOST_RESTART_PENDING = `${HOST_PKI_DIR}/engine-restart-pending`;

/** Files of the control plane read with the facts: certificates, the drop-in and the marker, never a key. */
export const PKI_MANAGED_FILES = [
  HOST_CA_CERT,
  HOST_CA_NEXT_CERT,
  HOST_SERVER_CERT,
  API_DROP_IN,
  HOST_RESTART_PENDING,
];

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

/** The registry admin's password (root, 0600), which the plugin reads signatures with (access/paths.ts, REGISTRY_READER). */
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

/** The manager's engine API certificate and key (HOST_SERVER_CERT, HOST_SERVER_KEY): the token service serves HTTPS with them. */
export const SERVER_CERT_FILE = '/etc/eectl/pki/server-cert.pem';
export const SERVER_KEY_FILE = '/etc/eectl/pki/server-key.pem';

/**
 * The token-signing key (root, 0600) and its certificate from the cluster CA, kept with the registry's
 * state (the same files as REGISTRY_TOKEN_KEY_FILE and REGISTRY_TOKEN_CERT_FILE; a test keeps them equal). The registry trusts only this
 * certificate (auth.token.rootcertbundle), never the CA: every client bundle's key is the CA's too.
 */
export const TOKEN_SIGNING_KEY_FILE = '/etc/eectl/registry/token-key.pem';
export const TOKEN_SIGNING_CERT_FILE = '/etc/eectl/registry/token-cert.pem';

/** The folder on every ingress node the sync task writes and the proxy reads: tmpfs, so keys stay off disk. */
export const NODE_RUN_DIR = '/run/eectl-ingress';

/** Makes NODE_RUN_DIR again at every boot (a bind mount of a missing folder fails the task). */
export const NODE_TMPFILES = '/etc/tmpfiles.d/eectl-ingress.conf';

/** The line of NODE_TMPFILES. */
export const NODE_TMPFILES_LINE = `d ${NODE_RUN_DIR} 0700 root root -\n`;

/** The ingress watcher's unit on every manager (ingress/names.ts: its folder, user and certificates). */
export const WATCHER_UNIT_NAME = 'eectl-ingress-watcher.service';

export const WATCHER_UNIT = `/etc/systemd/system/${WATCHER_UNIT_NAME}`;

/** The webhook relay's unit on the registry hosts (webhooks/names.ts: its folders). */
export const RELAY_UNIT_NAME = 'eectl-webhook-relay.service';

export const RELAY_UNIT = `/etc/systemd/system/${RELAY_UNIT_NAME}`;

/** The immutable-tag gate's unit on the registry hosts (registry/gate-paths.ts: its folders). */
export const GATE_UNIT_NAME = 'eectl-registry-gate.service';

export const GATE_UNIT = `/etc/systemd/system/${GATE_UNIT_NAME}`;

/** eectl's own places on a host (docs/architecture.md): certificates and configuration, state and the cluster lock. */
export const EECTL_PATHS = ['/etc/eectl', '/var/lib/eectl'] as const;

/** The engine's sockets and runtime state; gone at the next boot anyway, but a reset should not need one. */
export const ENGINE_RUNTIME_PATHS = ['/run/docker', '/run/docker.sock', '/run/containerd'] as const;

/** Where the engine keeps its state and configuration; reset removes them. */
export const ENGINE_DATA_PATHS = ['/var/lib/docker', '/var/lib/containerd', '/etc/docker'] as const;

/**
 * The watcher's identity: the system user it runs as on every manager, and the CN of its client
 * certificate, with which it calls the manager's engine API over mutual TLS. The authorization plugin
 * gives that CN its own narrow rule (access/watcher-rule.ts), with access control on or off; the file
 * may not name a user so, and no client bundle is issued for it.
 */
export const WATCHER_USER = 'eectl-ingress-watcher';

/** The port the relay listens on, on every registry host. */
export const RELAY_PORT = 5447;

/** Where the engine keeps the swarm state; the archive holds it as `swarm/…`. */
export const SWARM_PARENT_DIR = '/var/lib/docker';

/** eectl's files on a manager (`pki/…` and `registry/…` in the archive). */
export const EECTL_ETC_DIR = '/etc/eectl';

/** Where the record lives on each host (with the rest of eectl's state, removed last by reset). */
export const INSTALL_RECORD = '/var/lib/eectl/install-record.json';

export const INSTALL_RECORD_DIR = '/var/lib/eectl';
