import { describe, expect, it } from 'vitest';
import { decideScopes } from '../../../src/lib/access/registry-scopes.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { RegistryReader, registryViewer } from '../../../src/lib/dashboard/registry-reader.js';
import { pullableRepositories, registryPageView } from '../../../src/lib/dashboard/registry-view.js';
import type { RegistryClient } from '../../../src/lib/images/registry-client.js';
import { nullLogger } from '../../../src/lib/util/log.js';

/** A cluster with token auth, namespaces and an access policy, as a user writes it. */
function config(options: { access?: boolean; token?: boolean } = {}) {
  const { access = true, token = true } = options;
  return clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: {
      hosts: [
        { address: '10.0.0.1', role: 'manager' },
        { address: '10.0.0.5', role: 'registry' },
      ],
      registry: token
        ? {
            auth: { token: {} },
            namespaces: [
              { name: 'web', collection: '/Shared/web' },
              { name: 'api', collection: '/Shared/api', public: true },
              { name: 'secret', collection: '/Shared/secret' },
            ],
          }
        : {},
      ...(access && {
        access: {
          users: [{ name: 'ops', admin: true }, { name: 'dev' }, { name: 'viewer' }],
          teams: [{ name: 'webteam', members: ['dev'] }],
          grants: [
            { team: 'webteam', role: 'restrictedControl', collection: '/Shared/web' },
            { user: 'viewer', role: 'viewOnly', collection: '/Shared/api' },
          ],
        },
      }),
    },
  });
}

/** Names a registry could list, many built to look like one the viewer may pull. */
const HOSTILE = [
  'web/app',
  'api/base',
  'dev/tool', // dev's private namespace
  'viewer/tool', // viewer's private namespace
  'secret/keys', // mapped, nobody granted
  'Web/app', // case: not a repository name at all
  'WEB/APP',
  'web', // no namespace
  'webx/app', // a longer namespace that starts like web
  'web.x/app',
  'web-/app',
  'we/b/app',
  'wеb/app', // Cyrillic е
  'web/app/', // trailing slash
  ' web/app',
  'web//app',
  '../web/app',
  'web/../secret/keys',
  'web/app:latest',
  'dev2/tool', // another user's look-alike of dev's private namespace
  'devs/tool',
  'x'.repeat(252) + '/a/b', // 256 characters
];

/** The names of HOSTILE that are repository names at all (distribution/reference's grammar). */
const VALID = [
  'web/app',
  'api/base',
  'dev/tool',
  'viewer/tool',
  'secret/keys',
  'web',
  'webx/app',
  'web.x/app',
  'we/b/app',
  'dev2/tool',
  'devs/tool',
];

describe('the Registry page filter: what the viewer may pull, by the token service’s own decideScopes', () => {
  it("shows a team member their team's namespace, the public one and their own private one, nothing else", () => {
    expect(pullableRepositories(registryViewer(config(), 'dev'), HOSTILE)).toEqual([
      'web/app',
      'api/base',
      'dev/tool',
    ]);
  });

  it('shows a viewOnly user only what the grant and their private namespace give', () => {
    expect(pullableRepositories(registryViewer(config(), 'viewer'), HOSTILE)).toEqual([
      'api/base',
      'viewer/tool',
    ]);
  });

  it('shows an admin every valid repository name, and still no invalid one', () => {
    expect(pullableRepositories(registryViewer(config(), 'ops'), HOSTILE)).toEqual(VALID);
  });

  it('shows a user the policy does not know nothing (a directory user before sync, a typo, another case)', () => {
    for (const user of ['mallory', 'Dev', 'DEV', 'dev ', '']) {
      expect(pullableRepositories(registryViewer(config(), user), HOSTILE), user).toEqual([]);
    }
  });

  it('agrees with decideScopes on every name: shown exactly when the token service would grant pull', () => {
    const names = [...HOSTILE, 'api/other', 'web/a/b', 'ops/x', 'secret/x'];
    for (const user of ['ops', 'dev', 'viewer', 'nobody']) {
      const viewer = registryViewer(config(), user);
      const shown = new Set(pullableRepositories(viewer, names));
      for (const name of names) {
        const [d] = decideScopes(viewer.policy!, user, [{ type: 'repository', name, actions: ['pull'] }]);
        expect(shown.has(name), `${user} ${name}: ${d!.reason}`).toBe(d!.granted.includes('pull'));
      }
    }
  });

  it('under htpasswd with spec.access, namespaces do not exist: only private namespaces (and an admin) see', () => {
    const viewer = registryViewer(config({ token: false }), 'dev');
    expect(pullableRepositories(viewer, HOSTILE)).toEqual(['dev/tool']);
  });

  it('without spec.access (full control of the cluster) shows every valid name and drops the rest', () => {
    const viewer = registryViewer(config({ access: false, token: false }), 'root');
    expect(viewer.policy).toBeUndefined();
    expect(pullableRepositories(viewer, HOSTILE)).toEqual(VALID);
  });
});

describe('the Registry page view model', () => {
  it('counts signed image tags, marks cosign signature tags, and keeps the omitted counts', () => {
    const sig = `sha256-${'a'.repeat(64)}.sig`;
    const view = registryPageView({
      registry: '10.0.0.5:5443',
      source: 'test',
      repositories: [
        {
          name: 'web/app',
          tags: [
            { tag: '1.0', digest: `sha256:${'a'.repeat(64)}`, size: 1234, signedBy: 'release.pub' },
            { tag: '1.1', digest: `sha256:${'b'.repeat(64)}`, size: 99 },
            { tag: sig, digest: `sha256:${'c'.repeat(64)}`, size: 10 },
          ],
          omittedTags: 7,
        },
      ],
      omittedRepositories: 2,
      catalogCut: false,
      keysTrusted: true,
      readAt: new Date('2026-12-06T20:00:00Z'),
    });
    expect(view).toEqual({
      registry: '10.0.0.5:5443',
      source: 'test',
      repositories: [
        {
          name: 'web/app',
          tags: [
            {
              tag: '1.0',
              digest: `sha256:${'a'.repeat(64)}`,
              size: 1234,
              signedBy: 'release.pub',
              signature: false,
            },
            { tag: '1.1', digest: `sha256:${'b'.repeat(64)}`, size: 99, signature: false },
            { tag: sig, digest: `sha256:${'c'.repeat(64)}`, size: 10, signature: true },
          ],
          omittedTags: 7,
          signedTags: 1,
        },
      ],
      omittedRepositories: 2,
      catalogCut: false,
      keysTrusted: true,
      readAt: '2026-12-06T20:00:00.000Z',
    });
  });
});

/** A registry answering from memory, recording what it was asked: the catalog, tags and manifests. */
function fakeRegistry(repositories: Record<string, string[]>) {
  const asked: string[] = [];
  const digest = (s: string) => `sha256:${Buffer.from(s).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  const client = {
    catalog: async (limit?: number) => {
      asked.push(`catalog ${limit}`);
      return Object.keys(repositories);
    },
    tags: async (name: string) => {
      asked.push(`tags ${name}`);
      return repositories[name] ?? [];
    },
    manifest: async (name: string, tag: string) => {
      asked.push(`manifest ${name}:${tag}`);
      const body = { layers: [{ digest: digest(`${name}${tag}`), size: 100 }] };
      return { digest: digest(`${name}:${tag}`), mediaType: 'x', body: Buffer.from(JSON.stringify(body)) };
    },
  };
  return { asked, client: client as unknown as RegistryClient };
}

describe('the Registry page reader (bounded, cached, and never reading what the viewer may not pull)', () => {
  const log = nullLogger;
  const catalog = {
    'web/app': ['1', '2', '3', '4'],
    'api/base': ['1'],
    'secret/keys': ['prod'],
    'viewer/tool': ['1'],
  };

  it('reads tags of pullable repositories only, within the bounds, and says what it left out', async () => {
    const fake = fakeRegistry(catalog);
    const reader = new RegistryReader({
      config: config(),
      user: 'dev',
      file: 'cluster.yaml',
      log,
      bounds: { catalogPages: 3, repositories: 1, tagsPerRepository: 2 },
      client: async () => ({ client: fake.client, registry: '10.0.0.5:5443' }),
    });
    const page = await reader.page();
    expect(page.error).toBeUndefined();
    // Sorted: api/base comes first; web/app is pullable but over the bound of one repository.
    expect(page.repositories.map((r) => [r.name, r.tags.map((t) => t.tag), r.omittedTags])).toEqual([
      ['api/base', ['1'], 0],
    ]);
    expect(page.omittedRepositories).toBe(1);
    expect(page.source).toContain('only the repositories dev may pull');
    expect(fake.asked).toEqual(['catalog 3', 'tags api/base', 'manifest api/base:1']);
    expect(JSON.stringify(page)).not.toMatch(/secret|viewer\/tool/);
  });

  it('bounds the tags read per repository', async () => {
    const fake = fakeRegistry(catalog);
    const reader = new RegistryReader({
      config: config(),
      user: 'dev',
      file: 'cluster.yaml',
      log,
      bounds: { tagsPerRepository: 2 },
      client: async () => ({ client: fake.client, registry: '10.0.0.5:5443' }),
    });
    const page = await reader.page();
    const web = page.repositories.find((r) => r.name === 'web/app')!;
    expect(web.tags.map((t) => t.tag)).toEqual(['1', '2']);
    expect(web.omittedTags).toBe(2);
    expect(fake.asked.filter((a) => a.startsWith('manifest web/app'))).toHaveLength(2);
    expect(fake.asked.some((a) => a.includes('secret') || a.includes('viewer/'))).toBe(false);
  });

  it('serves one read to every page for the TTL, and reads again after it', async () => {
    const fake = fakeRegistry(catalog);
    let now = 1_000_000;
    const reader = new RegistryReader({
      config: config(),
      user: 'viewer',
      file: 'cluster.yaml',
      log,
      bounds: { ttlMs: 30_000 },
      client: async () => ({ client: fake.client, registry: '10.0.0.5:5443' }),
      now: () => now,
    });
    await Promise.all([reader.page(), reader.page()]);
    now += 29_000;
    await reader.page();
    expect(fake.asked.filter((a) => a.startsWith('catalog'))).toHaveLength(1);
    now += 2_000;
    const again = await reader.page();
    expect(fake.asked.filter((a) => a.startsWith('catalog'))).toHaveLength(2);
    expect(again.repositories.map((r) => r.name)).toEqual(['api/base', 'viewer/tool']);
  });

  it('says why when the registry cannot be read, and shows no repository', async () => {
    const reader = new RegistryReader({
      config: config(),
      user: 'ops',
      file: 'cluster.yaml',
      log,
      client: async () => {
        throw new Error('registry 10.0.0.5:5443: could not list the repositories: HTTP 401');
      },
    });
    const page = await reader.page();
    expect(page.repositories).toEqual([]);
    expect(page.error?.message).toContain('HTTP 401');
  });
});
