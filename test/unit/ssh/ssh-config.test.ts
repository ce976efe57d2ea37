import { homedir } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { describe, expect, it } from 'vitest';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { defaultKeyPaths, resolveTarget } from '../../../src/lib/ssh/endpoint.js';
import { lookupSshConfig, parseProxyJump } from '../../../src/lib/ssh/ssh-config.js';

const host = (address: string, ssh: HostSpec['ssh'] = {}): HostSpec => ({
  address,
  role: 'worker',
  ssh,
  localhost: false,
  labels: {},
});

const config = SSHConfig.parse(`
Host web*
  HostName %h.internal
  User ops
  Port 2222
  IdentityFile ~/.ssh/web_key
  IdentityFile %d/.ssh/second_key

Host db1
  HostName 10.0.0.5
  ProxyJump admin@jump.example:2200

Host jump.example
  User jumper
  IdentityFile ~/.ssh/jump_key

Host *
  User fallback
`);

describe('lookupSshConfig', () => {
  it('takes the first value per setting across matching Host blocks, expanding ~ and tokens', () => {
    expect(lookupSshConfig(config, 'web1')).toEqual({
      hostName: 'web1.internal',
      user: 'ops',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh/web_key'), join(homedir(), '.ssh/second_key')],
    });
    expect(lookupSshConfig(config, 'other')).toEqual({ user: 'fallback', identityFiles: [] });
    expect(lookupSshConfig(undefined, 'x')).toEqual({ identityFiles: [] });
  });
});

describe('resolveTarget: cluster.yaml > ssh config > defaults', () => {
  it('uses ssh config values where cluster.yaml says nothing', () => {
    const { target, jumps } = resolveTarget(host('web1'), config);
    expect(target).toMatchObject({
      label: 'web1',
      hostname: 'web1.internal',
      user: 'ops',
      port: 2222,
      keysNamed: true,
    });
    expect(target.keyPaths[0]).toBe(join(homedir(), '.ssh/web_key'));
    expect(jumps).toEqual([]);
  });

  it('lets cluster.yaml win', () => {
    const { target } = resolveTarget(host('web1', { user: 'root', port: 22, keyPath: '~/k' }), config);
    expect(target).toMatchObject({
      hostname: 'web1.internal',
      user: 'root',
      port: 22,
      keyPaths: [join(homedir(), 'k')],
    });
  });

  it('falls back to root, port 22 and the default key files', () => {
    const { target } = resolveTarget(host('10.1.1.1'), undefined);
    expect(target).toMatchObject({ hostname: '10.1.1.1', user: 'root', port: 22, keysNamed: false });
    expect(target.keyPaths).toEqual(defaultKeyPaths());
  });

  it('follows ProxyJump, resolving the jump host through the config too', () => {
    const { target, jumps } = resolveTarget(host('db1', { passwordEnv: 'PW' }), config);
    expect(target).toMatchObject({ hostname: '10.0.0.5', user: 'fallback', passwordEnv: 'PW' });
    expect(jumps).toHaveLength(1);
    expect(jumps[0]).toMatchObject({
      label: 'jump.example',
      hostname: 'jump.example',
      user: 'admin',
      port: 2200,
    });
    expect(jumps[0]?.keyPaths).toEqual([join(homedir(), '.ssh/jump_key')]);
    // A password is for the target only, never offered to the jump host.
    expect(jumps[0]?.passwordEnv).toBeUndefined();
  });

  it('a cluster.yaml bastion replaces ProxyJump and inherits the target user and keys', () => {
    const { jumps } = resolveTarget(
      host('db1', { user: 'deploy', keyPath: '/k', bastion: { address: 'bastion1' } }),
      config,
    );
    expect(jumps).toEqual([
      expect.objectContaining({
        label: 'bastion1',
        hostname: 'bastion1',
        port: 22,
        user: 'fallback',
        keyPaths: ['/k'],
      }),
    ]);
    const noConfig = resolveTarget(
      host('db1', { user: 'deploy', bastion: { address: 'b', port: 2022 } }),
      undefined,
    );
    expect(noConfig.jumps[0]).toMatchObject({ user: 'deploy', port: 2022 });
  });
});

describe('parseProxyJump', () => {
  it('parses hop lists, users, ports, IPv6 and none', () => {
    expect(parseProxyJump('none')).toEqual([]);
    expect(parseProxyJump('a')).toEqual([{ host: 'a' }]);
    expect(parseProxyJump('u@a:2200,b')).toEqual([{ host: 'a', user: 'u', port: 2200 }, { host: 'b' }]);
    expect(parseProxyJump('ssh://u@[::1]:22')).toEqual([{ host: '::1', user: 'u', port: 22 }]);
    expect(() => parseProxyJump('a:notaport')).toThrow(/ProxyJump/);
  });
});
