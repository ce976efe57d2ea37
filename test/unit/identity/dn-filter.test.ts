import { FilterParser } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { normalizeDn, sameDn } from '../../../src/lib/identity/dn.js';
import { groupMembers } from '../../../src/lib/identity/directory.js';
import { filterProblem, userSearchFilter } from '../../../src/lib/identity/filter.js';

describe('DN comparison', () => {
  it('ignores the case of types and values and the spaces around separators', () => {
    expect(sameDn('cn=web,ou=groups,dc=example,dc=org', 'CN=Web, OU=Groups , DC=example,dc=ORG')).toBe(true);
    expect(sameDn('cn=web  team,dc=org', 'cn=Web Team,dc=org')).toBe(true);
  });

  it('undoes escapes: \\, and \\2C are the same comma, and a comma inside a value is no separator', () => {
    expect(sameDn('cn=Smith\\, John,dc=org', 'cn=smith\\2c john,dc=org')).toBe(true);
    expect(sameDn('cn=Smith\\, John,dc=org', 'cn=Smith,cn=John,dc=org')).toBe(false);
    expect(normalizeDn('cn=a\\,b,dc=org')).not.toBe(normalizeDn('cn=a,b=,dc=org'));
  });

  it('reads multi-valued RDNs in any order', () => {
    expect(sameDn('cn=a+uid=b,dc=org', 'uid=b+cn=a,dc=org')).toBe(true);
  });

  it('tells different entries apart', () => {
    expect(sameDn('cn=web,ou=groups,dc=example,dc=org', 'cn=web2,ou=groups,dc=example,dc=org')).toBe(false);
    expect(sameDn('cn=web,ou=groups,dc=example,dc=org', 'cn=web,ou=groups,dc=example')).toBe(false);
    expect(sameDn('cn=web,dc=org', 'ou=web,dc=org')).toBe(false);
  });

  it('equals nothing for a DN it cannot read', () => {
    for (const bad of ['', 'web', 'cn=web,', 'cn=web\\', '=x,dc=org', 'c n=x']) {
      expect(normalizeDn(bad)).toBeUndefined();
      expect(sameDn(bad, bad)).toBe(false);
    }
  });
});

describe('user search filters', () => {
  const spec = { userFilter: '(objectClass=inetOrgPerson)', userAttribute: 'uid' };

  it('finds every user with a name, without a name', () => {
    expect(userSearchFilter(spec)).toBe('(&(objectClass=inetOrgPerson)(uid=*))');
  });

  it('escapes a name per RFC 4515, so it parses to one equality test on the whole name', () => {
    for (const name of ['*)(uid=*', '*', 'a\\b', 'x)(|(objectClass=*)', 'nul\u0000']) {
      const text = userSearchFilter(spec, name);
      expect(text).not.toContain(`uid=${name}`);
      const parsed = FilterParser.parseString(text) as unknown as {
        filters: { attribute: string; value: string }[];
      };
      expect(parsed.filters).toHaveLength(2);
      expect(parsed.filters[1]).toMatchObject({ attribute: 'uid', value: name });
    }
    expect(userSearchFilter(spec, '*)(uid=*')).toBe(
      '(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))',
    );
  });

  it('says what is wrong with a filter the directory could not read', () => {
    expect(filterProblem('(objectClass=person)')).toBeUndefined();
    expect(filterProblem('(&(objectClass=person)(uid=*))')).toBeUndefined();
    // ldapts would fill in the missing ) and send a filter the operator did not write.
    expect(filterProblem('(&(objectClass=person)')).toMatch(/balanced parentheses/);
    // One that closes early would turn (&<userFilter>(uid=*)) into something else.
    expect(filterProblem('(objectClass=person))(|(uid=*')).toMatch(/balanced parentheses/);
    expect(filterProblem('(a=1)(b=2)')).toMatch(/balanced parentheses/);
    expect(filterProblem('cn=a')).toMatch(/balanced parentheses/);
    expect(filterProblem('(cn=a\\29b)')).toBeUndefined();
    expect(filterProblem('(cn=a=(b=)c)')).toMatch(/not an LDAP filter/);
  });
});

describe('group members', () => {
  const users = new Map([
    [normalizeDn('uid=alice,ou=people,dc=example,dc=org')!, 'alice'],
    [normalizeDn('uid=bob,ou=people,dc=example,dc=org')!, 'bob'],
  ]);

  it('keeps the members that are users, found by DN as the directory writes it, attribute in any case', () => {
    const entry = {
      dn: 'cn=web,ou=groups,dc=example,dc=org',
      Member: [
        'UID=Bob, OU=People,DC=example,DC=org',
        'cn=admin,dc=example,dc=org',
        'uid=alice,ou=people,dc=example,dc=org',
      ],
    };
    expect(groupMembers(entry, 'member', users)).toEqual({ members: ['alice', 'bob'] });
  });

  it('gives no members for a group AD sends in ranges, and names the attribute', () => {
    const entry = { dn: 'cn=big,dc=org', 'member;range=0-1499': ['uid=alice,ou=people,dc=example,dc=org'] };
    expect(groupMembers(entry, 'member', users)).toEqual({ members: [], ranged: 'member;range=0-1499' });
  });
});
