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
/** The folder on every ingress node the sync task writes and the proxy reads: tmpfs, so keys stay off disk. */
export const NODE_RUN_DIR = '/run/eectl-ingress';
/** Makes NODE_RUN_DIR again at every boot (a bind mount of a missing folder fails the task). */
export const NODE_TMPFILES = '/etc/tmpfiles.d/eectl-ingress.conf';
export const NODE_TMPFILES_LINE = `d ${NODE_RUN_DIR} 0700 root root -\n`;

/** The watcher on every manager: its Node.js runtime and modules (the folders they have under dist/lib). */
export const WATCHER_DIR = '/opt/eectl/ingress';
export const WATCHER_NODE = `${WATCHER_DIR}/node`;
export const WATCHER_ENTRY = `${WATCHER_DIR}/ingress/watcher.js`;
export const WATCHER_MANIFEST = `${WATCHER_DIR}/manifest.json`;
export const WATCHER_UNIT_NAME = 'eectl-ingress-watcher.service';
export const WATCHER_UNIT = `/etc/systemd/system/${WATCHER_UNIT_NAME}`;

/** Where the sync task's configs are mounted, by what they hold. */
export const SYNC_TARGETS = {
  config: '/etc/eectl-ingress/haproxy.cfg',
  crtList: '/etc/eectl-ingress/crt-list.txt',
  certs: '/etc/eectl-ingress/certs.txt',
} as const;

/** `eectl-ingress-<kind>-<sha256[:12]>`: a new content is a new object (swarm configs cannot change). */
export function ingressObjectName(kind: string, content: string): string {
  return `${INGRESS_OBJECT_PREFIX}${kind}-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`;
}
