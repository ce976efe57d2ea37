import { readBody } from './allow-list.js';
import { AmbiguousBodyError, field, list, parseBody, path, stringMap, text } from './json-fields.js';
import {
  COLLECTION_LABEL,
  privateCollection,
  ROLE_PERMISSIONS,
  type AccessPolicy,
  type Decision,
  type Permission,
} from './model.js';
import {
  COLLECTION_PATH,
  inSystem,
  SHARED_COLLECTION,
  SYSTEM_COLLECTION,
  within,
} from '../config/access-names.js';
import type { SignatureLookup } from '../images/policy.js';
import { placementFinding } from './placement.js';
import {
  compareVersions,
  queryGet,
  routeRequest,
  type BodyKind,
  type Operation,
  type ResourceKind,
  type RoutedRequest,
} from './routes.js';
import { signedImageCheck } from './signed-images.js';
import {
  claimRefusal,
  EECTL_PREFIX,
  INTERLOCK_PREFIX,
  routingTable,
  type ServiceForRouting,
} from '../ingress/routes.js';
import { WATCHER_USER } from '../host-layout.js';
import { watcherRefusal } from './watcher-rule.js';

/** Who sent a request: nobody on the local socket (root on the host), or a client certificate's subject. */
export type Identity =
  | { kind: 'local' }
  | { kind: 'certificate'; user: string; issuedAt: Date }
  /** A certificate the cluster CA did not issue, or that could not be read. */
  | { kind: 'invalid'; why: string };

/** The engine's view of existing resources: the JSON of their inspect endpoint, undefined when not found. */
export interface Lookup {
  inspect(kind: ResourceKind, id: string): Promise<unknown>;
  /** Every service (the engine's `GET /services`), for the ingress host claims; without it a route is refused. */
  services?(): Promise<unknown[]>;
  /** The signatures of an image digest in the cluster registry; without it signed images are refused. */
  signatures?: SignatureLookup;
}

/** One request to decide. `body` is the raw JSON body as the engine passed it (absent when it did not). */
export interface AccessRequest {
  method: string;
  uri: string;
  body?: Buffer | undefined;
  identity: Identity;
}

/** What every check sees. */
export interface CheckContext {
  policy: AccessPolicy;
  user: string;
  admin: boolean;
  op: Operation;
  routed: RoutedRequest;
  request: AccessRequest;
  lookup: Lookup;
  /** The permissions of the user on a collection (grants of the user and its teams, inherited). */
  can(collection: string, permission: Permission): boolean;
  /** The parsed body; throws a Denied when the request needs one the engine did not pass. */
  body(): unknown;
  /**
   * The specs a service update puts in place, each judged as a new spec: the body, and for a rollback
   * (`?rollback=previous`) the service's PreviousSpec read from the engine, which is what takes effect.
   * For every other create or update: the body.
   */
  specs(): Promise<unknown[]>;
  /** The collection of an existing resource (its label, its service's, its node's role), cached. */
  collectionOf(kind: ResourceKind, id: string): Promise<string>;
  /** What the request is about, for the log; checks fill it in as they learn it. */
  resource: string;
}

/** A refusal with its reason, thrown by checks and helpers. */
export class Denied extends Error {}

/**
 * A check objects (returns a reason) or not (undefined). The checks run in order and the first objection
 * decides; checks that say so also apply to admins (image signatures).
 */
export interface Check {
  name: string;
  appliesToAdmins?: boolean;
  run(ctx: CheckContext): Promise<string | undefined>;
}

const LOCAL_USER = '(local socket)';

/** Decides one request: the function the managers' plugin runs and `eectl access check` runs too. */
export async function decide(
  policy: AccessPolicy | undefined,
  request: AccessRequest,
  lookup: Lookup,
  checks: readonly Check[] = CHECKS,
): Promise<Decision> {
  const routed = routeRequest(request.method, request.uri);
  const op = routed.op;
  const action = describeAction(request, op);
  const id = request.identity;
  if (id.kind === 'local') {
    return {
      allow: true,
      reason: 'local socket (root on the host): break-glass',
      user: LOCAL_USER,
      resource: resourceOf(op),
      action,
    };
  }
  if (id.kind === 'invalid') {
    return {
      allow: false,
      reason: `client certificate refused: ${id.why}`,
      user: '(unknown)',
      resource: resourceOf(op),
      action,
    };
  }
  const deny = (reason: string, resource = resourceOf(op)): Decision => ({
    allow: false,
    reason,
    user: id.user,
    resource,
    action,
  });
  if (id.user === WATCHER_USER) {
    // The ingress watcher's certificate: its own admit-list, with access control on or off.
    let refusal: string | undefined;
    try {
      refusal = await watcherRefusal(routed, request.method, request.body, lookup);
    } catch (error) {
      refusal = `could not decide (${(error as Error).message}): refused`;
    }
    if (refusal !== undefined) return deny(`the ingress watcher's rule: ${refusal}`);
    return {
      allow: true,
      reason: "the ingress watcher's rule",
      user: id.user,
      resource: resourceOf(op),
      action,
    };
  }
  if (!policy)
    return deny('no access policy on this manager: every client certificate is refused (fail closed)');
  // Access control off: every certificate of the cluster CA is an admin, as without the plugin.
  const user =
    policy.users.find((u) => u.name === id.user) ??
    (policy.open ? { name: id.user, admin: true, defaultCollection: privateCollection(id.user) } : undefined);
  if (!user) return deny(`user ${id.user} is not in the access policy (spec.access.users)`);
  const revoked = policy.revoked.find((r) => r.user === id.user && id.issuedAt < new Date(r.since));
  if (revoked) {
    return deny(
      `the certificates of ${id.user} issued before ${revoked.since} are revoked: get a new bundle with eectl client-config`,
    );
  }
  // Admins included: a request the plugin cannot place is one it cannot judge.
  if (op.type === 'unknown') return deny(`${op.why}: refused for everyone (fail closed)`);
  const ctx = newContext(policy, user, routed, request, lookup);
  try {
    for (const check of checks) {
      if (user.admin && !check.appliesToAdmins) continue;
      const objection = await check.run(ctx);
      if (objection !== undefined) return deny(objection, ctx.resource);
    }
  } catch (error) {
    if (error instanceof Denied || error instanceof AmbiguousBodyError)
      return deny(error.message, ctx.resource);
    return deny(`could not decide (${(error as Error).message}): refused`, ctx.resource);
  }
  return {
    allow: true,
    reason: policy.open ? 'access control is off (no spec.access)' : user.admin ? 'admin' : 'granted',
    user: id.user,
    resource: ctx.resource,
    action,
  };
}

function describeAction(request: AccessRequest, op: Operation): string {
  const verb = op.type === 'existing' ? op.action : op.type;
  return `${verb} (${request.method} ${request.uri.split('?')[0]})`;
}

function resourceOf(op: Operation): string {
  switch (op.type) {
    case 'public':
    case 'admin':
    case 'outbound':
    case 'unchecked-workload':
      return op.what;
    case 'list':
      return `${op.kind} list`;
    case 'existing':
    case 'update':
      return `${op.kind} ${op.id}`;
    case 'container-start':
      return `container ${op.id}`;
    case 'network-attach':
      return `network ${op.id}`;
    case 'create':
      return `new ${op.kind}`;
    case 'unknown':
      return 'unknown endpoint';
  }
}

/** The permissions each collection gives a user: explicit grants (user and teams) plus the private one. */
export function permissionsOf(policy: AccessPolicy, userName: string, collection: string): Set<Permission> {
  const teams = new Set(policy.teams.filter((t) => t.members.includes(userName)).map((t) => t.name));
  const granted = new Set<Permission>();
  if (inSystem(collection)) return granted;
  for (const g of policy.grants) {
    const forMe = g.user === userName || (g.team !== undefined && teams.has(g.team));
    if (forMe && within(collection, g.collection)) for (const p of ROLE_PERMISSIONS[g.role]) granted.add(p);
  }
  if (within(collection, privateCollection(userName))) {
    for (const p of ROLE_PERMISSIONS.restrictedControl) granted.add(p);
  }
  return granted;
}

/** Whether the user has `permission` on some collection (for lists, which the engine cannot filter). */
function canAnywhere(policy: AccessPolicy, userName: string, permission: Permission): boolean {
  const teams = new Set(policy.teams.filter((t) => t.members.includes(userName)).map((t) => t.name));
  const own = ROLE_PERMISSIONS.restrictedControl.includes(permission);
  return (
    own ||
    policy.grants.some(
      (g) =>
        (g.user === userName || (g.team !== undefined && teams.has(g.team))) &&
        ROLE_PERMISSIONS[g.role].includes(permission),
    )
  );
}

/** Whether a request replaces a service's spec with its previous one (`?rollback=previous`, read as Go reads it). */
function rollsBack(routed: RoutedRequest): boolean {
  return (
    routed.op.type === 'update' &&
    routed.op.kind === 'service' &&
    queryGet(routed.query, 'rollback') === 'previous'
  );
}

function newContext(
  policy: AccessPolicy,
  user: AccessPolicy['users'][number],
  routed: RoutedRequest,
  request: AccessRequest,
  lookup: Lookup,
): CheckContext {
  const collections = new Map<string, Promise<string>>();
  let parsed: { value: unknown } | undefined;
  let specs: Promise<unknown[]> | undefined;
  const op = routed.op;
  const ctx: CheckContext = {
    policy,
    user: user.name,
    admin: user.admin,
    op,
    routed,
    request,
    lookup,
    resource: resourceOf(op),
    can: (collection, permission) => permissionsOf(policy, user.name, collection).has(permission),
    body() {
      if (parsed) return parsed.value;
      if (request.body === undefined || request.body.length === 0) {
        throw new Denied(
          'the engine passed no request body to the plugin (not application/json, chunked, or over 1 MiB), and this request is decided by its body: refused',
        );
      }
      parsed = { value: parseBody(request.body.toString('utf8')) };
      return parsed.value;
    },
    specs() {
      specs ??= (async () => {
        if (op.type === 'update' && op.kind === 'service' && rollsBack(routed)) {
          const current = await lookup.inspect('service', op.id);
          const previous = field(current, 'PreviousSpec');
          if (previous === undefined) {
            throw new Denied(`service ${op.id} has no previous spec to roll back to (or was not found)`);
          }
          return [previous, ctx.body()];
        }
        return [ctx.body()];
      })();
      return specs;
    },
    collectionOf(kind, id) {
      const key = `${kind}/${id}`;
      let found = collections.get(key);
      if (!found) {
        found = resolveCollection(lookup, kind, id);
        collections.set(key, found);
      }
      return found;
    },
  };
  return ctx;
}

/** The collection a label names, checked: a label that is not a collection path is refused. */
function labelCollection(labels: Record<string, string>, what: string): string | undefined {
  const value = labels[COLLECTION_LABEL];
  if (value === undefined) return undefined;
  if (!COLLECTION_PATH.test(value))
    throw new Denied(`${what} has ${COLLECTION_LABEL}=${value}, which is not a collection path`);
  return value;
}

/** The collection of a node: its label (install sets it), else managers /System and workers /Shared. */
function nodeCollection(node: unknown): string {
  const own = labelCollection(stringMap(path(node, 'Spec', 'Labels')), `node ${text(field(node, 'ID'))}`);
  return own ?? (text(path(node, 'Spec', 'Role')) === 'worker' ? SHARED_COLLECTION : SYSTEM_COLLECTION);
}

async function resolveCollection(lookup: Lookup, kind: ResourceKind, id: string): Promise<string> {
  const found = await lookup.inspect(kind, id);
  if (found === undefined || found === null) throw new Denied(`${kind} ${id} not found`);
  const what = `${kind} ${id}`;
  switch (kind) {
    case 'service':
    case 'secret':
    case 'config':
      return labelCollection(stringMap(path(found, 'Spec', 'Labels')), what) ?? SYSTEM_COLLECTION;
    case 'network':
    case 'volume':
      return labelCollection(stringMap(field(found, 'Labels')), what) ?? SYSTEM_COLLECTION;
    case 'node':
      return nodeCollection(found);
    case 'task':
      return resolveCollection(lookup, 'service', text(field(found, 'ServiceID')));
    case 'exec':
      return resolveCollection(lookup, 'container', text(field(found, 'ContainerID')));
    case 'container': {
      // A task's container belongs to its service's collection: its own labels come from the spec's
      // ContainerSpec.Labels, which the service's owner writes, so they cannot move it elsewhere.
      const labels = stringMap(path(found, 'Config', 'Labels'));
      const service = labels['com.docker.swarm.service.id'];
      if (service) return resolveCollection(lookup, 'service', service);
      return labelCollection(labels, what) ?? SYSTEM_COLLECTION;
    }
  }
}

/** Denial text for a missing permission. */
function lacks(ctx: CheckContext, permission: Permission, collection: string, what: string): string {
  if (inSystem(collection)) return `${what}: ${SYSTEM_COLLECTION} is for admins only`;
  return `${what}: ${ctx.user} has no ${permission} permission on ${collection}`;
}

/** The collection a new spec names in its labels; a spec without one is refused (a plugin cannot add it). */
function specCollection(ctx: CheckContext, spec: unknown, what: string): string {
  const named = labelCollection(stringMap(field(spec, 'Labels')), what);
  if (named) return named;
  const fallback =
    ctx.policy.users.find((u) => u.name === ctx.user)?.defaultCollection ?? privateCollection(ctx.user);
  throw new Denied(
    `${what} needs the label ${COLLECTION_LABEL} (the plugin cannot add it): add --label ${COLLECTION_LABEL}=${fallback} (your default collection) or another collection you may create in`,
  );
}

const REQUIRED: Record<'view' | 'update' | 'delete' | 'exec', Permission> = {
  view: 'view',
  update: 'update',
  delete: 'delete',
  exec: 'exec',
};

/** The kind of body a create or update carries, for the allow-list and the collection of the new spec. */
function specKind(op: Operation): BodyKind | undefined {
  if (op.type === 'create' && op.kind !== 'container' && op.kind !== 'exec') return op.kind;
  if (op.type === 'update' && op.kind !== 'container') return op.kind;
  return undefined;
}

/** Who may touch what: the role of the user on the resource's collection (and on the new spec's). */
export const collectionCheck: Check = {
  name: 'collection',
  async run(ctx) {
    const op = ctx.op;
    switch (op.type) {
      case 'public':
        return undefined;
      case 'unknown':
        return `${op.why}: refused for everyone (fail closed)`;
      case 'admin':
        return `${op.what} are for admins only`;
      case 'outbound':
        return `${op.what}: the manager would reach out to the network, which is for admins only`;
      case 'unchecked-workload':
        return `${op.what} are for admins only`;
      case 'list': {
        const permission: Permission = op.kind === 'node' ? 'viewNodes' : 'view';
        return canAnywhere(ctx.policy, ctx.user, permission)
          ? undefined
          : `${ctx.user} may view no ${op.kind}s`;
      }
      case 'existing':
      case 'container-start': {
        const kind = op.type === 'existing' ? op.kind : 'container';
        const action = op.type === 'existing' ? op.action : 'update';
        const collection = await ctx.collectionOf(kind, op.id);
        ctx.resource = `${kind} ${op.id} in ${collection}`;
        const permission: Permission = kind === 'node' && action === 'view' ? 'viewNodes' : REQUIRED[action];
        return ctx.can(collection, permission) ? undefined : lacks(ctx, permission, collection, ctx.resource);
      }
      case 'create': {
        if (op.kind === 'container') {
          return `new container: containers created through this API run on a manager, and managers are in ${SYSTEM_COLLECTION} (admins only): create a service instead`;
        }
        if (op.kind === 'exec') {
          const collection = await ctx.collectionOf('container', op.id);
          ctx.resource = `container ${op.id} in ${collection}`;
          return ctx.can(collection, 'exec')
            ? undefined
            : lacks(ctx, 'exec', collection, `exec into ${ctx.resource}`);
        }
        const collection = specCollection(ctx, ctx.body(), `a new ${op.kind}`);
        const name = text(field(ctx.body(), 'Name'));
        ctx.resource = `new ${op.kind}${name ? ` ${name}` : ''} in ${collection}`;
        return ctx.can(collection, 'create') ? undefined : lacks(ctx, 'create', collection, ctx.resource);
      }
      case 'update': {
        const current = await ctx.collectionOf(op.kind, op.id);
        ctx.resource = `${op.kind} ${op.id} in ${current}`;
        if (!ctx.can(current, 'update')) return lacks(ctx, 'update', current, ctx.resource);
        if (op.kind === 'container') return undefined;
        // Specs carry all their labels, the collection's included: each spec that takes effect keeps it.
        for (const spec of await ctx.specs()) {
          const next = labelCollection(
            stringMap(field(spec, 'Labels')),
            `the new spec of ${op.kind} ${op.id}`,
          );
          if (next === undefined)
            return `${ctx.resource}: the new spec drops the label ${COLLECTION_LABEL}; keep it`;
          if (next !== current) {
            ctx.resource = `${op.kind} ${op.id} from ${current} to ${next}`;
            if (!ctx.can(next, 'create')) return lacks(ctx, 'create', next, `moving ${op.kind} ${op.id}`);
          }
        }
        return undefined;
      }
      case 'network-attach': {
        const network = await ctx.collectionOf('network', op.id);
        ctx.resource = `network ${op.id} in ${network}`;
        if (!ctx.can(network, 'update')) return lacks(ctx, 'update', network, ctx.resource);
        const container = text(field(ctx.body(), 'Container'));
        const where = await ctx.collectionOf('container', container);
        return ctx.can(where, 'update')
          ? undefined
          : lacks(ctx, 'update', where, `container ${container} in ${where}`);
      }
    }
  },
};

/** What the allow-list reads for a request: the kind of body, the bodies that take effect, their collection. */
async function allowListBodies(
  ctx: CheckContext,
): Promise<{ kind: BodyKind; bodies: unknown[]; collection?: string } | undefined> {
  const op = ctx.op;
  const kind = specKind(op);
  // A spec's collection is its own label (collectionCheck has judged it).
  if (kind !== undefined) return { kind, bodies: await ctx.specs() };
  if (op.type === 'update' && op.kind === 'container') {
    return {
      kind: 'container-update',
      bodies: [ctx.body()],
      collection: await ctx.collectionOf('container', op.id),
    };
  }
  if (op.type === 'network-attach') {
    return { kind: 'endpoint', bodies: [ctx.body()], collection: await ctx.collectionOf('network', op.id) };
  }
  return undefined;
}

/**
 * The allow-list (allow-list.ts): without `unrestricted` on the collection, a body holds only fields and
 * values known to be safe. Judged on every spec that takes effect (a rollback's previous spec too).
 */
export const allowListCheck: Check = {
  name: 'allow-list',
  async run(ctx) {
    const read = await allowListBodies(ctx);
    if (!read) return undefined;
    for (const body of read.bodies) {
      const target = read.collection ?? specCollection(ctx, body, `the spec of the ${read.kind}`);
      if (ctx.can(target, 'unrestricted')) continue;
      const { findings } = readBody(read.kind, body);
      if (findings.length === 0) continue;
      return `${ctx.resource}: ${findings.join('; ')}: ${findings.length === 1 ? 'this needs' : 'these need'} fullControl on ${target} (restrictedControl admits only the fields known to be safe)`;
    }
    return undefined;
  },
};

/**
 * A container start on API versions below 1.24 may carry host settings in its body, which engines before
 * 25 apply; the engine does not pass a chunked body to the plugin, so it is refused without `unrestricted`
 * whether a body is seen or not.
 */
export const legacyStartCheck: Check = {
  name: 'legacy start',
  async run(ctx) {
    const op = ctx.op;
    const version = ctx.routed.version;
    if (op.type !== 'container-start' || version === undefined || compareVersions(version, '1.24') >= 0) {
      return undefined;
    }
    const collection = await ctx.collectionOf('container', op.id);
    if (ctx.can(collection, 'unrestricted')) return undefined;
    return `${ctx.resource}: a container start on API version ${version} (below 1.24) may carry host settings, which need fullControl on ${collection}`;
  },
};

/** A service's networks, secrets and configs: each must be visible to the user, and no host network. */
export const referencesCheck: Check = {
  name: 'references',
  async run(ctx) {
    if (specKind(ctx.op) !== 'service') return undefined;
    for (const spec of await ctx.specs()) {
      const objection = await specReferences(ctx, spec);
      if (objection) return objection;
    }
    return undefined;
  },
};

async function specReferences(ctx: CheckContext, spec: unknown): Promise<string | undefined> {
  const task = field(spec, 'TaskTemplate');
  const collection = specCollection(ctx, spec, 'the service');
  const networks = [...list(field(task, 'Networks')), ...list(field(spec, 'Networks'))].map((n) =>
    text(field(n, 'Target')),
  );
  for (const target of networks) {
    const network = await ctx.lookup.inspect('network', target);
    if (network === undefined) return `network ${target} not found`;
    const driver = text(field(network, 'Driver')).toLowerCase();
    const name = text(field(network, 'Name'));
    if ((driver === 'host' || name === 'host') && !ctx.can(collection, 'unrestricted')) {
      return `${ctx.resource}: the host network needs fullControl on ${collection} (restrictedControl admits only what is known to be safe)`;
    }
    if (driver === 'host' || driver === 'null') continue;
    const where = await ctx.collectionOf('network', target);
    if (!ctx.can(where, 'view')) return lacks(ctx, 'view', where, `network ${name || target} in ${where}`);
  }
  const container = field(task, 'ContainerSpec');
  for (const [kind, key, idKey] of [
    ['secret', 'Secrets', 'SecretID'],
    ['config', 'Configs', 'ConfigID'],
  ] as const) {
    for (const ref of list(field(container, key))) {
      const id = text(field(ref, idKey)) || text(field(ref, `${kind[0]!.toUpperCase()}${kind.slice(1)}Name`));
      const where = await ctx.collectionOf(kind, id);
      if (!ctx.can(where, 'view')) return lacks(ctx, 'view', where, `${kind} ${id} in ${where}`);
    }
  }
  return undefined;
}

/**
 * Placement (placement.ts): a non-admin's service runs only on workers of node collections its owner may
 * schedule on. fullControl does not lift it: the managers hold the cluster CA's key.
 */
export const placementCheck: Check = {
  name: 'placement',
  async run(ctx) {
    if (specKind(ctx.op) !== 'service') return undefined;
    for (const spec of await ctx.specs()) {
      const constraints = list(path(spec, 'TaskTemplate', 'Placement', 'Constraints'));
      if (!constraints.every((c) => typeof c === 'string'))
        return `${ctx.resource}: constraints must be strings`;
      const example = schedulableExample(ctx);
      const finding = placementFinding(constraints as string[], (c) => ctx.can(c, 'schedule'), example);
      if (finding) return `${ctx.resource}: ${finding}`;
    }
    return undefined;
  },
};

/** A node collection the user may schedule on, for the refusal's example: a scheduler grant's first. */
function schedulableExample(ctx: CheckContext): string {
  const teams = new Set(ctx.policy.teams.filter((t) => t.members.includes(ctx.user)).map((t) => t.name));
  const mine = ctx.policy.grants.filter(
    (g) =>
      (g.user === ctx.user || (g.team !== undefined && teams.has(g.team))) &&
      ROLE_PERMISSIONS[g.role].includes('schedule'),
  );
  return (mine.find((g) => g.role === 'scheduler') ?? mine[0])?.collection ?? SHARED_COLLECTION;
}

/** A service as the routing rules read it, from the engine's JSON (nothing assumed of its shape). */
function forRouting(service: unknown): ServiceForRouting {
  return {
    ID: text(field(service, 'ID')),
    CreatedAt: text(field(service, 'CreatedAt')),
    Spec: { Name: text(path(service, 'Spec', 'Name')), Labels: stringMap(path(service, 'Spec', 'Labels')) },
  };
}

/**
 * Ingress host names (ingress/routes.ts, the watcher's own rules): a service may not ask for a host that a
 * service of another collection is routed for, nor for a host and path routed to another service. The
 * routes in force keep their hosts: an older service cannot take one by a label update, which the
 * watcher's first-created rule alone would allow. Without the service list, a route is refused.
 */
export const ingressClaimCheck: Check = {
  name: 'ingress-claims',
  async run(ctx) {
    if (specKind(ctx.op) !== 'service') return undefined;
    for (const spec of await ctx.specs()) {
      const labels = stringMap(field(spec, 'Labels'));
      if (!Object.keys(labels).some((k) => k.startsWith(EECTL_PREFIX) || k.startsWith(INTERLOCK_PREFIX)))
        continue;
      if (!ctx.lookup.services)
        return `${ctx.resource}: its ingress host names cannot be checked here (no service list): refused`;
      const self =
        ctx.op.type === 'update' ? text(field(await ctx.lookup.inspect('service', ctx.op.id), 'ID')) : '';
      const services = (await ctx.lookup.services()).map(forRouting).filter((s) => s.ID !== self);
      const refusal = claimRefusal(
        { ID: self, Spec: { Name: text(field(spec, 'Name')), Labels: labels } },
        routingTable(services).routes,
      );
      if (refusal)
        return `${ctx.resource}: ${refusal}: a host name stays with the collection routed for it first (eectl ingress ls)`;
    }
    return undefined;
  },
};

/** The checks of every decision, in order. */
export const CHECKS: readonly Check[] = [
  collectionCheck,
  allowListCheck,
  legacyStartCheck,
  referencesCheck,
  placementCheck,
  ingressClaimCheck,
  signedImageCheck,
];
