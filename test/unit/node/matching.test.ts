import { describe, expect, it } from 'vitest';
import { pairHostsWithNodes } from '../../../src/lib/actions/node-list.js';
import { hostSchema, type HostSpec } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import type { Host } from '../../../src/lib/host/host.js';
import { findNode, unmatchedError } from '../../../src/lib/phases/node-target.js';
import { nodesOfHost, type SwarmNode } from '../../../src/lib/swarm/nodes.js';

const spec = (address: string, extra: Record<string, unknown> = {}): HostSpec =>
  hostSchema.parse({ address, role: 'worker', ...extra });

const node = (
  id: string,
  hostname: string,
  addr: string,
  labels: Record<string, string> = {},
): SwarmNode => ({
  id,
  hostname,
  addr,
  role: 'worker',
  state: 'ready',
  availability: 'active',
  engineVersion: '',
  leader: false,
  reachability: undefined,
  labels,
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

describe('the node of a dead host whose file address is not the one its node shows', () => {
  // install advertised a detected private address; the file names the host by a DNS name.
  const labelled = [
    node('aaaaaaaa1', 'm1', '10.0.0.11', { 'eectl.address': 'm1.example.com' }),
    node('bbbbbbbb2', 'm2', '10.0.0.12', { 'eectl.address': 'm2.example.com' }),
  ];

  it('is found by the address label install put on its node', () => {
    expect(findNode('m2.example.com', spec('m2.example.com'), labelled, undefined)?.id).toBe('bbbbbbbb2');
  });

  it('is not found by address or hostname alone, when another host owns that node by its label', () => {
    // A file host whose privateAddress (or hostname-like address) points at a node labelled for another host.
    expect(nodesOfHost(spec('x.example.com', { privateAddress: '10.0.0.11' }), labelled, undefined)).toEqual(
      [],
    );
    expect(nodesOfHost(spec('m1'), labelled, undefined)).toEqual([]);
  });

  it('is found by its advertised address or by hostname on clusters installed before the label', () => {
    const old = [node('aaaaaaaa1', 'm1', '10.0.0.11'), node('bbbbbbbb2', 'm2.lan', '10.0.0.12')];
    expect(nodesOfHost(spec('pub.example', { privateAddress: '10.0.0.11' }), old, undefined)[0]?.id).toBe(
      'aaaaaaaa1',
    );
    expect(nodesOfHost(spec('m2.lan'), old, undefined)[0]?.id).toBe('bbbbbbbb2');
    // A DNS name that is neither the node's address nor its hostname: no match (the command then refuses).
    expect(findNode('m1.example.com', spec('m1.example.com'), old, undefined)).toBeUndefined();
  });

  it('is no match when several nodes carry its label (a stale node next to a rejoined one)', () => {
    const twice = [...labelled, node('cccccccc3', 'm2', '10.0.0.12', { 'eectl.address': 'm2.example.com' })];
    expect(nodesOfHost(spec('m2.example.com'), twice, undefined)).toHaveLength(2);
    expect(findNode('m2.example.com', spec('m2.example.com'), twice, undefined)).toBeUndefined();
    // The host's own word settles it.
    expect(findNode('m2.example.com', spec('m2.example.com'), twice, 'cccccccc3')?.id).toBe('cccccccc3');
  });
});

describe('pairing file hosts with swarm nodes for node ls', () => {
  it('pairs by own node ID, else by advertised address; nodes nobody claims are listed apart', () => {
    const specs = [spec('10.0.0.21'), spec('pub.example'), spec('10.0.0.99')];
    const { paired, unclaimed } = pairHostsWithNodes(specs, nodes, new Map([['pub.example', 'bbbbbbbb2']]));
    expect(paired.map((n) => n?.hostname)).toEqual(['w1', 'w2', undefined]);
    expect(unclaimed.map((n) => n.hostname)).toEqual(['w3']);
  });

  it('pairs by the address label before the advertised address', () => {
    const labelled = [node('aaaaaaaa1', 'w1', '10.0.0.21', { 'eectl.address': 'w1.example.com' })];
    const { paired } = pairHostsWithNodes([spec('w1.example.com'), spec('10.0.0.21')], labelled, new Map());
    expect(paired.map((n) => n?.hostname)).toEqual(['w1', undefined]);
  });
});

describe('a host of the file that matches no node', () => {
  const base = {
    command: 'remove' as const,
    file: { path: 'cluster.yaml' } as never,
    nodes,
    contact: undefined,
  };
  const dead = spec('m3.example.com');

  it('is refused (exit 3) when the host cannot be asked: going on would leave its node in the swarm', () => {
    const e = unmatchedError(
      {
        ...base,
        swarm: new Map(),
        host: undefined,
        hostError: new EectlError('connect ETIMEDOUT', { code: 'ECONNECT', kind: 'external' }),
      },
      dead,
    );
    expect(e?.exitCode).toBe(3);
    expect(e?.code).toBe('ENODE_UNMATCHED');
    expect(e?.message).toContain('cannot tell which swarm node it is');
    expect(e?.message).toContain('connect ETIMEDOUT');
    expect(e?.message).toContain('eectl.address=m3.example.com');
    expect(e?.suggestions.join('\n')).toContain(
      'docker node update --label-add eectl.address=m3.example.com NODE-ID',
    );
  });

  it('is refused when its engine does not answer, or reports a node the swarm lacks', () => {
    const host = {} as Host;
    expect(
      unmatchedError({ ...base, swarm: new Map([[dead.address, undefined]]), host }, dead)?.message,
    ).toContain('its engine does not answer');
    const other = { state: 'active', nodeId: 'zzzz', isManager: false, remoteManagers: [] } as never;
    expect(
      unmatchedError({ ...base, swarm: new Map([[dead.address, other]]), host }, dead)?.message,
    ).toContain('reports node zzzz');
  });

  it('is simply out of the swarm when its own engine says so', () => {
    const inactive = { state: 'inactive', isManager: false, remoteManagers: [] } as never;
    expect(
      unmatchedError({ ...base, swarm: new Map([[dead.address, inactive]]), host: {} as Host }, dead),
    ).toBeUndefined();
  });
});
