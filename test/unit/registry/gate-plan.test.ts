import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registryConfigYaml } from '../../../src/lib/registry/config-file.js';
import { readOnlyConfig } from '../../../src/lib/registry/gc.js';
import { REGISTRY_SOCKET_DIR, REGISTRY_SOCKET_TARGET } from '../../../src/lib/registry/gate-paths.js';
import { gateConfig, gateUnit } from '../../../src/lib/phases/registry-gate.js';
import { registrySchema } from '../../../src/lib/config/schema.js';
import { serviceUpdateArgs, type ServiceDefinition } from '../../../src/lib/swarm/docker.js';
import { registrySpec } from './fixtures.js';

describe('registry.immutable: Distribution behind the gate', () => {
  it('has Distribution listen on a unix socket only, without TLS or a TCP address', () => {
    const yaml = parse(registryConfigYaml(registrySpec({ immutable: ['release/*'] }), 'c')) as {
      http: Record<string, unknown>;
    };
    expect(yaml.http.net).toBe('unix');
    expect(yaml.http.addr).toBe(`${REGISTRY_SOCKET_TARGET}/registry.sock`);
    expect(yaml.http.tls).toBeUndefined();
    // Without patterns nothing changes: TLS on the port.
    const plain = parse(registryConfigYaml(registrySpec(), 'c')) as { http: Record<string, unknown> };
    expect(plain.http.addr).toBe(':5443');
    expect(plain.http.net).toBeUndefined();
    expect(plain.http.tls).toBeDefined();
  });

  it("keeps gc's read-only switch working on the socket config", () => {
    const ro = parse(readOnlyConfig(registryConfigYaml(registrySpec({ immutable: ['a/*'] }), 'c'))) as {
      http: Record<string, unknown>;
      storage: { maintenance: { readonly: { enabled: boolean } } };
    };
    expect(ro.storage.maintenance.readonly.enabled).toBe(true);
    expect(ro.http.net).toBe('unix');
  });

  it('writes the gate the port, the socket on the host and the patterns, and a unit with no capability but the port', () => {
    expect(JSON.parse(gateConfig(5443, ['release/*']))).toEqual({
      port: 5443,
      socket: `${REGISTRY_SOCKET_DIR}/registry.sock`,
      immutable: ['release/*'],
    });
    expect(gateUnit()).toContain('CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n');
    expect(gateUnit()).toContain('Restart=always');
  });

  it('accepts repository patterns only', () => {
    expect(registrySchema.parse({ immutable: ['release/*', 'team/**', 'web/app'] }).immutable).toHaveLength(
      3,
    );
    for (const bad of ['Release/*', 'release/../x', '/release', 'release/', '', 'a b', 'release/?']) {
      expect(registrySchema.safeParse({ immutable: [bad] }).success, bad).toBe(false);
    }
  });

  it('moves the replicas off the host-mode port: the update removes it by mode and target', () => {
    const def: ServiceDefinition = {
      name: 'eectl-registry',
      image: 'registry:2',
      constraints: [],
      hostPorts: [],
      configs: [],
      secrets: [],
      binds: [{ source: REGISTRY_SOCKET_DIR, target: REGISTRY_SOCKET_TARGET }],
      rolling: { parallelism: 1, order: 'stop-first' },
    };
    const current = {
      ...def,
      id: 'x',
      mode: 'global',
      hostPorts: [{ target: 5443, published: 5443 }],
      binds: [],
    };
    const args = serviceUpdateArgs(def, current);
    // A bare `--publish-rm 5443` matches only ingress-mode ports and left this one in place.
    expect(args.slice(args.indexOf('--publish-rm'), args.indexOf('--publish-rm') + 2)).toEqual([
      '--publish-rm',
      'mode=host,target=5443',
    ]);
    expect(args).toContain(`type=bind,source=${REGISTRY_SOCKET_DIR},target=${REGISTRY_SOCKET_TARGET}`);
  });
});
