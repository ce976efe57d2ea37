import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileImagePolicy, compilePolicy } from '../../../src/lib/access/compile.js';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { REGISTRY_READER } from '../../../src/lib/access/paths.js';
import {
  REGISTRY_PASSWORD_FILE,
  TOKEN_SIGNING_CERT_FILE,
  TOKEN_SIGNING_KEY_FILE,
  REGISTRY_ADMIN_PASSWORD_FILE,
  REGISTRY_TOKEN_CERT_FILE,
  REGISTRY_TOKEN_KEY_FILE,
} from '../../../src/lib/host-layout.js';
import {
  authzUnit,
  PLUGIN_MODULES,
  tokenUnit,
  VENDORED_PACKAGES,
  vendoredPackageRoot,
} from '../../../src/lib/phases/converge/access.js';
import { GATE_MODULES } from '../../../src/lib/phases/registry-gate.js';
import { RELAY_MODULES } from '../../../src/lib/phases/registry-webhooks.js';
import { WATCHER_MODULES } from '../../../src/lib/phases/ingress-watcher.js';
import { ADMIN_USER } from '../../../src/lib/registry/plan.js';
import { check, HEAD, lines, THREE_MANAGERS } from '../config/helpers.js';

const withAccess = (access: string) => `${HEAD}${THREE_MANAGERS}  access:\n${access}`;

describe('spec.access in the cluster file', () => {
  it('accepts users, teams and grants', () => {
    const text = withAccess(`    users: [{ name: ops, admin: true }, { name: alice }]
    teams: [{ name: web, members: [alice] }]
    grants:
      - { team: web, role: restrictedControl, collection: /Shared/web }
      - { user: alice, role: viewOnly, collection: / }
`);
    const r = check(text);
    expect(r.errors).toEqual([]);
    expect(r.config?.spec.access?.users[1]).toEqual({ name: 'alice', admin: false });
  });

  it('places every mistake on its line', () => {
    const text = withAccess(`    users: [{ name: ops, admin: true }, { name: ops }]
    teams: [{ name: web, members: [bob] }]
    grants:
      - { user: alice, role: viewOnly, collection: /Shared }
      - { team: nobody, role: viewOnly, collection: /Shared }
      - { user: ops, team: web, role: viewOnly, collection: /Shared }
      - { user: ops, role: fullControl, collection: /System/registry }
`);
    expect(lines(text)).toEqual([
      'cluster.yaml:14:49: spec.access.users[1].name: duplicate user ops: spec.access.users[0] has it too',
      'cluster.yaml:15:36: spec.access.teams[0].members[0]: bob is not in spec.access.users',
      'cluster.yaml:17:17: spec.access.grants[0].user: alice is not in spec.access.users',
      'cluster.yaml:18:17: spec.access.grants[1].team: nobody is not in spec.access.teams',
      'cluster.yaml:19:9: spec.access.grants[2]: a grant names exactly one of user or team',
      'cluster.yaml:20:53: spec.access.grants[3].collection: /System is for admins only: make the user admin: true instead',
    ]);
  });

  it('refuses collections that differ only in case (placement constraints match them alike), the built-in ones included, and node collections on managers', () => {
    const text = `${HEAD}  hosts:
    - { address: 10.0.0.11, role: manager, collection: /Shared/web }
    - { address: 10.0.0.21, role: worker, collection: /Shared/Web }
    - { address: 10.0.0.22, role: worker, collection: /Shared/a@b }
  access:
    users: [{ name: ops, admin: true }, { name: alice }]
    grants:
      - { user: alice, role: scheduler, collection: /Shared/web }
      - { user: alice, role: viewOnly, collection: /shared }
      - { user: alice, role: fullControl, collection: /SYSTEM }
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:7:5: warning: spec.hosts: 1 manager: no fault tolerance: lose it and the cluster cannot be managed',
      'cluster.yaml:7:56: spec.hosts[0].collection: a manager is always in /System: only workers name a collection',
      'cluster.yaml:8:55: spec.hosts[1].collection: /Shared/Web and /Shared/web differ only in case: placement constraints do not tell them apart, so use one spelling',
      'cluster.yaml:9:55: spec.hosts[2].collection: a node collection is named in placement constraints, which cannot hold @',
      'cluster.yaml:14:52: spec.access.grants[1].collection: /shared and /Shared differ only in case: placement constraints do not tell them apart, so use one spelling',
      'cluster.yaml:15:55: spec.access.grants[2].collection: /System is for admins only: make the user admin: true instead',
    ]);
  });

  it('warns when nobody is admin', () => {
    expect(lines(withAccess('    users: [{ name: alice }]\n'))).toEqual([
      'cluster.yaml:14:12: warning: spec.access.users: no user has admin: true: nobody but root on a manager can manage nodes or /System',
    ]);
  });
});

describe('the policy file install writes', () => {
  const access = {
    users: [
      { name: 'ops', admin: true },
      { name: 'alice', admin: false },
    ],
    teams: [],
    grants: [{ user: 'alice', role: 'viewOnly' as const, collection: '/Shared' }],
  };
  const t0 = new Date('2026-12-01T10:00:00Z');

  it('fills in default collections', () => {
    const p = compilePolicy('prod', access, [], t0);
    expect(p.users[1]).toEqual({
      name: 'alice',
      admin: false,
      defaultCollection: '/Shared/Private/alice',
      source: 'file',
    });
    expect(p.revoked).toEqual([]);
  });

  it('revokes a user the managers knew and the file dropped, and keeps that moment on later runs', () => {
    const before = compilePolicy('prod', access, [], t0);
    const dropped = { ...access, users: [access.users[0]!], grants: [] };
    const after = compilePolicy('prod', dropped, [before], t0);
    expect(after.revoked).toEqual([{ user: 'alice', since: t0.toISOString() }]);
    const later = compilePolicy('prod', dropped, [after], new Date('2026-12-02T00:00:00Z'));
    expect(later).toEqual(after);
    // Back in the file: the old revocation stays (old bundles stay refused), new bundles work.
    const back = compilePolicy('prod', access, [later], new Date('2026-12-03T00:00:00Z'));
    expect(back.revoked).toEqual(after.revoked);
  });

  it('merges what different managers have (one missed the last run)', () => {
    const a: AccessPolicy = {
      ...compilePolicy('prod', access, [], t0),
      revoked: [{ user: 'x', since: '2026-01-01T00:00:00.000Z' }],
    };
    const b: AccessPolicy = { ...a, revoked: [{ user: 'x', since: '2026-02-01T00:00:00.000Z' }] };
    expect(compilePolicy('prod', access, [a, b], t0).revoked).toEqual([
      { user: 'x', since: '2026-02-01T00:00:00.000Z' },
    ]);
  });
});

describe('the image policy install writes into the policy file', () => {
  const fixtures = join(import.meta.dirname, '../../fixtures/cosign');
  const text = `${HEAD}${THREE_MANAGERS}    - address: 10.0.0.31
      role: registry
  registry: { externalUrl: https://registry.example.com }
  images:
    policy:
      requireSigned: true
      keys: [${join(fixtures, 'cosign.pub')}]
      trust: [{ collection: /Shared/team, keys: [${join(fixtures, 'other.pub')}] }]
      allowUnsigned: ['10.0.0.31:5443/tools/**']
`;

  it('carries the keys (PEM, named by file), scopes, exceptions, registry names and eectl’s own image', () => {
    const r = check(text);
    expect(r.errors).toEqual([]);
    const rules = compileImagePolicy(
      r.config!,
      ['registry:2.8.3', 'sha256:abc', 'registry:2.8.3'],
      ['eectl-registry'],
    );
    expect(rules).toEqual({
      requireSigned: true,
      keys: [{ name: 'cosign.pub', pem: readFileSync(join(fixtures, 'cosign.pub'), 'utf8') }],
      scoped: [
        {
          collection: '/Shared/team',
          keys: [{ name: 'other.pub', pem: readFileSync(join(fixtures, 'other.pub'), 'utf8') }],
        },
      ],
      allowUnsigned: ['10.0.0.31:5443/tools/**'],
      ownImages: ['registry:2.8.3', 'sha256:abc'],
      ownServices: ['eectl-registry'],
      registries: ['10.0.0.31:5443', 'registry.example.com'],
    });
    const p = compilePolicy('prod', undefined, [], new Date(), rules);
    expect(p).toMatchObject({ open: true, users: [], images: rules });
  });

  it('without spec.access: an open policy that keeps the managers’ revocations and adds none', () => {
    const before = compilePolicy(
      'prod',
      { users: [{ name: 'ops', admin: true }], teams: [], grants: [] },
      [],
    );
    const kept = { ...before, revoked: [{ user: 'x', since: '2026-01-01T00:00:00.000Z' }] };
    expect(compilePolicy('prod', undefined, [kept]).revoked).toEqual(kept.revoked);
  });
});

/** Every Node program eectl uploads to hosts, with the modules it uploads and the npm packages it vendors. */
const PROGRAMS: [string, readonly string[], readonly string[]][] = [
  ['the authorization plugin and token service', PLUGIN_MODULES, VENDORED_PACKAGES.map((p) => p.name)],
  ['the ingress watcher', WATCHER_MODULES, []],
  ['the webhook relay', RELAY_MODULES, []],
  ['the registry gate', GATE_MODULES, []],
];

describe.each(PROGRAMS)('the modules of %s are self-contained', (_, modules, vendoredNames) => {
  it('import only node: built-ins and each other (they are uploaded to the hosts as they are)', () => {
    for (const name of modules) {
      const source = readFileSync(
        new URL(`../../../src/lib/${name.replace(/\.js$/, '.ts')}`, import.meta.url),
        'utf8',
      );
      // Imports and re-exports over several lines too; `import type` is erased by the compiler.
      const specs = [...source.matchAll(/^(import|export)(?!\s+type\b)[^;]*?\sfrom\s+'([^']+)';/gms)].map(
        (m) => m[2]!,
      );
      const bare = [...source.matchAll(/^import\s+'([^']+)';/gm)].map((m) => m[1]!);
      expect(specs.length, `${name} has imports the test cannot see`).toBeGreaterThanOrEqual(
        (source.match(/^import (?!type\b)/gm) ?? []).length - bare.length,
      );
      for (const spec of [...specs, ...bare]) {
        const resolved = spec.startsWith('.') ? posix.join(posix.dirname(name), spec) : spec;
        const ok = spec.startsWith('node:') || modules.includes(resolved) || vendoredNames.includes(spec);
        expect(ok, `${name} imports ${spec}`).toBe(true);
      }
    }
  });
});

describe('the plugin and its vendored packages', () => {
  it('vendor npm packages whose uploaded file imports only Node.js built-ins', () => {
    for (const pkg of VENDORED_PACKAGES) {
      const root = vendoredPackageRoot(pkg.name);
      const source = readFileSync(join(root, pkg.entry), 'utf8');
      const specs = [...source.matchAll(/(?:^|[;\s])(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)].map(
        (m) => m[1]!,
      );
      expect(specs.length, `${pkg.name} has imports`).toBeGreaterThan(0);
      expect(source, `${pkg.name} loads modules at run time`).not.toMatch(/\brequire\(|\bimport\(/);
      for (const spec of specs) {
        expect(spec.replace(/^node:/, ''), `${pkg.name} imports ${spec}`).toBeOneOf([...builtinModules]);
      }
    }
  });

  it('keep the token-signing key where install keeps it', () => {
    expect(TOKEN_SIGNING_KEY_FILE).toBe(REGISTRY_TOKEN_KEY_FILE);
    expect(TOKEN_SIGNING_CERT_FILE).toBe(REGISTRY_TOKEN_CERT_FILE);
    expect(tokenUnit(5444)).toContain('/opt/eectl/authz/access/token-service.js --port 5444');
  });

  it('hold every module the plugin reaches, signature checks included', () => {
    expect(PLUGIN_MODULES).toEqual(
      expect.arrayContaining(['access/plugin.js', 'access/signed-images.js', 'images/signatures.js']),
    );
    expect(authzUnit()).toContain('/opt/eectl/authz/access/plugin.js');
  });

  it('read the registry password from the file install keeps it in', () => {
    expect(REGISTRY_PASSWORD_FILE).toBe(REGISTRY_ADMIN_PASSWORD_FILE);
    expect(REGISTRY_READER).toBe(ADMIN_USER);
  });
});
