import { describe, expect, it } from 'vitest';
import { INSTALL_PHASES } from '../../../src/lib/actions/install.js';
import { NODE_REMOVE_PHASES } from '../../../src/lib/actions/node-remove.js';
import { NODE_DEMOTE_PHASES, NODE_PROMOTE_PHASES } from '../../../src/lib/actions/node-role.js';
import { RESET_PHASES } from '../../../src/lib/actions/reset.js';
import type { Phase } from '../../../src/lib/phase/phase.js';

/** Asserts that every title is in the list once, and that they come in this order. */
function expectOrder(phases: readonly Phase<never>[], order: string[]): void {
  const titles = phases.map((p) => p.title);
  expect(new Set(titles).size, 'a phase listed twice').toBe(titles.length);
  const at = order.map((t) => titles.indexOf(t));
  expect(at.filter((i) => i < 0).length, `missing from [${titles.join(', ')}]`).toBe(0);
  expect(at, 'out of order').toEqual([...at].sort((a, b) => a - b));
}

describe('the order of the phase lists (what each phase needs from the ones before it)', () => {
  it('install: nothing changes before preflight; the engine before the swarm, the swarm before what runs on it', () => {
    expectOrder(INSTALL_PHASES as Phase<never>[], [
      'Connect to hosts',
      'Lock the cluster',
      'Gather host facts',
      'Preflight checks',
      // Recorded before the first change, so reset knows what was there before eectl.
      'Record what each host has before install',
      'Configure package sources',
      'Resolve the engine version',
      'Install engines and form the swarm',
      'Restart engines in the swarm, one at a time',
      'Label nodes',
      'Trust the registry on every node',
      'Wait until every node is Ready',
      'Deploy the registry replicas',
    ]);
  });

  it('reset: the managers checked and everything found before the first removal; the swarm left before engines go', () => {
    expectOrder(RESET_PHASES as Phase<never>[], [
      'Connect to hosts',
      'Lock the cluster',
      'Gather host facts',
      "Check the swarm's managers",
      'Find what to remove',
      'Leave the swarm',
      'Remove engines and eectl files',
    ]);
  });

  it('node remove: checked, demoted, drained, out of the swarm, then reset, and the file last', () => {
    expectOrder(NODE_REMOVE_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Reach the managers',
      'Find the node',
      'Check that the change is safe',
      'Demote to worker',
      'Drain the node and wait until its tasks run elsewhere',
      'Leave the swarm',
      "Remove the node from the swarm's list",
      'Reset the host',
      'Update the cluster file',
    ]);
  });

  it("node promote: install's phases run after the file names the host a manager", () => {
    expectOrder(NODE_PROMOTE_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Check that the change is safe',
      'Promote to manager',
      'Update the cluster file',
      'Converge the new manager (install)',
    ]);
    expectOrder(NODE_DEMOTE_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Check that the change is safe',
      'Demote to worker',
      'Update the cluster file',
    ]);
  });
});
