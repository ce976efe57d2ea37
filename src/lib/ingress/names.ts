import { createHash } from 'node:crypto';

/** Names and places of the ingress, shared by install, the watcher and the commands. */

/** The proxies: HAProxy on every ingress node, ports published in host mode. */
export const PROXY_SERVICE = 'eectl-ingress';
/** Writes each new configuration into the ingress nodes' folder; rolling it is how routes reach the proxies. */
export const SYNC_SERVICE = 'eectl-ingress-sync';
/** Prefix of every swarm config of the ingress (the watcher removes those no service uses). */
export const INGRESS_OBJECT_PREFIX = 'eectl-ingress-';
/** The node label that places the proxies: set by install on spec.ingress.nodes, removed from the others. */
export const INGRESS_NODE_LABEL = 'eectl.ingress';

/** The watcher on every manager: its Node.js runtime and modules (the folders they have under dist/lib). */
export const WATCHER_DIR = '/opt/eectl/ingress';
export const WATCHER_NODE = `${WATCHER_DIR}/node`;
export const WATCHER_ENTRY = `${WATCHER_DIR}/ingress/watcher.js`;
export const WATCHER_MANIFEST = `${WATCHER_DIR}/manifest.json`;
/** The watcher's key (0600, its user's), certificate, the cluster CA, and the API endpoint it calls. */
export const WATCHER_PKI_DIR = '/etc/eectl/ingress-watcher';
export const WATCHER_KEY = `${WATCHER_PKI_DIR}/key.pem`;
export const WATCHER_CERT = `${WATCHER_PKI_DIR}/cert.pem`;
export const WATCHER_CA = `${WATCHER_PKI_DIR}/ca.pem`;
export const WATCHER_ENDPOINT = `${WATCHER_PKI_DIR}/endpoint.json`;
/** The label every config of the ingress carries (the watcher lists and removes only those). */
export const INGRESS_CONFIG_LABEL = { 'eectl.ingress': 'config' } as const;
/** The one query with which the watcher lists configs: those with the ingress label only. */
export const INGRESS_CONFIG_FILTER = JSON.stringify({ label: ['eectl.ingress=config'] });
/** An ingress config's name: `eectl-ingress-<kind>-<sha256[:12]>` (see ingressObjectName). */
export const INGRESS_OBJECT_NAME = /^eectl-ingress-([a-z]+)-([0-9a-f]{12})$/;

/** Where the sync task's configs are mounted, by what they hold. */
export const SYNC_TARGETS = {
  config: '/etc/eectl-ingress/haproxy.cfg',
  crtList: '/etc/eectl-ingress/crt-list.txt',
  certs: '/etc/eectl-ingress/certs.txt',
} as const;
/** The kind in the name of the config each sync target holds. */
export const SYNC_KINDS: Record<keyof typeof SYNC_TARGETS, string> = {
  config: 'cfg',
  crtList: 'crt',
  certs: 'certs',
};

/** `eectl-ingress-<kind>-<sha256[:12]>`: a new content is a new object (swarm configs cannot change). */
export function ingressObjectName(kind: string, content: string): string {
  return `${INGRESS_OBJECT_PREFIX}${kind}-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
}
