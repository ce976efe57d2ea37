import { describe, expect, it } from 'vitest';
import {
  AUTHZ_NODE,
  TOKEN_ENTRY,
  REGISTRY_ADMIN_PASSWORD_FILE,
  REGISTRY_TOKEN_KEY_FILE,
  TOKEN_SIGNING_KEY_FILE,
} from '../../../src/lib/host-layout.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { Host } from '../../../src/lib/host/host.js';
import { keptLogin } from '../../../src/lib/phases/registry-prune.js';
import type { ScriptRule } from '../../helpers/scripted-connection.js';
import { redact } from '../../../src/lib/util/redact.js';
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

/**
 * A manager whose connection fails the test on any read of the token-signing key (by readFile, or any
 * command that names its path): the key must never come over the connection.
 */
class KeyGuardedConnection extends ScriptedConnection {
  override async readFile(remotePath: string): Promise<Buffer | undefined> {
    if (
      [REGISTRY_TOKEN_KEY_FILE, TOKEN_SIGNING_KEY_FILE].includes(remotePath) ||
      /token-key/.test(remotePath)
    )
      throw new Error(`the signing key ${remotePath} was read over the connection`);
    return super.readFile(remotePath);
  }
}

const MINTED = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJlZWN0bC1hZG1pbiJ9.minted-on-the-manager-signature';

function manager(
  files: Record<string, string>,
  rules: ScriptRule[] = [],
): { host: Host; conn: KeyGuardedConnection } {
  const conn = new KeyGuardedConnection('10.0.0.1', [
    {
      match: (argv) => argv.some((a) => /token-key/.test(a)),
      answer: () => {
        throw new Error('a command named the signing key');
      },
    },
    ...rules,
  ]);
  for (const [path, content] of Object.entries(files)) conn.files.set(path, Buffer.from(content));
  const host = new Host(
    { address: '10.0.0.1', role: 'manager', ssh: {}, localhost: false, labels: {} },
    conn,
  );
  return { host, conn };
}

const mintRule = (answer: ScriptRule['answer']): ScriptRule => ({
  match: (argv) =>
    argv.length === 3 && argv[0] === AUTHZ_NODE && argv[1] === TOKEN_ENTRY && argv[2] === 'mint',
  answer,
});

describe('what registry ls and prune log in with when this machine has no registry login', () => {
  it('under token auth: a token the manager mints (fixed argv, as root, the request on stdin); the key is never read', async () => {
    const { host, conn } = manager(
      { [REGISTRY_TOKEN_KEY_FILE]: 'never read', [REGISTRY_ADMIN_PASSWORD_FILE]: 'stale-password\n' },
      [mintRule({ stdout: `${JSON.stringify({ token: MINTED, expires_in: 60 })}\n` })],
    );
    const login = await keptLogin(config(true), host);
    expect(login?.kind).toBe('token');
    if (login?.kind !== 'token') return;
    const token = await login.token({
      realm: 'https://10.0.0.1:5444/token',
      service: 'eectl-prod-registry',
      scope: 'registry:catalog:* repository:web/app:pull,delete',
    });
    expect(token).toBe(MINTED);
    expect(conn.commands).toEqual([[AUTHZ_NODE, TOKEN_ENTRY, 'mint']]);
    expect(conn.options[0]).toMatchObject({ sudo: true, secretOutput: true });
    const request = JSON.parse(conn.stdins.get(0) ?? '{}') as Record<string, unknown>;
    expect(request).toEqual({
      service: 'eectl-prod-registry',
      subject: expect.stringMatching(/^eectl-admin@[A-Za-z0-9._-]+$/) as unknown,
      scopes: ['registry:catalog:*', 'repository:web/app:pull,delete'],
    });
    // Nothing of the request or the token is in argv, and the token is registered for redaction.
    expect(conn.lines[0]).not.toContain('catalog');
    expect(redact(`token ${MINTED}`)).not.toContain(MINTED);
  });

  it('under token auth: a registry of another service gets nothing, and the manager is not asked', async () => {
    const { host, conn } = manager({}, [mintRule({ stdout: '{"token":"x"}' })]);
    const login = await keptLogin(config(true), host);
    if (login?.kind !== 'token') return expect.fail('no token login');
    await expect(
      login.token({ realm: 'https://evil/token', service: 'eectl-other-registry' }),
    ).rejects.toThrow(/eectl-other-registry, not of this cluster's eectl-prod-registry/);
    expect(conn.commands).toEqual([]);
  });

  it('under token auth: a refusal of the manager says which host and what to do next', async () => {
    const { host } = manager({}, [
      mintRule({
        code: 3,
        stderr:
          'eectl-token: refused: "repository:web/app:push": eectl\'s own tokens carry only the catalog, pull and delete\n',
      }),
    ]);
    const login = await keptLogin(config(true), host);
    if (login?.kind !== 'token') return expect.fail('no token login');
    const failure = login.token({
      realm: 'r',
      service: 'eectl-prod-registry',
      scope: 'repository:web/app:push',
    });
    await expect(failure).rejects.toThrow(
      /10\.0\.0\.1: the token service did not mint eectl's token \(exit 3\): .*only the catalog/,
    );
  });

  it('under token auth: an answer without a token is an error, not an anonymous login', async () => {
    const { host } = manager({}, [mintRule({ stdout: '{"expires_in":60}' })]);
    const login = await keptLogin(config(true), host);
    if (login?.kind !== 'token') return expect.fail('no token login');
    await expect(login.token({ realm: 'r', service: 'eectl-prod-registry' })).rejects.toThrow(
      /without a token/,
    );
  });

  it('under htpasswd: the admin password the managers keep', async () => {
    expect(
      await keptLogin(config(false), manager({ [REGISTRY_ADMIN_PASSWORD_FILE]: 'kept-pw\n' }).host),
    ).toEqual({
      kind: 'password',
      password: 'kept-pw',
    });
  });
});
