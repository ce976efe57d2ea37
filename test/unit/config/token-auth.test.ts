import { describe, expect, it } from 'vitest';
import { registryLogins } from '../../../src/lib/phases/converge/access.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { UsageError } from '../../../src/lib/errors.js';
import { redact } from '../../../src/lib/util/redact.js';
import { HEAD, lines, THREE_MANAGERS } from './helpers.js';

const ACCESS = `  access:
    users: [{ name: ops, admin: true }, { name: alice, passwordHashEnv: ALICE_HASH }]
`;
const file = (registry: string, access = ACCESS) =>
  `${HEAD}${THREE_MANAGERS}${access}  registry:\n${registry}`;

describe('registry token authentication in the cluster file', () => {
  it('accepts token auth with spec.access and namespaces', () => {
    expect(
      lines(
        file(`    auth: { token: {} }
    namespaces: [{ name: web, collection: /Shared/web }, { name: api, collection: /Shared/api, public: true }]
`),
      ),
    ).toEqual([]);
  });

  it('refuses token auth without spec.access, with htpasswd, and namespaces without it', () => {
    expect(lines(file('    auth: { token: {} }\n', ''))).toEqual([
      "cluster.yaml:14:20: spec.registry.auth.token: token authentication needs spec.access: its users log in and its grants decide each repository's permissions",
    ]);
    expect(lines(file('    auth: { token: {}, htpasswd: { users: [] } }\n'))).toEqual([
      expect.stringMatching(/spec\.registry\.auth\.htpasswd: htpasswd and token are exclusive/),
    ]);
    expect(lines(file('    namespaces: [{ name: web, collection: /Shared/web }]\n'))).toEqual([
      expect.stringMatching(/spec\.registry\.namespaces: namespaces need registry\.auth\.token/),
    ]);
  });

  it('refuses a namespace in /System (any case), a duplicate one, and one named like a user', () => {
    expect(
      lines(
        file(`    auth: { token: {} }
    namespaces:
      - { name: sys, collection: /system/x }
      - { name: web, collection: /Shared/web }
      - { name: web, collection: /Shared/web2 }
      - { name: alice, collection: /Shared/a }
`),
      ),
    ).toEqual([
      expect.stringMatching(
        /^cluster\.yaml:18:\d+: spec\.registry\.namespaces\[0\]\.collection: \/System is for admins only/,
      ),
      expect.stringMatching(
        /^cluster\.yaml:20:\d+: spec\.registry\.namespaces\[2\]\.name: duplicate namespace web/,
      ),
      expect.stringMatching(
        /^cluster\.yaml:21:\d+: spec\.registry\.namespaces\[3\]\.name: alice is a user's private namespace/,
      ),
    ]);
  });
});

describe('file users’ registry password hashes (passwordHashEnv)', () => {
  const access = clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 't' },
    spec: {
      hosts: [{ address: '10.0.0.1', role: 'manager' }],
      access: {
        users: [
          { name: 'ops', admin: true },
          { name: 'alice', passwordHashEnv: 'ALICE_HASH' },
        ],
      },
    },
  }).spec.access!;
  const HASH = '$2b$10$vfPupPo87TqxCob.9EXJ/OOnexup.3WROH/v1v77FAjtXXWRM6GUC';

  it('become the root-only logins file, and are redacted from logs', () => {
    expect(JSON.parse(registryLogins(access, { ALICE_HASH: HASH }))).toEqual({ users: { alice: HASH } });
    expect(redact(`x ${HASH}`)).not.toContain(HASH);
  });

  it('must be set and be bcrypt hashes, said with the variable’s name and how to make one', () => {
    expect(() => registryLogins(access, {})).toThrow(/passwordHashEnv ALICE_HASH is not set/);
    for (const bad of ['secret', '$1$abc$def', `${HASH}x`, '$2b$10$short', '{SSHA}abc']) {
      let error: unknown;
      try {
        registryLogins(access, { ALICE_HASH: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(/ALICE_HASH is not a bcrypt hash/);
      expect((error as UsageError).message).not.toContain(bad);
    }
  });
});
