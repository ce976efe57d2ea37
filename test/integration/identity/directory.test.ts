import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../../src/lib/access/compile.js';
import { ldapSchema, accessSchema, type LdapSpec } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import {
  DirectoryReader,
  directoryTlsOptions,
  INSECURE_WARNING,
  readDirectory,
  type DirectoryOptions,
} from '../../../src/lib/identity/directory.js';
import { identityDiff } from '../../../src/lib/access/identity-diff.js';
import { createCa } from '../../../src/lib/pki/certificates.js';
import { redact } from '../../../src/lib/util/redact.js';
import { GROUPS, haveSlapd, PEOPLE, READER_DN, startSlapd, type Slapd } from '../../helpers/slapd.js';

const spec = (over: Partial<Record<keyof LdapSpec, unknown>>): LdapSpec =>
  ldapSchema.parse({
    bindDN: READER_DN,
    bindPasswordEnv: 'LDAP_BIND_PASSWORD',
    userBase: PEOPLE,
    groupBase: GROUPS,
    userFilter: '(objectClass=inetOrgPerson)',
    timeoutSeconds: 3,
    ...over,
  });

/** What the thrown error is, or a failure of the test when nothing was thrown. */
async function refusal(work: Promise<unknown>): Promise<EectlError> {
  const e = await work.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(EectlError);
  return e as EectlError;
}

/** Reads the real directory as identity sync and install do: TLS, bind, paged searches, groups. */
describe.runIf(haveSlapd())('reading the directory (real slapd)', () => {
  let slapd: Slapd;
  let options: (over?: Partial<Record<keyof LdapSpec, unknown>>) => DirectoryOptions;
  beforeAll(async () => {
    slapd = await startSlapd({
      users: [
        { uid: 'alice', password: 'alice-pw' },
        { uid: 'bob', password: 'bob-pw' },
        { uid: 'carol', password: 'carol-pw' },
        // Not a name eectl accepts (a space): skipped with a warning, never a user.
        { uid: 'bad name', password: 'x-pw' },
      ],
      groups: [
        { cn: 'web', members: ['alice', 'bad name'] },
        { cn: 'ops', members: ['bob'] },
      ],
    });
    options = (over = {}) => ({
      spec: spec({ url: slapd.ldapsUrl, caPath: slapd.caPath, ...over }),
      bindPassword: slapd.readerPassword,
      caPem: slapd.caPem,
    });
  }, 30_000);
  afterAll(() => slapd?.stop());

  it('reads users and mapped groups over ldaps://, the certificate checked against caPath', async () => {
    const snap = await readDirectory(options(), [slapd.groupDn('web'), slapd.groupDn('ops')]);
    expect(snap.users).toEqual([
      { name: 'alice', dn: slapd.userDn('alice') },
      { name: 'bob', dn: slapd.userDn('bob') },
      { name: 'carol', dn: slapd.userDn('carol') },
    ]);
    expect(snap.groups).toEqual([
      { dn: slapd.groupDn('web'), found: true, members: ['alice'] },
      { dn: slapd.groupDn('ops'), found: true, members: ['bob'] },
    ]);
    expect(snap.warnings.join('\n')).toMatch(/uid=bad name,.*skipped: uid "bad name" is not a user name/);
    // bind, one page of users, one page of groups
    expect(snap.roundTrips).toBe(3);
  });

  it('maps a group written in another case and spacing, and warns of one that is not there', async () => {
    const snap = await readDirectory(options(), ['CN=Web, OU=Groups,DC=Example,DC=org', `cn=nope,${GROUPS}`]);
    expect(snap.groups[0]).toMatchObject({ found: true, members: ['alice'] });
    expect(snap.groups[1]).toMatchObject({ found: false, members: [] });
    expect(snap.warnings.join('\n')).toContain(`group cn=nope,${GROUPS} is not under ${GROUPS}`);
  });

  it('upgrades ldap:// with StartTLS before the bind', async () => {
    const snap = await readDirectory(options({ url: slapd.ldapUrl, startTLS: true }), [slapd.groupDn('web')]);
    expect(snap.users.map((u) => u.name)).toEqual(['alice', 'bob', 'carol']);
    expect(snap.roundTrips).toBe(4);
  });

  it('checks the certificate against the URL’s host name (SNI sent), over ldaps:// and StartTLS', async () => {
    // The test certificate names localhost and 127.0.0.1.
    for (const url of [slapd.ldapsUrl, slapd.ldapUrl].map((u) => u.replace('127.0.0.1', 'localhost'))) {
      const snap = await readDirectory(options({ url, startTLS: url.startsWith('ldap:') }), []);
      expect(snap.users).toHaveLength(3);
    }
    expect(directoryTlsOptions('ldaps://ldap.example.org', 'PEM')).toEqual({
      host: 'ldap.example.org',
      servername: 'ldap.example.org',
      ca: ['PEM'],
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    // An address is checked against the certificate's IP names; SNI carries host names only.
    expect(directoryTlsOptions('ldaps://[::1]:636', undefined)).toEqual({
      host: '::1',
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
  });

  it('refuses a directory whose certificate another CA signed (ldaps:// and StartTLS)', async () => {
    const other = (await createCa('not-the-directory')).certPem;
    for (const over of [{}, { url: slapd.ldapUrl, startTLS: true }]) {
      const e = await refusal(readDirectory({ ...options(over), caPem: other }, []));
      expect(e.code).toBe('EIDENTITY_TLS');
      expect(e.message).toContain(over.url ?? slapd.ldapsUrl);
    }
  });

  it('refuses the system CAs for a test CA (no caPath)', async () => {
    const e = await refusal(readDirectory({ ...options({ caPath: undefined }), caPem: undefined }, []));
    expect(e.code).toBe('EIDENTITY_TLS');
    expect(e.suggestions.join(' ')).toContain('caPath');
  });

  it('reads plain ldap:// only with insecure: true, and says so', async () => {
    const e = await refusal(readDirectory(options({ url: slapd.ldapUrl, caPath: undefined }), []));
    expect(e.code).toBe('EIDENTITY_INSECURE');
    const snap = await readDirectory(options({ url: slapd.ldapUrl, insecure: true }), []);
    expect(snap.users).toHaveLength(3);
    expect(snap.warnings).toContain(INSECURE_WARNING);
  });

  it('escapes a name into the filter: *)(uid=* and * find nobody, alice finds alice', async () => {
    const reader = await DirectoryReader.open(options());
    try {
      // What the directory itself matched, before any check of ours.
      expect(await reader.usersNamed('*)(uid=*')).toEqual([]);
      expect(await reader.usersNamed('*')).toEqual([]);
      expect(await reader.usersNamed('alice)(|(uid=*')).toEqual([]);
      expect(await reader.usersNamed('a*')).toEqual([]);
      expect(await reader.findUser('alice')).toEqual({ name: 'alice', dn: slapd.userDn('alice') });
    } finally {
      await reader.close();
    }
  });

  it('names the bind that failed, never the password', async () => {
    const password = 'wrong-reader-password-5b1e';
    const e = await refusal(readDirectory({ ...options(), bindPassword: password }, []));
    expect(e.code).toBe('EIDENTITY_BIND');
    expect(e.message).toContain(READER_DN);
    expect(e.message).not.toContain(password);
  });

  it('names the directory that cannot be reached, within its timeout', async () => {
    const started = Date.now();
    const e = await refusal(readDirectory(options({ url: 'ldaps://127.0.0.1:1', timeoutSeconds: 2 }), []));
    expect(e.code).toBe('EIDENTITY_CONNECT');
    expect(e.message).toContain('ldaps://127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('names a search base that does not exist', async () => {
    const e = await refusal(readDirectory(options({ userBase: 'ou=nobody,dc=example,dc=org' }), []));
    expect(e.code).toBe('EIDENTITY_SEARCH');
    expect(e.message).toContain('ou=nobody,dc=example,dc=org');
  });

  it('revokes a user who left every mapped group at the next sync, and the diff says so', async () => {
    const access = accessSchema.parse({
      users: [{ name: 'root', admin: true }],
      teams: [
        { name: 'web', ldapGroup: slapd.groupDn('web') },
        { name: 'ops', ldapGroup: slapd.groupDn('ops') },
      ],
      grants: [{ team: 'web', role: 'restrictedControl', collection: '/Shared/web' }],
    })!;
    const groups = [slapd.groupDn('web'), slapd.groupDn('ops')];
    const input = async () => {
      const snap = await readDirectory(options(), groups);
      const connection = {
        url: snap.url,
        startTLS: false,
        insecure: false,
        timeoutSeconds: 3,
        syncedAt: snap.readAt,
      };
      return { users: snap.users, groups: snap.groups, connection };
    };
    const t0 = new Date('2026-12-06T06:00:00Z');
    const before = compilePolicy('lab', access, [], t0, undefined, await input());
    expect(before.users.map((u) => `${u.name}:${u.source}`)).toEqual(['root:file', 'alice:ldap', 'bob:ldap']);
    await slapd.removeMember('ops', 'bob');
    try {
      const t1 = new Date('2026-12-06T06:05:00Z');
      const after = compilePolicy('lab', access, [before], t1, undefined, await input());
      expect(after.users.map((u) => u.name)).toEqual(['root', 'alice']);
      expect(after.revoked).toEqual([{ user: 'bob', since: t1.toISOString() }]);
      expect(identityDiff(before, after)).toEqual({
        usersAdded: [],
        usersRemoved: [{ name: 'bob', source: 'ldap' }],
        membershipsAdded: [],
        membershipsRemoved: [{ team: 'ops', user: 'bob' }],
        revoked: ['bob'],
      });
    } finally {
      await slapd.addMember('ops', 'bob');
    }
  });

  it('keeps the bind password out of every log line (registered as a secret when read)', async () => {
    const { directoryBindPassword } = await import('../../../src/lib/identity/directory.js');
    const value = directoryBindPassword(options().spec, { LDAP_BIND_PASSWORD: 'bind-secret-77aa' });
    expect(value).toBe('bind-secret-77aa');
    expect(redact(`bind with bind-secret-77aa`)).not.toContain('bind-secret-77aa');
  });
});

/** Directories answer at most 500 entries to a search without paging; the reader pages. */
describe.runIf(haveSlapd())('reading a directory larger than its size limit', () => {
  let slapd: Slapd;
  const count = 650;
  beforeAll(async () => {
    slapd = await startSlapd();
    const users = Array.from({ length: count }, (_, i) => ({
      uid: `u${String(i).padStart(4, '0')}`,
      password: 'pw-x',
    }));
    await slapd.addMany(users, [{ cn: 'many', members: users.slice(0, 600).map((u) => u.uid) }]);
  }, 120_000);
  afterAll(() => slapd?.stop());

  it('reads all 650 users and a group of 600 members, one round trip per page of 200', async () => {
    const snap = await readDirectory(
      {
        spec: spec({ url: slapd.ldapsUrl, caPath: slapd.caPath }),
        bindPassword: slapd.readerPassword,
        caPem: slapd.caPem,
        pageSize: 200,
      },
      [slapd.groupDn('many')],
    );
    expect(snap.users).toHaveLength(count);
    expect(snap.groups[0]!.members).toHaveLength(600);
    // bind + 4 pages of users (650 / 200) + 1 page of groups
    expect(snap.roundTrips).toBe(1 + 4 + 1);
  });
});
