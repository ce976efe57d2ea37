import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/lib/access/compile.js';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { AUTHZ_MANIFEST, POLICY_FILE } from '../../../src/lib/host-layout.js';
import { identitySync } from '../../../src/lib/actions/identity.js';
import { install } from '../../../src/lib/actions/install.js';
import { toEectlError, type EectlError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { clusterConfig, HOSTS, ScriptedCluster } from '../../helpers/scripted-cluster.js';
import { GROUPS, haveSlapd, PEOPLE, READER_DN, startSlapd, type Slapd } from '../../helpers/slapd.js';

// identity sync's real phase list, through the real runner, against scripted hosts (3 managers, 1 worker)
// and a real directory: what it writes where, what it says, and what it leaves alone.

const MANAGERS = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];
const ENV = 'EECTL_TEST_LDAP_BIND_PASSWORD';

async function failure(promise: Promise<unknown>): Promise<EectlError> {
  return promise.then(
    () => {
      throw new Error('the run was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );
}

describe.runIf(haveSlapd())('eectl identity sync (scripted managers, real slapd)', () => {
  let slapd: Slapd;
  let cluster: ScriptedCluster;
  const config = (url = slapd.ldapsUrl) =>
    clusterConfig(
      HOSTS,
      `  access:
    users: [{ name: ops, admin: true }]
    teams:
      - { name: web, ldapGroup: "cn=web,${GROUPS}" }
      - { name: db, ldapGroup: "cn=db,${GROUPS}" }
    grants: [{ team: web, role: restrictedControl, collection: /Shared/web }]
  identity:
    ldap:
      url: ${url}
      caPath: ${slapd.caPath}
      bindDN: "${READER_DN}"
      bindPasswordEnv: ${ENV}
      userBase: "${PEOPLE}"
      groupBase: "${GROUPS}"
      timeoutSeconds: 2`,
    );
  const sync = async (dryRun: boolean, url?: string) =>
    identitySync({
      config: await config(url),
      session: cluster.session(),
      log: nullLogger,
      dryRun,
      concurrency: 8,
      progress: 'silent',
    });
  const policyOn = (host: string): AccessPolicy =>
    JSON.parse(cluster.host(host).files.get(POLICY_FILE)!.toString()) as AccessPolicy;

  beforeAll(async () => {
    slapd = await startSlapd({
      users: ['alice', 'bob', 'carol'].map((uid) => ({ uid, password: `${uid}-pw` })),
      groups: [
        { cn: 'web', members: ['alice'] },
        { cn: 'db', members: ['bob'] },
      ],
    });
    process.env[ENV] = slapd.readerPassword;
  }, 30_000);
  afterAll(async () => {
    delete process.env[ENV];
    await slapd?.stop();
  });

  beforeEach(async () => {
    cluster = new ScriptedCluster();
    // What install left: the plugin and a policy with the file's users only.
    const installed = compilePolicy(
      'prod',
      (await config()).spec.access,
      [],
      new Date('2026-12-06T05:00:00Z'),
    );
    for (const m of MANAGERS) {
      cluster.host(m).files.set(AUTHZ_MANIFEST, Buffer.from('{}\n'));
      cluster.host(m).files.set(POLICY_FILE, Buffer.from(`${JSON.stringify(installed, null, 2)}\n`));
    }
  });

  it('shows what would change under --dry-run, and changes nothing', async () => {
    const since = cluster.mark();
    const result = await sync(true);
    expect(result.diff.usersAdded).toEqual([
      { name: 'alice', source: 'ldap' },
      { name: 'bob', source: 'ldap' },
    ]);
    expect(result.diff.membershipsAdded).toEqual([
      { team: 'db', user: 'bob' },
      { team: 'web', user: 'alice' },
    ]);
    expect(result.changed).toBe(true);
    expect(result.changes.every((c) => !c.applied)).toBe(true);
    expect(cluster.hostWork(since)).toEqual([]);
    // A dry run takes no lock.
    expect(cluster.journal.slice(since).some((e) => e.kind === 'lock')).toBe(false);
  });

  it('writes the policy on every manager (not the worker) under the lock, and revokes a user who left every group', async () => {
    let since = cluster.mark();
    await sync(false);
    const work = cluster.hostWork(since);
    expect(work.filter((l) => l.endsWith(`upload ${POLICY_FILE}`)).sort()).toEqual(
      MANAGERS.map((m) => `${m}: upload ${POLICY_FILE}`),
    );
    expect(work.some((l) => l.startsWith('10.0.0.21'))).toBe(false);
    const locks = cluster.journal.slice(since).filter((e) => e.kind === 'lock');
    expect(locks.length).toBeGreaterThan(0);
    const first = policyOn('10.0.0.12');
    expect(first.users.map((u) => `${u.name}:${u.source}`)).toEqual(['ops:file', 'alice:ldap', 'bob:ldap']);
    expect(first.users.find((u) => u.name === 'bob')?.dn).toBe(slapd.userDn('bob'));
    expect(first.directory).toMatchObject({ url: slapd.ldapsUrl, caPem: slapd.caPem, startTLS: false });
    expect(JSON.stringify(first)).not.toContain(slapd.readerPassword);

    await slapd.removeMember('db', 'bob');
    try {
      since = cluster.mark();
      const result = await sync(false);
      expect(result.diff.usersRemoved).toEqual([{ name: 'bob', source: 'ldap' }]);
      expect(result.diff.revoked).toEqual(['bob']);
      for (const m of MANAGERS) {
        const p = policyOn(m);
        expect(p.users.map((u) => u.name)).not.toContain('bob');
        expect(p.revoked.map((r) => r.user)).toEqual(['bob']);
      }
    } finally {
      await slapd.addMember('db', 'bob');
    }
  });

  it('writes the policy on the managers that answer when one is down, never contacts the worker, and exits 4 naming the one left', async () => {
    const asked: string[] = [];
    const inner = cluster.session();
    const since = cluster.mark();
    const error = await failure(
      identitySync({
        config: await config(),
        session: {
          connect: async (spec) => {
            asked.push(spec.address);
            if (spec.address === '10.0.0.13') throw new Error('10.0.0.13: connect EHOSTUNREACH');
            return inner.connect(spec);
          },
          close: inner.close,
        },
        log: nullLogger,
        dryRun: false,
        concurrency: 8,
        progress: 'silent',
      }),
    );
    expect(error).toMatchObject({ code: 'EIDENTITY_PARTIAL', exitCode: 4 });
    expect(error.message).toContain('not on 10.0.0.13 (unreachable)');
    expect([...new Set(asked)].sort()).toEqual(MANAGERS);
    expect(
      cluster
        .hostWork(since)
        .filter((l) => l.endsWith(`upload ${POLICY_FILE}`))
        .sort(),
    ).toEqual(['10.0.0.11', '10.0.0.12'].map((m) => `${m}: upload ${POLICY_FILE}`));
  });

  it('changes no host when the directory cannot be reached, and says which and why', async () => {
    const since = cluster.mark();
    const e = await failure(sync(false, 'ldaps://127.0.0.1:1'));
    expect(e.code).toBe('EIDENTITY_CONNECT');
    expect(e.message).toContain('ldaps://127.0.0.1:1');
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('refuses a cluster whose managers have no plugin yet', async () => {
    cluster.host('10.0.0.13').files.delete(AUTHZ_MANIFEST);
    const since = cluster.mark();
    const e = await failure(sync(false));
    expect(e.code).toBe('EIDENTITY_NO_POLICY');
    expect(cluster.hostWork(since)).toEqual([]);
  });

  it('install stops before any host changes when the directory refuses the bind', async () => {
    const fresh = new ScriptedCluster();
    process.env[ENV] = 'not-the-reader-password';
    try {
      const e = await failure(
        install({
          config: await config(),
          session: fresh.session(),
          log: nullLogger,
          dryRun: false,
          concurrency: 8,
          progress: 'silent',
        }),
      );
      expect(e.code).toBe('EIDENTITY_BIND');
      expect(fresh.hostWork()).toEqual([]);
    } finally {
      process.env[ENV] = slapd.readerPassword;
    }
  });
});
