import { describe, expect, it } from 'vitest';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import type { Facts } from '../../../src/lib/host/facts-types.js';
import { checkHosts, requiredPorts, type HostUnderCheck } from '../../../src/lib/cluster/preflight-checks.js';
import { makeFacts } from '../../helpers/facts.js';

const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 't' },
  spec: {
    hosts: [
      { address: '10.0.0.11', role: 'manager' },
      { address: '10.0.0.21', role: 'worker' },
    ],
  },
});

const GiB = 1024 ** 3;
const facts = (overrides: Partial<Facts> = {}): Facts =>
  makeFacts({
    hostname: 'h',
    privateAddresses: ['10.0.0.11'],
    addresses: ['10.0.0.11'],
    time: 1000,
    listening: ['22/tcp'],
    ...overrides,
  });
const host = (name: string, f: Partial<Facts>, role: 'manager' | 'worker' = 'manager'): HostUnderCheck => ({
  name,
  role,
  facts: facts(f),
  localTime: 1000,
});

describe('preflight checks', () => {
  it('passes healthy, distinct hosts', () => {
    expect(
      checkHosts([host('a', { hostname: 'm1' }), host('b', { hostname: 'w1' }, 'worker')], config),
    ).toEqual([]);
  });

  it('reports every problem of every host, with the host', () => {
    const problems = checkHosts(
      [
        host('a', {
          hostname: 'same',
          arch: 'mips',
          memoryBytes: 0.5 * GiB,
          isRoot: false,
          sudo: false,
          user: 'ops',
        }),
        host('b', { hostname: 'same', time: 1100, listening: ['2377/tcp', '4789/udp'] }),
        host('c', { hostname: 'c', diskFreeBytes: 5 * GiB, privateAddresses: [] }, 'worker'),
      ],
      config,
    );
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.host}: ${p.message}`);
    expect(errors).toEqual([
      expect.stringMatching(/^a: architecture mips is not supported/),
      expect.stringMatching(
        /^a: ops is neither root nor allowed passwordless sudo: add "ops ALL=\(ALL\) NOPASSWD:ALL"/,
      ),
      expect.stringMatching(/^a: 0.5 GiB memory; at least 1 GiB/),
      expect.stringMatching(/^b: clock is 100s ahead of this machine's/),
      'b: ports 2377/tcp, 4789/udp already in use; the swarm needs them',
      'a: hostname "same" is also used by b; swarm nodes need unique hostnames',
      'b: hostname "same" is also used by a; swarm nodes need unique hostnames',
    ]);
    const warnings = problems.filter((p) => p.severity === 'warning').map((p) => p.host);
    expect(warnings).toEqual(['c', 'c']);
  });

  it('does not count the swarm ports of a node already in the swarm, but refuses a foreign swarm', () => {
    const swarm = (clusterId: string) => ({
      state: 'active' as const,
      clusterId,
      nodeId: 'x',
      isManager: true,
      remoteManagers: [],
      nodeAddr: undefined,
    });
    const listening = ['2377/tcp', '7946/tcp', '7946/udp', '4789/udp'];
    const problems = checkHosts(
      [
        host('a', { hostname: 'a', listening, swarm: swarm('c1') }),
        host('b', { hostname: 'b', listening, swarm: swarm('c1') }),
        host('c', { hostname: 'c', listening, swarm: swarm('c2') }, 'worker'),
      ],
      config,
    );
    expect(problems.map((p) => `${p.host}: ${p.message}`)).toEqual([
      'c: is in another swarm (c2) than a, b: run "docker swarm leave --force" on it, or take it out of the file',
    ]);
  });

  it('asks managers for 2377 and everyone for gossip and the data path port', () => {
    expect(requiredPorts('manager', 4789)).toEqual(['2377/tcp', '7946/tcp', '7946/udp', '4789/udp']);
    expect(requiredPorts('worker', 4800)).toEqual(['7946/tcp', '7946/udp', '4800/udp']);
  });
});
