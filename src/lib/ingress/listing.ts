import type { SwarmService } from '../swarm/tasks.js';
import { certManifest, crtList, haproxyConfig } from './haproxy-config.js';
import { ingressObjectName, PROXY_SERVICE, SYNC_SERVICE } from './names.js';
import { routingTable, type ServiceForRouting } from './routes.js';

/** One route as `eectl ingress ls` shows it. */
export interface IngressRouteRow {
  host: string;
  path: string;
  service: string;
  collection: string;
  tls: 'no' | 'yes' | 'yes, redirects http';
  /** Running tasks of the service, and how many it should have (the proxies health-check each). */
  backends: { running: number; desired: number };
  source: 'eectl' | 'interlock';
  notes: string[];
}

/** A service refused a route, and why (a claimed host, a label outside the grammar). */
export interface IngressConflictRow {
  service: string;
  hosts: string[];
  reason: string;
}

export interface IngressListing {
  routes: IngressRouteRow[];
  refused: IngressConflictRow[];
  /** Whether the proxies carry the configuration of these routes (false for a few seconds after a change). */
  applied: boolean;
  proxies: { running: number; desired: number };
}

/**
 * The routing table as the watcher computes it, from `service inspect` of every service, the secrets'
 * names and the task counts; `applied` compares with the configuration the sync service carries.
 */
export function ingressListing(
  services: readonly (ServiceForRouting & { Spec: { TaskTemplate?: unknown } })[],
  counts: readonly SwarmService[],
  secrets: readonly string[],
): IngressListing {
  const own = new Set([PROXY_SERVICE, SYNC_SERVICE]);
  const table = routingTable(
    services.filter((s) => !own.has(s.Spec.Name)),
    (name) => secrets.includes(name),
  );
  const count = (name: string) => {
    const c = counts.find((s) => s.name === name);
    return { running: c?.running ?? 0, desired: c?.desired ?? 0 };
  };
  const routes = table.routes.flatMap((r) =>
    r.hosts.map((host) => ({
      host,
      path: r.path,
      service: r.service,
      collection: r.collection,
      tls: (r.tls ? (r.redirectHttps ? 'yes, redirects http' : 'yes') : 'no') as IngressRouteRow['tls'],
      backends: count(r.service),
      source: r.source,
      notes: r.notes,
    })),
  );
  routes.sort((a, b) => a.host.localeCompare(b.host) || b.path.length - a.path.length);
  const sync = services.find((s) => s.Spec.Name === SYNC_SERVICE);
  const carried = JSON.stringify(sync?.Spec.TaskTemplate ?? {});
  const applied = [
    ingressObjectName('cfg', haproxyConfig(table.routes)),
    ingressObjectName('crt', crtList(table.routes)),
    ingressObjectName('certs', certManifest(table.routes)),
  ].every((name) => carried.includes(`"${name}"`));
  return {
    routes,
    refused: table.refused.map((r) => ({ service: r.service, hosts: r.hosts, reason: r.reason })),
    applied,
    proxies: count(PROXY_SERVICE),
  };
}
