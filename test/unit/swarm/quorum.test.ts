import { describe, expect, it } from 'vitest';
import {
  describeQuorum,
  faultTolerance,
  hasQuorum,
  quorumAfterRemoval,
  quorumSize,
} from '../../../src/lib/swarm/quorum.js';
import { managerCounts, parseNodeInspect } from '../../../src/lib/swarm/nodes.js';

describe('quorum arithmetic', () => {
  it.each([
    [1, 1, 0],
    [2, 2, 0],
    [3, 2, 1],
    [4, 3, 1],
    [5, 3, 2],
    [7, 4, 3],
  ])('%i managers: quorum %i, tolerates %i', (n, q, t) => {
    expect(quorumSize(n)).toBe(q);
    expect(faultTolerance(n)).toBe(t);
  });

  it('knows when a removal would lose quorum', () => {
    expect(quorumAfterRemoval({ managers: 3, reachable: 3 }, true)).toBe(true);
    // two of three up: removing a reachable one leaves 1 of 2 → no quorum
    expect(quorumAfterRemoval({ managers: 3, reachable: 2 }, true)).toBe(false);
    // two of three up: removing the dead one leaves 2 of 2
    expect(quorumAfterRemoval({ managers: 3, reachable: 2 }, false)).toBe(true);
    expect(quorumAfterRemoval({ managers: 1, reachable: 1 }, true)).toBe(false);
  });

  it('describes the quorum in words', () => {
    expect(describeQuorum({ managers: 3, reachable: 3 })).toBe(
      '3 managers, tolerates 1 failure, all reachable',
    );
    expect(describeQuorum({ managers: 3, reachable: 1 })).toBe(
      '3 managers, tolerates 1 failure, 2 unreachable, QUORUM LOST',
    );
    expect(hasQuorum({ managers: 5, reachable: 3 })).toBe(true);
  });
});

describe('parseNodeInspect', () => {
  const json = JSON.stringify([
    {
      ID: 'n1',
      Spec: { Role: 'manager', Availability: 'active', Labels: { 'eectl.role': 'manager' } },
      Description: { Hostname: 'm1', Engine: { EngineVersion: '20.10.24+dfsg1' } },
      Status: { State: 'ready', Addr: '0.0.0.0' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.77.0.11:2377' },
    },
    {
      ID: 'n2',
      Spec: { Role: 'worker', Availability: 'drain', Labels: null },
      Description: { Hostname: 'w1', Engine: { EngineVersion: '26.1.5' } },
      Status: { State: 'down', Addr: '10.77.0.21' },
    },
  ]);

  it('reduces nodes to what eectl decides on', () => {
    const [m, w] = parseNodeInspect(json);
    expect(m).toEqual({
      id: 'n1',
      hostname: 'm1',
      role: 'manager',
      state: 'ready',
      availability: 'active',
      addr: '10.77.0.11',
      engineVersion: '20.10.24+dfsg1',
      leader: true,
      reachability: 'reachable',
      managerAddr: '10.77.0.11:2377',
      labels: { 'eectl.role': 'manager' },
      placement: { os: '', arch: '', engineLabels: {}, plugins: [] },
    });
    expect(w?.managerAddr).toBeUndefined();
    expect(w).toMatchObject({
      role: 'worker',
      state: 'down',
      availability: 'drain',
      addr: '10.77.0.21',
      labels: {},
    });
    expect(managerCounts([m!, w!])).toEqual({ managers: 1, reachable: 1 });
  });
});
