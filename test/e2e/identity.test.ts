import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { IdentityListResult, IdentitySyncResult } from '../../src/lib/actions/identity.js';
import { runLocal } from '../../src/lib/sandbox/exec.js';
import { runEectl } from '../helpers/cli.js';
import { GROUPS, PEOPLE, READER_DN, startSlapd, type Slapd } from '../helpers/slapd.js';
import { useSandbox } from './helpers/sandbox.js';

const ENV = 'EECTL_E2E_LDAP_PASSWORD';

/*
 * Users from a real directory (slapd, TLS from a test CA, read from this machine as an operator's would be)
 * on a real manager: install reads it, a directory user gets a bundle and is let in by the plugin, and once
 * removed from their group in slapd, `eectl identity sync` revokes them on the manager.
 */
describe('users from a directory (LDAP)', () => {
  const sandbox = useSandbox({ name: 'ldap', managers: 1 });
  let slapd: Slapd;
  let work = '';
  let file = '';
  const bundle = (user: string) => join(work, `bundle-${user}`);
  const eectl = (args: string[]) => runEectl([...args, '-c', file], { env: { [ENV]: slapd.readerPassword } });
  const docker = (user: string, args: string[]) =>
    runLocal('docker', args, {
      check: false,
      timeoutMs: 120_000,
      env: {
        DOCKER_CONFIG: join(work, 'docker-config'),
        DOCKER_CONTEXT: '',
        DOCKER_HOST: `tcp://${sandbox.host('m1').address}:2376`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: bundle(user),
      },
    });
  const policyText = async () => (await sandbox.exec('m1', 'cat /etc/eectl/access/policy.json')).stdout;
  const writeCluster = (url: string) => {
    const doc = parse(readFileSync(sandbox.clusterFile, 'utf8')) as { spec: Record<string, unknown> };
    doc.spec.identity = {
      ldap: {
        url,
        caPath: slapd.caPath,
        bindDN: READER_DN,
        bindPasswordEnv: ENV,
        userBase: PEOPLE,
        userFilter: '(objectClass=inetOrgPerson)',
        groupBase: GROUPS,
        timeoutSeconds: 5,
      },
    };
    doc.spec.access = {
      users: [{ name: 'root', admin: true }],
      teams: [
        { name: 'web', ldapGroup: slapd.groupDn('web') },
        { name: 'db', ldapGroup: slapd.groupDn('db') },
      ],
      grants: [
        { team: 'web', role: 'viewOnly', collection: '/Shared' },
        { team: 'db', role: 'viewOnly', collection: '/Shared' },
      ],
    };
    writeFileSync(file, stringify(doc));
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'eectl-e2e-ldap-'));
    file = join(work, 'cluster.yaml');
    // On loopback: only eectl, on this machine, reads the directory.
    slapd = await startSlapd({
      users: ['alice', 'bob', 'carol'].map((uid) => ({ uid, password: `${uid}-pw` })),
      groups: [
        { cn: 'web', members: ['alice'] },
        { cn: 'db', members: ['bob'] },
      ],
    });
    writeCluster(slapd.ldapsUrl);
  });
  afterAll(async () => {
    await slapd?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('install reads the directory: its group members are users of the managers’ policy', async () => {
    const r = await eectl(['install', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const policy = JSON.parse(await policyText()) as {
      users: { name: string; source: string; dn?: string }[];
      directory: { url: string; syncedAt: string };
    };
    expect(policy.users.map((u) => `${u.name}:${u.source}`)).toEqual(['root:file', 'alice:ldap', 'bob:ldap']);
    expect(policy.users[1]!.dn).toBe(slapd.userDn('alice'));
    expect(policy.directory.url).toBe(slapd.ldapsUrl);
    expect(await policyText()).not.toContain(slapd.readerPassword);

    const ls = await eectl(['identity', 'ls', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const list = ls.json?.result as IdentityListResult;
    expect(list.users.find((u) => u.name === 'alice')).toMatchObject({ source: 'ldap', teams: ['web'] });
    expect(list.directory?.syncedAt).toBe(policy.directory.syncedAt);

    // Nothing new in the directory: a second install changes nothing.
    const again = await eectl(['install', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((again.json?.result as { converged: boolean }).converged).toBe(true);
  });

  it('a directory user gets a bundle and is let in; one in no mapped group gets none', async () => {
    for (const user of ['root', 'alice', 'bob']) {
      const r = await eectl(['client-config', '--user', user, '--out', bundle(user), '--json']);
      expect(r.code, `${user}: ${r.stdout}\n${r.stderr}`).toBe(0);
    }
    const carol = await eectl(['client-config', '--user', 'carol', '--out', bundle('carol'), '--json']);
    expect(carol.code).toBe(2);
    expect(JSON.stringify(carol.json)).toContain('EACCESS_USER');
    const r = await docker('alice', ['service', 'ls']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a user removed from their group in the directory is refused after identity sync', async () => {
    await slapd.removeMember('web', 'alice');
    const before = await policyText();
    const dry = await eectl(['identity', 'sync', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = dry.json?.result as IdentitySyncResult;
    expect(planned.diff.usersRemoved).toEqual([{ name: 'alice', source: 'ldap' }]);
    expect(await policyText()).toBe(before);
    // Still in: nothing was written.
    expect((await docker('alice', ['service', 'ls'])).code).toBe(0);

    const r = await eectl(['identity', 'sync', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json?.result as IdentitySyncResult).diff.revoked).toEqual(['alice']);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the plugin reads the file at most once a second
    const refused = await docker('alice', ['service', 'ls']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /authorization denied by plugin eectl-authz: .*alice is not in the access policy/,
    );
    expect((await docker('bob', ['service', 'ls'])).code).toBe(0);
  });

  it('a directory that cannot be reached changes nothing and says which', async () => {
    const before = await policyText();
    writeCluster('ldaps://127.0.0.1:1');
    try {
      const r = await eectl(['identity', 'sync', '--json']);
      expect(r.code).toBe(1);
      const error = (r.json as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('EIDENTITY_CONNECT');
      expect(error.message).toContain('ldaps://127.0.0.1:1');
      expect(await policyText()).toBe(before);
    } finally {
      writeCluster(slapd.ldapsUrl);
    }
  });
});
