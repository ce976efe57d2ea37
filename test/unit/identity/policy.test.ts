import { describe, expect, it } from 'vitest';
import { compilePolicy, type DirectoryInput } from '../../../src/lib/access/compile.js';
import { accessSchema } from '../../../src/lib/config/schema.js';
import { identityDiff } from '../../../src/lib/access/identity-diff.js';
import { keepSyncTime } from '../../../src/lib/phases/converge/access.js';
import { HEAD, lines, THREE_MANAGERS } from '../config/helpers.js';

const GROUPS = 'ou=groups,dc=example,dc=org';
const dn = (uid: string) => `uid=${uid},ou=people,dc=example,dc=org`;
const access = accessSchema.parse({
  users: [{ name: 'ops', admin: true }, { name: 'alice' }],
  teams: [
    { name: 'web', members: ['alice'], ldapGroup: `cn=web,${GROUPS}` },
    { name: 'db', ldapGroup: `cn=db,${GROUPS}` },
    { name: 'plain', members: ['ops'] },
  ],
  grants: [{ team: 'web', role: 'restrictedControl', collection: '/Shared/web' }],
})!;
const connection = { url: 'ldaps://dir:636', startTLS: false, insecure: false, timeoutSeconds: 10 };

function directory(groups: Record<string, string[]>, users = ['alice', 'bob', 'carol', 'dave']) {
  const warnings: string[] = [];
  const input: DirectoryInput = {
    users: users.map((name) => ({ name, dn: dn(name) })),
    // The directory writes the DNs its own way: compared as DNs, not as text.
    groups: Object.entries(groups).map(([cn, members]) => ({
      dn: `CN=${cn}, OU=Groups,DC=example,DC=org`,
      found: true,
      members,
    })),
    connection: { ...connection, syncedAt: '2026-12-06T06:00:00.000Z' },
    warn: (m) => warnings.push(m),
  };
  return { input, warnings };
}

const t0 = new Date('2026-12-06T06:00:00Z');
const t1 = new Date('2026-12-06T07:00:00Z');

describe('the policy from the file and the directory', () => {
  it('makes the members of mapped groups users (source ldap, DN, no admin, private collection) and team members', () => {
    const { input } = directory({ web: ['bob'], db: ['carol'] });
    const p = compilePolicy('lab', access, [], t0, undefined, input);
    expect(p.users).toEqual([
      { name: 'ops', admin: true, defaultCollection: '/Shared/Private/ops', source: 'file' },
      { name: 'alice', admin: false, defaultCollection: '/Shared/Private/alice', source: 'file' },
      { name: 'bob', admin: false, defaultCollection: '/Shared/Private/bob', source: 'ldap', dn: dn('bob') },
      {
        name: 'carol',
        admin: false,
        defaultCollection: '/Shared/Private/carol',
        source: 'ldap',
        dn: dn('carol'),
      },
    ]);
    expect(p.teams).toEqual([
      { name: 'web', members: ['alice', 'bob'], ldapGroup: `cn=web,${GROUPS}` },
      { name: 'db', members: ['carol'], ldapGroup: `cn=db,${GROUPS}` },
      { name: 'plain', members: ['ops'] },
    ]);
    expect(p.directory).toEqual({ ...connection, syncedAt: '2026-12-06T06:00:00.000Z' });
  });

  it('leaves out directory users in no mapped group (dave), and groups no team maps', () => {
    const { input } = directory({ web: ['bob'], other: ['dave'] });
    const p = compilePolicy('lab', access, [], t0, undefined, input);
    expect(p.users.map((u) => u.name)).toEqual(['ops', 'alice', 'bob']);
  });

  it('keeps the file’s user for a name in both, leaves the directory’s out (memberships too) and warns', () => {
    const { input, warnings } = directory({ web: ['bob'], db: ['alice', 'ops'] }, ['alice', 'bob', 'ops']);
    const p = compilePolicy('lab', access, [], t0, undefined, input);
    expect(p.users.filter((u) => u.name === 'alice')).toEqual([
      { name: 'alice', admin: false, defaultCollection: '/Shared/Private/alice', source: 'file' },
    ]);
    // A directory group cannot make the file's admin a member of a team.
    expect(p.teams.find((t) => t.name === 'db')?.members).toEqual([]);
    expect(warnings).toEqual([
      `alice is a user of the cluster file and of the directory (${dn('alice')}): the file's user is kept, the directory's left out`,
      `ops is a user of the cluster file and of the directory (${dn('ops')}): the file's user is kept, the directory's left out`,
    ]);
  });

  it('ignores group members that are not users of the directory (nested groups, other bases)', () => {
    const { input } = directory({ web: ['bob', 'ghost'] });
    const p = compilePolicy('lab', access, [], t0, undefined, input);
    expect(p.users.map((u) => u.name)).not.toContain('ghost');
    expect(p.teams[0]!.members).toEqual(['alice', 'bob']);
  });

  it('revokes a directory user who left every mapped group, and one gone from the directory', () => {
    const before = compilePolicy(
      'lab',
      access,
      [],
      t0,
      undefined,
      directory({ web: ['bob'], db: ['bob', 'carol'] }).input,
    );
    // bob leaves both groups; carol is deleted from the directory.
    const after = compilePolicy(
      'lab',
      access,
      [before],
      t1,
      undefined,
      directory({ web: [], db: ['carol'] }, ['alice', 'bob']).input,
    );
    expect(after.users.map((u) => u.name)).toEqual(['ops', 'alice']);
    expect(after.revoked).toEqual([
      { user: 'bob', since: t1.toISOString() },
      { user: 'carol', since: t1.toISOString() },
    ]);
    expect(identityDiff(before, after)).toEqual({
      usersAdded: [],
      usersRemoved: [
        { name: 'bob', source: 'ldap' },
        { name: 'carol', source: 'ldap' },
      ],
      membershipsAdded: [],
      membershipsRemoved: [
        { team: 'db', user: 'bob' },
        { team: 'db', user: 'carol' },
        { team: 'web', user: 'bob' },
      ],
      revoked: ['bob', 'carol'],
    });
  });

  it('a user who is in a group again is a user again, with a new bundle (the revocation stays)', () => {
    const a = compilePolicy('lab', access, [], t0, undefined, directory({ web: ['bob'] }).input);
    const b = compilePolicy('lab', access, [a], t1, undefined, directory({ web: [] }).input);
    const c = compilePolicy(
      'lab',
      access,
      [b],
      new Date('2026-12-06T08:00:00Z'),
      undefined,
      directory({ web: ['bob'] }).input,
    );
    expect(c.users.map((u) => u.name)).toContain('bob');
    expect(c.revoked).toEqual([{ user: 'bob', since: t1.toISOString() }]);
    expect(identityDiff(b, c).usersAdded).toEqual([{ name: 'bob', source: 'ldap' }]);
  });

  it('keeps the time of the last read when nothing else changed (install stays converged)', () => {
    const { input } = directory({ web: ['bob'] });
    const old = compilePolicy('lab', access, [], t0, undefined, input);
    const again = compilePolicy('lab', access, [old], t1, undefined, {
      ...input,
      connection: { ...connection, syncedAt: t1.toISOString() },
    });
    expect(keepSyncTime(again, [old]).directory?.syncedAt).toBe(input.connection.syncedAt);
    const changed = compilePolicy('lab', access, [old], t1, undefined, {
      ...directory({ web: ['bob', 'carol'] }).input,
      connection: { ...connection, syncedAt: t1.toISOString() },
    });
    expect(keepSyncTime(changed, [old]).directory?.syncedAt).toBe(t1.toISOString());
  });
});

const withIdentity = (identity: string, access: string) => `${HEAD}${THREE_MANAGERS}${identity}${access}`;
const LDAP = (extra = '', url = 'ldaps://dir.example.org') => `  identity:
    ldap:
      url: ${url}
      bindDN: cn=reader,dc=example,dc=org
      bindPasswordEnv: LDAP_BIND_PASSWORD
      userBase: ou=people,dc=example,dc=org
      groupBase: ou=groups,dc=example,dc=org
${extra}`;
const ACCESS = `  access:
    users: [{ name: ops, admin: true }]
    teams: [{ name: web, members: [bob], ldapGroup: "cn=web,ou=groups,dc=example,dc=org" }]
    grants: [{ user: carol, role: viewOnly, collection: /Shared/web }]
`;

describe('spec.identity.ldap in the cluster file', () => {
  it('accepts a directory, and members and grants naming users it may hold', () => {
    expect(lines(withIdentity(LDAP(), ACCESS))).toEqual([]);
  });

  it('still refuses unknown users without a directory, and ldapGroup without one', () => {
    expect(lines(withIdentity('', ACCESS))).toEqual([
      'cluster.yaml:15:36: spec.access.teams[0].members[0]: bob is not in spec.access.users',
      'cluster.yaml:15:53: spec.access.teams[0].ldapGroup: a team maps a directory group only with spec.identity.ldap: add it, or remove ldapGroup',
      'cluster.yaml:16:22: spec.access.grants[0].user: carol is not in spec.access.users',
    ]);
  });

  it('refuses plain ldap:// unless startTLS or insecure says so, and StartTLS on ldaps://', () => {
    expect(lines(withIdentity(LDAP('', 'ldap://dir.example.org'), ACCESS))).toEqual([
      'cluster.yaml:15:12: spec.identity.ldap.url: plain ldap:// sends passwords readable: use ldaps://, or startTLS: true, or insecure: true on purpose',
    ]);
    expect(lines(withIdentity(LDAP('      startTLS: true\n', 'ldap://dir.example.org'), ACCESS))).toEqual([]);
    expect(lines(withIdentity(LDAP('      insecure: true\n', 'ldap://dir.example.org'), ACCESS))).toEqual([
      'cluster.yaml:20:17: warning: spec.identity.ldap.insecure: the directory is read over plain ldap://: the bind password and login passwords cross the network readable',
    ]);
    expect(lines(withIdentity(LDAP('      startTLS: true\n'), ACCESS))).toEqual([
      'cluster.yaml:20:17: spec.identity.ldap.startTLS: ldaps:// is TLS already: StartTLS is for ldap:// URLs; remove it',
    ]);
  });

  it('refuses a directory without spec.access, and a filter the directory would read otherwise', () => {
    expect(lines(withIdentity(LDAP(), ''))).toEqual([
      'cluster.yaml:15:7: spec.identity.ldap: directory users get access through spec.access (teams with ldapGroup, grants): add spec.access',
    ]);
    expect(lines(withIdentity(LDAP('      userFilter: "(objectClass=person))(|(uid=*)"\n'), ACCESS))).toEqual(
      [
        'cluster.yaml:20:19: spec.identity.ldap.userFilter: not one filter in balanced parentheses, e.g. (objectClass=person)',
      ],
    );
  });
});
