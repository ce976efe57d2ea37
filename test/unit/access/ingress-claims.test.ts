import { describe, expect, it } from 'vitest';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { decide, type Lookup } from '../../../src/lib/access/policy.js';

/**
 * The plugin's ingress check: a host name stays with the collection routed for it first. Alice may create
 * and update services in /Shared/team; /Shared/other's service holds app.example.org.
 */
const policy: AccessPolicy = {
  version: 1,
  cluster: 'test',
  users: [
    { name: 'root', admin: true, defaultCollection: '/Shared/Private/root' },
    { name: 'alice', admin: false, defaultCollection: '/Shared/Private/alice' },
  ],
  teams: [],
  grants: [{ user: 'alice', role: 'restrictedControl', collection: '/Shared/team' }],
  revoked: [],
};

const team = { 'eectl.collection': '/Shared/team' };
const other = { 'eectl.collection': '/Shared/other' };
const spec = (name: string, labels: Record<string, string>) =>
  Buffer.from(
    JSON.stringify({
      Name: name,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: 'app' },
        Placement: { Constraints: ['node.role==worker', 'node.labels.eectl.collection==/Shared/team'] },
      },
    }),
  );
/** The engine's services, as `GET /services` lists them and `GET /services/{id}` shows them. */
const SERVICES = [
  {
    ID: 'o1',
    CreatedAt: '2026-01-02T00:00:00Z',
    Spec: {
      Name: 'other-web',
      Labels: { ...other, 'eectl.http.host': 'app.example.org', 'eectl.http.port': '80' },
    },
  },
  // Older than other-web: by the watcher's first-created rule alone, a label update would take the host.
  { ID: 'old1', CreatedAt: '2025-01-01T00:00:00Z', Spec: { Name: 'old', Labels: { ...team } } },
  {
    ID: 't1',
    CreatedAt: '2026-01-03T00:00:00Z',
    Spec: {
      Name: 'team-web',
      Labels: { ...team, 'eectl.http.host': 'team.example.org', 'eectl.http.port': '80' },
    },
    PreviousSpec: JSON.parse(
      spec('team-web', { ...team, 'eectl.http.host': 'app.example.org', 'eectl.http.port': '80' }).toString(),
    ) as unknown,
  },
];
const inspect: Lookup['inspect'] = async (kind, id) =>
  kind === 'service' ? SERVICES.find((s) => s.ID === id || s.Spec.Name === id) : undefined;
const lookup: Lookup = { inspect, services: async () => SERVICES };

const as = (user: string, method: string, uri: string, body?: Buffer, with_ = lookup) =>
  decide(policy, { method, uri, body, identity: { kind: 'certificate', user, issuedAt: new Date() } }, with_);
const create = (labels: Record<string, string>, name = 'new', user = 'alice', with_ = lookup) =>
  as(user, 'POST', '/v1.41/services/create', spec(name, { ...team, ...labels }), with_);

describe('ingress host claims in the authorization plugin', () => {
  it("refuses a new service asking for another collection's host, by either label family", async () => {
    for (const labels of <Record<string, string>[]>[
      { 'eectl.http.host': 'app.example.org', 'eectl.http.port': '8080' },
      { 'eectl.http.host': 'www.example.org,app.example.org', 'eectl.http.port': '8080' },
      { 'eectl.http.host': 'app.example.org', 'eectl.http.port': '8080', 'eectl.http.path': '/api' },
      { 'com.docker.lb.hosts': 'app.example.org', 'com.docker.lb.port': '8080' },
    ]) {
      const d = await create(labels);
      expect(d.allow, JSON.stringify(labels)).toBe(false);
      expect(d.reason).toContain(
        'host app.example.org is claimed by service other-web of collection /Shared/other',
      );
    }
  });

  it('admits a free host, and a second path of its own collection’s host', async () => {
    expect((await create({ 'eectl.http.host': 'free.example.org', 'eectl.http.port': '80' })).allow).toBe(
      true,
    );
    const api = await create({
      'eectl.http.host': 'team.example.org',
      'eectl.http.port': '80',
      'eectl.http.path': '/api',
    });
    expect(api.allow, api.reason).toBe(true);
  });

  it('refuses the same host and path as another service of its own collection', async () => {
    const d = await create({ 'eectl.http.host': 'team.example.org', 'eectl.http.port': '80' });
    expect(d.allow).toBe(false);
    expect(d.reason).toContain('host team.example.org path / is routed to service team-web already');
  });

  it('refuses an older service taking a host by a label update, and lets a route keep its own host', async () => {
    const hijack = await as(
      'alice',
      'POST',
      '/v1.41/services/old/update?version=3',
      spec('old', { ...team, 'eectl.http.host': 'app.example.org', 'eectl.http.port': '80' }),
    );
    expect(hijack.allow).toBe(false);
    expect(hijack.reason).toContain('claimed by service other-web of collection /Shared/other');
    const keep = await as(
      'alice',
      'POST',
      '/v1.41/services/t1/update?version=3',
      spec('team-web', { ...team, 'eectl.http.host': 'team.example.org', 'eectl.http.port': '81' }),
    );
    expect(keep.allow, keep.reason).toBe(true);
  });

  it('judges what a rollback puts in place: the previous spec', async () => {
    const d = await as(
      'alice',
      'POST',
      '/v1.41/services/t1/update?version=3&rollback=previous',
      spec('team-web', { ...team, 'eectl.http.host': 'team.example.org', 'eectl.http.port': '80' }),
    );
    expect(d.allow).toBe(false);
    expect(d.reason).toContain('claimed by service other-web');
  });

  it('fails closed: no service list, or an engine that does not answer, refuses a route (and only a route)', async () => {
    const blind: Lookup = { inspect };
    expect(
      (await create({ 'eectl.http.host': 'free.example.org', 'eectl.http.port': '80' }, 'n', 'alice', blind))
        .reason,
    ).toMatch(/cannot be checked here/);
    expect((await create({}, 'plain', 'alice', blind)).allow).toBe(true);
    const broken: Lookup = { inspect, services: () => Promise.reject(new Error('engine gone')) };
    const d = await create(
      { 'eectl.http.host': 'free.example.org', 'eectl.http.port': '80' },
      'n',
      'alice',
      broken,
    );
    expect(d.allow).toBe(false);
    expect(d.reason).toMatch(/could not decide \(engine gone\)/);
  });

  it('reads the labels as the engine does: a duplicated Labels key is refused, a differently cased one is the same field', async () => {
    const dup = Buffer.from(
      `{"Name":"n","Labels":{"eectl.collection":"/Shared/team","eectl.http.host":"free.example.org","eectl.http.port":"80"},"labels":{"eectl.collection":"/Shared/team","eectl.http.host":"app.example.org","eectl.http.port":"80"},"TaskTemplate":{"ContainerSpec":{"Image":"app"},"Placement":{"Constraints":["node.role==worker","node.labels.eectl.collection==/Shared/team"]}}}`,
    );
    const d = await as('alice', 'POST', '/v1.41/services/create', dup);
    expect(d.allow).toBe(false);
    // The same label twice (Go keeps the last): refused, so no reading can differ from the engine's.
    const twice = Buffer.from(
      `{"Name":"n","Labels":{"eectl.collection":"/Shared/team","eectl.http.host":"free.example.org","eectl.http.host":"app.example.org","eectl.http.port":"80"},"TaskTemplate":{"ContainerSpec":{"Image":"app"},"Placement":{"Constraints":["node.role==worker","node.labels.eectl.collection==/Shared/team"]}}}`,
    );
    const t = await as('alice', 'POST', '/v1.41/services/create', twice);
    expect(t.allow).toBe(false);
    expect(t.reason).toMatch(/names the field eectl.http.host twice/);
    const lower = Buffer.from(
      `{"Name":"n","labels":{"eectl.collection":"/Shared/team","eectl.http.host":"app.example.org","eectl.http.port":"80"},"TaskTemplate":{"ContainerSpec":{"Image":"app"},"Placement":{"Constraints":["node.role==worker","node.labels.eectl.collection==/Shared/team"]}}}`,
    );
    const l = await as('alice', 'POST', '/v1.41/services/create', lower);
    expect(l.allow).toBe(false);
    expect(l.reason).toContain('claimed by service other-web');
  });

  it('leaves admins to the watcher (which refuses the later claim and says why)', async () => {
    const d = await create({ 'eectl.http.host': 'app.example.org', 'eectl.http.port': '80' }, 'new', 'root');
    expect(d.allow).toBe(true);
  });
});
