/**
 * Engine API requests as the access model sees them: which resource, which action, and which part of the
 * body decides. Anything not listed here is for admins only, so a new endpoint of a newer engine is
 * refused until it is understood (fail closed).
 */

/** Resources that belong to a collection (their `eectl.collection` label, or their node's). */
export type ResourceKind =
  'service' | 'task' | 'container' | 'exec' | 'network' | 'volume' | 'secret' | 'config' | 'node';

/** What a request does, for the policy. */
export type Operation =
  /** Harmless, needs only a known user: ping, version, info, events, image and plugin reads. */
  | { type: 'public'; what: string }
  /** A list: the engine cannot filter it, so any view grant anywhere allows it. */
  | { type: 'list'; kind: ResourceKind }
  /** On one existing resource. */
  | { type: 'existing'; kind: ResourceKind; id: string; action: 'view' | 'update' | 'delete' | 'exec' }
  /** A new resource; its collection comes from the body's labels. */
  | {
      type: 'create';
      kind: 'service' | 'container' | 'network' | 'volume' | 'secret' | 'config' | 'exec';
      id?: string;
    }
  /** A spec replaced: the resource's collection and the new spec's both matter. */
  | { type: 'update'; kind: 'service' | 'secret' | 'config' | 'volume'; id: string }
  /** Connecting a container to a network, or disconnecting it. */
  | { type: 'network-attach'; id: string }
  /** Nodes, swarm settings, plugins, images, builds, prunes: admins only. */
  | { type: 'admin'; what: string }
  | { type: 'unknown' };

type Route = [method: string, pattern: RegExp, to: (m: string[]) => Operation];

const ID = '([^/]+)';
/** Image and plugin references have slashes (registry/repo:tag). */
const REF = '(.+)';
const re = (path: string) => new RegExp(`^${path}$`);

const publicRoute = (what: string) => () => ({ type: 'public', what }) as const;
const list = (kind: ResourceKind) => () => ({ type: 'list', kind }) as const;
const existing =
  (kind: ResourceKind, action: 'view' | 'update' | 'delete' | 'exec') =>
  (m: string[]): Operation => ({ type: 'existing', kind, id: m[1]!, action });

/** Per kind of swarm object with a spec: inspect, create, update, delete. */
function specObject(kind: 'service' | 'secret' | 'config', plural: string): Route[] {
  return [
    ['GET', re(`/${plural}`), list(kind)],
    ['POST', re(`/${plural}/create`), () => ({ type: 'create', kind })],
    ['GET', re(`/${plural}/${ID}`), existing(kind, 'view')],
    ['POST', re(`/${plural}/${ID}/update`), (m) => ({ type: 'update', kind, id: m[1]! })],
    ['DELETE', re(`/${plural}/${ID}`), existing(kind, 'delete')],
  ];
}

const ROUTES: Route[] = [
  ['GET', re('/_ping'), publicRoute('ping')],
  ['HEAD', re('/_ping'), publicRoute('ping')],
  ['GET', re('/version'), publicRoute('version')],
  ['GET', re('/info'), publicRoute('info')],
  ['GET', re('/events'), publicRoute('events')],
  ['GET', re('/system/df'), publicRoute('disk usage')],
  ['POST', re('/auth'), publicRoute('registry login check')],
  ['GET', re(`/distribution/${REF}/json`), publicRoute('image digest lookup')],
  ['GET', re('/images/json'), publicRoute('image list')],
  ['GET', re('/images/search'), publicRoute('image search')],
  ['GET', re(`/images/${REF}/(json|history)`), publicRoute('image inspect')],
  ['GET', re('/plugins'), publicRoute('plugin list')],
  ['GET', re(`/plugins/${REF}/json`), publicRoute('plugin inspect')],

  ...specObject('service', 'services'),
  ['GET', re(`/services/${ID}/logs`), existing('service', 'view')],
  ['GET', re('/tasks'), list('task')],
  ['GET', re(`/tasks/${ID}`), existing('task', 'view')],
  ['GET', re(`/tasks/${ID}/logs`), existing('task', 'view')],
  ...specObject('secret', 'secrets'),
  ...specObject('config', 'configs'),

  ['GET', re('/containers/json'), list('container')],
  ['POST', re('/containers/create'), () => ({ type: 'create', kind: 'container' })],
  ['GET', re(`/containers/${ID}/(json|logs|top|stats|changes)`), existing('container', 'view')],
  ['GET', re(`/containers/${ID}/(archive|export)`), existing('container', 'exec')],
  ['HEAD', re(`/containers/${ID}/archive`), existing('container', 'exec')],
  ['PUT', re(`/containers/${ID}/archive`), existing('container', 'exec')],
  [
    'POST',
    re(`/containers/${ID}/(start|stop|restart|kill|pause|unpause|rename|resize|wait|update)`),
    existing('container', 'update'),
  ],
  ['POST', re(`/containers/${ID}/attach`), existing('container', 'exec')],
  ['GET', re(`/containers/${ID}/attach/ws`), existing('container', 'exec')],
  ['POST', re(`/containers/${ID}/exec`), (m) => ({ type: 'create', kind: 'exec', id: m[1]! })],
  ['DELETE', re(`/containers/${ID}`), existing('container', 'delete')],
  ['POST', re(`/exec/${ID}/(start|resize)`), existing('exec', 'exec')],
  ['GET', re(`/exec/${ID}/json`), existing('exec', 'exec')],

  ['GET', re('/networks'), list('network')],
  ['POST', re('/networks/create'), () => ({ type: 'create', kind: 'network' })],
  ['GET', re(`/networks/${ID}`), existing('network', 'view')],
  ['POST', re(`/networks/${ID}/(connect|disconnect)`), (m) => ({ type: 'network-attach', id: m[1]! })],
  ['DELETE', re(`/networks/${ID}`), existing('network', 'delete')],

  ['GET', re('/volumes'), list('volume')],
  ['POST', re('/volumes/create'), () => ({ type: 'create', kind: 'volume' })],
  ['GET', re(`/volumes/${ID}`), existing('volume', 'view')],
  ['PUT', re(`/volumes/${ID}`), (m) => ({ type: 'update', kind: 'volume', id: m[1]! })],
  ['DELETE', re(`/volumes/${ID}`), existing('volume', 'delete')],

  ['GET', re('/nodes'), list('node')],
  ['GET', re(`/nodes/${ID}`), existing('node', 'view')],
];

/** Endpoints known to be for admins only, to say so instead of "unknown endpoint". */
const ADMIN_AREAS: [RegExp, string][] = [
  [/^\/nodes\//, 'node changes (drain, labels, roles, removal)'],
  [/^\/swarm(\/|$)/, 'swarm settings and join tokens'],
  [/^\/plugins(\/|$)/, 'plugins'],
  [/^\/(images|build|commit|session|grpc)(\/|$)/, 'images and builds on the managers'],
  [/^\/[a-z]+\/prune$/, 'prunes'],
];

/** The API path without its version prefix and query: `/v1.41/services/create?x` → `/services/create`. */
export function apiPath(uri: string): string | undefined {
  const q = uri.indexOf('?');
  const raw = q === -1 ? uri : uri.slice(0, q);
  let path: string;
  try {
    path = raw
      .split('/')
      .map((part) => decodeURIComponent(part))
      .join('/');
  } catch {
    return undefined;
  }
  // The engine's router cleans paths and redirects; anything unclean is refused rather than guessed.
  if (!path.startsWith('/') || /\/\/|\/\.\.?(\/|$)|[\0\\]/.test(path)) return undefined;
  const unversioned = path.replace(/^\/v\d+(\.\d+)?(?=\/)/, '');
  return unversioned.length > 1 ? unversioned.replace(/\/$/, '') : unversioned;
}

/** The operation of a request, from its method and URI. */
export function route(method: string, uri: string): Operation {
  const path = apiPath(uri);
  if (path === undefined) return { type: 'unknown' };
  const verb = method.toUpperCase();
  for (const [m, pattern, to] of ROUTES) {
    if (m !== verb) continue;
    const match = pattern.exec(path);
    if (match) return to([...match]);
  }
  for (const [pattern, what] of ADMIN_AREAS) if (pattern.test(path)) return { type: 'admin', what };
  return { type: 'unknown' };
}
