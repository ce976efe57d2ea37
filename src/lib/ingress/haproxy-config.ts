import type { Route } from './routes.js';

/**
 * The proxies' HAProxy configuration from the routing table. Every value written here passed the label
 * grammars of routes.ts (host names, paths, ports, names: no space, quote, `#` or newline), and is written
 * as a separate word. Backends are found by DNS, never by a virtual IP: each route's backend is a
 * `server-template` over `tasks.<service>` resolved every second through the engine's embedded DNS
 * (127.0.0.11) on the ingress overlay network, so scaling and rolling a service changes no configuration;
 * health checks and layer-7 retries on another task carry the requests that meet a task going away.
 * A reloaded worker starts with the addresses its predecessor had (`init-addr last` from the server
 * state file the run script saves before the reload), instead of answering 503 until its first DNS
 * answer; no address is looked up while a configuration loads (`libc` lookups there held reloads for
 * minutes on a loaded machine). Backends are named by service and port, so a route keeps its state
 * when others come and go.
 */

/** Where the proxy sees the node's ingress folder (written by the sync task, read-only here). */
export const PROXY_RUN_DIR = '/run/eectl-ingress';
/** The configuration the proxy loads; kept stable across reloads (the run script copies it there). */
export const PROXY_LIVE_CONFIG = '/tmp/eectl-ingress/haproxy.cfg';
/** The servers' addresses saved before a reload, loaded by the new worker. */
export const PROXY_STATE_FILE = '/tmp/eectl-ingress/servers.state';
/**
 * The read-only stats socket (level user: `show info`, `show servers state`; every command that changes
 * anything is refused) on the container's own loopback, which only the proxy's processes share.
 */
export const PROXY_STATS_PORT = 8405;
/** Ports inside the proxy's container; the node publishes spec.ingress.ports on them (host mode). */
export const PROXY_HTTP_PORT = 8080;
export const PROXY_HTTPS_PORT = 8443;
/** Servers per route: the most tasks of one service the proxy spreads requests over. */
export const SERVERS_PER_ROUTE = 16;

/** Where a route's certificate and key, concatenated by the sync task, are (its own name, no value in it). */
export const certFile = (tls: { cert: string; key: string }): string =>
  `${PROXY_RUN_DIR}/certs/${tls.cert}+${tls.key}.pem`;
export const CRT_LIST = `${PROXY_RUN_DIR}/crt-list.txt`;

const GLOBAL = [
  'global',
  '  log stdout format raw local0 info',
  '  stats socket /tmp/eectl-ingress/admin.sock mode 600 level admin expose-fd listeners',
  `  stats socket ipv4@127.0.0.1:${PROXY_STATS_PORT} level user`,
  `  server-state-file ${PROXY_STATE_FILE}`,
  '  hard-stop-after 30s',
  '  uid 65534',
  '  gid 65534',
  '',
  'resolvers docker',
  '  nameserver engine 127.0.0.11:53',
  '  accepted_payload_size 8192',
  '  resolve_retries 3',
  '  timeout resolve 1s',
  '  timeout retry 1s',
  '  hold valid 1s',
  '  hold other 1s',
  '  hold refused 1s',
  '  hold nx 1s',
  '  hold timeout 1s',
  '  hold obsolete 1s',
  '',
  'defaults',
  '  mode http',
  '  log global',
  '  option httplog',
  '  option dontlognull',
  '  timeout connect 3s',
  '  timeout client 60s',
  '  timeout server 60s',
  '  timeout http-request 10s',
  '  timeout tunnel 1h',
  '  retries 3',
  '  option redispatch 1',
  '  retry-on all-retryable-errors',
  '  load-server-state-from-file global',
  '  default-server init-addr last,none check inter 1s fall 1 rise 1 resolvers docker resolve-prefer ipv4',
  '',
];

/**
 * The backend's name: a service has one route, and its port is part of the name so that saved server
 * state (addresses and ports) is loaded only into the same service on the same port.
 */
const backendName = (route: Route): string => `be_${route.service}_${route.port}`;

/** Most specific first: longer paths before shorter ones, so /api wins over / for the same host. */
function ordered(routes: readonly Route[]): Route[] {
  return [...routes].sort((a, b) => b.path.length - a.path.length || a.service.localeCompare(b.service));
}

/** The ACL words that match a route's requests (host and path prefix). */
function matchWords(route: Route): string {
  const host = `{ var(txn.host) -m str ${route.hosts.join(' ')} }`;
  if (route.path === '/') return host;
  return `${host} { path -m str ${route.path} } || ${host} { path -m beg ${route.path}/ }`;
}

/** The whole haproxy.cfg for these routes (deterministic: the same routes give the same text). */
export function haproxyConfig(routes: readonly Route[], generation = ''): string {
  const sorted = ordered(routes);
  const tls = sorted.filter((r) => r.tls);
  const lines = [
    `# Written by the eectl ingress watcher from service labels. ${generation}`.trimEnd(),
    ...GLOBAL,
  ];
  lines.push('frontend http');
  lines.push(`  bind :${PROXY_HTTP_PORT}`);
  if (tls.length > 0) lines.push(`  bind :${PROXY_HTTPS_PORT} ssl crt-list ${CRT_LIST}`);
  lines.push('  http-request set-var(txn.host) req.hdr(host),field(1,:),lower');
  for (const route of sorted.filter((r) => r.redirectHttps && r.tls)) {
    lines.push(
      `  http-request redirect scheme https code 301 if !{ ssl_fc } ${matchWords(route).replaceAll(' || ', ' || !{ ssl_fc } ')}`,
    );
  }
  for (const route of sorted) lines.push(`  use_backend ${backendName(route)} if ${matchWords(route)}`);
  lines.push('  default_backend no_route', '');
  lines.push('backend no_route');
  lines.push(
    '  http-request return status 404 content-type text/plain string "eectl ingress: no route\\n"',
    '',
  );
  for (const route of sorted) {
    lines.push(`backend ${backendName(route)}`);
    lines.push('  balance roundrobin');
    if (route.stickyCookie) {
      lines.push(`  cookie ${route.stickyCookie} insert indirect nocache dynamic`);
      lines.push(`  dynamic-cookie-key ${route.serviceId}`);
    }
    lines.push(`  server-template task ${SERVERS_PER_ROUTE} tasks.${route.service}:${route.port}`, '');
  }
  return `${lines.join('\n')}\n`;
}

/** The crt-list: each certificate with the host names it serves (SNI). */
export function crtList(routes: readonly Route[]): string {
  const lines = new Map<string, string[]>();
  for (const r of routes) {
    if (!r.tls) continue;
    const file = certFile(r.tls);
    lines.set(file, [...new Set([...(lines.get(file) ?? []), ...r.hosts])]);
  }
  // A swarm config cannot be empty: a comment line heads it (HAProxy skips it).
  return `# certificates and the host names they serve\n${[...lines].map(([file, hosts]) => `${file} ${hosts.join(' ')}\n`).join('')}`;
}

/** The certificate pairs the sync task concatenates: `output cert-secret key-secret` per line. */
export function certManifest(routes: readonly Route[]): string {
  const pairs = new Set(
    routes.flatMap((r) => (r.tls ? [`${r.tls.cert}+${r.tls.key}.pem ${r.tls.cert} ${r.tls.key}`] : [])),
  );
  return `# file cert-secret key-secret\n${[...pairs].map((l) => `${l}\n`).join('')}`;
}
