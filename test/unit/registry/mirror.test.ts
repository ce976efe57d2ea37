import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mergedDaemonJson, mirrorDaemonKeys } from '../../../src/lib/phases/converge/engine.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { DAEMON_JSON } from '../../../src/lib/host-layout.js';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { engineMirrorKeys, mirrorConfigYaml } from '../../../src/lib/registry/mirror.js';
import { planRegistry, type RegistryPlanInput } from '../../../src/lib/registry/plan.js';
import { registryEndpoints } from '../../../src/lib/registry/trust.js';
import { redact } from '../../../src/lib/util/redact.js';
import { registryHost, registrySpec } from './fixtures.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const ca = await createCa('prod', NOW);
const hosts = [registryHost('10.0.0.31', 'r1')];
const PASSWORD = 'upstream-Pa55"word';

const hub = { name: 'hub', upstream: 'https://registry-1.docker.io', port: 5446 };
const input = (registry: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): RegistryPlanInput => ({
  spec: registrySpec(registry),
  cluster: 'prod',
  registryHosts: hosts,
  env,
  state: new Map(),
  caCertPem: ca.certPem,
  caKey: () => Promise.resolve(ca.keyPem),
  now: NOW,
});

describe('registry mirrors: plan', () => {
  it("adds one service per mirror: its own port and cache, the registry's certificate and htpasswd, the password as a secret", async () => {
    const plan = await planRegistry(
      input(
        { mirrors: [{ ...hub, username: 'ci', passwordEnv: 'HUB_PASSWORD' }] },
        { HUB_PASSWORD: PASSWORD },
      ),
    );
    expect(plan.mirrors).toHaveLength(1);
    const { service, objects } = plan.mirrors[0]!;
    const registrySecret = (target: string) => plan.service.secrets.find((s) => s.target === target)!.source;
    expect(service).toMatchObject({
      name: 'eectl-registry-mirror-hub',
      image: plan.service.image,
      constraints: ['node.labels.eectl.role==registry'],
      hostPorts: [{ target: 5446, published: 5446 }],
      binds: [{ source: '/var/lib/eectl/registry-mirrors/hub', target: '/var/lib/registry' }],
    });
    expect(service.binds[0]!.source).not.toBe(plan.service.binds[0]!.source);
    const password = objects.find((o) => o.kind === 'secret')!;
    expect(password.content).toBe(PASSWORD);
    expect(service.secrets).toEqual([
      { source: registrySecret('eectl-registry-http-secret'), target: 'eectl-registry-http-secret' },
      { source: registrySecret('eectl-registry-cert.pem'), target: 'eectl-registry-cert.pem' },
      { source: registrySecret('eectl-registry-key.pem'), target: 'eectl-registry-key.pem' },
      { source: registrySecret('eectl-registry-htpasswd'), target: 'eectl-registry-htpasswd' },
      { source: password.name, target: 'eectl-registry-mirror-hub-password' },
    ]);
    // The deploy phase creates every object of the plan, and keeps it from its prune.
    for (const o of objects) expect(plan.objects).toContainEqual(o);
    const config = objects.find((o) => o.kind === 'config')!;
    expect(config.template).toBe(true);
    expect(config.content).not.toContain(PASSWORD);
    expect(redact(`x ${PASSWORD} y`)).not.toContain(PASSWORD);
  });

  it('refuses a missing password variable before anything is planned', async () => {
    await expect(
      planRegistry(input({ mirrors: [{ ...hub, username: 'ci', passwordEnv: 'HUB_MISSING' }] })),
    ).rejects.toThrow(/mirror hub's upstream password: the environment variable HUB_MISSING is not set/);
  });

  it('names a new config when the mirror changes (a rollout), and none without mirrors', async () => {
    const a = await planRegistry(input({ mirrors: [hub] }));
    const b = await planRegistry(input({ mirrors: [{ ...hub, upstream: 'https://mirror.gcr.io' }] }));
    expect(a.mirrors[0]!.service.configs[0]!.source).not.toBe(b.mirrors[0]!.service.configs[0]!.source);
    expect((await planRegistry(input({}))).mirrors).toEqual([]);
  });
});

describe('registry mirrors: config.yml', () => {
  const mirror = (extra: Record<string, unknown> = {}) =>
    registrySpec({ mirrors: [{ ...hub, ...extra }] }).mirrors[0]!;

  it('is Distribution in proxy mode on its own port, with TLS, htpasswd and the password from its secret', () => {
    const text = mirrorConfigYaml(mirror({ username: 'ci', passwordEnv: 'P' }), 'prod');
    expect(text).toContain('  password: {{ printf "%q" (secret "eectl-registry-mirror-hub-password") }}');
    const yaml = parse(text.replace(/\{\{[^}]*\}\}/g, '"x"')) as Record<string, Record<string, unknown>>;
    expect(yaml.proxy).toEqual({ remoteurl: 'https://registry-1.docker.io', username: 'ci', password: 'x' });
    expect(yaml.http).toMatchObject({
      addr: ':5446',
      tls: {
        certificate: '/run/secrets/eectl-registry-cert.pem',
        key: '/run/secrets/eectl-registry-key.pem',
      },
    });
    expect(yaml.auth).toEqual({
      htpasswd: { realm: 'eectl prod mirror hub', path: '/run/secrets/eectl-registry-htpasswd' },
    });
    expect(yaml.storage).toMatchObject({ filesystem: { rootdirectory: '/var/lib/registry' } });
    // Distribution 2.8 has no proxy.ttl: writing one would be a key it does not know.
    expect(text).not.toContain('ttl');
  });

  it('has no login for an engines mirror (engines send Docker Hub’s login, never the mirror’s), and no proxy login without one', () => {
    const yaml = parse(
      mirrorConfigYaml(mirror({ engines: true }), 'prod').replace(/\{\{[^}]*\}\}/g, '"x"'),
    ) as Record<string, unknown>;
    expect(yaml.auth).toBeUndefined();
    expect(yaml.proxy).toEqual({ remoteurl: 'https://registry-1.docker.io' });
  });
});

describe('registry mirrors: token authentication', () => {
  it("uses the registry's token service with a service of the mirror's own, and the token-signing certificate", async () => {
    const token = {
      realm: 'https://10.0.0.1:5444/token',
      service: 'eectl-prod-registry',
      issuer: 'eectl-prod-token-service',
      port: 5444,
      expirySeconds: 300,
    };
    const plan = await planRegistry({ ...input({ auth: { token: {} }, mirrors: [hub] }), token });
    const config = plan.mirrors[0]!.objects[0]!.content;
    expect((parse(config) as { auth: unknown }).auth).toEqual({
      token: {
        realm: 'https://10.0.0.1:5444/token',
        service: 'eectl-prod-mirror-hub',
        issuer: 'eectl-prod-token-service',
        rootcertbundle: '/run/secrets/eectl-registry-token-cert.pem',
      },
    });
    expect(plan.mirrors[0]!.service.secrets.map((s) => s.target)).toEqual([
      'eectl-registry-http-secret',
      'eectl-registry-cert.pem',
      'eectl-registry-key.pem',
      'eectl-registry-token-cert.pem',
    ]);
  });
});

describe('registry mirrors: trust and daemon.json', () => {
  it('trusts every registry host name on each mirror port, beside the registry', () => {
    const spec = registrySpec({ mirrors: [hub] });
    expect(registryEndpoints(hosts, spec)).toEqual([
      '10.0.0.31:5443',
      'r1:5443',
      '10.0.0.31:5446',
      'r1:5446',
    ]);
  });

  it('asks every engine for registry-mirrors only for engines mirrors: each registry host, or the external URL', () => {
    const spec = registrySpec({ mirrors: [hub, { ...hub, name: 'hub2', port: 5447, engines: true }] });
    expect(engineMirrorKeys(spec, ['10.0.0.31', 'fd00::31'])).toEqual({
      'registry-mirrors': ['https://10.0.0.31:5447', 'https://[fd00::31]:5447'],
    });
    expect(engineMirrorKeys({ ...spec, externalUrl: 'registry.example:443' }, ['10.0.0.31'])).toEqual({
      'registry-mirrors': ['https://registry.example:5447'],
    });
    expect(engineMirrorKeys(registrySpec({ mirrors: [hub] }), ['10.0.0.31'])).toEqual({});
  });

  it("merges them into the host's daemon.json (the rolling path restarts a serving engine for it), keeping its other keys", () => {
    const config = clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'prod' },
      spec: {
        hosts: [
          { address: '10.0.0.1', role: 'manager' },
          { address: '10.0.0.31', role: 'registry' },
        ],
        registry: { mirrors: [{ ...hub, engines: true }] },
      },
    });
    const host = registryHost('10.0.0.1', 'm1');
    host.facts!.files[DAEMON_JSON] = '{"log-level": "warn"}';
    const text = mergedDaemonJson(host, { ...config.spec.engine.daemon, ...mirrorDaemonKeys(config) });
    expect(JSON.parse(text!)).toEqual({
      'log-level': 'warn',
      'registry-mirrors': ['https://10.0.0.31:5446'],
    });
    host.facts!.files[DAEMON_JSON] = text!;
    expect(mergedDaemonJson(host, mirrorDaemonKeys(config))).toBeUndefined();
  });
});
