import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { planHosts } from '../../../src/lib/sandbox/addresses.js';
import { sandboxClusterYaml } from '../../../src/lib/sandbox/cluster-file.js';
import type { SandboxDescription } from '../../../src/lib/sandbox/state.js';

function description(registries: number): SandboxDescription {
  return {
    name: 'dev',
    network: { name: 'eectl-dev', subnet: '10.77.3.0/24', gateway: '10.77.3.1' },
    hosts: planHosts('dev', { managers: 3, workers: 2, registries }, 3),
    mirrorUrl: 'http://10.77.3.1:18080/debian',
    clusterFile: '/home/u/.eectl/sandboxes/dev/cluster.yaml',
    keyPath: '/home/u/.eectl/sandboxes/dev/id_ed25519',
    knownHostsFile: '/home/u/.eectl/dev/known_hosts',
    stateDir: '/home/u/.eectl/sandboxes/dev',
    registry: { image: 'eectl-sandbox/registry:2.8.2', bundle: '/var/cache/eectl-sandbox/registry/r.tar' },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('the sandbox cluster file', () => {
  it('satisfies the cluster schema: managers as root, the others as eectl, engine from the mirror', () => {
    const config = clusterSchema.parse(parse(sandboxClusterYaml(description(0))));
    expect(config.metadata.name).toBe('dev');
    expect(config.spec.hosts.map((h) => [h.address, h.role, h.ssh.user, h.ssh.keyPath])).toEqual([
      ['10.77.3.11', 'manager', 'root', '/home/u/.eectl/sandboxes/dev/id_ed25519'],
      ['10.77.3.12', 'manager', 'root', '/home/u/.eectl/sandboxes/dev/id_ed25519'],
      ['10.77.3.13', 'manager', 'root', '/home/u/.eectl/sandboxes/dev/id_ed25519'],
      ['10.77.3.21', 'worker', 'eectl', '/home/u/.eectl/sandboxes/dev/id_ed25519'],
      ['10.77.3.22', 'worker', 'eectl', '/home/u/.eectl/sandboxes/dev/id_ed25519'],
    ]);
    expect(config.spec.engine).toMatchObject({
      source: 'mirror',
      version: '20.10',
      repoUrl: 'http://10.77.3.1:18080/debian',
    });
  });

  it('names the registry image and its bundle only when there are registry hosts', () => {
    const without = parse(sandboxClusterYaml(description(0)));
    expect(without.spec.registry).toBeUndefined();
    expect(without.spec.images).toBeUndefined();

    const config = clusterSchema.parse(parse(sandboxClusterYaml(description(2))));
    expect(config.spec.registry.image).toBe('eectl-sandbox/registry:2.8.2');
    expect(config.spec.registry.storage).toEqual({
      filesystem: { path: '/var/lib/eectl/registry', shared: true },
    });
    expect(config.spec.images.bundles).toEqual(['/var/cache/eectl-sandbox/registry/r.tar']);
  });

  it('names the first workload’s bundle (busybox with a shell and httpd) for install to load on every host, before the registry’s', () => {
    const workload = {
      image: 'eectl-sandbox/busybox:1.35.0-web1',
      bundle: '/var/cache/eectl-sandbox/workload/eectl-sandbox-busybox-1.35.0-web1.tar',
    };
    const alone = clusterSchema.parse(parse(sandboxClusterYaml({ ...description(0), workload })));
    expect(alone.spec.images.bundles).toEqual([workload.bundle]);
    const text = sandboxClusterYaml({ ...description(2), workload });
    expect(clusterSchema.parse(parse(text)).spec.images.bundles).toEqual([
      workload.bundle,
      '/var/cache/eectl-sandbox/registry/r.tar',
    ]);
    expect(text).toContain(
      '# Hold eectl-sandbox/busybox:1.35.0-web1 and eectl-sandbox/registry:2.8.2, loaded on every host by install.',
    );
  });

  it('says in comments which user each role logs in as and how to remove the sandbox', () => {
    const text = sandboxClusterYaml(description(0));
    expect(text).toMatch(/^# .*Managers log in as root; workers and registry hosts as "eectl" with sudo/m);
    expect(text).toContain('# Remove everything: eectl sandbox down --name dev');
    expect(text).toContain('version: "20.10"');
  });
});
