import { join } from 'node:path';
import { clusterDir } from '../util/log.js';

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

/** The operator machine's copy of the cluster CA (directory 0700, key 0600). */
export function localPkiDir(cluster: string): string {
  return join(clusterDir(cluster), 'pki');
}

/** The operator machine's copy of the new cluster CA during a rotation's overlap (as localPkiDir). */
export function localNextPkiDir(cluster: string): string {
  return join(clusterDir(cluster), 'pki-next');
}

/** The file names of a CA in a directory, on the operator machine as on the hosts. */
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
