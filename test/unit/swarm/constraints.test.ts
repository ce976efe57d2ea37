import { describe, expect, it } from 'vitest';
import {
  equalFold,
  nodeMeets,
  parseConstraints,
  type ConstraintNode,
} from '../../../src/lib/swarm/constraints.js';

// Expected answers are swarmkit's (manager/constraint/constraint.go at moby/swarmkit 3e72cb64d: Parse,
// Match, NodeMatches), worked out by hand from that code for each case.

const w1: ConstraintNode = {
  id: 'n0de1d000000000000000w1',
  hostname: 'w1',
  role: 'worker',
  labels: { zone: 'A', 'eectl.collection': '/Shared', Disk: 'ssd' },
  engineLabels: { storage: 'fast' },
  os: 'linux',
  arch: 'x86_64',
};
const m1: ConstraintNode = {
  ...w1,
  id: 'n0de1d000000000000000m1',
  hostname: 'm1',
  role: 'manager',
  labels: {},
  engineLabels: {},
};

/** Whether each node meets the constraints; throws when eectl does not judge them. */
function meets(constraints: string[], ...nodes: ConstraintNode[]): boolean[] {
  const parsed = parseConstraints(constraints);
  if (!parsed.ok) throw new Error(`not judged: ${parsed.reason}`);
  return nodes.map((n) => nodeMeets(parsed.constraints, n));
}

const reason = (constraints: string[]): string => {
  const parsed = parseConstraints(constraints);
  if (parsed.ok) throw new Error(`${JSON.stringify(constraints)} was judged`);
  return parsed.reason;
};

describe('placement constraints, judged as swarmkit judges them', () => {
  it('no constraint: every node', () => {
    expect(meets([], w1, m1)).toEqual([true, true]);
  });

  it('node.role, node.hostname, node.id with == and !=, every constraint must hold', () => {
    expect(meets(['node.role==worker'], w1, m1)).toEqual([true, false]);
    expect(meets(['node.role != worker'], w1, m1)).toEqual([false, true]);
    expect(meets(['node.hostname==m1'], w1, m1)).toEqual([false, true]);
    expect(meets([`node.id==${w1.id}`], w1, m1)).toEqual([true, false]);
    expect(meets(['node.role==worker', 'node.hostname!=w1'], w1, m1)).toEqual([false, false]);
  });

  it('keys and values compare without case; label names with case', () => {
    // swarmkit compares the role with n.Role.String(): "WORKER".
    expect(meets(['NODE.ROLE==WORKER'], w1, m1)).toEqual([true, false]);
    expect(meets(['Node.Labels.zone==a'], w1)).toEqual([true]);
    expect(meets(['node.labels.Zone==A'], w1)).toEqual([false]);
    expect(meets(['node.labels.Disk==SSD'], w1)).toEqual([true]);
    expect(meets(['ENGINE.labels.storage==FAST'], w1, m1)).toEqual([true, false]);
  });

  it('a missing label is "": != matches a node without it, == never does', () => {
    expect(meets(['node.labels.zone!=A'], w1, m1)).toEqual([false, true]);
    expect(meets(['node.labels.zone==A'], w1, m1)).toEqual([true, false]);
    expect(meets(['engine.labels.storage!=fast'], w1, m1)).toEqual([false, true]);
  });

  it('platform: the values the engine reports, whole and without case', () => {
    expect(meets(['node.platform.os==Linux', 'node.platform.arch==x86_64'], w1)).toEqual([true]);
    // No amd64 normalisation in constraints (only in the platforms filter).
    expect(meets(['node.platform.arch==amd64'], w1)).toEqual([false]);
    expect(meets(['node.platform.os!=windows'], w1)).toEqual([true]);
  });

  it('whole values: wildcard and regular-expression characters are plain characters', () => {
    expect(meets(['node.hostname==*'], w1)).toEqual([false]);
    expect(meets(['node.hostname==w.'], w1)).toEqual([false]);
    expect(meets(['node.hostname==^w1$'], w1)).toEqual([false]);
    expect(meets(['node.hostname==w'], w1)).toEqual([false]);
    expect(meets(['node.labels.eectl.collection==/Shared'], w1)).toEqual([true]);
    expect(
      meets(
        ['node.labels.note==a b'],
        { ...w1, labels: { note: 'a b' } },
        { ...w1, labels: { note: 'a  b' } },
      ),
    ).toEqual([true, false]);
  });

  it('spaces around key and value are trimmed, as strings.TrimSpace does', () => {
    expect(meets(['  node.role  ==  worker \t'], w1, m1)).toEqual([true, false]);
  });

  it('hostile label names: own labels only, never what every object inherits', () => {
    expect(meets(['node.labels.constructor==x'], w1)).toEqual([false]);
    expect(meets(['node.labels.constructor!=x'], w1)).toEqual([true]);
    expect(meets(['node.labels.__proto__!=x'], w1)).toEqual([true]);
    expect(meets(['node.labels.toString==x'], { ...w1, labels: { toString: 'X' } })).toEqual([true]);
  });

  it('a hostname or label holding the Kelvin sign or the long s matches k and s, as Go folds them', () => {
    const kelvin = { ...w1, hostname: 'wor\u212aer' };
    const longS = { ...w1, labels: { zone: '\u017fsd' } };
    expect(meets(['node.hostname==worker'], kelvin)).toEqual([true]);
    expect(meets(['node.hostname!=worker'], kelvin)).toEqual([false]);
    expect(meets(['node.labels.zone==SSD'], longS)).toEqual([true]);
    // Other characters that look alike or fold by full case mapping do not.
    expect(meets(['node.hostname==strasse'], { ...w1, hostname: 'stra\u00dfe' })).toEqual([false]);
    expect(meets(['node.hostname==i'], { ...w1, hostname: '\u0130' })).toEqual([false]);
    expect(equalFold('k', '\u212a')).toBe(true);
    expect(equalFold('ss', '\u00df')).toBe(false);
  });

  it('splits at the first == before any !=, as swarmkit tries the operators', () => {
    // "node.labels.a!=b==c" splits at == into the key "node.labels.a!=b", which swarmkit refuses.
    expect(reason(['node.labels.a!=b==c'])).toContain('not one swarmkit accepts');
    // "node.labels.a!==b" splits at == too: the key ends with "!".
    expect(reason(['node.labels.a!==b'])).toContain('not one swarmkit accepts');
    // "==" within the value: "node.labels.a===b" leaves the value "=b".
    expect(reason(['node.labels.a===b'])).toContain('not one swarmkit accepts');
  });

  it('what swarmkit refuses is not judged: no operator, empty or invalid values, \\v in a value', () => {
    expect(reason(['node.role=worker'])).toContain('neither == nor !=');
    expect(reason(['node.role'])).toContain('neither == nor !=');
    expect(reason(['node.role=='])).toContain('not one swarmkit accepts');
    expect(reason(['node.labels.x==a>b'])).toContain('not one swarmkit accepts');
    expect(reason(['node.labels.x==a"b'])).toContain('not one swarmkit accepts');
    expect(reason(['node.labels.x==a\u000bb'])).toContain('not one swarmkit accepts');
    expect(reason(['==worker'])).toContain('not one swarmkit accepts');
    expect(reason(['9node.role==worker'])).toContain('not one swarmkit accepts');
  });

  it('forms eectl does not judge: node.ip, unknown keys, a label prefix without a label', () => {
    expect(reason(['node.ip==10.0.0.21'])).toBe(
      'constraint "node.ip==10.0.0.21": eectl does not judge node.ip',
    );
    expect(reason(['node.ip!=10.0.0.0/24'])).toContain('node.ip');
    expect(reason(['node.name==w1'])).toContain('eectl does not judge node.name');
    expect(reason(['node.labels.==x'])).toContain('eectl does not judge node.labels.');
    expect(reason(['node.labels==x'])).toContain('eectl does not judge node.labels');
    expect(reason(['engine.labels.==x'])).toContain('eectl does not judge');
    expect(reason(['node.platform==linux'])).toContain('eectl does not judge');
  });

  it('characters outside ASCII are not judged (Go folds ſ in keys: node.hoſtname is node.hostname to it)', () => {
    expect(reason(['node.hoſtname==w1'])).toContain('outside ASCII');
    expect(reason(['node.labels.zone==\u212a'])).toContain('outside ASCII');
    expect(reason(['\u00a0node.role==worker'])).toContain('outside ASCII');
  });

  it('one constraint not judged makes the whole list not judged', () => {
    expect(reason(['node.role==worker', 'node.ip==10.0.0.21'])).toContain('node.ip');
  });
});
