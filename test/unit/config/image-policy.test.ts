import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClusterText } from '../../../src/lib/config/load.js';
import { formatProblem } from '../../../src/lib/config/problems.js';
import { HEAD, lines, THREE_MANAGERS as MANAGERS } from './helpers.js';

/** Signed images need the cluster registry: three managers and a registry host. */
const THREE_MANAGERS = `${MANAGERS}    - address: 10.0.0.9\n      role: registry\n`;
const ACCESS_WITH_OPS = `  access:\n    users: [{ name: a, admin: true }]\n    teams: [{ name: ops, members: [a] }]\n`;

const pub = readFileSync(join(import.meta.dirname, '../../fixtures/cosign/cosign.pub'), 'utf8');
const files: Record<string, string> = {
  '/clusters/prod/keys/release.pub': pub,
  '/clusters/prod/keys/private.key': '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nxx\n-----END',
};
/** The check as `config validate` runs it, with these files on "disk". */
const withFiles = (text: string): string[] => {
  const r = checkClusterText(text, {
    file: 'cluster.yaml',
    env: {},
    baseDir: '/clusters/prod',
    readFile: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    },
  });
  return r.errors.map(formatProblem);
};

describe('spec.images.policy', () => {
  it('reads every key at load, relative to the file, with the line of a bad one', () => {
    const text = `${HEAD}${THREE_MANAGERS}  images:
    policy:
      requireSigned: true
      keys: [./keys/release.pub, ./keys/missing.pub]
      trust:
        - { team: ops, keys: [keys/private.key] }
${ACCESS_WITH_OPS}`;
    expect(withFiles(text)).toEqual([
      'cluster.yaml:18:34: spec.images.policy.keys[1]: cannot read the key /clusters/prod/keys/missing.pub: no such file',
      'cluster.yaml:20:31: spec.images.policy.trust[0].keys[0]: /clusters/prod/keys/private.key: not a PEM public key (use the .pub file that cosign generate-key-pair wrote)',
    ]);
    expect(
      withFiles(text.replace(', ./keys/missing.pub', '').replace('keys/private.key', 'keys/release.pub')),
    ).toEqual([]);
  });

  it('refuses requireSigned without any key, and a trust entry naming both or neither scope', () => {
    const text = `${HEAD}${THREE_MANAGERS}  images:
    policy:
      requireSigned: true
      trust:
        - { keys: [a.pub] }
        - { team: ops, collection: /Shared, keys: [b.pub] }
${ACCESS_WITH_OPS}`;
    expect(lines(text)).toEqual([
      'cluster.yaml:19:11: spec.images.policy.trust[0]: name exactly one of collection or team for these keys',
      'cluster.yaml:20:11: spec.images.policy.trust[1]: name exactly one of collection or team for these keys',
    ]);
    const dots = `${HEAD}${THREE_MANAGERS}  images:\n    policy:\n      trust: [{ collection: /Shared/../System, keys: [c.pub] }]\n`;
    expect(lines(dots)).toEqual([
      expect.stringMatching(
        /^cluster\.yaml:17:\d+: spec\.images\.policy\.trust\[0\]\.collection: must not contain \. or \.\.$/,
      ),
    ]);
    expect(lines(`${HEAD}${THREE_MANAGERS}  images:\n    policy: { requireSigned: true }\n`)).toEqual([
      expect.stringMatching(
        /spec\.images\.policy\.requireSigned: requireSigned with no key: no image could run/,
      ),
    ]);
  });

  it('refuses requireSigned without a registry host, and keys for a team access control does not know', () => {
    const text = `${HEAD}${MANAGERS}  images:
    policy:
      requireSigned: true
      keys: [a.pub]
      trust: [{ team: ops, keys: [b.pub] }]
`;
    expect(lines(text)).toEqual([
      'cluster.yaml:15:22: spec.images.policy.requireSigned: requireSigned needs the cluster registry (a host with role: registry): signatures are read there, and only images there can run',
      'cluster.yaml:17:23: spec.images.policy.trust[0].team: ops is not in spec.access.teams: keys for a team need access control to know its members',
    ]);
  });
});
