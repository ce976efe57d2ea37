import { describe, expect, it } from 'vitest';
import { resolveFilePath } from '../../../src/lib/config/paths.js';
import { check, HEAD } from './helpers.js';

describe('file paths in the cluster file', () => {
  it('resolves relative paths against the directory of the file, and ~ to the home directory', () => {
    expect(resolveFilePath('keys/id', '/clusters/prod', '/home/ops')).toBe('/clusters/prod/keys/id');
    expect(resolveFilePath('../shared/id', '/clusters/prod', '/home/ops')).toBe('/clusters/shared/id');
    expect(resolveFilePath('~/.ssh/id', '/clusters/prod', '/home/ops')).toBe('/home/ops/.ssh/id');
    expect(resolveFilePath('~', '/clusters/prod', '/home/ops')).toBe('/home/ops');
    expect(resolveFilePath('/etc/eectl/id', '/clusters/prod', '/home/ops')).toBe('/etc/eectl/id');
  });

  it('leaves paths that start with an ssh token to the ssh layer', () => {
    expect(resolveFilePath('%d/.ssh/id', '/clusters/prod', '/home/ops')).toBe('%d/.ssh/id');
  });

  it('resolves ssh keys, bastion keys, image bundles and the CA when loading', () => {
    const text = `${HEAD}  hosts:
    - address: 10.0.0.1
      role: manager
      ssh: { keyPath: ./keys/id, bastion: { address: jump, keyPath: ~/.ssh/jump } }
  controlPlane:
    ca: { certPath: pki/ca.pem, keyPath: /secure/ca-key.pem }
  images:
    bundles: [images.tar, ~/bundles/apps.tar]
`;
    const { config, errors } = check(text);
    expect(errors).toEqual([]);
    expect(config?.spec.hosts[0]?.ssh.keyPath).toBe('/clusters/prod/keys/id');
    expect(config?.spec.hosts[0]?.ssh.bastion?.keyPath).toBe('/home/ops/.ssh/jump');
    expect(config?.spec.controlPlane.ca).toEqual({
      certPath: '/clusters/prod/pki/ca.pem',
      keyPath: '/secure/ca-key.pem',
    });
    expect(config?.spec.images.bundles).toEqual(['/clusters/prod/images.tar', '/home/ops/bundles/apps.tar']);
  });
});
