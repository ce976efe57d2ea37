import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { libtrustKeyId } from '../../../src/lib/access/registry-token.js';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { registryConfigYaml } from '../../../src/lib/registry/config-file.js';
import {
  REGISTRY_ADMIN_PASSWORD_FILE,
  REGISTRY_HTPASSWD_FILE,
  REGISTRY_TOKEN_CERT_FILE,
  REGISTRY_TOKEN_KEY_FILE,
} from '../../../src/lib/host-layout.js';
import { planRegistry, tokenSigningCertProblem, type RegistryPlan } from '../../../src/lib/registry/plan.js';
import type { TokenAuthSettings } from '../../../src/lib/registry/token-auth.js';
import { redact } from '../../../src/lib/util/redact.js';
import { registryHost, registrySpec } from './fixtures.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const ca = await createCa('prod', NOW);
const token: TokenAuthSettings = {
  realm: 'https://10.0.0.11:5444/token',
  service: 'eectl-prod-registry',
  issuer: 'eectl-prod-token-service',
  port: 5444,
  expirySeconds: 300,
};

function plan(state = new Map<string, string>(), renew?: string): Promise<RegistryPlan> {
  return planRegistry({
    spec: registrySpec({ auth: { token: { port: 5444, expirySeconds: 300 } } }),
    cluster: 'prod',
    registryHosts: [registryHost('10.0.0.31', 'r1')],
    env: {},
    state,
    caCertPem: ca.certPem,
    caKey: async () => ca.keyPem,
    token,
    renew,
    now: NOW,
  });
}

describe('the registry with token authentication', () => {
  it('trusts only the token-signing certificate, issued by the cluster CA, and keeps its key root-only', async () => {
    const p = await plan();
    const cert = p.stateFiles.get(REGISTRY_TOKEN_CERT_FILE)!;
    const key = p.stateFiles.get(REGISTRY_TOKEN_KEY_FILE)!;
    expect([cert.mode, key.mode]).toEqual([0o644, 0o600]);
    const x509 = new X509Certificate(cert.content);
    expect(x509.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(libtrustKeyId(x509.publicKey)).toBe(libtrustKeyId(createPrivateKey(key.content)));
    expect(redact(key.content)).not.toContain(key.content.split('\n')[1]);
    // The secret the registry reads as rootcertbundle is that certificate, not the CA.
    const bundle = p.objects.find((o) => o.name.startsWith('eectl-registry-token-cert-'))!;
    expect(bundle.content).toBe(cert.content);
    expect(bundle.content).not.toContain(ca.certPem.split('\n')[1]);
    expect(p.service.secrets.map((s) => s.target)).toContain('eectl-registry-token-cert.pem');
    // No passwords at all: no htpasswd, no admin password.
    expect(p.stateFiles.has(REGISTRY_HTPASSWD_FILE)).toBe(false);
    expect(p.stateFiles.has(REGISTRY_ADMIN_PASSWORD_FILE)).toBe(false);
    expect(p.generatedAdminPassword).toBeUndefined();
    expect(p.service.secrets.map((s) => s.target)).not.toContain('eectl-registry-htpasswd');
  });

  it('keeps the signing certificate on the next run, and replaces one of another CA', async () => {
    const first = await plan();
    const kept = new Map([...first.stateFiles].map(([path, f]) => [path, f.content]));
    const second = await plan(kept);
    expect(second.stateFiles.get(REGISTRY_TOKEN_KEY_FILE)).toEqual(
      first.stateFiles.get(REGISTRY_TOKEN_KEY_FILE),
    );
    expect(second.certReason).toBeUndefined();
    const other = await createCa('other', NOW);
    expect(
      tokenSigningCertProblem(
        kept.get(REGISTRY_TOKEN_CERT_FILE),
        kept.get(REGISTRY_TOKEN_KEY_FILE),
        other.certPem,
        NOW,
      ),
    ).toMatch(/another CA/);
    expect(
      tokenSigningCertProblem(
        kept.get(REGISTRY_TOKEN_CERT_FILE),
        kept.get(REGISTRY_TOKEN_KEY_FILE),
        ca.certPem,
        new Date('2027-05-20T00:00:00Z'),
      ),
    ).toMatch(/expires soon/);
  });

  it('certs rotate: a new signing key and certificate although the kept ones are good', async () => {
    const first = await plan();
    const kept = new Map([...first.stateFiles].map(([path, f]) => [path, f.content]));
    const rotated = await plan(kept, 'rotation asked');
    expect(rotated.stateFiles.get(REGISTRY_TOKEN_KEY_FILE)!.content).not.toBe(
      first.stateFiles.get(REGISTRY_TOKEN_KEY_FILE)!.content,
    );
    expect(rotated.certReason).toBe('rotation asked');
    const cert = new X509Certificate(rotated.stateFiles.get(REGISTRY_TOKEN_CERT_FILE)!.content);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('writes auth.token into config.yml (and no htpasswd)', () => {
    const yaml = registryConfigYaml(registrySpec({}), 'prod', token);
    expect(yaml).toContain(
      [
        'auth:',
        '  token:',
        '    realm: "https://10.0.0.11:5444/token"',
        '    service: "eectl-prod-registry"',
        '    issuer: "eectl-prod-token-service"',
        '    rootcertbundle: /run/secrets/eectl-registry-token-cert.pem',
      ].join('\n'),
    );
    expect(yaml).not.toContain('htpasswd');
    expect(registryConfigYaml(registrySpec({}), 'prod')).toContain('  htpasswd:');
  });
});
