import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { AuditEntry, RegistryCheckResult } from '../../src/lib/results/access.js';
import type {
  RegistryGcResult,
  RegistryListResult,
  RegistryPruneResult,
} from '../../src/lib/results/registry.js';
import { ownTokenSubject } from '../../src/lib/registry/own-token.js';
import { runEectl } from '../helpers/cli.js';
import { GROUPS, PEOPLE, READER_DN, startSlapd, type Slapd } from '../helpers/slapd.js';
import { curlEngine } from './helpers/curl.js';
import { loadBusybox } from './helpers/images.js';
import { useSandbox } from './helpers/sandbox.js';

/**
 * One identity for the engine API and the registry: token authentication (a token service on the
 * managers), repository permissions from the access model's grants, logins with the real docker CLI on
 * a worker's own engine (which trusts the registry and the token service through certs.d).
 *
 * Scenarios share one sandbox cluster, installed once in beforeAll. The file users' scenario comes
 * first; the directory (LDAP) users' scenario goes in its own `describe` below, reusing `login`, `push`,
 * `pull`, `installWith` and the installed cluster.
 */

const PORT = 5443;
const PASSWORDS = { ops: 'ops-registry-pw', dev: 'dev-registry-pw', apidev: 'apidev-registry-pw' };

/** The access model and the registry's namespaces of this test; directory users are added by their scenario. */
const ACCESS = {
  users: [
    { name: 'ops', admin: true, passwordHashEnv: 'E2E_OPS_HASH' },
    { name: 'dev', passwordHashEnv: 'E2E_DEV_HASH' },
    { name: 'apidev', passwordHashEnv: 'E2E_APIDEV_HASH' },
  ],
  teams: [
    { name: 'web', members: ['dev'] },
    { name: 'api', members: ['apidev'] },
  ],
  grants: [
    { team: 'web', role: 'restrictedControl', collection: '/Shared/web' },
    { team: 'api', role: 'restrictedControl', collection: '/Shared/api' },
  ],
};
const REGISTRY = {
  auth: { token: {} },
  namespaces: [
    { name: 'web', collection: '/Shared/web' },
    { name: 'api', collection: '/Shared/api', public: true },
  ],
};

describe('registry logins and repository permissions from the access model (token authentication)', () => {
  const sandbox = useSandbox({ name: 'identity', managers: 1, workers: 1, registries: 1 });
  let work = '';
  let file = '';
  let image = '';
  const env: Record<string, string> = {};
  const registry = () => `${sandbox.host('r1').address}:${PORT}`;

  /** Writes the cluster file with `spec` merged in, and installs it. */
  const installWith = async (spec: Record<string, unknown>) => {
    const doc = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: Record<string, unknown> };
    const registrySpec = doc.spec.registry as Record<string, unknown> | undefined;
    Object.assign(doc.spec, spec, { registry: { ...registrySpec, ...(spec.registry as object) } });
    writeFileSync(file, stringify(doc));
    const r = await runEectl(['install', '-c', file, '--json'], { env });
    expect(r.code, `${r.stdout.slice(0, 3000)}\n${r.stderr}`).toBe(0);
  };
  /** `docker login` on the worker's engine, the password on stdin (the test's own constants, no quotes). */
  const login = (user: string, password: string) =>
    sandbox.exec('w1', `printf '%s' '${password}' | docker login -u ${user} --password-stdin ${registry()}`);
  const push = (repository: string) =>
    sandbox.exec(
      'w1',
      `docker tag ${image} ${registry()}/${repository} && docker push ${registry()}/${repository}`,
      {
        timeoutMs: 300_000,
      },
    );
  const pull = (repository: string) =>
    sandbox.exec(
      'w1',
      `docker rmi -f ${registry()}/${repository} >/dev/null 2>&1; docker pull ${registry()}/${repository}`,
      {
        timeoutMs: 300_000,
      },
    );

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-identity-'));
    file = join(work, 'cluster.yaml');
    env.E2E_OPS_HASH = await bcrypt.hash(PASSWORDS.ops, 10);
    env.E2E_DEV_HASH = await bcrypt.hash(PASSWORDS.dev, 10);
    env.E2E_APIDEV_HASH = await bcrypt.hash(PASSWORDS.apidev, 10);
    await installWith({ access: ACCESS, registry: REGISTRY });
    image = await loadBusybox(sandbox, ['w1']);
  }, 1_800_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('file users (a bcrypt hash in the file’s environment)', () => {
    it('runs the token service on the manager beside the plugin, its logins root-only', async () => {
      const state = await sandbox.exec(
        'm1',
        "systemctl is-active eectl-token eectl-authz; stat -c '%a %U' /etc/eectl/access/registry-logins.json /etc/eectl/registry/token-key.pem",
        { check: true },
      );
      expect(state.stdout.trim().split('\n')).toEqual(['active', 'active', '600 root', '600 root']);
    });

    it('changes nothing the second time (logins, signing key, token service)', async () => {
      const r = await runEectl(['install', '-c', file, '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect((r.json?.result as { changes: unknown[] }).changes).toEqual([]);
    });

    it('refuses a wrong password at docker login', async () => {
      const r = await login('dev', 'not-the-password');
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/unauthorized|authentication required/i);
    });

    it("lets a team member push to the team's namespace, pull another team's public one, and denies a push there", async () => {
      expect((await login('apidev', PASSWORDS.apidev)).code).toBe(0);
      const published = await push('api/base:1');
      expect(published.code, published.stderr).toBe(0);
      expect((await login('dev', PASSWORDS.dev)).code).toBe(0);
      const own = await push('web/app:1');
      expect(own.code, own.stderr).toBe(0);
      const other = await pull('api/base:1');
      expect(other.code, other.stderr).toBe(0);
      const refused = await push('api/base:overwritten');
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/denied: requested access to the resource is denied/);
      // Nor may dev read a namespace nobody mapped, or another user's private one.
      const foreign = await pull('apidev/tool:1');
      expect(foreign.code).not.toBe(0);
      expect(foreign.stdout + foreign.stderr).toMatch(/denied/);
    });

    it('answers the same in eectl access check --registry-scope', async () => {
      const r = await runEectl(
        [
          'access',
          'check',
          '-c',
          file,
          '--user',
          'dev',
          '--registry-scope',
          'repository:api/base:pull,push',
          '--json',
        ],
        { env },
      );
      expect(r.code).toBe(1);
      const result = r.json?.result as RegistryCheckResult;
      expect(result.decisions).toEqual([
        {
          scope: 'repository:api/base:pull,push',
          granted: ['pull'],
          reason: expect.stringContaining('/Shared/api'),
        },
      ]);
    });

    it('records every token issued or refused in the audit log', async () => {
      const r = await runEectl(['access', 'log', '-c', file, '--user', 'dev', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const entries = (r.json?.result as { entries: (AuditEntry & { granted?: string[]; auth?: string })[] })
        .entries;
      const tokens = entries.filter((e) => e.path === '/token');
      expect(tokens.some((e) => !e.allow && e.reason === 'wrong password')).toBe(true);
      // docker asks push,pull or pull,push: the actions are compared as a set.
      const granted = (repository: string) =>
        tokens
          .filter((e) => e.allow)
          .flatMap((e) => e.granted ?? [])
          .filter((g) => g.startsWith(`repository:${repository}:`))
          .map((g) => g.split(':')[2]!.split(',').sort().join(','));
      expect(granted('web/app')).toContain('pull,push');
      expect(granted('api/base')).toContain('pull');
      expect(granted('api/base')).not.toContain('pull,push');
    });
  });

  describe('registry ls, prune and gc under token authentication', () => {
    /** eectl with no registry login on this machine, unless `env` gives one. */
    const eectl = (args: string[], extra: Record<string, string> = {}) =>
      runEectl([...args, '-c', file, '--json'], {
        env: { ...env, DOCKER_CONFIG: join(work, 'no-docker'), ...extra },
      });
    const tagsOf = (result: unknown, repository: string) =>
      (result as RegistryListResult).repositories.find((r) => r.name === repository)?.tags ?? [];

    it('lists with no login here (the manager mints eectl its own tokens, in its audit log), and with an admin login', async () => {
      const own = await eectl(['registry', 'ls']);
      expect(own.code, `${own.stderr}\n${JSON.stringify(own.json?.error)}`).toBe(0);
      for (const repository of ['web/app', 'api/base']) {
        const [tag] = tagsOf(own.json?.result, repository);
        expect(tag, repository).toMatchObject({
          tag: '1',
          digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        });
        expect(tag!.size).toBeGreaterThan(0);
      }
      expect(own.stdout + own.stderr).not.toMatch(/PRIVATE KEY/);
      // Each of eectl's tokens is in the manager's audit log, minted there: the catalog, never push.
      const audit = await runEectl(['access', 'log', '-c', file, '--user', ownTokenSubject(), '--json'], {
        env,
      });
      expect(audit.code, audit.stderr).toBe(0);
      const minted = (audit.json?.result as { entries: (AuditEntry & { granted?: string[] })[] }).entries;
      expect(minted.length).toBeGreaterThan(0);
      expect(minted.every((e) => e.path === 'mint' && e.allow)).toBe(true);
      expect(minted.flatMap((e) => e.granted ?? [])).toContain('registry:catalog:*');
      expect(minted.flatMap((e) => e.granted ?? []).some((g) => /push/.test(g))).toBe(false);
      // Through the token service, as an admin of the access policy.
      const ops = await eectl(['registry', 'ls'], {
        EECTL_REGISTRY_USERNAME: 'ops',
        EECTL_REGISTRY_PASSWORD: PASSWORDS.ops,
      });
      expect(ops.code, ops.stderr).toBe(0);
      expect(tagsOf(ops.json?.result, 'web/app').map((t) => t.tag)).toEqual(['1']);
      // A login that may not read the catalog is told so, not asked for credentials again.
      const dev = await eectl(['registry', 'ls'], {
        EECTL_REGISTRY_USERNAME: 'dev',
        EECTL_REGISTRY_PASSWORD: PASSWORDS.dev,
      });
      expect(dev.code).not.toBe(0);
      expect(JSON.stringify(dev.json?.error)).toMatch(/catalog is for admins only/);
    });

    it('prunes by rule with no login here: --dry-run deletes nothing; then the tag outside the rule goes', async () => {
      const doc = parse(readFileSync(file, 'utf8')) as { spec: { registry: Record<string, unknown> } };
      doc.spec.registry.retention = [{ repository: 'web/*', keep: { matching: 'keep*' } }];
      writeFileSync(file, stringify(doc));
      const dry = await eectl(['registry', 'prune', '--dry-run']);
      expect(dry.code, `${dry.stderr}\n${JSON.stringify(dry.json?.error)}`).toBe(0);
      const plan = (dry.json?.result as RegistryPruneResult).repositories;
      expect(plan.map((r) => [r.repository, r.tags.map((t) => `${t.tag}:${t.keep}`)])).toEqual([
        ['web/app', ['1:false']],
      ]);
      expect(tagsOf((await eectl(['registry', 'ls', 'web/app'])).json?.result, 'web/app')).toHaveLength(1);
      const pruned = await eectl(['registry', 'prune', '--yes']);
      expect(pruned.code, `${pruned.stderr}\n${JSON.stringify(pruned.json?.error)}`).toBe(0);
      expect((pruned.json?.result as RegistryPruneResult).prunedTags).toBe(1);
      const after = await eectl(['registry', 'ls']);
      expect(tagsOf(after.json?.result, 'web/app')).toEqual([]);
      expect(tagsOf(after.json?.result, 'api/base').map((t) => t.tag)).toEqual(['1']);
    });

    it('collects garbage (read-only and back under token auth): pulls and pushes work after it', async () => {
      const gc = await eectl(['registry', 'gc', '--yes']);
      expect(gc.code, `${gc.stderr}\n${JSON.stringify(gc.json?.error)}`).toBe(0);
      const result = gc.json?.result as RegistryGcResult;
      expect(result.replicas).toBe(1);
      expect(result.changes.map((c) => c.description)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^roll eectl-registry back to read-write/)]),
      );
      expect((await login('dev', PASSWORDS.dev)).code).toBe(0);
      const pulled = await pull('api/base:1');
      expect(pulled.code, pulled.stderr).toBe(0);
      const pushed = await push('web/app:2');
      expect(pushed.code, pushed.stderr).toBe(0);
    });
  });

  describe('directory users (spec.identity.ldap, a real slapd on the sandbox network)', () => {
    let slapd: Slapd | undefined;
    const directory = () => {
      if (!slapd) throw new Error('slapd did not start (see beforeAll)');
      return slapd;
    };
    const LDAP_PASSWORDS = { carol: 'carol-directory-pw', erin: 'erin-directory-pw' };

    beforeAll(async () => {
      // On the sandbox network's gateway: the managers reach it for logins, this machine for sync.
      slapd = await startSlapd({
        address: sandbox.description.network.gateway,
        users: [
          { uid: 'carol', password: LDAP_PASSWORDS.carol },
          { uid: 'erin', password: LDAP_PASSWORDS.erin },
          { uid: 'nogroup', password: 'nogroup-pw' },
        ],
        groups: [
          { cn: 'web-devs', members: ['carol'] },
          { cn: 'api-devs', members: ['erin'] },
        ],
      });
      env.E2E_LDAP_BIND_PASSWORD = slapd.readerPassword;
      await installWith({
        identity: {
          ldap: {
            url: slapd.ldapsUrl,
            caPath: slapd.caPath,
            bindDN: READER_DN,
            bindPasswordEnv: 'E2E_LDAP_BIND_PASSWORD',
            userBase: PEOPLE,
            groupBase: GROUPS,
          },
        },
        access: {
          ...ACCESS,
          teams: [
            { name: 'web', members: ['dev'], ldapGroup: slapd.groupDn('web-devs') },
            { name: 'api', members: ['apidev'], ldapGroup: slapd.groupDn('api-devs') },
          ],
        },
        registry: REGISTRY,
      });
    }, 900_000);

    afterAll(async () => {
      await slapd?.stop();
    });

    it("puts the directory's group members in the managers' policy (DN, no secret), and a second install changes nothing", async () => {
      const text = (await sandbox.exec('m1', 'cat /etc/eectl/access/policy.json', { check: true })).stdout;
      const policy = JSON.parse(text) as {
        users: { name: string; source: string; dn?: string }[];
        directory: { url: string; syncedAt: string };
      };
      expect(policy.users.filter((u) => u.source === 'ldap').map((u) => `${u.name}:${u.dn}`)).toEqual([
        `carol:${directory().userDn('carol')}`,
        `erin:${directory().userDn('erin')}`,
      ]);
      expect(policy.directory.url).toBe(directory().ldapsUrl);
      expect(text).not.toContain(directory().readerPassword);
      const again = await runEectl(['install', '-c', file, '--json'], { env });
      expect(again.code, again.stderr).toBe(0);
      expect((again.json?.result as { converged: boolean }).converged).toBe(true);
    });

    it('lists the directory users beside the file users, each with its source and teams', async () => {
      const r = await runEectl(['identity', 'ls', '-c', file, '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const users = (r.json?.result as { users: { name: string; source: string; teams: string[] }[] }).users;
      expect(users.find((u) => u.name === 'carol')).toMatchObject({ source: 'ldap', teams: ['web'] });
      expect(users.find((u) => u.name === 'erin')).toMatchObject({ source: 'ldap', teams: ['api'] });
      expect(users.find((u) => u.name === 'dev')).toMatchObject({ source: 'file' });
      // In no mapped group: no user at all.
      expect(users.some((u) => u.name === 'nogroup')).toBe(false);
    });

    it('checks a directory password by a bind, and refuses a wrong one', async () => {
      const wrong = await login('carol', 'not-carols-password');
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout + wrong.stderr).toMatch(/unauthorized|authentication required/i);
      const outsider = await login('nogroup', 'nogroup-pw');
      expect(outsider.code).not.toBe(0);
    });

    it("lets a directory user push to the team's namespace, pull the other team's public one, and denies a push there", async () => {
      expect((await login('carol', LDAP_PASSWORDS.carol)).code).toBe(0);
      const own = await push('web/carol-app:1');
      expect(own.code, own.stderr).toBe(0);
      const other = await pull('api/base:1');
      expect(other.code, other.stderr).toBe(0);
      const refused = await push('api/base:from-carol');
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/denied: requested access to the resource is denied/);
    });

    it('takes away the login and the client bundle of a user removed from the group, at the next identity sync', async () => {
      const bundleDir = join(work, 'carol-bundle');
      const issued = await runEectl(
        ['client-config', '-c', file, '--user', 'carol', '--out', bundleDir, '--json'],
        {
          env,
        },
      );
      expect(issued.code, issued.stderr).toBe(0);
      // A directory user in no mapped group gets no bundle.
      const outsider = await runEectl(
        ['client-config', '-c', file, '--user', 'nogroup', '--out', join(work, 'nogroup-bundle'), '--json'],
        { env },
      );
      expect(outsider.code).toBe(2);
      expect(JSON.stringify(outsider.json)).toContain('EACCESS_USER');
      const m1 = sandbox.host('m1').address;
      const listServices = { method: 'GET', target: '/v1.41/services' };
      expect((await curlEngine(m1, bundleDir, listServices)).status).toBe(200);

      await directory().removeMember('web-devs', 'carol');
      const dry = await runEectl(['identity', 'sync', '-c', file, '--dry-run', '--json'], { env });
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.stringify(dry.json?.result)).toContain('carol');
      // A dry run changes nothing: carol still gets in.
      expect((await curlEngine(m1, bundleDir, listServices)).status).toBe(200);

      const sync = await runEectl(['identity', 'sync', '-c', file, '--json'], { env });
      expect(sync.code, sync.stderr).toBe(0);
      // The plugin and the token service read the policy again within a second.
      await new Promise((r) => setTimeout(r, 2500));
      const api = await curlEngine(m1, bundleDir, listServices);
      expect(api.status).toBe(403);
      expect(api.message).toMatch(/carol/);
      const relogin = await login('carol', LDAP_PASSWORDS.carol);
      expect(relogin.code).not.toBe(0);
    });

    it('changes nothing when identity sync cannot reach the directory, and says which', async () => {
      const before = (await sandbox.exec('m1', 'cat /etc/eectl/access/policy.json', { check: true })).stdout;
      const doc = parse(readFileSync(file, 'utf8')) as { spec: { identity: { ldap: { url: string } } } };
      const good = doc.spec.identity.ldap.url;
      doc.spec.identity.ldap.url = 'ldaps://127.0.0.1:1';
      writeFileSync(file, stringify(doc));
      try {
        const r = await runEectl(['identity', 'sync', '-c', file, '--json'], { env });
        expect(r.code).toBe(1);
        const error = (r.json as { error: { code: string; message: string } }).error;
        expect(error.code).toBe('EIDENTITY_CONNECT');
        expect(error.message).toContain('ldaps://127.0.0.1:1');
        expect((await sandbox.exec('m1', 'cat /etc/eectl/access/policy.json', { check: true })).stdout).toBe(
          before,
        );
      } finally {
        doc.spec.identity.ldap.url = good;
        writeFileSync(file, stringify(doc));
      }
    });

    it('refuses directory logins while the directory cannot be reached, and says why in the token service log', async () => {
      await directory().stop(false);
      const r = await login('erin', LDAP_PASSWORDS.erin);
      expect(r.code).not.toBe(0);
      const journal = await sandbox.exec('m1', 'journalctl -u eectl-token --no-pager -n 50 -o cat', {
        check: true,
      });
      expect(journal.stdout).toMatch(/directory/i);
      expect(journal.stdout).toMatch(/erin/);
    });
  });
});
