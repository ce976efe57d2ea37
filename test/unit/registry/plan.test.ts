import { describe, expect, it } from 'vitest';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { contentName } from '../../../src/lib/registry/names.js';
import {
  REGISTRY_ADMIN_PASSWORD_FILE,
  REGISTRY_CERT_FILE,
  REGISTRY_HTPASSWD_FILE,
} from '../../../src/lib/host-layout.js';
import { planRegistry, type RegistryPlan, type RegistryPlanInput } from '../../../src/lib/registry/plan.js';
import type { RegistryState } from '../../../src/lib/registry/state.js';
import { redact } from '../../../src/lib/util/redact.js';
import { htpasswdVerifies } from '../../../src/lib/registry/htpasswd.js';
import { registryHost, registrySpec } from './fixtures.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const ca = await createCa('prod', NOW);
const hosts = [registryHost('10.0.0.31', 'r1'), registryHost('10.0.0.32', 'r2')];

function input(overrides: Partial<RegistryPlanInput> = {}): RegistryPlanInput {
  let keyReads = 0;
  return {
    spec: registrySpec({ storage: { filesystem: { path: '/mnt/registry', shared: true } } }),
    cluster: 'prod',
    registryHosts: hosts,
    env: {},
    state: new Map(),
    caCertPem: ca.certPem,
    caKey: () => {
      keyReads++;
      return Promise.resolve(ca.keyPem);
    },
    now: NOW,
    get keyReads() {
      return keyReads;
    },
    ...overrides,
  } as RegistryPlanInput;
}

/** What a manager keeps after the plan was applied. */
const keptState = (plan: RegistryPlan): RegistryState =>
  new Map([...plan.stateFiles].map(([path, f]) => [path, f.content]));

const names = (plan: RegistryPlan) => plan.objects.map((o) => o.name);

describe('registry plan', () => {
  it('on a new cluster: generates the admin password (shown once, redacted everywhere else) and a certificate', async () => {
    const plan = await planRegistry(input());
    const password = plan.generatedAdminPassword!;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(redact(`login ${password}`)).not.toContain(password);
    expect(plan.stateFiles.get(REGISTRY_ADMIN_PASSWORD_FILE)!.mode).toBe(0o600);
    expect(
      await htpasswdVerifies(plan.stateFiles.get(REGISTRY_HTPASSWD_FILE)!.content, 'admin', password),
    ).toBe(true);
    expect(plan.certReason).toBe('no registry certificate yet');
    expect(plan.service).toMatchObject({
      name: 'eectl-registry',
      constraints: ['node.labels.eectl.role==registry'],
      hostPorts: [{ target: 5443, published: 5443 }],
      binds: [{ source: '/mnt/registry', target: '/var/lib/registry' }],
      rolling: { parallelism: 1, order: 'stop-first' },
    });
  });

  it('registry.immutable: publishes no port (the gate serves it) and mounts the socket folder', async () => {
    const spec = registrySpec({
      storage: { filesystem: { path: '/mnt/registry', shared: true } },
      immutable: ['release/*'],
    });
    const plan = await planRegistry(input({ spec }));
    expect(plan.service.hostPorts).toEqual([]);
    expect(plan.service.binds).toEqual([
      { source: '/mnt/registry', target: '/var/lib/registry' },
      { source: '/var/lib/eectl/registry-socket', target: '/run/eectl-registry' },
    ]);
  });

  it('on a converged cluster: the same objects, no new password, no certificate, no CA key read', async () => {
    const first = await planRegistry(input());
    const again = input({ state: keptState(first) });
    const second = await planRegistry(again);
    expect(names(second)).toEqual(names(first));
    expect(second.generatedAdminPassword).toBeUndefined();
    expect(second.certReason).toBeUndefined();
    expect((again as unknown as { keyReads: number }).keyReads).toBe(0);
    expect(keptState(second)).toEqual(keptState(first));
  });

  it('names every object by its content: a new user changes the htpasswd secret only', async () => {
    const first = await planRegistry(input());
    const spec = registrySpec({
      storage: { filesystem: { path: '/mnt/registry', shared: true } },
      auth: { htpasswd: { users: [{ name: 'ci', passwordEnv: 'CI_PW' }] } },
    });
    const second = await planRegistry(
      input({ spec, env: { CI_PW: 'ci-password' }, state: keptState(first) }),
    );
    const changed = names(second).filter((n) => !names(first).includes(n));
    expect(changed).toEqual([
      contentName('htpasswd', second.objects.find((o) => o.name === changed[0])!.content),
    ]);
    expect(changed[0]).toMatch(/^eectl-registry-htpasswd-[0-9a-f]{12}$/);
    expect(second.service.secrets.map((s) => s.source)).toContain(changed[0]);
  });

  it('issues a new certificate when a registry host is added, and keeps the rest', async () => {
    const first = await planRegistry(input());
    const more = [...hosts, registryHost('10.0.0.33', 'r3')];
    const second = await planRegistry(input({ registryHosts: more, state: keptState(first) }));
    expect(second.certReason).toContain('lacks');
    expect(second.stateFiles.get(REGISTRY_CERT_FILE)!.content).not.toBe(
      first.stateFiles.get(REGISTRY_CERT_FILE)!.content,
    );
    const kinds = (p: RegistryPlan) =>
      p.objects.filter((o) => !names(first).includes(o.name)).map((o) => o.name.split('-')[2]);
    expect(kinds(second).sort()).toEqual(['cert', 'key']);
  });

  it('certs rotate: a new certificate although the kept one is good, the same password and http secret', async () => {
    const first = await planRegistry(input());
    const rotated = await planRegistry(input({ state: keptState(first), renew: 'rotation asked' }));
    expect(rotated.certReason).toBe('rotation asked');
    expect(rotated.stateFiles.get(REGISTRY_CERT_FILE)!.content).not.toBe(
      first.stateFiles.get(REGISTRY_CERT_FILE)!.content,
    );
    const kinds = (p: RegistryPlan) =>
      p.objects.filter((o) => !names(first).includes(o.name)).map((o) => o.name.split('-')[2]);
    expect(kinds(rotated).sort()).toEqual(['cert', 'key']);
    expect(rotated.generatedAdminPassword).toBeUndefined();
  });

  it('refuses a user whose password variable is not set, naming the variable', async () => {
    const spec = registrySpec({ auth: { htpasswd: { users: [{ name: 'ci', passwordEnv: 'CI_PW' }] } } });
    await expect(planRegistry(input({ spec }))).rejects.toThrow(/CI_PW is not set/);
  });

  it('uses the file admin password instead of generating one', async () => {
    const spec = registrySpec({
      auth: { htpasswd: { users: [{ name: 'admin', passwordEnv: 'ADMIN_PW' }] } },
    });
    const plan = await planRegistry(input({ spec, env: { ADMIN_PW: 'from-the-env' } }));
    expect(plan.generatedAdminPassword).toBeUndefined();
    expect(plan.stateFiles.has(REGISTRY_ADMIN_PASSWORD_FILE)).toBe(false);
    expect(
      await htpasswdVerifies(plan.stateFiles.get(REGISTRY_HTPASSWD_FILE)!.content, 'admin', 'from-the-env'),
    ).toBe(true);
  });

  it('keeps a given admin password on the managers (0600) when signed images are required: the plugin reads with it', async () => {
    const spec = registrySpec({
      auth: { htpasswd: { users: [{ name: 'admin', passwordEnv: 'ADMIN_PW' }] } },
    });
    const plan = await planRegistry(
      input({ spec, env: { ADMIN_PW: 'from-the-env' }, keepAdminPassword: true }),
    );
    expect(plan.generatedAdminPassword).toBeUndefined();
    expect(plan.stateFiles.get(REGISTRY_ADMIN_PASSWORD_FILE)).toEqual({
      content: 'from-the-env\n',
      mode: 0o600,
    });
  });

  it('passes S3 keys as secrets only', async () => {
    const spec = registrySpec({
      storage: { s3: { bucket: 'b', region: 'r', accessKeyEnv: 'S3_A', secretKeyEnv: 'S3_S' } },
    });
    const plan = await planRegistry(input({ spec, env: { S3_A: 'access-key-1', S3_S: 'secret-key-1' } }));
    const secrets = plan.objects.filter((o) => o.kind === 'secret').map((o) => o.content);
    expect(secrets).toEqual(expect.arrayContaining(['access-key-1', 'secret-key-1']));
    const config = plan.objects.find((o) => o.kind === 'config')!.content;
    expect(config).not.toContain('access-key-1');
    expect(plan.service.binds).toEqual([]);
  });
});

describe('content-addressed names', () => {
  it('change exactly when the content changes', () => {
    expect(contentName('config', 'a')).toBe(contentName('config', 'a'));
    expect(contentName('config', 'a')).not.toBe(contentName('config', 'b'));
    expect(contentName('config', 'a')).toMatch(/^eectl-registry-config-[0-9a-f]{12}$/);
  });
});
