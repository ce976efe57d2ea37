import { describe, expect, it } from 'vitest';
import type { StatusResult } from '../../../src/lib/results/status.js';
import { withRegistryHealth } from '../../../src/lib/registry/status.js';

const healthy = {
  cluster: 'prod',
  health: 'healthy',
  problems: [],
  warnings: [],
  registry: { checked: false, replicas: [], note: 'not checked: 2 registry hosts in the file' },
} as unknown as StatusResult;

const replica = (host: string, ok: boolean, port = 5443) => ({
  host,
  url: `https://${host}:${port}/v2/`,
  healthy: ok,
  detail: ok ? 'HTTP 401' : 'host unreachable',
});

describe('registry in eectl status', () => {
  it('lists every replica and stays healthy when all answer', () => {
    const r = withRegistryHealth(healthy, [replica('10.0.0.31', true), replica('10.0.0.32', true)]);
    expect(r.health).toBe('healthy');
    expect(r.registry).toMatchObject({ checked: true, note: '2/2 replicas answer /v2/' });
    expect(r.registry.replicas.map((x) => x.host)).toEqual(['10.0.0.31', '10.0.0.32']);
  });

  it('makes a replica that does not answer a problem, and the cluster degraded', () => {
    const r = withRegistryHealth(healthy, [replica('10.0.0.31', true), replica('10.0.0.32', false)]);
    expect(r.health).toBe('degraded');
    expect(r.problems).toEqual(['registry replica https://10.0.0.32:5443/v2/: host unreachable']);
  });

  it('leaves a cluster without registry hosts as it was', () => {
    expect(withRegistryHealth(healthy, [])).toBe(healthy);
  });

  it("lists each mirror's replicas after the registry's; a mirror replica down is a problem too", () => {
    const r = withRegistryHealth(
      healthy,
      [
        replica('10.0.0.31', true),
        replica('10.0.0.32', true),
        replica('10.0.0.31', true, 5446),
        replica('10.0.0.32', false, 5446),
      ],
      ['hub'],
    );
    expect(r.registry.note).toBe('2/2 replicas answer /v2/');
    expect(r.registry.mirrors).toEqual([
      {
        name: 'hub',
        replicas: [
          { host: '10.0.0.31', healthy: true, detail: 'HTTP 401' },
          { host: '10.0.0.32', healthy: false, detail: 'host unreachable' },
        ],
      },
    ]);
    expect(r.health).toBe('degraded');
    expect(r.problems).toEqual(['mirror hub replica https://10.0.0.32:5446/v2/: host unreachable']);
  });
});
