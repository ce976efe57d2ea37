import { describe, expect, it } from 'vitest';
import { type AccessPolicy, type AccessRole } from '../../../src/lib/access/model.js';
import { ACCESS_ROLES } from '../../../src/lib/config/access-names.js';
import {
  decideMirrorScopes,
  decideScopes,
  formatScope,
  parseScopes,
  validRepositoryName,
} from '../../../src/lib/access/registry-scopes.js';

/** One user per role on /Shared/web (by a team for viewOnly, to see teams count), and an admin. */
function policy(extra: Partial<AccessPolicy> = {}): AccessPolicy {
  const roleUsers = ACCESS_ROLES.map((role) => ({ name: `u-${role}`, admin: false, defaultCollection: '/' }));
  return {
    version: 1,
    cluster: 'prod',
    users: [
      ...roleUsers,
      { name: 'ops', admin: true, defaultCollection: '/' },
      { name: 'alice', admin: false, defaultCollection: '/', source: 'ldap', dn: 'uid=alice,dc=x' },
      { name: 'bob', admin: false, defaultCollection: '/' },
    ],
    teams: [{ name: 'viewers', members: ['u-viewOnly'] }],
    grants: ACCESS_ROLES.filter((r) => r !== 'viewOnly').map((role) => ({
      user: `u-${role}`,
      role,
      collection: '/Shared/web',
    })),
    revoked: [],
    registry: {
      service: 'eectl-prod-registry',
      issuer: 'eectl-prod-token-service',
      expirySeconds: 300,
      namespaces: [
        { name: 'web', collection: '/Shared/web', public: false },
        { name: 'webkids', collection: '/Shared/web/kids', public: false },
        { name: 'api', collection: '/Shared/api', public: true },
        { name: 'sys', collection: '/system/x', public: true },
      ],
    },
    ...extra,
  };
}

const withViewers = (): AccessPolicy => {
  const p = policy();
  p.grants.push({ team: 'viewers', role: 'viewOnly', collection: '/Shared/web' });
  return p;
};

const ACTIONS = ['pull', 'push', 'delete', '*'] as const;
/** The table of the issue: what each role gives on its collection's repositories. */
const TABLE: Record<AccessRole | 'admin', readonly string[]> = {
  none: [],
  viewOnly: ['pull'],
  restrictedControl: ['pull', 'push'],
  scheduler: [],
  fullControl: ['pull', 'push', 'delete'],
  admin: ['pull', 'push', 'delete', '*'],
};

const granted = (p: AccessPolicy, user: string, scope: string): string[] =>
  decideScopes(p, user, parseScopes([scope])).flatMap((d) => d.granted);

describe('the scope decision table', () => {
  const p = withViewers();
  for (const role of [...ACCESS_ROLES, 'admin'] as const) {
    const user = role === 'admin' ? 'ops' : `u-${role}`;
    for (const action of ACTIONS) {
      const expected = TABLE[role].includes(action);
      it(`${role}: ${action} on the namespace's own collection → ${expected ? 'granted' : 'refused'}`, () => {
        expect(granted(p, user, `repository:web/app:${action}`)).toEqual(expected ? [action] : []);
      });
      it(`${role}: ${action} on a child collection (grants are inherited) → ${expected ? 'granted' : 'refused'}`, () => {
        expect(granted(p, user, `repository:webkids/a/b:${action}`)).toEqual(expected ? [action] : []);
      });
      const publicExpected = role === 'admin' ? TABLE.admin.includes(action) : action === 'pull';
      it(`${role}: ${action} on another team's public namespace → ${publicExpected ? 'granted' : 'refused'}`, () => {
        expect(granted(p, user, `repository:api/app:${action}`)).toEqual(publicExpected ? [action] : []);
      });
      it(`${role}: ${action} on a namespace nobody mapped → ${role === 'admin' ? 'admin only' : 'refused'}`, () => {
        expect(granted(p, user, `repository:unmapped/app:${action}`)).toEqual(
          role === 'admin' ? [action] : [],
        );
      });
    }
  }

  it("gives every user pull and push in their private namespace, and others' nothing", () => {
    expect(granted(policy(), 'bob', 'repository:bob/tool:pull,push,delete,*')).toEqual(['pull', 'push']);
    expect(granted(policy(), 'alice', 'repository:bob/tool:pull,push')).toEqual([]);
    expect(granted(policy(), 'bob', 'repository:alice/tool:pull')).toEqual([]);
  });

  it('lets a grant on a parent collection reach a private one (the access model inherits grants)', () => {
    const p = policy();
    p.grants.push({ user: 'alice', role: 'viewOnly', collection: '/Shared' });
    expect(granted(p, 'alice', 'repository:bob/tool:pull,push')).toEqual(['pull']);
  });

  it('grants nothing below /System in any case, public or not', () => {
    expect(granted(policy(), 'u-fullControl', 'repository:sys/app:pull')).toEqual([]);
    expect(granted(policy(), 'ops', 'repository:sys/app:pull')).toEqual(['pull']);
  });

  it('gives the catalog to admins only', () => {
    expect(granted(policy(), 'ops', 'registry:catalog:*')).toEqual(['*']);
    expect(granted(policy(), 'u-fullControl', 'registry:catalog:*')).toEqual([]);
    expect(granted(policy(), 'ops', 'registry:other:*')).toEqual([]);
  });

  it('refuses users who are not in the policy, whatever they ask', () => {
    const [d] = decideScopes(policy(), 'mallory', parseScopes(['repository:api/app:pull']));
    expect(d!.granted).toEqual([]);
    expect(d!.reason).toMatch(/not a user/);
  });

  it('refuses unknown resource types, actions and malformed names, admins included', () => {
    for (const scope of [
      'repository:web/app:PULL',
      'repository:web/app:pull ',
      'repository:web/app:read',
      'repositories:web/app:pull',
      'Repository:web/app:pull',
      'repository:Web/app:pull',
      'repository:web//app:pull',
      'repository:web/app/:pull',
      'repository:/web/app:pull',
      'repository:web/../app:pull',
      'repository:web/app*:pull',
      `repository:web/${'a'.repeat(260)}:pull`,
      'repository::pull',
      'repository:web/app',
      'repository',
      '',
    ]) {
      expect(granted(policy(), 'ops', scope), scope).toEqual([]);
      expect(granted(withViewers(), 'u-fullControl', scope), scope).toEqual([]);
    }
  });

  it('explains a partial grant', () => {
    const [d] = decideScopes(withViewers(), 'u-viewOnly', parseScopes(['repository:web/app:pull,push']));
    expect(d!.granted).toEqual(['pull']);
    expect(d!.reason).toBe('/Shared/web: u-viewOnly may pull there, not push');
  });
});

describe('scope parsing, as Distribution’s token server parses it', () => {
  it('splits at the first two colons, so a name with a colon leaves junk in the actions', () => {
    expect(parseScopes(['repository:localhost:5000/web/app:pull'])).toEqual([
      { type: 'repository', name: 'localhost', actions: ['5000/web/app:pull'] },
    ]);
    expect(granted(policy(), 'ops', 'repository:localhost:5000/web/app:pull')).toEqual([]);
  });

  it('reads a resource class and merges repeated resources', () => {
    expect(
      parseScopes([
        'repository(plugin):web/app:pull',
        'repository:web/app:pull',
        'repository:web/app:push,pull',
      ]),
    ).toEqual([
      { type: 'repository', class: 'plugin', name: 'web/app', actions: ['pull'] },
      { type: 'repository', name: 'web/app', actions: ['pull', 'push'] },
    ]);
    expect(formatScope(parseScopes(['repository(plugin):web/app:pull'])[0]!)).toBe(
      'repository(plugin):web/app:pull',
    );
  });

  it('drops specifiers with a malformed type', () => {
    expect(
      parseScopes(['repo sitory:web/app:pull', 'repository(:web/app:pull', 'REPOSITORY:web/app:pull', 'a:b']),
    ).toEqual([]);
  });

  it('decides a classed resource like its type (Distribution 2.8 ignores the class when it checks)', () => {
    expect(granted(withViewers(), 'u-viewOnly', 'repository(plugin):web/app:pull,push')).toEqual(['pull']);
  });

  it('knows repository names as distribution/reference does', () => {
    expect(validRepositoryName('web/app')).toBe(true);
    expect(validRepositoryName('web/a.b_c__d-e--f/g')).toBe(true);
    expect(validRepositoryName('web/a..b')).toBe(false);
    expect(validRepositoryName('web/-a')).toBe(false);
    expect(validRepositoryName('web/a_')).toBe(false);
  });
});

describe('scopes through a mirror (pull-only, judged by the namespace of its name)', () => {
  const withMirror = (): AccessPolicy => {
    const p = policy();
    p.registry!.mirrors = [{ name: 'web', service: 'eectl-prod-mirror-web' }];
    return p;
  };
  const through = (p: AccessPolicy, user: string, scope: string, mirror = 'web') =>
    decideMirrorScopes(p, user, mirror, parseScopes([scope]));

  it("grants pull by the role on the mirror's namespace, never push or delete, under the name asked for", () => {
    const [d] = through(withMirror(), 'u-fullControl', 'repository:library/alpine:pull,push,delete,*');
    expect(d).toMatchObject({ requested: { name: 'library/alpine' }, granted: ['pull'] });
    expect(d?.reason).toContain('push,delete,* refused: a mirror is pull-only');
    expect(
      through(withMirror(), 'u-restrictedControl', 'repository:library/alpine:pull')[0]?.granted,
    ).toEqual(['pull']);
    expect(through(withMirror(), 'u-none', 'repository:library/alpine:pull')[0]?.granted).toEqual([]);
    expect(through(withMirror(), 'u-fullControl', 'repository:library/alpine:push')[0]?.granted).toEqual([]);
  });

  it('lets admins pull; a mirror no namespace maps is for admins only; a public namespace lets every user pull', () => {
    expect(through(withMirror(), 'ops', 'repository:x/y:pull', 'hub')[0]?.granted).toEqual(['pull']);
    const [d] = through(withMirror(), 'u-fullControl', 'repository:x/y:pull', 'hub');
    expect(d?.granted).toEqual([]);
    expect(d?.reason).toContain('namespace hub is not in registry.namespaces (admins only)');
    expect(through(withMirror(), 'bob', 'repository:x/y:pull', 'api')[0]?.granted).toEqual(['pull']);
    // Never a user's private namespace, even when the mirror is named like the user.
    expect(through(withMirror(), 'bob', 'repository:x/y:pull', 'bob')[0]?.granted).toEqual([]);
  });

  it('refuses the catalog, other types, bad names and unknown users', () => {
    for (const scope of ['registry:catalog:*', 'repository:UPPER/x:pull', 'repository(plugin):a/b:pull']) {
      const granted = through(withMirror(), 'ops', scope)[0]?.granted ?? [];
      expect(granted, scope).toEqual(scope.startsWith('repository(plugin)') ? ['pull'] : []);
    }
    expect(through(withMirror(), 'nobody', 'repository:a/b:pull')[0]?.granted).toEqual([]);
  });
});
