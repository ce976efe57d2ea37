import { describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';

describe('cluster schema defaults', () => {
  it('fills every section a minimal file leaves out', () => {
    const config = clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'lab' },
      spec: { hosts: [{ address: '10.0.0.1', role: 'manager' }] },
    });
    expect(config.spec.hosts[0]).toEqual({
      address: '10.0.0.1',
      role: 'manager',
      ssh: {},
      localhost: false,
      labels: {},
    });
    expect(config.spec.engine).toEqual({ source: 'docker', insecure: false, daemon: {} });
    expect(config.spec.swarm).toEqual({ defaultAddrPool: [], dataPathPort: 4789 });
    expect(config.spec.controlPlane).toEqual({ apiPort: 2376, san: [] });
    expect(config.spec.registry).toEqual({
      image: 'registry:2.8.3',
      port: 5443,
      storage: { filesystem: { path: '/var/lib/eectl/registry', shared: false } },
      namespaces: [],
      retention: [],
      mirrors: [],
      notifications: [],
      immutable: [],
    });
    expect(config.spec.identity).toEqual({});
    expect(config.spec.images).toEqual({
      bundles: [],
      policy: { requireSigned: false, keys: [], trust: [], allowUnsigned: [] },
    });
  });

  it('defaults inside a section that is partly written', () => {
    const config = clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'lab' },
      spec: {
        hosts: [{ address: '10.0.0.1', role: 'manager' }],
        registry: { storage: { filesystem: { path: '/mnt/r' } } },
      },
    });
    expect(config.spec.registry.storage).toEqual({ filesystem: { path: '/mnt/r', shared: false } });
    expect(config.spec.registry.port).toBe(5443);
  });
});
