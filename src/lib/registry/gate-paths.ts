/**
 * Where the immutable-tag gate (`registry.immutable`) lives on every registry host. It imports nothing:
 * it is one of the gate's modules uploaded to the hosts.
 */

/** The Node.js runtime and the gate's modules, in the folders they have under dist/lib. */
export const GATE_DIR = '/opt/eectl/registry-gate';
export const GATE_NODE = `${GATE_DIR}/node`;
export const GATE_ENTRY = `${GATE_DIR}/registry/gate.js`;
/** What is installed in GATE_DIR (checksums): whether to upload again. */
export const GATE_MANIFEST = `${GATE_DIR}/manifest.json`;
/** Its settings (port, socket, patterns) and the registry's TLS certificate and key (root, 0600). */
export const GATE_CONFIG_DIR = '/etc/eectl/registry-gate';
export const GATE_CONFIG = `${GATE_CONFIG_DIR}/gate.json`;
export const GATE_CERT = `${GATE_CONFIG_DIR}/server-cert.pem`;
export const GATE_KEY = `${GATE_CONFIG_DIR}/server-key.pem`;
/**
 * The folder (root, 0700) bind-mounted into the replica where Distribution listens on a unix socket instead
 * of a TCP port: only root on the host reaches it, so no push reaches Distribution around the gate.
 */
export const REGISTRY_SOCKET_DIR = '/var/lib/eectl/registry-socket';
/** The same folder inside the replica. */
export const REGISTRY_SOCKET_TARGET = '/run/eectl-registry';
export const REGISTRY_SOCKET_NAME = 'registry.sock';
