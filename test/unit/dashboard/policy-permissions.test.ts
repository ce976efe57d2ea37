import { describe, expect, it } from 'vitest';
import { dashboardPermissions } from '../../../src/lib/actions/dashboard.js';
import { accessSchema, clusterSchema } from '../../../src/lib/config/schema.js';
import { fullControlPermissions, type RawObjects } from '../../../src/lib/dashboard/permissions.js';
import { policyPermissions } from '../../../src/lib/dashboard/policy-permissions.js';
import { EngineApi, EngineApiError } from '../../../src/lib/engine-api/client.js';

const ACCESS = accessSchema.parse({
  users: [
    { name: 'root', admin: true },
    { name: 'viewer' },
    { name: 'dev' },
    { name: 'full' },
    { name: 'sched' },
    { name: 'wide' },
  ],
  teams: [{ name: 'team-a', members: ['dev'] }],
  grants: [
    { user: 'viewer', role: 'viewOnly', collection: '/Shared' },
    { team: 'team-a', role: 'restrictedControl', collection: '/Shared/team' },
    { user: 'dev', role: 'viewOnly', collection: '/Shared' },
    { user: 'full', role: 'fullControl', collection: '/Shared/full' },
    { user: 'sched', role: 'scheduler', collection: '/Shared' },
    { user: 'wide', role: 'restrictedControl', collection: '/Shared' },
  ],
});

/** A service as `GET /services` lists it. */
function service(id: string, collection: string | undefined, extra: Record<string, unknown> = {}) {
  const { TaskTemplate, Mode, ...rest } = extra as { TaskTemplate?: unknown; Mode?: unknown };
  return {
    ID: id,
    Version: { Index: 10 },
    Spec: {
      Name: id,
      Labels: collection === undefined ? {} : { 'eectl.collection': collection },
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        // Pinned as the managers require of a non-admin's service: workers of its own collection.
        Placement: {
          Constraints: ['node.role==worker', `node.labels.eectl.collection==${collection ?? '/Shared'}`],
        },
        ...(TaskTemplate as object | undefined),
      },
      Mode: Mode ?? { Replicated: { Replicas: 2 } },
      ...rest,
    },
  };
}
const node = (id: string, role: 'manager' | 'worker') => ({
  ID: id,
  Version: { Index: 3 },
  Description: { Hostname: id },
  Spec: { Role: role, Availability: 'active', Labels: {} },
});

const OBJECTS: RawObjects = {
  nodes: [node('m1', 'manager'), node('w1', 'worker')],
  services: [
    service('team-web', '/Shared/team'),
    service('team-sub', '/Shared/team/sub'),
    service('other', '/Shared/other'),
    service('system', undefined),
    service('bind', '/Shared/team', {
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox', Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] },
      },
    }),
    service('full-bind', '/Shared/full', {
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox', Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] },
      },
    }),
    service('on-system-net', '/Shared/team', {
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: [{ Target: 'net-system' }] },
    }),
    service('on-team-net', '/Shared/team', {
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: [{ Target: 'net-team' }] },
    }),
    service('daemon', '/Shared/team', { Mode: { Global: {} } }),
  ],
};

/** The engine API as the user's bundle reads it: inspect answers, 404 for what is not there. */
function fakeApi(objects: Record<string, unknown>, calls: string[] = []) {
  return {
    async get<T>(path: string): Promise<T> {
      calls.push(path);
      const found = objects[path];
      if (found instanceof Error) throw found;
      if (found === undefined) throw new EngineApiError(404, 'not found', 'm1:2376', `GET ${path}`);
      return found as T;
    },
  };
}
const NETWORKS = {
  '/networks/net-system': { Id: 'net-system', Name: 'ingressish', Driver: 'overlay', Labels: {} },
  '/networks/net-team': {
    Id: 'net-team',
    Name: 'team-net',
    Driver: 'overlay',
    Labels: { 'eectl.collection': '/Shared/team' },
  },
};

const source = (api = fakeApi(NETWORKS)) =>
  policyPermissions({ file: 'cluster.yaml', cluster: 'prod', access: ACCESS, api });
const page = (user: string, objects = OBJECTS, api = fakeApi(NETWORKS)) =>
  source(api).forPage({ name: user }, objects);
const allowedServices = (p: { services?: Record<string, { allowed: boolean }> }) =>
  Object.entries(p.services ?? {})
    .filter(([, v]) => v.allowed)
    .map(([k]) => k)
    .sort();

describe('the dashboard’s permissions from the access policy of the cluster file', () => {
  it('admin: every node and service, stacks anywhere; the page says where it comes from', async () => {
    const p = await page('root');
    expect(p.nodeAvailability).toBe(true);
    expect(Object.values(p.nodes!).every((v) => v.allowed)).toBe(true);
    expect(allowedServices(p)).toEqual(
      OBJECTS.services
        .map((s) => (s as { ID: string }).ID)
        .filter((id) => id !== 'daemon')
        .sort(),
    );
    expect(p.deployStack).toBe(true);
    expect(p.source).toContain('access policy of cluster.yaml (spec.access) for root: admin');
  });

  it('viewOnly: no drain, no scale anywhere; stacks only into the private collection', async () => {
    const p = await page('viewer');
    expect(p.nodeAvailability).toBe(false);
    expect(p.scaleService).toBe(false);
    expect(p.services!['team-web']).toEqual({
      allowed: false,
      reason: 'service team-web in /Shared/team: viewer has no update permission on /Shared/team',
    });
    expect(p.nodes!.w1!.reason).toBe('node changes (drain, labels, roles, removal) are for admins only');
    expect(p.notes?.nodeAvailability).toBe(
      'node changes (drain, labels, roles, removal) are for admins only',
    );
    expect(p.deployCollections).toEqual(['/Shared/Private/viewer']);
    expect(p.source).toContain('viewOnly on /Shared, restrictedControl on /Shared/Private/viewer (own)');
  });

  it('restrictedControl on a collection (through a team): scales services in it and below, not elsewhere, not what reaches the node; drains nothing', async () => {
    const p = await page('dev');
    expect(p.nodeAvailability).toBe(false);
    expect(allowedServices(p)).toEqual(['on-team-net', 'team-sub', 'team-web']);
    expect(p.services!.other!.reason).toBe(
      'service other in /Shared/other: dev has no update permission on /Shared/other',
    );
    expect(p.services!.system!.reason).toBe('service system in /System: /System is for admins only');
    expect(p.services!.bind!.reason).toContain(
      'TaskTemplate.ContainerSpec.Mounts[0].Type="bind" (admitted: "volume" or "tmpfs"): this needs fullControl on /Shared/team',
    );
    expect(p.services!['on-system-net']!.reason).toBe(
      'network ingressish in /System: /System is for admins only',
    );
    // A global service has no replica count: it is not offered.
    expect(p.services!.daemon).toBeUndefined();
    expect(p.deployCollections).toEqual(['/Shared/Private/dev', '/Shared/team']);
    expect(p.source).toContain('restrictedControl on /Shared/team (team team-a)');
  });

  it('fullControl allows what restrictedControl refuses, on its own collection only', async () => {
    const p = await page('full');
    expect(allowedServices(p)).toEqual(['full-bind']);
    expect(p.nodeAvailability).toBe(false);
  });

  it('restrictedControl on a parent collection reaches the children; scheduler sees nodes but changes nothing', async () => {
    expect(allowedServices(await page('wide'))).toEqual(['on-team-net', 'other', 'team-sub', 'team-web']);
    const sched = await page('sched');
    expect(sched.nodeAvailability).toBe(false);
    expect(sched.scaleService).toBe(false);
  });

  it('a bundle of a user the policy does not know: nothing', async () => {
    const p = await page('mallory');
    expect(p).toMatchObject({ nodeAvailability: false, scaleService: false, deployStack: false });
    expect(p.notes?.deployStack).toBe('mallory may create in no collection');
    expect(p.services!['team-web']!.reason).toBe(
      'user mallory is not in the access policy (spec.access.users)',
    );
    expect(p.source).toContain('mallory is not a user of the policy');
  });

  it('fails closed: a look-up that fails refuses that service, and the page still gets an answer', async () => {
    const api = fakeApi({
      ...NETWORKS,
      '/networks/net-team': new EngineApiError(500, 'boom', 'm1:2376', 'GET /networks/net-team'),
    });
    const p = await page('dev', OBJECTS, api);
    expect(p.services!['on-team-net']!.allowed).toBe(false);
    expect(p.services!['on-team-net']!.reason).toMatch(/^could not decide .*boom.*: refused$/);
    expect(p.services!['team-web']!.allowed).toBe(true);
  });

  it('decides once per round of reads, however many pages show it', async () => {
    const s = source();
    const first = await s.forPage({ name: 'dev' }, OBJECTS);
    expect(await s.forPage({ name: 'dev' }, OBJECTS)).toBe(first);
    const next = { nodes: OBJECTS.nodes, services: [service('other', '/Shared/team')] };
    expect(allowedServices(await s.forPage({ name: 'dev' }, next))).toEqual(['other']);
  });

  it('before an action: the service read now decides (not the page’s copy), and what is refused says why', async () => {
    const calls: string[] = [];
    // Moved into /Shared/team since the page was drawn: dev may scale it now.
    const api = fakeApi({ ...NETWORKS, '/services/other': service('other', '/Shared/team') }, calls);
    const s = source(api);
    expect(await s.check({ name: 'dev' }, { kind: 'scaleService', serviceId: 'other', replicas: 3 })).toEqual(
      {
        allowed: true,
        reason: 'granted: service other in /Shared/team',
      },
    );
    expect(calls).toEqual(['/services/other']);
    expect(
      await s.check({ name: 'viewer' }, { kind: 'scaleService', serviceId: 'other', replicas: 3 }),
    ).toEqual({
      allowed: false,
      reason: 'service other in /Shared/team: viewer has no update permission on /Shared/team',
    });
    const w1 = fakeApi({ '/nodes/w1': node('w1', 'worker') });
    expect(
      await source(w1).check(
        { name: 'dev' },
        { kind: 'nodeAvailability', nodeId: 'w1', availability: 'drain' },
      ),
    ).toEqual({ allowed: false, reason: 'node changes (drain, labels, roles, removal) are for admins only' });
    expect(
      (
        await source(w1).check(
          { name: 'root' },
          { kind: 'nodeAvailability', nodeId: 'w1', availability: 'drain' },
        )
      ).allowed,
    ).toBe(true);
    expect(await s.check({ name: 'mallory' }, { kind: 'deployStack', name: 'shop' })).toEqual({
      allowed: false,
      reason: 'mallory may create in no collection',
    });
    expect((await s.check({ name: 'viewer' }, { kind: 'deployStack', name: 'shop' })).allowed).toBe(true);
  });

  it('the file decides the source: spec.access → the policy, none → full control', async () => {
    const base = {
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'prod' },
      spec: { hosts: [{ address: '10.0.0.1', role: 'manager' }] },
    };
    const api = new EngineApi({ endpoints: ['127.0.0.1:1'], tls: { ca: '', cert: '', key: '' } });
    expect(dashboardPermissions(clusterSchema.parse(base), 'cluster.yaml', api)).toBe(fullControlPermissions);
    const withAccess = clusterSchema.parse({ ...base, spec: { ...base.spec, access: ACCESS } });
    const chosen = dashboardPermissions(withAccess, 'prod.yaml', api);
    expect(chosen).not.toBe(fullControlPermissions);
    const p = await chosen.forPage({ name: 'viewer' }, { nodes: [], services: [] });
    expect(p.source).toContain('access policy of prod.yaml (spec.access) for viewer');
    expect(
      (await fullControlPermissions.forPage({ name: 'x' }, { nodes: [], services: [] })).source,
    ).toContain('no spec.access');
    // Signatures are the managers' to check (registry credentials): the page says so rather than guess.
    const signed = clusterSchema.parse({
      ...base,
      spec: { ...base.spec, images: { policy: { requireSigned: true } } },
    });
    expect(
      (await dashboardPermissions(signed, 'c.yaml', api).forPage({ name: 'x' }, { nodes: [], services: [] }))
        .source,
    ).toContain('the managers also require signed images');
    api.close();
  });
});
