/**
 * Engine API requests classified exactly as the engine routes them. The engine's authorization middleware
 * runs only for a request its router matched, and passes the plugin the raw request target
 * (`r.RequestURI`). So the plugin reads that target as Go's net/http and gorilla/mux do (request-target
 * forms, percent-decoding, path cleaning, the version prefix, exact method match), then finds the route
 * among the engine's own routes (`ROUTES`, every route of API 1.41–1.51, checked against the engine's
 * route list in the tests). A request it cannot place is `unknown`, and refused for everyone.
 */

/** Resources that belong to a collection (their `eectl.collection` label, or their node's). */
export type ResourceKind =
  'service' | 'task' | 'container' | 'exec' | 'network' | 'volume' | 'secret' | 'config' | 'node';

/** The kinds of request body the allow-list reads (allow-list.ts). */
export type BodyKind =
  'service' | 'network' | 'volume' | 'secret' | 'config' | 'container-update' | 'endpoint';

/** What a request does, for the policy. */
export type Operation =
  /** Harmless, needs only a known user: ping, version, info, events, image reads. */
  | { type: 'public'; what: string }
  /** A list: the engine cannot filter it, so any view grant anywhere allows it. */
  | { type: 'list'; kind: ResourceKind }
  /** On one existing resource. */
  | { type: 'existing'; kind: ResourceKind; id: string; action: 'view' | 'update' | 'delete' | 'exec' }
  /** A container started (a body, or API < 1.24, can carry host settings). */
  | { type: 'container-start'; id: string }
  /** A new resource; its collection comes from the body's labels. */
  | { type: 'create'; kind: 'service' | 'network' | 'volume' | 'secret' | 'config' }
  /** A new container (on this manager, so admins only) or an exec in an existing one. */
  | { type: 'create'; kind: 'container' }
  | { type: 'create'; kind: 'exec'; id: string }
  /** A spec replaced: the resource's collection and the new spec's both matter. */
  | { type: 'update'; kind: 'service' | 'secret' | 'config' | 'container'; id: string }
  /** Connecting a container to a network, or disconnecting it. */
  | { type: 'network-attach'; id: string }
  /** Nodes, swarm settings, plugins, images, prunes, volumes of the cluster: admins only. */
  | { type: 'admin'; what: string }
  /** Makes the manager reach out to the network (registries, remote build contexts): admins only. */
  | { type: 'outbound'; what: string }
  /** Runs code on the manager that no image check sees (builds, plugins): admins, and never with signed images only. */
  | { type: 'unchecked-workload'; what: string }
  | { type: 'unknown'; why: string };

/** A request as the engine's router saw it. */
export interface RoutedRequest {
  op: Operation;
  /** The decoded path, without the version prefix. */
  path: string;
  /** The API version the handlers see: the prefix's, or undefined for the engine's own default. */
  version: string | undefined;
  /** The query as Go's url.ParseQuery reads it. */
  query: Map<string, string[]>;
}

type Vars = string[];
type Route = readonly [method: string, template: string, to: (v: Vars) => Operation];

const publicRoute = (what: string) => (): Operation => ({ type: 'public', what });
const list = (kind: ResourceKind) => (): Operation => ({ type: 'list', kind });
const existing =
  (kind: ResourceKind, action: 'view' | 'update' | 'delete' | 'exec') =>
  (v: Vars): Operation => ({ type: 'existing', kind, id: v[0]!, action });
const admin = (what: string) => (): Operation => ({ type: 'admin', what });
const outbound = (what: string) => (): Operation => ({ type: 'outbound', what });
const unchecked = (what: string) => (): Operation => ({ type: 'unchecked-workload', what });

/**
 * Every route of the engine's API 1.41 (20.10) to 1.51 (28.5), with the engine's own path templates
 * (gorilla/mux: `{id}` is one path segment, `{name:.*}` anything), in the engine's registration order
 * (cmd/dockerd's initRouter; the first match wins). The admins' endpoints are listed here too: nothing
 * reaches the engine by default. A test checks the table against the engine's route lists.
 */
export const ROUTES: readonly Route[] = [
  // api/server/router/checkpoint (experimental engines only)
  ['GET', '/containers/{name:.*}/checkpoints', existing('container', 'exec')],
  ['POST', '/containers/{name:.*}/checkpoints', admin('checkpoints')],
  ['DELETE', '/containers/{name}/checkpoints/{checkpoint}', admin('checkpoints')],

  // api/server/router/container
  ['HEAD', '/containers/{name:.*}/archive', existing('container', 'exec')],
  ['GET', '/containers/json', list('container')],
  ['GET', '/containers/{name:.*}/export', existing('container', 'exec')],
  ['GET', '/containers/{name:.*}/changes', existing('container', 'view')],
  ['GET', '/containers/{name:.*}/json', existing('container', 'view')],
  ['GET', '/containers/{name:.*}/top', existing('container', 'view')],
  ['GET', '/containers/{name:.*}/logs', existing('container', 'view')],
  ['GET', '/containers/{name:.*}/stats', existing('container', 'view')],
  ['GET', '/containers/{name:.*}/attach/ws', existing('container', 'exec')],
  ['GET', '/exec/{id:.*}/json', existing('exec', 'exec')],
  ['GET', '/containers/{name:.*}/archive', existing('container', 'exec')],
  ['POST', '/containers/create', () => ({ type: 'create', kind: 'container' })],
  ['POST', '/containers/{name:.*}/kill', existing('container', 'update')],
  ['POST', '/containers/{name:.*}/pause', existing('container', 'update')],
  ['POST', '/containers/{name:.*}/unpause', existing('container', 'update')],
  ['POST', '/containers/{name:.*}/restart', existing('container', 'update')],
  ['POST', '/containers/{name:.*}/start', (v) => ({ type: 'container-start', id: v[0]! })],
  ['POST', '/containers/{name:.*}/stop', existing('container', 'update')],
  ['POST', '/containers/{name:.*}/wait', existing('container', 'view')],
  ['POST', '/containers/{name:.*}/resize', existing('container', 'exec')],
  ['POST', '/containers/{name:.*}/attach', existing('container', 'exec')],
  ['POST', '/containers/{name:.*}/copy', existing('container', 'exec')],
  ['POST', '/containers/{name:.*}/exec', (v) => ({ type: 'create', kind: 'exec', id: v[0]! })],
  ['POST', '/exec/{name:.*}/start', existing('exec', 'exec')],
  ['POST', '/exec/{name:.*}/resize', existing('exec', 'exec')],
  ['POST', '/containers/{name:.*}/rename', existing('container', 'update')],
  ['POST', '/containers/{name:.*}/update', (v) => ({ type: 'update', kind: 'container', id: v[0]! })],
  ['POST', '/containers/prune', admin('prunes')],
  ['POST', '/commit', admin('images and builds on the managers')],
  ['PUT', '/containers/{name:.*}/archive', existing('container', 'exec')],
  ['DELETE', '/containers/{name:.*}', existing('container', 'delete')],

  // api/server/router/image
  ['GET', '/images/json', publicRoute('image list')],
  ['GET', '/images/search', outbound('image search on a registry')],
  ['GET', '/images/get', admin('images and builds on the managers')],
  ['GET', '/images/{name:.*}/get', admin('images and builds on the managers')],
  ['GET', '/images/{name:.*}/history', publicRoute('image inspect')],
  ['GET', '/images/{name:.*}/json', publicRoute('image inspect')],
  ['POST', '/images/load', admin('images and builds on the managers')],
  ['POST', '/images/create', outbound('image pulls and imports')],
  ['POST', '/images/{name:.*}/push', outbound('image pushes')],
  ['POST', '/images/{name:.*}/tag', admin('images and builds on the managers')],
  ['POST', '/images/prune', admin('prunes')],
  ['DELETE', '/images/{name:.*}', admin('images and builds on the managers')],

  // api/server/router/system
  ['OPTIONS', '/{anyroute:.*}', publicRoute('CORS preflight')],
  ['GET', '/_ping', publicRoute('ping')],
  ['HEAD', '/_ping', publicRoute('ping')],
  ['GET', '/events', publicRoute('events')],
  ['GET', '/info', publicRoute('info')],
  ['GET', '/version', publicRoute('version')],
  ['GET', '/system/df', publicRoute('disk usage')],
  ['POST', '/auth', outbound('registry login check')],

  // api/server/router/volume
  ['GET', '/volumes', list('volume')],
  ['GET', '/volumes/{name:.*}', existing('volume', 'view')],
  ['POST', '/volumes/create', () => ({ type: 'create', kind: 'volume' })],
  ['POST', '/volumes/prune', admin('prunes')],
  ['PUT', '/volumes/{name:.*}', admin('cluster volumes')],
  ['DELETE', '/volumes/{name:.*}', existing('volume', 'delete')],

  // api/server/router/build, session
  ['POST', '/build', unchecked('image builds (they run containers on the manager)')],
  ['POST', '/build/prune', admin('prunes')],
  ['POST', '/build/cancel', admin('images and builds on the managers')],
  ['POST', '/session', unchecked('image builds (they run containers on the manager)')],

  // api/server/router/swarm
  ['POST', '/swarm/init', admin('swarm settings and join tokens')],
  ['POST', '/swarm/join', admin('swarm settings and join tokens')],
  ['POST', '/swarm/leave', admin('swarm settings and join tokens')],
  ['GET', '/swarm', admin('swarm settings and join tokens')],
  ['GET', '/swarm/unlockkey', admin('swarm settings and join tokens')],
  ['POST', '/swarm/update', admin('swarm settings and join tokens')],
  ['POST', '/swarm/unlock', admin('swarm settings and join tokens')],
  ['GET', '/services', list('service')],
  ['GET', '/services/{id}', existing('service', 'view')],
  ['POST', '/services/create', () => ({ type: 'create', kind: 'service' })],
  ['POST', '/services/{id}/update', (v) => ({ type: 'update', kind: 'service', id: v[0]! })],
  ['DELETE', '/services/{id}', existing('service', 'delete')],
  ['GET', '/services/{id}/logs', existing('service', 'view')],
  ['GET', '/nodes', list('node')],
  ['GET', '/nodes/{id}', existing('node', 'view')],
  ['DELETE', '/nodes/{id}', admin('node changes (drain, labels, roles, removal)')],
  ['POST', '/nodes/{id}/update', admin('node changes (drain, labels, roles, removal)')],
  ['GET', '/tasks', list('task')],
  ['GET', '/tasks/{id}', existing('task', 'view')],
  ['GET', '/tasks/{id}/logs', existing('task', 'view')],
  ['GET', '/secrets', list('secret')],
  ['POST', '/secrets/create', () => ({ type: 'create', kind: 'secret' })],
  ['DELETE', '/secrets/{id}', existing('secret', 'delete')],
  ['GET', '/secrets/{id}', existing('secret', 'view')],
  ['POST', '/secrets/{id}/update', (v) => ({ type: 'update', kind: 'secret', id: v[0]! })],
  ['GET', '/configs', list('config')],
  ['POST', '/configs/create', () => ({ type: 'create', kind: 'config' })],
  ['DELETE', '/configs/{id}', existing('config', 'delete')],
  ['GET', '/configs/{id}', existing('config', 'view')],
  ['POST', '/configs/{id}/update', (v) => ({ type: 'update', kind: 'config', id: v[0]! })],

  // api/server/router/plugin
  ['GET', '/plugins', publicRoute('plugin list')],
  ['GET', '/plugins/{name:.*}/json', admin('plugins')],
  ['GET', '/plugins/privileges', outbound('plugin privileges (read from a registry)')],
  ['DELETE', '/plugins/{name:.*}', admin('plugins')],
  ['POST', '/plugins/{name:.*}/enable', unchecked('plugins')],
  ['POST', '/plugins/{name:.*}/disable', admin('plugins')],
  ['POST', '/plugins/pull', unchecked('plugins')],
  ['POST', '/plugins/{name:.*}/push', outbound('plugin pushes')],
  ['POST', '/plugins/{name:.*}/upgrade', unchecked('plugins')],
  ['POST', '/plugins/{name:.*}/set', unchecked('plugins')],
  ['POST', '/plugins/create', unchecked('plugins')],

  // api/server/router/distribution, grpc
  ['GET', '/distribution/{name:.*}/json', outbound('image digest look-up on a registry')],
  ['POST', '/grpc', unchecked('image builds (they run containers on the manager)')],

  // api/server/router/network
  ['GET', '/networks', list('network')],
  ['GET', '/networks/', list('network')],
  ['GET', '/networks/{id:.+}', existing('network', 'view')],
  ['POST', '/networks/create', () => ({ type: 'create', kind: 'network' })],
  ['POST', '/networks/{id:.*}/connect', (v) => ({ type: 'network-attach', id: v[0]! })],
  ['POST', '/networks/{id:.*}/disconnect', (v) => ({ type: 'network-attach', id: v[0]! })],
  ['POST', '/networks/prune', admin('prunes')],
  ['DELETE', '/networks/{id:.*}', existing('network', 'delete')],

  // api/server/router/debug: up to engine 27, any method and never with a version prefix
  ['ANY', '/debug/vars', admin("the engine's debug endpoints")],
  ['ANY', '/debug/pprof/', admin("the engine's debug endpoints")],
  ['ANY', '/debug/pprof/cmdline', admin("the engine's debug endpoints")],
  ['ANY', '/debug/pprof/profile', admin("the engine's debug endpoints")],
  ['ANY', '/debug/pprof/symbol', admin("the engine's debug endpoints")],
  ['ANY', '/debug/pprof/trace', admin("the engine's debug endpoints")],
  ['ANY', '/debug/pprof/{name}', admin("the engine's debug endpoints")],
  // Engine 28 (API 1.51) registers them as ordinary GET routes, with and without the version prefix.
  ['GET', '/debug/vars', admin("the engine's debug endpoints")],
  ['GET', '/debug/pprof/', admin("the engine's debug endpoints")],
  ['GET', '/debug/pprof/cmdline', admin("the engine's debug endpoints")],
  ['GET', '/debug/pprof/profile', admin("the engine's debug endpoints")],
  ['GET', '/debug/pprof/symbol', admin("the engine's debug endpoints")],
  ['GET', '/debug/pprof/trace', admin("the engine's debug endpoints")],
  ['GET', '/debug/pprof/{name}', admin("the engine's debug endpoints")],
];

/**
 * gorilla/mux's template to a regular expression: `{v}` is `[^/]+`, `{v:re}` is `re`, where Go's `.`
 * matches every character but `\n` (JavaScript's would also refuse `\r`, U+2028 and U+2029).
 */
function templatePattern(template: string): string {
  return template.replace(/\{[a-z]+(?::([^}]+))?\}|[.+*?^$()[\]|\\]/gi, (m: string, re?: string) =>
    m.startsWith('{') ? `(${re === undefined ? '[^/]+' : re.replace(/\./g, '[^\\n]')})` : `\\${m}`,
  );
}

/**
 * The engine registers every API route twice: with the version prefix `/v{version:[0-9.]+}` and without.
 * The debug routes (`ANY`) only without, and for every method.
 */
const COMPILED = ROUTES.map(([method, template, to]) => ({
  method,
  template,
  to,
  versioned: method === 'ANY' ? undefined : new RegExp(`^/v([0-9.]+)${templatePattern(template)}$`),
  plain: new RegExp(`^${templatePattern(template)}$`),
}));

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Go's unescape in path mode: every `%` starts two hex digits, else the request is a 400. Go keeps the
 * bytes as they are; bytes that are not UTF-8 are refused here (undefined), since the plugin would look up
 * another name than the engine acts on (the engine's names are UTF-8, so such a request finds nothing).
 */
function unescapePath(s: string): string | undefined {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 2;
    } else bytes.push(raw[i]!);
  }
  try {
    return UTF8.decode(Buffer.from(bytes));
  } catch {
    return undefined;
  }
}

/** Go's url.QueryUnescape: `+` is a space, `%XX` a byte; a bad escape is an error. */
function unescapeQuery(s: string): string | undefined {
  return unescapePath(s.replace(/\+/g, ' '));
}

/** What Go's shouldEscape(c, encodeHost) lets a host hold unescaped (ASCII; other bytes are allowed). */
const HOST_CHARACTER = /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"\u0080-\uffff]/;

/** Go's url.parseAuthority, as far as whether it accepts an absolute-form target's `userinfo@host:port`. */
function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  const port = (p: string) => p === '' || /^:[0-9]*$/.test(p);
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0 || !port(host.slice(end + 1))) return false;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1 && !port(host.slice(colon))) return false;
  }
  for (let i = 0; i < host.length; i++) {
    if (host[i] === '%') {
      // In a host, an escape is for a byte of a non-ASCII character (or %25 itself).
      if (!/^%[0-9a-fA-F]{2}$/.test(host.slice(i, i + 3))) return false;
      if (parseInt(host[i + 1]!, 16) < 8 && host.slice(i, i + 3) !== '%25') return false;
      i += 2;
    } else if (!HOST_CHARACTER.test(host[i]!)) return false;
  }
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  return (
    /^[A-Za-z0-9\-._:~!$&'()*+,;=%@\u0080-\uffff]*$/.test(userinfo) && !/%(?![0-9a-fA-F]{2})/.test(userinfo)
  );
}

/**
 * Go's url.ParseQuery, as the engine's httputils.ParseForm reads the query: `&`-separated pairs; a pair
 * with `;` or a bad escape is an error, and the engine then refuses the request, so undefined here.
 */
function parseQuery(raw: string): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) return undefined;
    const eq = pair.indexOf('=');
    const key = unescapeQuery(eq === -1 ? pair : pair.slice(0, eq));
    const value = unescapeQuery(eq === -1 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** The first value of a query parameter, as Go's `Form.Get`. */
export const queryGet = (query: Map<string, string[]>, key: string): string => query.get(key)?.[0] ?? '';

/**
 * The path and raw query of a request target as Go's url.ParseRequestURI reads it: origin form
 * (`/v1.41/info?x`), absolute form (`http://host/v1.41/info`, any scheme), no fragment; undefined where Go
 * answers 400 or the router could not match (an opaque or empty path, `*`).
 */
function parseRequestTarget(raw: string): { path: string; rawQuery: string } | undefined {
  // eslint-disable-next-line no-control-regex
  if (raw === '' || /[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  let rest = raw;
  let scheme = '';
  const s = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(raw);
  if (s) {
    scheme = s[0].slice(0, -1);
    rest = raw.slice(s[0].length);
  } else if (raw.startsWith(':')) return undefined; // "missing protocol scheme"
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q !== -1) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) return undefined;
  if (scheme !== '' && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    if (!validAuthority(slash === -1 ? rest.slice(2) : rest.slice(2, slash))) return undefined;
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  const path = unescapePath(rest);
  return path === undefined ? undefined : { path, rawQuery };
}

/** gorilla/mux's cleanPath: path.Clean, keeping a trailing slash. A path it changes is redirected, not routed. */
function cleanPath(p: string): string {
  if (p === '') return '/';
  const rooted = p.startsWith('/') ? p : `/${p}`;
  const parts: string[] = [];
  for (const part of rooted.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const cleaned = `/${parts.join('/')}`;
  return rooted.endsWith('/') && cleaned !== '/' ? `${cleaned}/` : cleaned;
}

/** The API versions whose routes and bodies this plugin knows (engine 20.10's minimum up to 28.5's). */
export const MIN_API_VERSION = '1.12';
export const MAX_API_VERSION = '1.51';

/**
 * strconv.Atoi as moby's versions.compare uses it, its error ignored: a part that is not a number counts
 * as 0, and one beyond int64 as int64's limit (ParseInt returns it with its range error).
 */
function versionPart(part: string | undefined): bigint {
  if (part === undefined || !/^[+-]?\d+$/.test(part)) return 0n;
  const n = BigInt(part);
  const max = 9223372036854775807n;
  return n > max ? max : n < -max - 1n ? -max - 1n : n;
}

/** moby's api/types/versions.compare: dot-separated parts as integers, missing parts 0. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = versionPart(x[i]);
    const o = versionPart(y[i]);
    if (p !== o) return p > o ? 1 : -1;
  }
  return 0;
}

/** The route of a request, read exactly as the engine's router reads it. */
export function routeRequest(method: string, uri: string): RoutedRequest {
  const none = (why: string, path = ''): RoutedRequest => ({
    op: { type: 'unknown', why },
    path,
    version: undefined,
    query: new Map(),
  });
  const target = parseRequestTarget(uri);
  if (!target) return none(`the request target ${JSON.stringify(uri)} is not one the engine routes`);
  if (cleanPath(target.path) !== target.path) {
    return none(`the engine redirects ${JSON.stringify(target.path)} rather than serve it`, target.path);
  }
  const query = parseQuery(target.rawQuery);
  if (!query) return none(`the query of ${JSON.stringify(uri)} is one the engine refuses`, target.path);
  for (const route of COMPILED) {
    // mux matches the method as sent: `post` is not `POST`.
    if (route.method !== method && route.method !== 'ANY') continue;
    const versioned = route.versioned?.exec(target.path);
    const match = versioned ?? route.plain.exec(target.path);
    if (!match) continue;
    const version = versioned ? versioned[1]! : undefined;
    const path = versioned ? target.path.slice(2 + version!.length) : target.path;
    if (
      version !== undefined &&
      (compareVersions(version, MIN_API_VERSION) < 0 || compareVersions(version, MAX_API_VERSION) > 0)
    ) {
      return {
        op: {
          type: 'unknown',
          why: `API version ${version} is not one this plugin knows (${MIN_API_VERSION} to ${MAX_API_VERSION})`,
        },
        path,
        version,
        query,
      };
    }
    const vars = match.slice(versioned ? 2 : 1);
    return { op: route.to(vars), path, version, query };
  }
  return none(`${method} ${target.path} is not an engine API route this plugin knows`, target.path);
}

/** The operation of a request (see routeRequest). */
export function route(method: string, uri: string): Operation {
  return routeRequest(method, uri).op;
}
