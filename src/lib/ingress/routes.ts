/**
 * Routes from service labels: eectl's `eectl.http.*` and UCP Interlock's `com.docker.lb.*`. Label values
 * are user input that ends up in HAProxy's configuration, so every value is judged against a grammar that
 * admits only what is known safe (no space, quote, backslash, `#`, `%` or newline can pass), and a service
 * whose labels do not all pass gets no route, with the reason. This module imports nothing but itself: the
 * watcher on the managers runs it as it is.
 */

/** One route: requests for `hosts` (and under `path`) go to the tasks of `service` on `port`. */
export interface Route {
  service: string;
  serviceId: string;
  /** The service's collection (access control); the team that owns the route. */
  collection: string;
  createdAt: string;
  hosts: string[];
  /** A path prefix, `/` for everything. */
  path: string;
  port: number;
  /** Swarm secret names of the certificate and its key (PEM). */
  tls?: { cert: string; key: string };
  redirectHttps: boolean;
  stickyCookie?: string;
  /** Which label family the route came from. */
  source: 'eectl' | 'interlock';
  /** Labels understood but not acted on (e.g. Interlock features eectl lacks). */
  notes: string[];
}

/** A service that asks for a route and does not get one, with the reason (shown by `ingress ls`). */
export interface Refusal {
  service: string;
  serviceId: string;
  hosts: string[];
  reason: string;
}

/** What a service in the engine's `GET /services` answer holds that routing reads. */
export interface ServiceForRouting {
  ID: string;
  CreatedAt?: string;
  Spec: { Name: string; Labels?: Record<string, string> };
}

export const EECTL_PREFIX = 'eectl.http.';
export const INTERLOCK_PREFIX = 'com.docker.lb.';
/** The collection label of the access model (access/model.ts says the same). */
const COLLECTION_LABEL = 'eectl.collection';
const DEFAULT_COLLECTION = '/Shared';

/** A DNS host name, lower case, at most 253 characters; no wildcard, no port, no trailing dot. */
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** A path prefix: unreserved URL characters and `/` only, no `..` segment, 200 characters at most. */
const PATH = /^\/[A-Za-z0-9._~/-]{0,199}$/;
/** A swarm object name as the engine allows it (secrets). */
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A service name: what `tasks.<name>` resolves. */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A cookie name (an RFC 6265 token, narrowed). */
const COOKIE = /^[A-Za-z0-9_-]{1,64}$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const BOOL = /^(true|false)$/;
const COLLECTION = /^\/$|^(\/[A-Za-z0-9][A-Za-z0-9._@-]{0,63})+$/;

/** eectl's labels: what each may hold. */
const EECTL_LABELS = ['host', 'port', 'path', 'tls', 'redirect-https', 'sticky'] as const;
/** Interlock's labels eectl reads, and those it knows and does not act on (a UCP stack still deploys). */
const INTERLOCK_READ = [
  'hosts',
  'port',
  'context_root',
  'ssl_cert',
  'ssl_key',
  'ssl_only',
  'sticky_session_cookie',
  'network',
] as const;
const INTERLOCK_IGNORED = [
  'context_root_rewrite',
  'redirects',
  'backend_mode',
  'ssl_backend',
  'ssl_backend_tls_verify',
  'ssl_passthrough',
  'websocket_endpoints',
  'service_cluster',
  'ip_hash',
  'tcp_port',
  'health_check_path',
  'health_check_interval',
  'health_check_timeout',
  'upstream_name',
  'canary',
];

class LabelError extends Error {}

function check(value: string | undefined, grammar: RegExp, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!grammar.test(value))
    throw new LabelError(`${what} ${JSON.stringify(value.slice(0, 80))} ${hint(what)}`);
  return value;
}

function hint(what: string): string {
  if (what.endsWith('host')) return 'is not a host name (lower-case letters, digits, dots and dashes)';
  if (what.endsWith('path')) return 'is not a path prefix (/ followed by letters, digits, . _ ~ / -)';
  if (what.endsWith('port')) return 'is not a port (1-65535)';
  return 'is not allowed';
}

function hostList(value: string, label: string): string[] {
  const hosts = value.split(',').map((h) => h.trim());
  if (hosts.length > 32) throw new LabelError(`${label}: at most 32 host names`);
  for (const h of hosts) check(h, HOST, `${label} host`);
  return [...new Set(hosts)];
}

function portOf(value: string | undefined, label: string): number {
  if (value === undefined) throw new LabelError(`${label} is missing: the port the tasks listen on`);
  check(value, PORT, `${label} port`);
  const port = Number(value);
  if (port > 65535) throw new LabelError(`${label} port ${value} is not a port (1-65535)`);
  return port;
}

function pathOf(value: string | undefined, label: string): string {
  if (value === undefined) return '/';
  check(value, PATH, `${label} path`);
  if (value.split('/').some((part) => part === '.' || part === '..')) {
    throw new LabelError(`${label} path ${JSON.stringify(value)} has a . or .. part`);
  }
  return value.length > 1 ? value.replace(/\/+$/, '') || '/' : value;
}

/** The route a service asks for, undefined when it asks for none; throws LabelError when it asks wrongly. */
function routeOf(service: ServiceForRouting): Route | undefined {
  const labels = service.Spec.Labels ?? {};
  const keys = Object.keys(labels);
  const own = keys.filter((k) => k.startsWith(EECTL_PREFIX));
  const interlock = keys.filter((k) => k.startsWith(INTERLOCK_PREFIX));
  if (own.length === 0 && interlock.length === 0) return undefined;
  if (own.length > 0 && interlock.length > 0) {
    throw new LabelError('carries both eectl.http.* and com.docker.lb.* labels: use one family');
  }
  const name = check(service.Spec.Name, SERVICE_NAME, 'service name')!;
  const collection = check(labels[COLLECTION_LABEL], COLLECTION, 'collection') ?? DEFAULT_COLLECTION;
  const base = {
    service: name,
    serviceId: service.ID,
    collection,
    createdAt: service.CreatedAt ?? '',
  };
  if (own.length > 0) {
    for (const k of own) {
      const field = k.slice(EECTL_PREFIX.length);
      if (!(EECTL_LABELS as readonly string[]).includes(field)) {
        throw new LabelError(
          `unknown label ${k} (eectl reads ${EECTL_LABELS.map((l) => EECTL_PREFIX + l).join(', ')})`,
        );
      }
    }
    const l = (f: string) => labels[EECTL_PREFIX + f];
    const host = l('host');
    if (host === undefined) throw new LabelError('eectl.http.host is missing');
    const tls = l('tls');
    return {
      ...base,
      hosts: hostList(host, 'eectl.http.host'),
      port: portOf(l('port'), 'eectl.http.port'),
      path: pathOf(l('path'), 'eectl.http.path'),
      ...(tls === undefined ? {} : { tls: tlsPair(tls) }),
      redirectHttps: check(l('redirect-https'), BOOL, 'eectl.http.redirect-https') === 'true',
      ...(l('sticky') === undefined
        ? {}
        : { stickyCookie: check(l('sticky'), COOKIE, 'eectl.http.sticky')! }),
      source: 'eectl',
      notes: [],
    };
  }
  const l = (f: string) => labels[INTERLOCK_PREFIX + f];
  const notes: string[] = [];
  for (const k of interlock) {
    const field = k.slice(INTERLOCK_PREFIX.length);
    if ((INTERLOCK_READ as readonly string[]).includes(field)) continue;
    if (INTERLOCK_IGNORED.includes(field)) notes.push(`${k} is not supported and has no effect`);
    else throw new LabelError(`unknown label ${k}`);
  }
  if (l('network') !== undefined)
    notes.push(`${INTERLOCK_PREFIX}network is ignored: the proxies use spec.ingress.network`);
  const hosts = l('hosts');
  if (hosts === undefined) throw new LabelError('com.docker.lb.hosts is missing');
  const cert = l('ssl_cert');
  const key = l('ssl_key');
  if ((cert === undefined) !== (key === undefined)) {
    throw new LabelError('com.docker.lb.ssl_cert and com.docker.lb.ssl_key go together');
  }
  const sticky = l('sticky_session_cookie');
  return {
    ...base,
    hosts: hostList(hosts, 'com.docker.lb.hosts'),
    port: portOf(l('port'), 'com.docker.lb.port'),
    path: pathOf(l('context_root'), 'com.docker.lb.context_root'),
    ...(cert !== undefined && key !== undefined
      ? {
          tls: {
            cert: check(cert, OBJECT_NAME, 'ssl_cert secret')!,
            key: check(key, OBJECT_NAME, 'ssl_key secret')!,
          },
        }
      : {}),
    redirectHttps: check(l('ssl_only'), BOOL, 'com.docker.lb.ssl_only') === 'true',
    ...(sticky === undefined
      ? {}
      : { stickyCookie: check(sticky, COOKIE, 'com.docker.lb.sticky_session_cookie')! }),
    source: 'interlock',
    notes,
  };
}

function tlsPair(value: string): { cert: string; key: string } {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 2) {
    throw new LabelError('eectl.http.tls must name two swarm secrets: CERT,KEY');
  }
  return {
    cert: check(parts[0], OBJECT_NAME, 'tls cert secret')!,
    key: check(parts[1], OBJECT_NAME, 'tls key secret')!,
  };
}

/** The routing table: the routes in force, and the services refused (bad labels or a claimed host). */
export interface RoutingTable {
  routes: Route[];
  refused: Refusal[];
}

/**
 * Routes of every service. A host name belongs to the collection whose service claimed it first (by
 * creation time, then ID): a service of another collection asking for it is refused, and so is a second
 * service asking for the same host and path. `secretExists` refuses TLS naming a secret that is not there
 * (HAProxy would not start with a missing certificate).
 */
export function routingTable(
  services: readonly ServiceForRouting[],
  secretExists: (name: string) => boolean = () => true,
): RoutingTable {
  const routes: Route[] = [];
  const refused: Refusal[] = [];
  const ordered = [...services].sort(
    (a, b) => (a.CreatedAt ?? '').localeCompare(b.CreatedAt ?? '') || a.ID.localeCompare(b.ID),
  );
  const owner = new Map<string, Route>();
  for (const service of ordered) {
    let route: Route | undefined;
    try {
      route = routeOf(service);
    } catch (error) {
      if (!(error instanceof LabelError)) throw error;
      refused.push({ service: service.Spec.Name, serviceId: service.ID, hosts: [], reason: error.message });
      continue;
    }
    if (!route) continue;
    const refuse = (reason: string) =>
      refused.push({ service: route.service, serviceId: route.serviceId, hosts: route.hosts, reason });
    const missing = route.tls && [route.tls.cert, route.tls.key].filter((s) => !secretExists(s));
    if (missing && missing.length > 0) {
      refuse(`TLS secret ${missing.join(', ')} does not exist`);
      continue;
    }
    const clash = clashOf(route, owner, routes);
    if (clash) {
      refuse(clash);
      continue;
    }
    for (const h of route.hosts) if (!owner.has(h)) owner.set(h, route);
    routes.push(route);
  }
  return { routes, refused };
}

/**
 * Why a service, new or updated to these labels, may not take the hosts it asks for beside the routes in
 * force: the authorization plugin's check, before the service exists. The routes in force keep their
 * hosts whatever the service's creation time (so an old service cannot take a host by a label update).
 * Undefined when it may, when it asks for no route, or when its labels do not pass (the watcher refuses
 * those, with the reason).
 */
export function claimRefusal(candidate: ServiceForRouting, inForce: readonly Route[]): string | undefined {
  let route: Route | undefined;
  try {
    route = routeOf(candidate);
  } catch (error) {
    if (error instanceof LabelError) return undefined;
    throw error;
  }
  if (!route) return undefined;
  const others = inForce.filter((r) => r.serviceId !== candidate.ID && r.service !== route.service);
  const owner = new Map<string, Route>();
  for (const r of others) for (const h of r.hosts) if (!owner.has(h)) owner.set(h, r);
  return clashOf(route, owner, others);
}

/** Why `route` may not have one of its hosts, or undefined when it may have them all. */
function clashOf(route: Route, owner: Map<string, Route>, routes: readonly Route[]): string | undefined {
  for (const host of route.hosts) {
    const holder = owner.get(host);
    if (holder && holder.collection !== route.collection) {
      return `host ${host} is claimed by service ${holder.service} of collection ${holder.collection}`;
    }
    const same = routes.find((r) => r.hosts.includes(host) && r.path === route.path);
    if (same) return `host ${host} path ${route.path} is routed to service ${same.service} already`;
  }
  return undefined;
}
