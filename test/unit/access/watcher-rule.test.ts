import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { decide, type Lookup } from '../../../src/lib/access/policy.js';
import { accessUserNameSchema } from '../../../src/lib/config/schema.js';
import { INGRESS_CONFIG_FILTER, SYNC_TARGETS } from '../../../src/lib/ingress/names.js';
import { WATCHER_USER } from '../../../src/lib/host-layout.js';

/**
 * The ingress watcher's rule in the authorization plugin: its certificate may read services and secrets'
 * names, list and make the ingress's own configs, and roll eectl-ingress-sync to other ingress configs
 * and the TLS secrets of routes in force; nothing else, with access control on, off, or with no policy.
 */

const hash = (data: string) => createHash('sha256').update(data).digest('hex').slice(0, 12);
const CFG = 'global\n';
const CFG_NAME = `eectl-ingress-cfg-${hash(CFG)}`;

const config = (
  ID: string,
  Name: string,
  Labels: Record<string, string> = { 'eectl.ingress': 'config' },
) => ({
  ID,
  Spec: { Name, Labels, Data: 'eA==' },
});
const CONFIGS = [
  config('c-run', 'eectl-ingress-sync-aaaaaaaaaaaa'),
  config('c-cfg0', 'eectl-ingress-cfg-000000000000'),
  config('c-crt0', 'eectl-ingress-crt-000000000000'),
  config('c-certs0', 'eectl-ingress-certs-000000000000'),
  config('c-cfg1', CFG_NAME),
  config('c-crt1', 'eectl-ingress-crt-111111111111'),
  config('c-certs1', 'eectl-ingress-certs-111111111111'),
  // A user's config, and one that takes an ingress name without the label.
  config('c-user', 'app-config', {}),
  config('c-fake', 'eectl-ingress-cfg-222222222222', {}),
];
const SECRETS = [
  { ID: 's-cert', Spec: { Name: 'web-cert' } },
  { ID: 's-key', Spec: { Name: 'web-key' } },
  { ID: 's-db', Spec: { Name: 'db-password' } },
  { ID: 's-other', Spec: { Name: 'other-cert' } },
];

const file = (Name: string, Mode: number) => ({ Name, UID: '0', GID: '0', Mode });
const ref = (target: string, id: string) => {
  const c = CONFIGS.find((x) => x.ID === id)!;
  return { File: file(target, 0o444), ConfigID: c.ID, ConfigName: c.Spec.Name };
};
const secretRef = (name: string) => ({
  File: file(name, 0o400),
  SecretID: SECRETS.find((s) => s.Spec.Name === name)!.ID,
  SecretName: name,
});

/** The sync service's spec as the engine shows it (the watcher sends it back with new configs). */
const syncSpec = () => ({
  Name: 'eectl-ingress-sync',
  Labels: {},
  TaskTemplate: {
    ContainerSpec: {
      Image: 'haproxy@sha256:abc',
      Args: ['sh', '/usr/local/lib/eectl-ingress/sync.sh'],
      User: '0:0',
      Mounts: [{ Type: 'bind', Source: '/run/eectl-ingress', Target: '/out' }],
      Configs: [
        ref('/usr/local/lib/eectl-ingress/sync.sh', 'c-run'),
        ref(SYNC_TARGETS.config, 'c-cfg0'),
        ref(SYNC_TARGETS.crtList, 'c-crt0'),
        ref(SYNC_TARGETS.certs, 'c-certs0'),
      ],
      Isolation: 'default',
    },
    Placement: { Constraints: ['node.labels.eectl.ingress==true'] },
    ForceUpdate: 0,
    Runtime: 'container',
  },
  Mode: { Global: {} },
  UpdateConfig: { Parallelism: 0, Order: 'start-first' },
});

const SERVICES = [
  { ID: 'sync1', CreatedAt: '2026-01-01T00:00:00Z', Version: { Index: 7 }, Spec: syncSpec() },
  { ID: 'proxy1', CreatedAt: '2026-01-01T00:00:00Z', Spec: { Name: 'eectl-ingress', Labels: {} } },
  {
    ID: 'web1',
    CreatedAt: '2026-01-02T00:00:00Z',
    Spec: {
      Name: 'web',
      Labels: {
        'eectl.http.host': 'web.example.org',
        'eectl.http.port': '80',
        'eectl.http.tls': 'web-cert,web-key',
      },
    },
  },
  // Refused (web.example.org is web's): its secret is no route's.
  {
    ID: 'late1',
    CreatedAt: '2026-01-03T00:00:00Z',
    Spec: {
      Name: 'late',
      Labels: {
        'eectl.http.host': 'web.example.org',
        'eectl.http.port': '80',
        'eectl.http.tls': 'other-cert,web-key',
      },
    },
  },
];

const byIdOrName = <T extends { ID: string; Spec: { Name: string } }>(list: T[], id: string) =>
  list.find((x) => x.ID === id) ?? list.find((x) => x.Spec.Name === id);
const lookup: Lookup = {
  inspect: async (kind, id) =>
    kind === 'service'
      ? byIdOrName(SERVICES, id)
      : kind === 'config'
        ? byIdOrName(CONFIGS, id)
        : kind === 'secret'
          ? byIdOrName(SECRETS, id)
          : undefined,
  services: async () => SERVICES,
};

const OPEN: AccessPolicy = {
  version: 1,
  cluster: 't',
  users: [],
  teams: [],
  grants: [],
  revoked: [],
  open: true,
};
const ON: AccessPolicy = {
  version: 1,
  cluster: 't',
  users: [{ name: 'root', admin: true, defaultCollection: '/Shared/Private/root' }],
  teams: [],
  grants: [],
  revoked: [],
};
const POLICIES: [string, AccessPolicy | undefined][] = [
  ['access control off', OPEN],
  ['access control on', ON],
  ['no policy on the manager', undefined],
];

const watcher = { kind: 'certificate' as const, user: WATCHER_USER, issuedAt: new Date() };
const ask = (policy: AccessPolicy | undefined, method: string, uri: string, body?: unknown, with_ = lookup) =>
  decide(
    policy,
    {
      method,
      uri,
      body:
        body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      identity: watcher,
    },
    with_,
  );

const filtered = `/configs?filters=${encodeURIComponent(INGRESS_CONFIG_FILTER)}`;
const createBody = (data = CFG, name = `eectl-ingress-cfg-${hash(data)}`) => ({
  Name: name,
  Labels: { 'eectl.ingress': 'config' },
  Data: Buffer.from(data).toString('base64'),
});
/** The update the watcher sends: the spec in force, new ingress configs, the TLS secrets of routes in force. */
const update = (change: (spec: ReturnType<typeof syncSpec>) => void = () => {}) => {
  const spec = syncSpec();
  const c = spec.TaskTemplate.ContainerSpec as Record<string, unknown>;
  c.Configs = [
    ref('/usr/local/lib/eectl-ingress/sync.sh', 'c-run'),
    ref(SYNC_TARGETS.config, 'c-cfg1'),
    ref(SYNC_TARGETS.crtList, 'c-crt1'),
    ref(SYNC_TARGETS.certs, 'c-certs1'),
  ];
  c.Secrets = [secretRef('web-cert'), secretRef('web-key')];
  change(spec);
  return spec;
};
const UPDATE = '/services/sync1/update?version=7';

describe("the ingress watcher's rule in the authorization plugin", () => {
  it('admits the reads the watcher makes, versioned or not, whatever the policy', async () => {
    for (const [what, policy] of POLICIES) {
      for (const uri of [
        '/info',
        '/nodes/n1',
        '/services',
        '/secrets',
        filtered,
        '/v1.41/services',
        `/v1.41${filtered}`,
      ]) {
        const d = await ask(policy, 'GET', uri);
        expect([what, uri, d.allow, d.reason]).toEqual([what, uri, true, "the ingress watcher's rule"]);
      }
    }
  });

  it('refuses every other request, whatever the policy', async () => {
    const other: [string, string, unknown?][] = [
      ['GET', '/containers/json'],
      ['GET', '/configs'],
      ['GET', `/configs?filters=${encodeURIComponent('{"label":["eectl.collection=/Shared"]}')}`],
      ['GET', `${filtered}&filters=${encodeURIComponent('{}')}`],
      ['GET', `/configs?filters=${encodeURIComponent('{}')}&${filtered.slice(9)}`],
      ['GET', '/secrets/s-db'],
      ['GET', '/services?status=true'],
      ['GET', '/services/web1'],
      ['GET', '/tasks'],
      ['GET', '/info?x=1'],
      ['POST', '/services/create', { Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'x' } } }],
      ['POST', '/secrets/create', { Name: 'eectl-ingress-cfg-000000000000', Data: 'eA==' }],
      ['DELETE', '/services/web1'],
      ['DELETE', '/secrets/s-db'],
      ['POST', '/swarm/leave?force=1'],
      ['POST', '/containers/create', { Image: 'x' }],
      ['POST', '/exec/abc/start', {}],
      ['POST', '/nodes/n1/update?version=1', { Role: 'manager' }],
      ['GET', '/v9.99/info'],
      ['GET', '/info/../containers/json'],
    ];
    for (const [what, policy] of POLICIES) {
      for (const [method, uri, body] of other) {
        const d = await ask(policy, method, uri, body);
        expect([what, method, uri, d.allow]).toEqual([what, method, uri, false]);
      }
    }
  });

  it('creates only an ingress config named for its data, with the ingress label alone', async () => {
    expect((await ask(OPEN, 'POST', '/configs/create', createBody())).allow).toBe(true);
    expect(
      (await ask(ON, 'POST', '/v1.41/configs/create', createBody('x', `eectl-ingress-crt-${hash('x')}`)))
        .allow,
    ).toBe(true);
    const hostile: [string, unknown][] = [
      ['another kind', createBody('x', `eectl-ingress-run-${hash('x')}`)],
      ['a name not its data', createBody('x', `eectl-ingress-cfg-${hash('y')}`)],
      ['a name without the prefix', createBody('x', `app-cfg-${hash('x')}`)],
      [
        'another label too',
        { ...createBody(), Labels: { 'eectl.ingress': 'config', 'eectl.collection': '/' } },
      ],
      ['no label', { ...createBody(), Labels: {} }],
      ['another label value', { ...createBody(), Labels: { 'eectl.ingress': 'other' } }],
      ['templating', { ...createBody(), Templating: { Name: 'golang' } }],
      [
        'a key in another case',
        { name: createBody().Name, Labels: createBody().Labels, Data: createBody().Data },
      ],
      ['base64 not canonical', { ...createBody(), Data: `${createBody().Data}\n` }],
      ['data not base64', { ...createBody(), Data: 'not base64!' }],
    ];
    for (const [what, body] of hostile) {
      const d = await ask(OPEN, 'POST', '/configs/create', body);
      expect([what, d.allow]).toEqual([what, false]);
    }
    // A key named twice: Go would read the last Name, JSON.parse too; refused outright.
    const twice = `{"Name":"${CFG_NAME}","Labels":{"eectl.ingress":"config"},"Data":"${createBody().Data}","Name":"evil"}`;
    expect((await ask(OPEN, 'POST', '/configs/create', twice)).allow).toBe(false);
    expect((await ask(OPEN, 'POST', '/configs/create?x=1', createBody())).allow).toBe(false);
    expect((await ask(OPEN, 'POST', '/configs/create')).allow).toBe(false);
  });

  it("reads a sync target's config by its name (install made the first ones), and no other", async () => {
    for (const [what, policy] of POLICIES) {
      for (const id of ['c-cfg0', 'eectl-ingress-crt-000000000000', 'c-fake'])
        expect([what, id, (await ask(policy, 'GET', `/configs/${id}`)).allow]).toEqual([what, id, true]);
      for (const id of ['c-user', 'app-config', 'c-run', 'eectl-ingress-sync-aaaaaaaaaaaa'])
        expect([what, id, (await ask(policy, 'GET', `/configs/${id}`)).allow]).toEqual([what, id, false]);
      expect((await ask(policy, 'GET', '/configs/c-cfg0?x=1')).allow).toBe(false);
    }
  });

  it("removes only the ingress's configs, whatever the policy", async () => {
    for (const [what, policy] of POLICIES) {
      for (const id of ['c-cfg0', 'eectl-ingress-cfg-000000000000'])
        expect([what, id, (await ask(policy, 'DELETE', `/configs/${id}`)).allow]).toEqual([what, id, true]);
      for (const id of ['c-user', 'app-config', 'c-fake', 'eectl-ingress-cfg-222222222222'])
        expect([what, id, (await ask(policy, 'DELETE', `/configs/${id}`)).allow]).toEqual([what, id, false]);
    }
  });

  it('rolls eectl-ingress-sync to ingress configs and the TLS secrets of routes in force', async () => {
    for (const [what, policy] of POLICIES) {
      const d = await ask(policy, 'POST', UPDATE, update());
      expect([what, d.allow, d.reason]).toEqual([what, true, "the ingress watcher's rule"]);
    }
    // By name, versioned, and with no TLS route any more.
    expect(
      (await ask(OPEN, 'POST', '/v1.41/services/eectl-ingress-sync/update?version=7', update())).allow,
    ).toBe(true);
    const noSecrets = update((s) => {
      (s.TaskTemplate.ContainerSpec as Record<string, unknown>).Secrets = [];
    });
    expect((await ask(OPEN, 'POST', UPDATE, noSecrets)).allow).toBe(true);
  });

  it('refuses a sync update that changes anything else, or touches another service', async () => {
    const c = (s: ReturnType<typeof syncSpec>) => s.TaskTemplate.ContainerSpec as Record<string, unknown>;
    const hostile: [string, string, unknown][] = [
      ['another service', '/services/web1/update?version=7', update()],
      ['the proxy', '/services/proxy1/update?version=7', update()],
      ['another image', UPDATE, update((s) => (c(s).Image = 'evil'))],
      ['another command', UPDATE, update((s) => (c(s).Args = ['sh', '-c', 'cat /run/secrets/*']))],
      ['a new mount', UPDATE, update((s) => (c(s).Mounts = [{ Type: 'bind', Source: '/', Target: '/out' }]))],
      ['privileges', UPDATE, update((s) => (c(s).CapabilityAdd = ['CAP_SYS_ADMIN']))],
      ['a key in another case beside', UPDATE, update((s) => (c(s).image = 'evil'))],
      ['a placement', UPDATE, update((s) => (s.TaskTemplate.Placement.Constraints = []))],
      ['a label', UPDATE, update((s) => (s.Labels = { 'eectl.collection': '/' }))],
      ['a network', UPDATE, update((s) => Object.assign(s.TaskTemplate, { Networks: [{ Target: 'x' }] }))],
      [
        'its run script',
        UPDATE,
        update(
          (s) => ((c(s).Configs as unknown[])[0] = ref('/usr/local/lib/eectl-ingress/sync.sh', 'c-user')),
        ),
      ],
      [
        'a user config at a target',
        UPDATE,
        update((s) => ((c(s).Configs as unknown[])[1] = ref(SYNC_TARGETS.config, 'c-user'))),
      ],
      [
        'a config of another kind',
        UPDATE,
        update((s) => ((c(s).Configs as unknown[])[1] = ref(SYNC_TARGETS.config, 'c-crt1'))),
      ],
      [
        'a config name that lies',
        UPDATE,
        update(
          (s) =>
            ((c(s).Configs as { ConfigName: string }[])[1]!.ConfigName = 'eectl-ingress-cfg-000000000000'),
        ),
      ],
      [
        'a config at a new target',
        UPDATE,
        update((s) => (c(s).Configs as unknown[]).push(ref('/out/x', 'c-cfg1'))),
      ],
      ['a config dropped', UPDATE, update((s) => (c(s).Configs as unknown[]).pop())],
      [
        'a config with a mode',
        UPDATE,
        update((s) => ((c(s).Configs as { File: { Mode: number } }[])[1]!.File.Mode = 0o777)),
      ],
      [
        'a secret no route names',
        UPDATE,
        update((s) => (c(s).Secrets as unknown[]).push(secretRef('db-password'))),
      ],
      [
        "a refused route's secret",
        UPDATE,
        update((s) => (c(s).Secrets as unknown[]).push(secretRef('other-cert'))),
      ],
      [
        'a secret under another name',
        UPDATE,
        update((s) => ((c(s).Secrets as { File: { Name: string } }[])[0]!.File.Name = '/out/web-cert')),
      ],
      [
        'a secret readable by all',
        UPDATE,
        update((s) => ((c(s).Secrets as { File: { Mode: number } }[])[0]!.File.Mode = 0o444)),
      ],
      [
        'a secret by another ID',
        UPDATE,
        update((s) => ((c(s).Secrets as { SecretID: string }[])[0]!.SecretID = 's-db')),
      ],
      ['a secret twice', UPDATE, update((s) => (c(s).Secrets as unknown[]).push(secretRef('web-cert')))],
      ['no version', '/services/sync1/update', update()],
      ['a rollback', '/services/sync1/update?version=7&rollback=previous', update()],
      ['registry auth', '/services/sync1/update?version=7&registryAuthFrom=previous-spec', update()],
      ['a version twice', '/services/sync1/update?version=7&version=8', update()],
      ['no body', UPDATE, undefined],
    ];
    for (const [what, policy] of POLICIES) {
      for (const [why, uri, body] of hostile) {
        const d = await ask(policy, 'POST', uri, body);
        expect([what, why, d.allow]).toEqual([what, why, false]);
      }
    }
    const twice = JSON.stringify(update()).replace('"Image":', '"Image":"evil","Image":');
    expect((await ask(OPEN, 'POST', UPDATE, twice)).allow).toBe(false);
  });

  it('fails closed when the services cannot be read', async () => {
    const blind: Lookup = { inspect: lookup.inspect };
    expect((await ask(OPEN, 'POST', UPDATE, update(), blind)).allow).toBe(false);
    const broken: Lookup = {
      inspect: async () => {
        throw new Error('engine gone');
      },
      services: async () => SERVICES,
    };
    const d = await ask(OPEN, 'POST', UPDATE, update(), broken);
    expect([d.allow, d.reason]).toEqual([false, expect.stringContaining('engine gone') as unknown]);
  });

  it('is the only way to that name: the file cannot name a user so', () => {
    expect(accessUserNameSchema.safeParse(WATCHER_USER).success).toBe(false);
    expect(accessUserNameSchema.safeParse('Eectl-Ingress-Watcher').success).toBe(false);
    expect(accessUserNameSchema.safeParse('eectl-ingress').success).toBe(true);
  });
});
