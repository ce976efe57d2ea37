import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyRegistryToken } from '../../../src/lib/access/registry-token.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { Host } from '../../../src/lib/host/host.js';
import { keptLogin } from '../../../src/lib/phases/registry-prune.js';
import { REGISTRY_ADMIN_PASSWORD_FILE, REGISTRY_TOKEN_KEY_FILE } from '../../../src/lib/registry/paths.js';
import { redact } from '../../../src/lib/ui/redact.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';

const config = (token: boolean) =>
  clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: {
      hosts: [
        { address: '10.0.0.1', role: 'manager' },
        { address: '10.0.0.5', role: 'registry' },
      ],
      registry: token ? { auth: { token: {} } } : {},
      ...(token && { access: { users: [{ name: 'ops', admin: true }] } }),
    },
  });

/** The first manager, its files as given (read as root by keptLogin). */
function manager(files: Record<string, string>): Host {
  const conn = new ScriptedConnection('10.0.0.1', []);
  for (const [path, content] of Object.entries(files)) conn.files.set(path, Buffer.from(content));
  return new Host({ address: '10.0.0.1', role: 'manager', ssh: {}, localhost: false, labels: {} }, conn);
}

describe('what registry ls and prune log in with when this machine has no registry login', () => {
  it('under token auth: tokens minted with the kept signing key, for the scope the registry names', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const login = await keptLogin(
      config(true),
      manager({ [REGISTRY_TOKEN_KEY_FILE]: pem, [REGISTRY_ADMIN_PASSWORD_FILE]: 'stale-password\n' }),
    );
    expect(login?.kind).toBe('token');
    if (login?.kind !== 'token') return;
    const token = await login.token({
      realm: 'https://10.0.0.1:5444/token',
      service: 'eectl-prod-registry',
      scope: 'registry:catalog:*',
    });
    const claims = verifyRegistryToken(token, [createPublicKey(privateKey)], {
      issuer: 'eectl-prod-token-service',
      audience: 'eectl-prod-registry',
    });
    expect(claims).toMatchObject({
      sub: 'eectl',
      access: [{ type: 'registry', name: 'catalog', actions: ['*'] }],
    });
    // The key never reaches a log.
    expect(redact(`key ${pem.trim()}`)).not.toContain('PRIVATE KEY-----\n');
  });

  it('under token auth without a kept key: nothing (the registry then says a login is needed)', async () => {
    expect(
      await keptLogin(config(true), manager({ [REGISTRY_ADMIN_PASSWORD_FILE]: 'pw\n' })),
    ).toBeUndefined();
  });

  it('under htpasswd: the admin password the managers keep', async () => {
    expect(await keptLogin(config(false), manager({ [REGISTRY_ADMIN_PASSWORD_FILE]: 'kept-pw\n' }))).toEqual({
      kind: 'password',
      password: 'kept-pw',
    });
  });
});
