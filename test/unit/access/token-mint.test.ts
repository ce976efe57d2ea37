import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyRegistryToken } from '../../../src/lib/access/registry-token.js';
import { MINT_SECONDS, mintFromStdin } from '../../../src/lib/access/token-service.js';

/** The manager's side of eectl's own tokens: `token-service.js mint`, the key read from its own file. */

const KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdwKyP0AfPX+90S7O
NYw+rTyOe//4pGOz8fhAQsv9+16hRANCAASJHPPkL3mvPXzgGdG9x2QON3MQbr5c
7FV+14KFhZgr+yORpDaseQz4aimwu96ttqBs1rnUtfTYLCfsRI9YPB+8
-----END PRIVATE KEY-----
`;
const SERVICE = 'eectl-prod-registry';
const ISSUER = 'eectl-prod-token-service';
const NOW = new Date('2026-12-06T06:00:00Z');

const dir = mkdtempSync(join(tmpdir(), 'eectl-mint-'));
const files = { policyFile: join(dir, 'policy.json'), keyFile: join(dir, 'token-key.pem') };
writeFileSync(files.keyFile, KEY_PEM, { mode: 0o600 });
writeFileSync(
  files.policyFile,
  JSON.stringify({
    version: 1,
    cluster: 'prod',
    users: [{ name: 'ops', admin: true, defaultCollection: '/', source: 'file' }],
    teams: [],
    grants: [],
    revoked: [],
    registry: { service: SERVICE, issuer: ISSUER, expirySeconds: 300, namespaces: [] },
  }),
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mint = (request: unknown, f = files) =>
  mintFromStdin(typeof request === 'string' ? request : JSON.stringify(request), f, NOW);
const ask = (scopes: unknown, extra: Record<string, unknown> = {}) =>
  mint({ service: SERVICE, subject: 'eectl-admin@alice', scopes, ...extra });
const auditOf = (o: { audit: string }) => JSON.parse(o.audit) as Record<string, unknown>;

describe("the manager's mint mode (eectl's own registry tokens)", () => {
  it('signs the catalog, pull and delete for this registry, as the asking subject, for 60 s, and audits it', () => {
    const o = ask(['registry:catalog:*', 'repository:web/app:pull', 'repository:web/app:delete']);
    expect(o.allow).toBe(true);
    if (!o.allow) return;
    const claims = verifyRegistryToken(o.token, [createPrivateKey(KEY_PEM)], {
      issuer: ISSUER,
      audience: SERVICE,
      now: NOW,
    });
    expect(claims).toMatchObject({
      sub: 'eectl-admin@alice',
      access: [
        { type: 'registry', name: 'catalog', actions: ['*'] },
        { type: 'repository', name: 'web/app', actions: ['pull', 'delete'] },
      ],
    });
    if (typeof claims === 'string') return;
    expect(claims.exp - claims.iat).toBe(MINT_SECONDS);
    expect(MINT_SECONDS).toBe(60);
    // The audit line has the shape of the HTTPS service's, and never the token.
    expect(auditOf(o)).toMatchObject({
      time: NOW.toISOString(),
      user: 'eectl-admin@alice',
      method: 'SSH',
      path: 'mint',
      resource: 'registry token',
      action: 'token (root over ssh)',
      allow: true,
      granted: ['registry:catalog:*', 'repository:web/app:pull,delete'],
    });
    expect(o.audit).not.toContain(o.token);
    expect(o.audit).not.toContain('PRIVATE KEY');
  });

  it.each([
    ['push', ['repository:web/app:pull,push']],
    ['push alone', ['repository:web/app:push']],
    ['* on a repository', ['repository:web/app:*']],
    ['another registry resource', ['registry:other:*']],
    ['a name that is no repository name', ['repository:../x:pull']],
    ['a resource class', ['repository(plugin):web/app:pull']],
    ['a malformed scope', ['repository-web-app']],
    ['an empty action', ['repository:web/app:']],
  ])('refuses the whole request when it asks for %s, and audits the refusal', (_what, scopes) => {
    const o = ask(scopes);
    expect(o).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/only the catalog, pull and delete/),
    });
    expect(o).not.toHaveProperty('token');
    expect(auditOf(o)).toMatchObject({ allow: false, user: 'eectl-admin@alice', granted: [] });
  });

  it('refuses another service, whatever the scopes', () => {
    const o = mint({
      service: 'eectl-other-registry',
      subject: 'eectl-admin@alice',
      scopes: ['registry:catalog:*'],
    });
    expect(o).toMatchObject({ allow: false, reason: expect.stringMatching(/is not eectl-prod-registry/) });
    expect(auditOf(o)).toMatchObject({ allow: false, scopes: ['registry:catalog:*'] });
  });

  it.each([
    ['not JSON', 'eectl-admin@alice registry:catalog:*', /not JSON/],
    ['a list', '[]', /not an object/],
    ['null', 'null', /not an object/],
    ['over the size limit', JSON.stringify({ pad: 'x'.repeat(20_000) }), /over 16384 bytes/],
    [
      'an unknown field',
      { service: SERVICE, subject: 'eectl-admin@a', scopes: [], expirySeconds: 86_400 },
      /unknown fields: expirySeconds/,
    ],
    [
      'a policy user as subject',
      { service: SERVICE, subject: 'ops', scopes: [] },
      /subject is not eectl-admin/,
    ],
    [
      'a subject with a newline',
      { service: SERVICE, subject: 'eectl-admin@a\n{"allow":true}', scopes: [] },
      /subject/,
    ],
    [
      'scopes that are no list',
      { service: SERVICE, subject: 'eectl-admin@a', scopes: 'registry:catalog:*' },
      /scopes must be/,
    ],
    [
      'too many scopes',
      { service: SERVICE, subject: 'eectl-admin@a', scopes: Array(17).fill('registry:catalog:*') },
      /at most 16/,
    ],
    [
      'a scope that is no string',
      { service: SERVICE, subject: 'eectl-admin@a', scopes: [{ type: 'registry' }] },
      /scopes must be/,
    ],
  ])('refuses hostile stdin: %s (one audit line, one JSON line)', (_what, input, reason) => {
    const o = mint(input);
    expect(o).toMatchObject({ allow: false, reason: expect.stringMatching(reason) });
    expect(o.audit.split('\n')).toHaveLength(1);
    expect(auditOf(o).allow).toBe(false);
  });

  it('fails closed without a key or a policy on the manager', () => {
    expect(ask(['registry:catalog:*'], {}).allow).toBe(true);
    const noKey = mint(
      { service: SERVICE, subject: 'eectl-admin@a', scopes: [] },
      { ...files, keyFile: join(dir, 'missing.pem') },
    );
    expect(noKey).toMatchObject({ allow: false, reason: expect.stringMatching(/no token-signing key/) });
    const noPolicy = mint(
      { service: SERVICE, subject: 'eectl-admin@a', scopes: [] },
      { ...files, policyFile: join(dir, 'missing.json') },
    );
    expect(noPolicy).toMatchObject({ allow: false, reason: expect.stringMatching(/no access policy/) });
  });
});
