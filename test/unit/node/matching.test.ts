import { describe, expect, it } from 'vitest';
import { pairHostsWithNodes } from '../../../src/lib/actions/node-list.js';
import { hostSchema, type HostSpec } from '../../../src/lib/config/schema.js';
import { findNode } from '../../../src/lib/phases/node-target.js';
import type { SwarmNode } from '../../../src/lib/swarm/nodes.js';

const spec = (address: string, extra: Record<string, unknown> = {}): HostSpec =>
  hostSchema.parse({ address, role: 'worker', ...extra });

const node = (id: string, hostname: string, addr: string): SwarmNode => ({
  id,
  hostname,
  addr,
  role: 'worker',
  state: 'ready',
  availability: 'active',
  engineVersion: '',
  leader: false,
  reachability: undefined,
  labels: {},
});

const nodes = [
  node('aaaaaaaa1', 'w1', '10.0.0.21'),
  node('bbbbbbbb2', 'w2', '192.168.1.22'),
  node('cccccccc3', 'w3', '10.0.0.23'),
];

describe('finding the node a command names', () => {
  it('by the file address, through privateAddress when the swarm uses another network', () => {
    expect(findNode('10.0.0.21', spec('10.0.0.21'), nodes, undefined)?.hostname).toBe('w1');
    expect(
      findNode('pub.example', spec('pub.example', { privateAddress: '192.168.1.22' }), nodes, undefined)
        ?.hostname,
    ).toBe('w2');
  });

  it("by the host's own node ID first, which beats an address that another node shows", () => {
    expect(findNode('10.0.0.21', spec('10.0.0.21'), nodes, 'cccccccc3')?.hostname).toBe('w3');
  });

  it('by hostname, ID or ID prefix (six characters or more) when the file does not list it', () => {
    expect(findNode('w2', undefined, nodes, undefined)?.id).toBe('bbbbbbbb2');
    expect(findNode('cccccccc3', undefined, nodes, undefined)?.hostname).toBe('w3');
    expect(findNode('cccccc', undefined, nodes, undefined)?.hostname).toBe('w3');
    expect(findNode('ccc', undefined, nodes, undefined)).toBeUndefined();
  });
});

describe('pairing file hosts with swarm nodes for node ls', () => {
  it('pairs by own node ID, else by advertised address; nodes nobody claims are listed apart', () => {
    const specs = [spec('10.0.0.21'), spec('pub.example'), spec('10.0.0.99')];
    const { paired, unclaimed } = pairHostsWithNodes(specs, nodes, new Map([['pub.example', 'bbbbbbbb2']]));
    expect(paired.map((n) => n?.hostname)).toEqual(['w1', 'w2', undefined]);
    expect(unclaimed.map((n) => n.hostname)).toEqual(['w3']);
  });
});
