import { describe, expect, it } from 'vitest';
import { hostRunArgs, mirrorRunArgs } from '../../../src/lib/sandbox/docker.js';

describe('docker command lines of the sandbox', () => {
  it('runs a host with exactly the systemd-in-Docker flags it needs, never --privileged', () => {
    const args = hostRunArgs({
      container: 'eectl-dev-m1',
      hostname: 'm1',
      network: 'eectl-dev',
      address: '10.77.3.11',
      volume: 'eectl-dev-m1-docker',
      image: 'eectl-sandbox/debian:bookworm-abc',
      labels: { 'eectl.sandbox': 'dev', 'eectl.sandbox.role': 'manager' },
    });
    expect(args).toEqual([
      'run',
      '--detach',
      '--name=eectl-dev-m1',
      '--hostname=m1',
      '--network=eectl-dev',
      '--ip=10.77.3.11',
      '--cap-add=ALL',
      '--cap-drop=SYS_RESOURCE',
      '--security-opt=seccomp=unconfined',
      '--security-opt=apparmor=unconfined',
      '--security-opt=systempaths=unconfined',
      '--device-cgroup-rule=a *:* rwm',
      '--volume=/sys/fs/cgroup:/sys/fs/cgroup:rw',
      '--tmpfs=/run',
      '--tmpfs=/run/lock',
      '--env=container=docker',
      '--stop-signal=SIGRTMIN+3',
      '--volume=eectl-dev-m1-docker:/var/lib/docker',
      '--label=eectl.sandbox=dev',
      '--label=eectl.sandbox.role=manager',
      'eectl-sandbox/debian:bookworm-abc',
    ]);
    expect(args.join(' ')).not.toContain('privileged');
  });

  it('mounts extra volumes (shared registry storage) before the labels', () => {
    const args = hostRunArgs({
      container: 'c',
      hostname: 'r1',
      network: 'n',
      address: '10.77.0.31',
      volume: 'v',
      image: 'i',
      labels: {},
      extraVolumes: ['eectl-dev-registry:/var/lib/eectl/registry'],
    });
    expect(args.at(-2)).toBe('--volume=eectl-dev-registry:/var/lib/eectl/registry');
  });

  it('serves the mirror read-only on the gateway address only', () => {
    const args = mirrorRunArgs({
      container: 'eectl-dev-mirror',
      image: 'eectl-sandbox/busybox:1',
      root: '/var/cache/eectl-sandbox/mirror',
      listen: '10.77.3.1:18080',
      labels: { 'eectl.sandbox': 'dev' },
    });
    expect(args).toContain('--network=host');
    expect(args).toContain('--volume=/var/cache/eectl-sandbox/mirror:/srv:ro');
    expect(args).toContain('--label=eectl.sandbox=dev');
    expect(args.slice(args.indexOf('eectl-sandbox/busybox:1'))).toEqual([
      'eectl-sandbox/busybox:1',
      '/bin/busybox',
      'httpd',
      '-f',
      '-p',
      '10.77.3.1:18080',
      '-h',
      '/srv',
    ]);
  });
});
