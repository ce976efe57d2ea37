import { compilePolicy } from '../access/compile.js';
import { COLLECTION_LABEL, privateCollection, type AccessPolicy } from '../access/model.js';
import { inSystem } from '../config/access-names.js';
import { CHECKS, decide, type Check, type Identity, type Lookup } from '../access/policy.js';
import type { ResourceKind } from '../access/routes.js';
import type { AccessSpec } from '../config/schema.js';
import { EngineApiError, type EngineApi } from '../engine-api/client.js';
import { availabilityRequest, scaleRequest, type ApiRequest, type RawSpecObject } from './operations.js';
import type {
  DashboardOperation,
  DashboardPermissions,
  DashboardUser,
  PermissionsSource,
  RawObjects,
  Verdict,
} from './permissions.js';

export interface PolicyPermissionsOptions {
  /** The cluster file, named on the page as where the answers come from. */
  file: string;
  cluster: string;
  access: AccessSpec;
  /** The engine API with the user's bundle: the resources a decision names are looked up through it. */
  api: Pick<EngineApi, 'get'>;
  /** The managers' checks (default: the plugin's own list). */
  checks?: readonly Check[];
  /** Appended to the page's source line. */
  note?: string;
  /** How long a looked-up network, secret or config is reused for the page's decisions. */
  lookupTtlMs?: number;
}

const INSPECT: Record<ResourceKind, (id: string) => string> = {
  service: (id) => `/services/${encodeURIComponent(id)}`,
  task: (id) => `/tasks/${encodeURIComponent(id)}`,
  container: (id) => `/containers/${encodeURIComponent(id)}/json`,
  exec: (id) => `/exec/${encodeURIComponent(id)}/json`,
  network: (id) => `/networks/${encodeURIComponent(id)}`,
  volume: (id) => `/volumes/${encodeURIComponent(id)}`,
  secret: (id) => `/secrets/${encodeURIComponent(id)}`,
  config: (id) => `/configs/${encodeURIComponent(id)}`,
  node: (id) => `/nodes/${encodeURIComponent(id)}`,
};

/**
 * The dashboard's permissions from the cluster file's access policy, compiled as install compiles it for
 * the managers and decided by the managers' own `decide` and checks on the very requests the actions
 * send. The file may be ahead of the managers (not installed yet) and it knows no revocations the managers
 * keep, so the managers still decide last.
 */
export function policyPermissions(options: PolicyPermissionsOptions): PermissionsSource {
  const policy = compilePolicy(options.cluster, options.access, []);
  const checks = options.checks ?? CHECKS;
  const ttl = options.lookupTtlMs ?? 10_000;
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();

  /** Inspect through the API with the user's bundle; a missing resource is undefined, as for the plugin. */
  const fromApi: Lookup = {
    inspect(kind, id) {
      const key = `${kind}/${id}`;
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < ttl) return hit.value;
      const value = options.api.get<unknown>(INSPECT[kind](id)).catch((e: unknown) => {
        if (e instanceof EngineApiError && e.status === 404) return undefined;
        cache.delete(key);
        throw e;
      });
      cache.set(key, { at: Date.now(), value });
      return value;
    },
    // The ingress host claims: every service, as the plugin lists them on the manager.
    services: () => options.api.get<unknown[]>('/services'),
  };
  /** The objects at hand first (the page's lists, the one an action just read), by ID or name. */
  const withObjects = (objects: { nodes?: unknown[]; services?: unknown[] }): Lookup => {
    const found = (list: unknown[] | undefined, id: string, name: (o: RawSpecObject) => unknown) =>
      list?.find((o) => (o as RawSpecObject).ID === id || name(o as RawSpecObject) === id);
    return {
      async inspect(kind, id) {
        const local =
          kind === 'service'
            ? found(objects.services, id, (o) => o.Spec?.Name)
            : kind === 'node'
              ? found(
                  objects.nodes,
                  id,
                  (o) => (o as { Description?: { Hostname?: string } }).Description?.Hostname,
                )
              : undefined;
        return local ?? fromApi.inspect(kind, id);
      },
      services: async () => objects.services ?? (await fromApi.services!()),
    };
  };

  const identity = (user: DashboardUser): Identity => ({
    kind: 'certificate',
    user: user.name,
    issuedAt: user.issuedAt ?? new Date(),
  });
  const ask = async (user: DashboardUser, request: ApiRequest, lookup: Lookup): Promise<Verdict> => {
    const d = await decide(
      policy,
      {
        method: request.method,
        uri: request.path,
        body: Buffer.from(JSON.stringify(request.body)),
        identity: identity(user),
      },
      lookup,
      checks,
    );
    return { allowed: d.allow, reason: d.allow ? `${d.reason}: ${d.resource}` : d.reason };
  };

  /** Where a stack may go: its services and networks must each be allowed into the collection they name. */
  const deployTargets = async (
    user: DashboardUser,
  ): Promise<{ into: string[]; refused: string[]; admin: boolean }> => {
    const into: string[] = [];
    const refused: string[] = [];
    if (policy.users.find((u) => u.name === user.name)?.admin)
      return { into: ['any collection'], refused, admin: true };
    for (const collection of candidateCollections(policy, user.name)) {
      const labels = { [COLLECTION_LABEL]: collection };
      const lookup = withObjects({});
      const service = await ask(
        user,
        {
          method: 'POST',
          path: '/services/create',
          body: {
            Name: 'stack_service',
            Labels: labels,
            // Pinned as the managers require of a non-admin (placement.ts), here to the collection's own nodes.
            TaskTemplate: {
              ContainerSpec: { Image: 'image' },
              Placement: {
                Constraints: ['node.role==worker', `node.labels.${COLLECTION_LABEL}==${collection}`],
              },
            },
          },
        },
        lookup,
      );
      const network = await ask(
        user,
        {
          method: 'POST',
          path: '/networks/create',
          body: { Name: 'stack_default', Driver: 'overlay', Labels: labels },
        },
        lookup,
      );
      if (service.allowed && network.allowed) into.push(collection);
      else refused.push(service.allowed ? network.reason : service.reason);
    }
    return { into, refused, admin: false };
  };

  const source = (user: DashboardUser) =>
    `access policy of ${options.file} (spec.access) for ${user.name}: ${describeAccess(policy, user.name)}; decided here by the managers' policy code, and the managers decide last${options.note ?? ''}`;

  const forPage = async (user: DashboardUser, objects: RawObjects): Promise<DashboardPermissions> => {
    try {
      const lookup = withObjects(objects);
      const nodes: Record<string, Verdict> = {};
      for (const raw of objects.nodes as RawSpecObject[]) {
        const next = (raw.Spec as { Availability?: string }).Availability === 'active' ? 'drain' : 'active';
        nodes[raw.ID] = await ask(user, availabilityRequest(raw, next), lookup);
      }
      const services: Record<string, Verdict> = {};
      for (const raw of objects.services as RawSpecObject[]) {
        const replicas = (raw.Spec as { Mode?: { Replicated?: { Replicas?: number } } }).Mode?.Replicated
          ?.Replicas;
        const request = scaleRequest(raw, replicas ?? 1);
        if (request) services[raw.ID] = await ask(user, request, lookup);
      }
      const deploy = await deployTargets(user);
      const anyNode = Object.values(nodes).some((v) => v.allowed);
      const anyService = Object.values(services).some((v) => v.allowed);
      return {
        nodeAvailability: anyNode,
        scaleService: anyService,
        deployStack: deploy.into.length > 0,
        source: source(user),
        nodes,
        services,
        deployCollections: deploy.into,
        notes: {
          ...(!anyNode && { nodeAvailability: firstReason(nodes, 'no node to drain or activate') }),
          ...(!anyService && { scaleService: firstReason(services, 'no replicated service') }),
          deployStack: deploy.admin
            ? 'admin: into any collection (services without the label go to /System)'
            : deploy.into.length > 0
              ? `into ${deploy.into.join(', ')}: label every service (deploy.labels) and network of the stack with ${COLLECTION_LABEL}=<one of them>, and pin every service to workers of a node collection you may schedule on (deploy.placement.constraints: node.role==worker, node.labels.${COLLECTION_LABEL}==<collection>)`
              : (deploy.refused[0] ?? `${user.name} may create in no collection`),
        },
      };
    } catch (e) {
      // Fail closed: nothing is offered when the policy cannot be asked.
      const why = `could not decide (${(e as Error).message}): nothing is offered`;
      return {
        nodeAvailability: false,
        scaleService: false,
        deployStack: false,
        source: source(user),
        notes: { nodeAvailability: why, scaleService: why, deployStack: why },
      };
    }
  };

  // Every page gets the same snapshot: decide once per round of reads, not once per page.
  let last: { objects: RawObjects; user: string; answer: Promise<DashboardPermissions> } | undefined;

  return {
    forPage(user, objects) {
      if (last?.objects !== objects || last.user !== user.name) {
        last = { objects, user: user.name, answer: forPage(user, objects) };
      }
      return last.answer;
    },

    async check(user, operation: DashboardOperation) {
      switch (operation.kind) {
        case 'nodeAvailability': {
          const current = await options.api.get<RawSpecObject>(
            `/nodes/${encodeURIComponent(operation.nodeId)}`,
          );
          return ask(
            user,
            availabilityRequest(current, operation.availability),
            withObjects({ nodes: [current] }),
          );
        }
        case 'scaleService': {
          const current = await options.api.get<RawSpecObject>(
            `/services/${encodeURIComponent(operation.serviceId)}`,
          );
          // Not replicated: the action refuses it itself; the policy is asked about the same update anyway.
          const request = scaleRequest(current, operation.replicas) ?? {
            method: 'POST',
            path: `/services/${encodeURIComponent(current.ID)}/update?version=${current.Version.Index}`,
            body: current.Spec,
          };
          return ask(user, request, withObjects({ services: [current] }));
        }
        case 'deployStack': {
          const deploy = await deployTargets(user);
          return deploy.into.length > 0
            ? { allowed: true, reason: `may deploy into ${deploy.into.join(', ')}` }
            : { allowed: false, reason: deploy.refused[0] ?? `${user.name} may create in no collection` };
        }
      }
    },
  };
}

/** The user's default and private collections and every collection a grant of the user or its teams names. */
function candidateCollections(policy: AccessPolicy, name: string): string[] {
  const user = policy.users.find((u) => u.name === name);
  if (!user) return [];
  const teams = new Set(policy.teams.filter((t) => t.members.includes(name)).map((t) => t.name));
  const granted = policy.grants
    .filter((g) => g.user === name || (g.team !== undefined && teams.has(g.team)))
    .map((g) => g.collection)
    .filter((c) => !inSystem(c));
  return [...new Set([user.defaultCollection, privateCollection(name), ...granted])];
}

/** The user's access in words: admin, or each grant (own and through teams) and the private collection. */
function describeAccess(policy: AccessPolicy, name: string): string {
  const user = policy.users.find((u) => u.name === name);
  if (!user) return `${name} is not a user of the policy: every request is refused`;
  if (user.admin) return 'admin (every action)';
  const teams = new Set(policy.teams.filter((t) => t.members.includes(name)).map((t) => t.name));
  const grants = policy.grants
    .filter((g) => g.user === name || (g.team !== undefined && teams.has(g.team)))
    .map((g) => `${g.role} on ${g.collection}${g.team ? ` (team ${g.team})` : ''}`);
  return [...grants, `restrictedControl on ${privateCollection(name)} (own)`].join(', ');
}

/** Why none is allowed: the first reason, and how many more there are (each row shows its own). */
function firstReason(verdicts: Record<string, Verdict>, none: string): string {
  const all = Object.values(verdicts);
  if (all.length === 0) return none;
  const more = new Set(all.map((v) => v.reason)).size - 1;
  return more > 0
    ? `${all[0]!.reason} (and ${more} other reason${more === 1 ? '' : 's'}: each row shows its own)`
    : all[0]!.reason;
}
