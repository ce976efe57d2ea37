import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/lib/config/schema.js';
import {
  demotionVerdict,
  drainVerdict,
  promotionVerdict,
  removalVerdict,
  type NodeChange,
} from '../../../src/lib/swarm/node-safety.js';
import type { SwarmNode } from '../../../src/lib/swarm/nodes.js';

function node(hostname: string, role: 'manager' | 'worker', extra: Partial<SwarmNode> = {}): SwarmNode {
  return {
    id: `id-${hostname}`,
    hostname,
    role,
    state: 'ready',
    availability: 'active',
    addr: `10.0.0.${hostname.length}`,
    engineVersion: '20.10.24',
    leader: hostname === 'm1',
    reachability: role === 'manager' ? 'reachable' : undefined,
    labels: {},
    ...extra,
  };
}

const down = { state: 'down', reachability: 'unreachable' } as const;

function change(
  target: string,
  nodes: SwarmNode[],
  fileRoles: Role[] = nodes.map((n) => n.role),
  fileRole?: Role,
): NodeChange {
  const n = nodes.find((x) => x.hostname === target);
  return { name: target, node: n, nodes, fileRole: fileRole ?? n?.role, fileRoles };
}

const codes = (v: { refusals: { code: string }[] }) => v.refusals.map((r) => r.code);

describe('removing a node', () => {
  const three = [node('m1', 'manager'), node('m2', 'manager'), node('m3', 'manager'), node('w1', 'worker')];

  it('allows a worker, and a manager of three when all are up (warning: two managers tolerate nothing more)', () => {
    expect(removalVerdict(change('w1', three))).toEqual({ refusals: [], warnings: [] });
    const v = removalVerdict(change('m2', three));
    expect(v.refusals).toEqual([]);
    expect(v.warnings).toEqual([expect.stringContaining('2 managers tolerate 0 failures')]);
  });

  it('refuses a manager when only two of three are up: one of two would be left', () => {
    const nodes = [node('m1', 'manager'), node('m2', 'manager'), node('m3', 'manager', down)];
    const v = removalVerdict(change('m2', nodes));
    expect(codes(v)).toEqual(['EQUORUM']);
    expect(v.refusals[0]!.message).toContain('2 managers need 2 reachable, and only 1 would be');
    expect(v.refusals[0]!.suggestions.join(' ')).toContain('m3');
  });

  it('allows removing the dead manager of three: the two left are a quorum', () => {
    const nodes = [node('m1', 'manager'), node('m2', 'manager'), node('m3', 'manager', down)];
    expect(codes(removalVerdict(change('m3', nodes)))).toEqual([]);
  });

  it('refuses the only manager, and any manager once the quorum is lost', () => {
    expect(codes(removalVerdict(change('m1', [node('m1', 'manager'), node('w1', 'worker')])))).toEqual([
      'ELAST_MANAGER',
    ]);
    const lost = [node('m1', 'manager'), node('m2', 'manager', down), node('m3', 'manager', down)];
    expect(codes(removalVerdict(change('m3', lost)))).toEqual(['EQUORUM_LOST']);
  });

  it('refuses the last registry host of the file, not one of two', () => {
    const nodes = [...three, node('r1', 'worker'), node('r2', 'worker')];
    const roles: Role[] = ['manager', 'manager', 'manager', 'worker', 'registry'];
    const v = removalVerdict(change('r1', nodes, roles, 'registry'));
    expect(codes(v)).toEqual(['ELAST_REGISTRY']);
    expect(v.refusals[0]!.suggestions[0]).toContain('--role registry');
    expect(codes(removalVerdict(change('r1', nodes, [...roles, 'registry'], 'registry')))).toEqual([]);
  });

  it('applies to a registry host the swarm does not have (only in the file)', () => {
    expect(
      codes(
        removalVerdict({
          name: 'r9',
          node: undefined,
          nodes: three,
          fileRole: 'registry',
          fileRoles: ['manager', 'registry'],
        }),
      ),
    ).toEqual(['ELAST_REGISTRY']);
  });

  it('warns when one manager is left', () => {
    const two = [node('m1', 'manager'), node('m2', 'manager')];
    expect(removalVerdict(change('m2', two)).warnings).toEqual([
      expect.stringContaining('1 manager will be left'),
    ]);
  });
});

describe('demoting a manager', () => {
  it('follows the removal rules for the quorum', () => {
    const nodes = [node('m1', 'manager'), node('m2', 'manager'), node('m3', 'manager', down)];
    expect(codes(demotionVerdict(change('m1', nodes)))).toEqual(['EQUORUM']);
    expect(codes(demotionVerdict(change('m3', nodes)))).toEqual([]);
  });

  it('warns when five managers become four, not when four become three', () => {
    const five = ['m1', 'm2', 'm3', 'm4', 'm5'].map((h) => node(h, 'manager'));
    expect(demotionVerdict(change('m5', five)).warnings).toEqual([
      expect.stringContaining('4 managers tolerate 1 failure, no more than 3 do'),
    ]);
    const four = five.slice(0, 4);
    expect(demotionVerdict(change('m4', four))).toEqual({ refusals: [], warnings: [] });
  });
});

describe('promoting a worker', () => {
  const three = [node('m1', 'manager'), node('m2', 'manager'), node('m3', 'manager'), node('w1', 'worker')];

  it('warns on an even manager count (4)', () => {
    const v = promotionVerdict(change('w1', three));
    expect(v.refusals).toEqual([]);
    expect(v.warnings).toEqual([expect.stringContaining('4 managers tolerate 1 failure, no more than 3 do')]);
  });

  it('refuses a worker that is not Ready, a registry host, and any promotion without quorum', () => {
    const nodes = [...three.slice(0, 3), node('w1', 'worker', { state: 'down' })];
    expect(codes(promotionVerdict(change('w1', nodes)))).toEqual(['ENODE_NOT_READY']);
    expect(codes(promotionVerdict(change('w1', three, undefined, 'registry')))).toEqual(['EROLE']);
    const lost = [
      node('m1', 'manager'),
      node('m2', 'manager', down),
      node('m3', 'manager', down),
      node('w1', 'worker'),
    ];
    expect(codes(promotionVerdict(change('w1', lost)))).toEqual(['EQUORUM_LOST']);
  });

  it('warns that an unreachable manager thins the margin', () => {
    const nodes = [
      node('m1', 'manager'),
      node('m2', 'manager'),
      node('m3', 'manager', down),
      node('w1', 'worker'),
      node('w2', 'worker'),
    ];
    const v = promotionVerdict(change('w1', nodes));
    expect(v.refusals).toEqual([]);
    expect(v.warnings.join('\n')).toContain('m3 is unreachable');
  });

  it('has nothing to say about a node that is a manager already', () => {
    expect(promotionVerdict(change('m2', three))).toEqual({ refusals: [], warnings: [] });
  });
});

describe('draining a node', () => {
  it('warns when no other node could take its tasks', () => {
    const nodes = [
      node('m1', 'manager', { availability: 'drain' }),
      node('w1', 'worker'),
      node('w2', 'worker', { state: 'down' }),
    ];
    expect(drainVerdict(change('w1', nodes)).warnings).toEqual([expect.stringContaining('nowhere to run')]);
    expect(drainVerdict(change('w1', [...nodes, node('w3', 'worker')])).warnings).toEqual([]);
  });
});
