import { describe, expect, it } from 'vitest';
import { removalRules } from '../../../src/lib/actions/node-remove.js';
import { hostSchema } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { stubConnection } from '../../helpers/contexts.js';
import type { NodeChange } from '../../../src/lib/swarm/node-safety.js';
import type { SwarmNode } from '../../../src/lib/swarm/nodes.js';

const worker: SwarmNode = {
  id: 'n-w2',
  hostname: 'w2',
  role: 'worker',
  state: 'ready',
  availability: 'active',
  addr: '10.0.0.22',
  engineVersion: '',
  leader: false,
  reachability: undefined,
  labels: {},
};

function situation(options: { inFile: boolean; reachable: boolean; force: boolean }) {
  const spec = options.inFile ? hostSchema.parse({ address: '10.0.0.22', role: 'worker' }) : undefined;
  const ctx = {
    target: options.inFile ? '10.0.0.22' : 'w2',
    force: options.force,
    node: worker,
    spec,
    host: options.reachable && spec ? new Host(spec, stubConnection(spec.address)) : undefined,
    hostError: options.reachable
      ? undefined
      : new EectlError('10.0.0.22: connect EHOSTUNREACH', { code: 'ECONNECT' }),
  } satisfies Parameters<typeof removalRules>[1];
  const change: NodeChange = {
    name: ctx.target,
    node: worker,
    nodes: [worker],
    fileRole: spec?.role,
    fileRoles: ['manager', 'worker'],
  };
  return removalRules(change, ctx);
}

describe('what removing a node needs besides quorum', () => {
  it('a host eectl can log in to, to drain it and make it leave', () => {
    expect(situation({ inFile: true, reachable: true, force: false })).toEqual({
      refusals: [],
      warnings: [],
    });
    const dead = situation({ inFile: true, reachable: false, force: false });
    expect(dead.refusals.map((r) => r.code)).toEqual(['ENODE_UNREACHABLE']);
    expect(dead.refusals[0]!.message).toContain('EHOSTUNREACH');
    expect(dead.refusals[0]!.suggestions[0]).toContain('--force. What --force risks:');
    const unknown = situation({ inFile: false, reachable: false, force: false });
    expect(unknown.refusals.map((r) => r.code)).toEqual(['ENOT_IN_FILE']);
  });

  it('or --force, which goes on with a warning saying what it risks', () => {
    const forced = situation({ inFile: true, reachable: false, force: true });
    expect(forced.refusals).toEqual([]);
    expect(forced.warnings).toEqual([expect.stringMatching(/^--force: its tasks are not drained first/)]);
    expect(situation({ inFile: false, reachable: false, force: true }).refusals).toEqual([]);
  });
});
