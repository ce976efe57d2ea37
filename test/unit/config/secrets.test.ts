import { describe, expect, it } from 'vitest';
import { requireSecrets, secretEnvRefs } from '../../../src/lib/config/secrets.js';
import { check, HEAD } from './helpers.js';

const text = `${HEAD}  hosts:
    - { address: 10.0.0.1, role: manager, ssh: { passwordEnv: SSH_PASSWORD } }
  registry:
    storage: { s3: { bucket: b, region: r, accessKeyEnv: S3_KEY, secretKeyEnv: S3_SECRET } }
    auth: { htpasswd: { users: [{ name: ci, passwordEnv: CI_PASSWORD }] } }
`;

describe('secrets named in the file', () => {
  it('loads without the variables being set: only their names are checked', () => {
    expect(check(text, {}).errors).toEqual([]);
  });

  it('lists every variable the file names, with where', () => {
    const config = check(text).config;
    expect(config && secretEnvRefs(config)).toEqual([
      { path: 'spec.hosts[0].ssh.passwordEnv', name: 'SSH_PASSWORD' },
      { path: 'spec.registry.storage.s3.accessKeyEnv', name: 'S3_KEY' },
      { path: 'spec.registry.storage.s3.secretKeyEnv', name: 'S3_SECRET' },
      { path: 'spec.registry.auth.htpasswd.users[0].passwordEnv', name: 'CI_PASSWORD' },
    ]);
  });

  it('lets a command that needs them refuse, naming each unset one', () => {
    const refs = secretEnvRefs(check(text).config as NonNullable<ReturnType<typeof check>['config']>);
    const s3 = refs.filter((r) => r.path.includes('.s3.'));
    expect(() => requireSecrets('cluster.yaml', s3, { S3_KEY: 'k', S3_SECRET: 's' })).not.toThrow();
    expect(() => requireSecrets('cluster.yaml', s3, { S3_KEY: 'k' })).toThrow(
      'cluster.yaml: spec.registry.storage.s3.secretKeyEnv: environment variable S3_SECRET is not set',
    );
  });
});
