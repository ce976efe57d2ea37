import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy, compileRegistryRules } from '../../../src/lib/access/compile.js';
import { TOKEN_ENTRY } from '../../../src/lib/host-layout.js';
import { checkScopesFromStdin } from '../../../src/lib/access/token-service.js';
import { ACCESS_OFF_REASON, accessCheck, registryScopeCheck } from '../../../src/lib/actions/access.js';
import type { Session } from '../../../src/lib/cluster/session.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { UsageError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';

const fileWith = (spec: Record<string, unknown> = {}) =>
  clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], ...spec },
  });

/** A session that fails the test if anything connects. */
const noSession: Session = {
  connect: () => {
    throw new Error('no manager should be asked');
  },
  close: () => Promise.resolve(),
};

describe('access check without a policy in the file', () => {
  it('answers "allowed: access control is off", asking no manager', async () => {
    const r = await accessCheck(
      { config: fileWith(), session: noSession, log: nullLogger },
      { user: 'dev', method: 'post', path: '/v1.41/services/create?x=1' },
    );
    expect(r).toEqual({
      allow: true,
      reason: ACCESS_OFF_REASON,
      user: 'dev',
      resource: 'any (access control is off)',
      action: 'POST /v1.41/services/create',
      host: '',
      method: 'POST',
      path: '/v1.41/services/create?x=1',
    });
    expect(r.reason).toMatch(/^access control is off/);
  });

  it('still refuses a request that is not one (exit 2), as with a policy', async () => {
    const options = { config: fileWith(), session: noSession, log: nullLogger };
    await expect(accessCheck(options, { user: 'dev', method: 'FETCH', path: '/x' })).rejects.toThrow(
      UsageError,
    );
    await expect(accessCheck(options, { user: 'dev', method: 'GET', path: 'info' })).rejects.toThrow(
      /an API path starts with \//,
    );
  });

  it('with images.policy.requireSigned alone the plugin runs, so a manager is asked', async () => {
    const config = fileWith({
      images: { policy: { requireSigned: true, keys: ['/etc/eectl/cosign.pub'] } },
    });
    await expect(
      accessCheck(
        { config, session: noSession, log: nullLogger },
        { user: 'dev', method: 'GET', path: '/info' },
      ),
    ).rejects.toThrow(/no manager answered/);
  });
});

describe('access check --registry-scope', () => {
  const tokenFile = () =>
    fileWith({
      access: {
        users: [{ name: 'ops', admin: true }, { name: 'alice' }],
        teams: [{ name: 'web', members: ['alice'] }],
        grants: [{ team: 'web', role: 'viewOnly', collection: '/Shared/web' }],
      },
      registry: { auth: { token: {} }, namespaces: [{ name: 'web', collection: '/Shared/web' }] },
    });

  it('says token authentication is off with htpasswd, asking no manager', async () => {
    await expect(
      registryScopeCheck(
        { config: fileWith(), session: noSession, log: nullLogger },
        { user: 'alice', scopes: ['repository:web/app:push'] },
      ),
    ).rejects.toThrow(/does not use token authentication/);
  });

  it('refuses a scope that is not TYPE:NAME:ACTIONS before asking anyone', async () => {
    await expect(
      registryScopeCheck(
        { config: tokenFile(), session: noSession, log: nullLogger },
        { user: 'alice', scopes: ['web/app:push'] },
      ),
    ).rejects.toThrow(UsageError);
  });

  it("answers with the manager's token-service decision, sent the request on stdin", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eectl-check-'));
    const config = tokenFile();
    const policy = {
      ...compilePolicy('prod', config.spec.access, []),
      registry: compileRegistryRules(config),
    };
    await writeFile(join(dir, 'policy.json'), JSON.stringify(policy));
    const conn = new ScriptedConnection('m1', [
      {
        match: (argv) => argv[1] === TOKEN_ENTRY && argv[2] === 'check',
        answer: (_argv, options) => ({
          stdout: JSON.stringify(checkScopesFromStdin(String(options.stdin), join(dir, 'policy.json'))),
        }),
      },
    ]);
    const session: Session = { connect: async () => conn, close: () => Promise.resolve() };
    const r = await registryScopeCheck(
      { config, session, log: nullLogger },
      { user: 'alice', scopes: ['repository:web/app:pull,push'] },
    );
    expect(r).toEqual({
      host: '10.0.0.11',
      user: 'alice',
      known: true,
      allow: false,
      decisions: [
        {
          scope: 'repository:web/app:pull,push',
          granted: ['pull'],
          reason: '/Shared/web: alice may pull there, not push',
        },
      ],
    });
    const ok = await registryScopeCheck(
      { config, session, log: nullLogger },
      { user: 'alice', scopes: ['repository:web/app:pull'] },
    );
    expect(ok.allow).toBe(true);
    await rm(dir, { recursive: true });
  });
});
