import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registryConfigYaml, SECRET_TARGETS } from '../../../src/lib/registry/config-file.js';
import { REGISTRY_WEBHOOK_TOKEN_FILE } from '../../../src/lib/host-layout.js';
import { planRegistry, type RegistryPlanInput } from '../../../src/lib/registry/plan.js';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { redact } from '../../../src/lib/util/redact.js';
import { HEAD, lines, THREE_MANAGERS } from '../config/helpers.js';
import { registryHost, registrySpec } from '../registry/fixtures.js';

const NOTIFICATIONS = [
  { name: 'ci', url: 'https://ci.example.com/hook', events: ['push', 'delete'], secretEnv: 'CI_HOOK_KEY' },
  { name: 'audit', url: 'http://10.0.0.50:8080/', secretEnv: 'AUDIT_HOOK_KEY' },
];

interface Endpoint {
  name: string;
  url: string;
  headers: Record<string, string[]>;
  ignore: { mediatypes: string[]; actions: string[] };
}

/** The template as the swarm renders it for a task, with the relay token as the secret holds it. */
function rendered(yaml: string, token: string): { notifications?: { endpoints: Endpoint[] } } {
  const text = yaml.replace(
    /\{\{ printf "%q" \(printf "Bearer %s" \(secret "([^"]+)"\)\) \}\}/g,
    (_, target: string) => {
      expect(target).toBe(SECRET_TARGETS.webhookToken);
      return JSON.stringify(`Bearer ${token}`);
    },
  );
  return parse(text.replace(/\{\{ printf "%q" \(secret "[^"]+"\) \}\}/g, '"x"')) as never;
}

describe('registry notifications in config.yml', () => {
  it('are one Distribution endpoint per webhook, at the relay on the own host, with the token from a secret', () => {
    const yaml = registryConfigYaml(registrySpec({ notifications: NOTIFICATIONS }), 'prod');
    expect(yaml).not.toContain('Bearer relay');
    const endpoints = rendered(yaml, 'relay-token').notifications!.endpoints;
    expect(endpoints.map((e) => [e.name, e.url, e.headers.Authorization])).toEqual([
      ['ci', 'http://eectl-webhook-relay:5447/ci', ['Bearer relay-token']],
      ['audit', 'http://eectl-webhook-relay:5447/audit', ['Bearer relay-token']],
    ]);
    // Manifest events only, and only the actions asked for (push is the default).
    expect(endpoints.map((e) => e.ignore)).toEqual([
      { mediatypes: ['application/octet-stream'], actions: ['pull', 'mount'] },
      { mediatypes: ['application/octet-stream'], actions: ['pull', 'mount', 'delete'] },
    ]);
    // The receivers' URLs are the relay's business: they are not in the registry's config at all.
    expect(yaml).not.toContain('ci.example.com');
  });

  it('are absent without webhooks', () => {
    expect(rendered(registryConfigYaml(registrySpec(), 'prod'), 't').notifications).toBeUndefined();
  });
});

const ca = await createCa('prod', new Date('2026-06-01T12:00:00Z'));

describe('registry plan with webhooks', () => {
  const input = (env: NodeJS.ProcessEnv, state = new Map<string, string>()): RegistryPlanInput => ({
    spec: registrySpec({ notifications: NOTIFICATIONS }),
    cluster: 'prod',
    registryHosts: [registryHost('10.0.0.31', 'r1')],
    env,
    state,
    caCertPem: ca.certPem,
    caKey: () => Promise.resolve(ca.keyPem),
    now: new Date('2026-06-01T12:00:00Z'),
  });
  const env = { CI_HOOK_KEY: 'ci-hmac-key-1', AUDIT_HOOK_KEY: 'audit-hmac-key-2' };

  it('gives the relay the endpoints with their secrets, the replicas a kept token as a swarm secret, and the host name', async () => {
    const plan = await planRegistry(input(env));
    const relay = plan.relay!;
    expect(relay.endpoints).toEqual([
      { name: 'ci', url: 'https://ci.example.com/hook', secret: 'ci-hmac-key-1' },
      { name: 'audit', url: 'http://10.0.0.50:8080/', secret: 'audit-hmac-key-2' },
    ]);
    expect(plan.service.extraHosts).toEqual(['eectl-webhook-relay:host-gateway']);
    const token = plan.objects.find((o) => o.name.startsWith('eectl-registry-webhook-token-'));
    expect(token?.content).toBe(relay.token);
    expect(plan.service.secrets.map((s) => s.target)).toContain(SECRET_TARGETS.webhookToken);
    expect(plan.stateFiles.get(REGISTRY_WEBHOOK_TOKEN_FILE)).toEqual({
      content: `${relay.token}\n`,
      mode: 0o600,
    });
    // The signing keys are nowhere in the swarm: not in any config or secret, not in the service.
    const swarm = JSON.stringify([plan.objects, plan.service]);
    expect(swarm).not.toContain('ci-hmac-key-1');
    expect(swarm).not.toContain('audit-hmac-key-2');
    expect(redact(`key ci-hmac-key-1 token ${relay.token}`)).not.toMatch(/ci-hmac-key-1|[0-9a-f]{64}/);
    // A second run keeps the token: the config and its secret stay, the replicas are not rolled.
    const again = await planRegistry(
      input(env, new Map([[REGISTRY_WEBHOOK_TOKEN_FILE, `${relay.token}\n`]])),
    );
    expect(again.relay!.token).toBe(relay.token);
  });

  it('refuses a webhook whose secret is not in the environment, naming the variable', async () => {
    await expect(planRegistry(input({ CI_HOOK_KEY: 'k' }))).rejects.toMatchObject({
      code: 'EREGISTRY_SECRET_ENV',
      message: 'registry webhook audit: the environment variable AUDIT_HOOK_KEY is not set',
    });
  });

  it('has no relay, token or host name without webhooks', async () => {
    const plan = await planRegistry({ ...input({}), spec: registrySpec() });
    expect(plan.relay).toBeUndefined();
    expect(plan.service.extraHosts).toBeUndefined();
    expect(plan.stateFiles.has(REGISTRY_WEBHOOK_TOKEN_FILE)).toBe(false);
  });
});

describe('registry notifications in the cluster file', () => {
  const file = (registry: string) => `${HEAD}${THREE_MANAGERS}  registry:\n${registry}`;

  it('accepts webhooks, refuses a duplicate name, a non-HTTP URL, an unknown event and a bad name', () => {
    expect(
      lines(
        file(`    notifications:
      - { name: ci, url: "https://ci.example.com/hook", events: [push, delete], secretEnv: CI_KEY }
`),
      ),
    ).toEqual([]);
    expect(
      lines(
        file(`    notifications:
      - { name: ci, url: "https://a.example/", secretEnv: A }
      - { name: ci, url: "https://b.example/", secretEnv: B }
`),
      ),
    ).toEqual([
      'cluster.yaml:16:17: spec.registry.notifications[1].name: duplicate endpoint ci: notifications[0] has it too',
    ]);
    expect(
      lines(
        file(`    port: 5447
    notifications: [{ name: ci, url: "https://a.example/", secretEnv: A }]
`),
      ),
    ).toEqual([
      "cluster.yaml:14:11: spec.registry.port: 5447 is the webhook relay's port on the registry hosts: choose another registry port",
    ]);
    const bad = lines(
      file(`    notifications:
      - { name: "Bad_Name", url: "ftp://x.example/", events: [pull], secretEnv: A }
`),
    );
    expect(bad).toEqual([
      expect.stringMatching(/notifications\[0\]\.name: must be lower-case letters/),
      expect.stringMatching(/notifications\[0\]\.url: must be a URL starting with http:\/\/ or https:\/\//),
      expect.stringMatching(/notifications\[0\]\.events\[0\]:/),
    ]);
  });
});
