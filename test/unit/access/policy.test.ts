import { describe, expect, it } from 'vitest';
import type { AccessPolicy, PolicyGrant } from '../../../src/lib/access/model.js';
import { decide, type Identity, type Lookup } from '../../../src/lib/access/policy.js';
import { route, routeRequest } from '../../../src/lib/access/routes.js';

const policyWith = (grants: PolicyGrant[], extra: Partial<AccessPolicy> = {}): AccessPolicy => ({
  version: 1,
  cluster: 'test',
  users: [
    { name: 'root', admin: true, defaultCollection: '/Shared/Private/root' },
    { name: 'alice', admin: false, defaultCollection: '/Shared/Private/alice' },
    { name: 'bob', admin: false, defaultCollection: '/Shared/Private/bob' },
  ],
  teams: [{ name: 'devs', members: ['bob'] }],
  grants,
  revoked: [],
  ...extra,
});

/** The engine's state the lookups see: resources by kind/id. */
const WORLD: Record<string, unknown> = {
  'service/web': { Spec: { Labels: { 'eectl.collection': '/Shared/team' } } },
  'service/other': { Spec: { Labels: { 'eectl.collection': '/Shared/other' } } },
  'service/deep': { Spec: { Labels: { 'eectl.collection': '/Shared/team/sub' } } },
  'service/registry': { Spec: { Labels: {} } },
  'service/mine': { Spec: { Labels: { 'eectl.collection': '/Shared/Private/alice' } } },
  'task/t1': { ServiceID: 'web' },
  'container/c1': { Config: { Labels: { 'com.docker.swarm.service.id': 'web' } } },
  'container/c2': { Config: { Labels: { 'eectl.collection': '/Shared/other' } } },
  'exec/e1': { ContainerID: 'c1' },
  'network/overlay1': { Name: 'overlay1', Driver: 'overlay', Labels: { 'eectl.collection': '/Shared/team' } },
  'network/hostnet': { Name: 'host', Driver: 'host', Labels: {} },
  'network/othernet': {
    Name: 'othernet',
    Driver: 'overlay',
    Labels: { 'eectl.collection': '/Shared/other' },
  },
  'secret/s1': { Spec: { Labels: { 'eectl.collection': '/Shared/other' } } },
  'node/w1': { Spec: { Role: 'worker', Labels: {} } },
  'node/m1': { Spec: { Role: 'manager', Labels: {} } },
};
const lookup: Lookup = { inspect: async (kind, id) => WORLD[`${kind}/${id}`] };

const cert = (user: string, issuedAt = new Date()): Identity => ({ kind: 'certificate', user, issuedAt });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
/** Pinned to workers of its own collection's nodes (restrictedControl there may schedule on them). */
const placement = (labels: Record<string, string>) => ({
  Constraints: [
    'node.role==worker',
    `node.labels.eectl.collection==${labels['eectl.collection'] ?? '/Shared'}`,
  ],
});
const service = (labels: Record<string, string>, containerSpec: Record<string, unknown> = {}, more = {}) =>
  json({
    Name: 'svc',
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: { Image: 'app', ...containerSpec },
      Placement: placement(labels),
      ...more,
    },
  });
const team = { 'eectl.collection': '/Shared/team' };
const container = (hostConfig: Record<string, unknown>, labels = team) =>
  json({ Image: 'app', Labels: labels, HostConfig: hostConfig });

interface Row {
  name: string;
  grants: PolicyGrant[];
  user?: string;
  method: string;
  uri: string;
  body?: Buffer;
  allow: boolean;
  reason?: RegExp;
}

const G = (
  role: PolicyGrant['role'],
  collection: string,
  who: { user?: string; team?: string } = { user: 'alice' },
) => ({
  ...who,
  role,
  collection,
});

const ROWS: Row[] = [
  // every role on a service in /Shared/team
  {
    name: 'none: cannot view',
    grants: [G('none', '/Shared/team')],
    method: 'GET',
    uri: '/v1.41/services/web',
    allow: false,
    reason: /no view permission on \/Shared\/team/,
  },
  {
    name: 'viewOnly: views',
    grants: [G('viewOnly', '/Shared/team')],
    method: 'GET',
    uri: '/v1.41/services/web',
    allow: true,
  },
  {
    name: 'viewOnly: lists services',
    grants: [G('viewOnly', '/Shared/team')],
    method: 'GET',
    uri: '/v1.41/services?status=true',
    allow: true,
  },
  {
    name: 'viewOnly: no create',
    grants: [G('viewOnly', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: service(team),
    allow: false,
    reason: /no create permission on \/Shared\/team/,
  },
  {
    name: 'viewOnly: no delete',
    grants: [G('viewOnly', '/Shared/team')],
    method: 'DELETE',
    uri: '/v1.41/services/web',
    allow: false,
  },
  {
    name: 'viewOnly: sees nodes',
    grants: [G('viewOnly', '/Shared')],
    method: 'GET',
    uri: '/v1.41/nodes/w1',
    allow: true,
  },
  {
    name: 'restrictedControl: creates',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: service(team),
    allow: true,
  },
  {
    name: 'restrictedControl: updates',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/web/update?version=3',
    body: service(team),
    allow: true,
  },
  {
    name: 'restrictedControl: deletes',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'DELETE',
    uri: '/services/web',
    allow: true,
  },
  {
    name: 'restrictedControl: no exec',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/containers/c1/exec',
    body: json({ Cmd: ['sh'] }),
    allow: false,
    reason: /no exec permission/,
  },
  {
    name: 'restrictedControl: no exec start',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/exec/e1/start',
    allow: false,
  },
  {
    name: 'restrictedControl: no attach',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/containers/c1/attach?stream=1',
    allow: false,
  },
  {
    name: 'restrictedControl: no copy out',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'GET',
    uri: '/v1.41/containers/c1/archive?path=/etc',
    allow: false,
  },
  {
    name: 'restrictedControl: logs of its container',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'GET',
    uri: '/v1.41/containers/c1/logs',
    allow: true,
  },
  {
    name: 'restrictedControl: not another collection',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/other/update',
    body: service({ 'eectl.collection': '/Shared/other' }),
    allow: false,
    reason: /no update permission on \/Shared\/other/,
  },
  {
    name: 'restrictedControl: cannot move a service out',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/web/update',
    body: service({ 'eectl.collection': '/Shared/other' }),
    allow: false,
    reason: /no create permission on \/Shared\/other/,
  },
  {
    name: 'restrictedControl: update must keep the label',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/web/update',
    body: service({}),
    allow: false,
    reason: /drops the label/,
  },
  {
    name: 'scheduler: sees nodes',
    grants: [G('scheduler', '/Shared')],
    method: 'GET',
    uri: '/v1.41/nodes/w1',
    allow: true,
  },
  {
    name: 'scheduler: lists nodes',
    grants: [G('scheduler', '/Shared')],
    method: 'GET',
    uri: '/v1.41/nodes',
    allow: true,
  },
  {
    name: 'scheduler: no workload view',
    grants: [G('scheduler', '/Shared')],
    method: 'GET',
    uri: '/v1.41/services/web',
    allow: false,
  },
  {
    name: 'scheduler: cannot drain',
    grants: [G('scheduler', '/Shared')],
    method: 'POST',
    uri: '/v1.41/nodes/w1/update?version=9',
    body: json({ Availability: 'drain' }),
    allow: false,
    reason: /admins only/,
  },
  {
    name: 'fullControl: exec',
    grants: [G('fullControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/containers/c1/exec',
    body: json({ Cmd: ['sh'] }),
    allow: true,
  },
  {
    name: 'fullControl: exec start',
    grants: [G('fullControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/exec/e1/start',
    allow: true,
  },
  {
    name: 'fullControl: bind mount allowed',
    grants: [G('fullControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: service(team, { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }),
    allow: true,
  },
  {
    name: 'fullControl: only its collection',
    grants: [G('fullControl', '/Shared/team')],
    method: 'DELETE',
    uri: '/v1.41/services/other',
    allow: false,
  },
  {
    name: 'fullControl: cannot drain a node',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/nodes/w1/update',
    body: json({ Availability: 'drain' }),
    allow: false,
  },
  {
    name: 'fullControl on /: not /System',
    grants: [G('fullControl', '/')],
    method: 'DELETE',
    uri: '/v1.41/services/registry',
    allow: false,
    reason: /\/System is for admins only/,
  },
  {
    name: 'fullControl on /: no create in /System',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: service({ 'eectl.collection': '/System' }),
    allow: false,
    reason: /\/System is for admins only/,
  },
  {
    name: 'fullControl: no swarm',
    grants: [G('fullControl', '/')],
    method: 'GET',
    uri: '/v1.41/swarm',
    allow: false,
    reason: /swarm settings/,
  },
  {
    name: 'fullControl: no plugin install',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/plugins/pull?remote=x',
    allow: false,
    reason: /plugins/,
  },
  {
    name: 'fullControl: no containers on managers',
    grants: [G('fullControl', '/Shared/team')],
    method: 'POST',
    uri: '/v1.41/containers/create',
    body: container({}),
    allow: false,
    reason: /managers are in \/System/,
  },
  // admins
  {
    name: 'admin: drains a node',
    grants: [],
    user: 'root',
    method: 'POST',
    uri: '/v1.41/nodes/w1/update?version=9',
    body: json({ Availability: 'drain' }),
    allow: true,
  },
  {
    name: 'admin: touches /System',
    grants: [],
    user: 'root',
    method: 'DELETE',
    uri: '/v1.41/services/registry',
    allow: true,
  },
  {
    name: 'admin: swarm join tokens',
    grants: [],
    user: 'root',
    method: 'GET',
    uri: '/v1.41/swarm',
    allow: true,
  },
  {
    name: 'admin: unknown endpoint is refused too',
    grants: [],
    user: 'root',
    method: 'POST',
    uri: '/v1.45/brand/new',
    allow: false,
    reason: /not an engine API route this plugin knows: refused for everyone/,
  },
  // inheritance and teams
  {
    name: 'inherited by child collections',
    grants: [G('restrictedControl', '/Shared')],
    method: 'DELETE',
    uri: '/v1.41/services/deep',
    allow: true,
  },
  {
    name: 'not inherited upwards',
    grants: [G('restrictedControl', '/Shared/team/sub')],
    method: 'DELETE',
    uri: '/v1.41/services/web',
    allow: false,
  },
  {
    name: 'prefix is not a parent',
    grants: [G('restrictedControl', '/Shared/te')],
    method: 'DELETE',
    uri: '/v1.41/services/web',
    allow: false,
  },
  {
    name: 'team grant',
    grants: [G('restrictedControl', '/Shared/team', { team: 'devs' })],
    user: 'bob',
    method: 'DELETE',
    uri: '/v1.41/services/web',
    allow: true,
  },
  {
    name: 'team grant is not for others',
    grants: [G('restrictedControl', '/Shared/team', { team: 'devs' })],
    method: 'DELETE',
    uri: '/v1.41/services/web',
    allow: false,
  },
  {
    name: 'grants add up',
    grants: [
      G('viewOnly', '/Shared'),
      G('restrictedControl', '/Shared/team', { team: 'devs' }),
      G('fullControl', '/Shared/team/sub', { user: 'bob' }),
    ],
    user: 'bob',
    method: 'POST',
    uri: '/v1.41/services/deep/update',
    body: service({ 'eectl.collection': '/Shared/team/sub' }, { CapabilityAdd: ['NET_ADMIN'] }),
    allow: true,
  },
  // default collections
  {
    name: 'own private collection without a grant',
    grants: [],
    method: 'DELETE',
    uri: '/v1.41/services/mine',
    allow: true,
  },
  {
    name: 'private collection is restricted',
    grants: [],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: service({ 'eectl.collection': '/Shared/Private/alice' }, { CapabilityAdd: ['ALL'] }),
    allow: false,
    reason: /CapabilityAdd \(not on the allow-list\)/,
  },
  {
    name: "not someone else's private collection",
    grants: [],
    user: 'bob',
    method: 'DELETE',
    uri: '/v1.41/services/mine',
    allow: false,
  },
  {
    name: 'create without label: names the default collection',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: service({}),
    allow: false,
    reason: /--label eectl.collection=\/Shared\/Private\/alice/,
  },
  {
    name: 'restrictedControl: plain volume',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/volumes/create',
    body: json({ Name: 'v', Labels: team }),
    allow: true,
  },
  // references
  {
    name: 'service on its own network',
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/services/create',
    body: service(team, {}, { Networks: [{ Target: 'overlay1' }] }),
    allow: true,
  },
  {
    name: "service on another collection's network",
    grants: [G('restrictedControl', '/Shared/team')],
    method: 'POST',
    uri: '/services/create',
    body: service(team, {}, { Networks: [{ Target: 'othernet' }] }),
    allow: false,
    reason: /network othernet in \/Shared\/other/,
  },
  {
    name: "service with another collection's secret",
    grants: [G('fullControl', '/Shared/team')],
    method: 'POST',
    uri: '/services/create',
    body: service(team, { Secrets: [{ SecretID: 's1', SecretName: 'x' }] }),
    allow: false,
    reason: /secret s1/,
  },
  // bodies and endpoints: fail closed
  {
    name: 'create with no body passed',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/services/create',
    allow: false,
    reason: /no request body/,
  },
  {
    name: 'create with a body that is not JSON',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/services/create',
    body: Buffer.from('{nope'),
    allow: false,
    reason: /not valid JSON/,
  },
  {
    name: 'unknown endpoint',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/brand/new',
    allow: false,
    reason: /not an engine API route/,
  },
  {
    name: 'encoded path is decoded',
    grants: [G('viewOnly', '/Shared/team')],
    method: 'DELETE',
    uri: '/v1.41/services/%77eb',
    allow: false,
  },
  {
    name: 'dot segments refused',
    grants: [G('fullControl', '/')],
    method: 'GET',
    uri: '/v1.41/services/../swarm',
    allow: false,
  },
  { name: 'ping for everyone known', grants: [], method: 'HEAD', uri: '/_ping', allow: true },
  { name: 'info for everyone known', grants: [], method: 'GET', uri: '/v1.41/info', allow: true },
  {
    name: 'images cannot be pulled on managers',
    grants: [G('fullControl', '/')],
    method: 'POST',
    uri: '/v1.41/images/create?fromImage=x',
    allow: false,
    reason: /reach out to the network/,
  },
  {
    name: 'task view through its service',
    grants: [G('viewOnly', '/Shared/team')],
    method: 'GET',
    uri: '/v1.41/tasks/t1',
    allow: true,
  },
  {
    name: 'missing resource',
    grants: [G('fullControl', '/')],
    method: 'GET',
    uri: '/v1.41/services/nope',
    allow: false,
    reason: /not found/,
  },
];

describe('access policy: (user, grants, request) → decision', () => {
  it.each(ROWS)('$name', async (row) => {
    const decision = await decide(
      policyWith(row.grants),
      { method: row.method, uri: row.uri, body: row.body, identity: cert(row.user ?? 'alice') },
      lookup,
    );
    expect(decision.allow, decision.reason).toBe(row.allow);
    if (row.reason) expect(decision.reason).toMatch(row.reason);
  });
});

describe('identities', () => {
  const request = { method: 'POST', uri: '/v1.41/swarm/leave' };
  it('the local socket (no certificate) is the break-glass path', async () => {
    const d = await decide(policyWith([]), { ...request, identity: { kind: 'local' } }, lookup);
    expect(d).toMatchObject({ allow: true, user: '(local socket)' });
  });
  it('the local socket still works without a policy; certificates do not', async () => {
    expect((await decide(undefined, { ...request, identity: { kind: 'local' } }, lookup)).allow).toBe(true);
    const d = await decide(undefined, { method: 'GET', uri: '/_ping', identity: cert('root') }, lookup);
    expect(d.allow).toBe(false);
    expect(d.reason).toMatch(/fail closed/);
  });
  it('a user not in the policy is refused', async () => {
    const d = await decide(
      policyWith([]),
      { method: 'GET', uri: '/_ping', identity: cert('mallory') },
      lookup,
    );
    expect(d).toMatchObject({ allow: false, user: 'mallory' });
  });
  it('a certificate the CA did not issue is refused', async () => {
    const d = await decide(
      policyWith([]),
      { method: 'GET', uri: '/_ping', identity: { kind: 'invalid', why: 'not issued by the cluster CA' } },
      lookup,
    );
    expect(d.allow).toBe(false);
  });
  it('revoked: certificates issued before the revocation are refused, newer ones work', async () => {
    const policy = policyWith([], { revoked: [{ user: 'alice', since: '2026-06-01T00:00:00Z' }] });
    const old = await decide(
      policy,
      { method: 'GET', uri: '/_ping', identity: cert('alice', new Date('2026-05-01')) },
      lookup,
    );
    expect(old.allow).toBe(false);
    expect(old.reason).toMatch(/revoked/);
    const renewed = await decide(
      policy,
      { method: 'GET', uri: '/_ping', identity: cert('alice', new Date('2026-07-01')) },
      lookup,
    );
    expect(renewed.allow).toBe(true);
  });
  it('a lookup that fails refuses', async () => {
    const broken: Lookup = { inspect: async () => Promise.reject(new Error('engine gone')) };
    const d = await decide(
      policyWith([G('fullControl', '/')]),
      { method: 'GET', uri: '/services/web', identity: cert('alice') },
      broken,
    );
    expect(d.allow).toBe(false);
    expect(d.reason).toMatch(/engine gone/);
  });
});

describe('routes', () => {
  it('reads the target as the engine does: version prefix, query, decoding', () => {
    expect(routeRequest('POST', '/v1.41/services/create?x=1')).toMatchObject({
      op: { type: 'create', kind: 'service' },
      path: '/services/create',
      version: '1.41',
    });
    expect(routeRequest('GET', '/services')).toMatchObject({ path: '/services', version: undefined });
    expect(route('GET', '/v1.41/a//b').type).toBe('unknown');
    expect(route('GET', '/v1.41/%zz').type).toBe('unknown');
    expect(route('GET', '/services/').type).toBe('unknown');
  });
  it('image references with slashes', () => {
    expect(route('GET', '/v1.41/distribution/registry.local:5443/app/web:1/json')).toEqual({
      type: 'outbound',
      what: 'image digest look-up on a registry',
    });
  });
});
