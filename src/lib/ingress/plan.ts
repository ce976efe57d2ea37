import type { IngressSpec } from '../config/schema.js';
import type { ServiceDefinition } from '../swarm/docker.js';
import {
  certManifest,
  crtList,
  haproxyConfig,
  PROXY_HTTP_PORT,
  PROXY_HTTPS_PORT,
  PROXY_RUN_DIR,
} from './haproxy-config.js';
import {
  INGRESS_NODE_LABEL,
  ingressObjectName,
  PROXY_SERVICE,
  SYNC_KINDS,
  SYNC_SERVICE,
  SYNC_TARGETS,
  INGRESS_CONFIG_LABEL,
} from './names.js';
import { NODE_RUN_DIR } from '../host-layout.js';
import { PROXY_SCRIPT, SCRIPT_DIR, SYNC_OUT, SYNC_SCRIPT } from './scripts.js';

/** A swarm config the ingress services use, by its content-addressed name. */
export interface IngressObject {
  name: string;
  content: string;
  /** The ingress label, on the configs the watcher replaces later (the sync targets'). */
  labels?: Record<string, string>;
}

/** The proxies and the sync service as install creates them, and the configs they need. */
export interface IngressPlan {
  proxy: ServiceDefinition;
  /** Created only when missing: after that the watcher owns its configuration. */
  sync: ServiceDefinition;
  objects: IngressObject[];
}

const object = (kind: string, content: string): IngressObject => ({
  name: ingressObjectName(kind, content),
  content,
  ...(Object.values(SYNC_KINDS).includes(kind) ? { labels: { ...INGRESS_CONFIG_LABEL } } : {}),
});

/**
 * The two global services on the ingress nodes. The proxy runs HAProxy with the run script, publishes
 * spec.ingress.ports in host mode, joins the ingress network and reads the node's folder; it is rolled
 * one node at a time (stop-first: a host-mode port is held by one task of a node) only when install
 * changes it, never for a route. The sync task starts with no routes (every host gets the 404).
 */
export function planIngress(spec: IngressSpec, imageId?: string): IngressPlan {
  const image = imageId ?? spec.image;
  const run = object('run', PROXY_SCRIPT);
  const fallback = object('fallback', haproxyConfig([]));
  const sync = object('sync', SYNC_SCRIPT);
  const config = object(SYNC_KINDS.config, haproxyConfig([]));
  const crt = object(SYNC_KINDS.crtList, crtList([]));
  const certs = object(SYNC_KINDS.certs, certManifest([]));
  const placement = [`node.labels.${INGRESS_NODE_LABEL}==true`];
  return {
    objects: [run, fallback, sync, config, crt, certs],
    proxy: {
      name: PROXY_SERVICE,
      image,
      constraints: placement,
      hostPorts: [
        { target: PROXY_HTTP_PORT, published: spec.ports.http },
        { target: PROXY_HTTPS_PORT, published: spec.ports.https },
      ],
      configs: [
        { source: run.name, target: `${SCRIPT_DIR}/run.sh` },
        { source: fallback.name, target: `${SCRIPT_DIR}/fallback.cfg` },
      ],
      secrets: [],
      binds: [],
      readOnlyBinds: [{ source: NODE_RUN_DIR, target: PROXY_RUN_DIR }],
      networks: [spec.network],
      args: ['sh', `${SCRIPT_DIR}/run.sh`],
      // The official image starts as its haproxy user: the node's folder is root's, and HAProxy drops
      // to nobody (uid/gid 65534 in the configuration) once it has bound its ports and read its keys.
      user: '0:0',
      // A name the embedded DNS does not know (a service whose tasks are not running yet) would be sent
      // to outside servers and wait on their timeouts. The container's own loopback has no DNS server, so
      // such a name fails at once; tasks.<service> names still resolve.
      dns: ['127.0.0.1'],
      stopSignal: 'SIGTERM',
      stopGracePeriod: '30s',
      rolling: { parallelism: 1, order: 'stop-first' },
    },
    sync: {
      name: SYNC_SERVICE,
      image,
      constraints: placement,
      hostPorts: [],
      configs: [
        { source: sync.name, target: `${SCRIPT_DIR}/sync.sh` },
        { source: config.name, target: SYNC_TARGETS.config },
        { source: crt.name, target: SYNC_TARGETS.crtList },
        { source: certs.name, target: SYNC_TARGETS.certs },
      ],
      secrets: [],
      binds: [{ source: NODE_RUN_DIR, target: SYNC_OUT }],
      args: ['sh', `${SCRIPT_DIR}/sync.sh`],
      user: '0:0',
      rolling: { parallelism: 0, order: 'start-first' },
    },
  };
}
