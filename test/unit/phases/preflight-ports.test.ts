import { describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { Facts } from '../../../src/lib/host/facts-types.js';
import { checkHosts, type HostUnderCheck } from '../../../src/lib/cluster/preflight-checks.js';
import { makeFacts } from '../../helpers/facts.js';

const config = (spec: Record<string, unknown> = {}) =>
  clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 't' },
    spec: {
      hosts: [
        { address: '10.0.0.11', role: 'manager' },
        { address: '10.0.0.21', role: 'worker' },
        { address: '10.0.0.31', role: 'registry' },
      ],
      ...spec,
    },
  });
const host = (name: string, role: HostUnderCheck['role'], f: Partial<Facts> = {}): HostUnderCheck => ({
  name,
  role,
  facts: makeFacts({ hostname: name, time: 1000, privateAddresses: [name], ...f }),
  localTime: 1000,
});
const messages = (hosts: HostUnderCheck[], spec?: Record<string, unknown>) =>
  checkHosts(hosts, config(spec))
    .filter((p) => p.severity === 'error')
    .map((p) => `${p.host}: ${p.message}`);

describe('preflight: the ports of the engine API and the registry', () => {
  it('refuses a manager whose API port is taken, and a registry host whose registry port is taken', () => {
    const hosts = [
      host('10.0.0.11', 'manager', { listening: ['22/tcp', '2376/tcp'] }),
      host('10.0.0.21', 'worker', { listening: ['2376/tcp', '5443/tcp'] }),
      host('10.0.0.31', 'registry', { listening: ['5443/tcp'] }),
    ];
    expect(messages(hosts)).toEqual([
      '10.0.0.11: port 2376/tcp (controlPlane.apiPort) is already in use; the engine API needs it: free it or choose another',
      '10.0.0.31: port 5443/tcp (registry.port) is already in use; the registry replica needs it: free it or choose another',
    ]);
  });

  it('checks the ports the file chooses, and not on a node already in the swarm (its engine holds them)', () => {
    const hosts = [host('10.0.0.11', 'manager', { listening: ['2380/tcp'] }), host('10.0.0.31', 'registry')];
    expect(messages(hosts, { controlPlane: { apiPort: 2380 } })[0]).toContain('port 2380/tcp');
    const joined = makeFacts().swarm;
    expect(joined).toBeUndefined();
    const active = {
      state: 'active' as const,
      nodeId: 'n',
      clusterId: 'c',
      isManager: true,
      remoteManagers: [],
      nodeAddr: '10.0.0.11',
    };
    expect(messages([host('10.0.0.11', 'manager', { listening: ['2376/tcp'], swarm: active })])).toEqual([]);
  });
});

describe('preflight: curl for the join', () => {
  it('refuses a host that will join without curl, unless Docker’s apt repository setup installs it', () => {
    const hosts = [
      host('10.0.0.11', 'manager', { curl: false }),
      host('10.0.0.21', 'worker', { curl: false }),
      host('10.0.0.31', 'registry', { curl: true }),
    ];
    const mirror = { engine: { source: 'mirror', repoUrl: 'http://m/debian' } };
    expect(messages(hosts, mirror)).toEqual([
      expect.stringMatching(
        /^10\.0\.0\.21: curl is not installed, and eectl joins the swarm through the engine API/,
      ),
    ]);
    expect(messages(hosts)).toEqual([]);
  });
});
