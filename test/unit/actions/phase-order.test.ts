import { describe, expect, it } from 'vitest';
import { INSTALL_PHASES } from '../../../src/lib/actions/install.js';
import { NODE_REMOVE_PHASES } from '../../../src/lib/actions/node-remove.js';
import { NODE_DEMOTE_PHASES, NODE_PROMOTE_PHASES } from '../../../src/lib/actions/node-role.js';
import { NODE_ACTIVATE_PHASES } from '../../../src/lib/actions/node-availability.js';
import { BACKUP_PHASES } from '../../../src/lib/actions/backup.js';
import { REBALANCE_PHASES } from '../../../src/lib/actions/rebalance.js';
import { REGISTRY_GC_PHASES, REGISTRY_PRUNE_PHASES } from '../../../src/lib/actions/registry.js';
import { RESET_PHASES } from '../../../src/lib/actions/reset.js';
import { RESTORE_PHASES } from '../../../src/lib/actions/restore.js';
import { SUPPORT_DUMP_PHASES } from '../../../src/lib/actions/support-dump.js';
import { STATUS_PHASES } from '../../../src/lib/actions/status.js';
import { UPGRADE_PHASES } from '../../../src/lib/actions/upgrade.js';
import type { Phase } from '../../../src/lib/phases/runner/phase.js';
import { BEFORE_LOCK, LOCK_TITLE, lockingLists, phaseLists, titles } from '../../helpers/phase-lists.js';

/** The phases that read what a run decides from: the hosts' facts, the swarm as the managers see it. */
const FACT_GATHERING = ['Gather host facts', 'Connect to hosts and gather their facts', 'Reach the managers'];

/** Asserts that every title is in the list once, and that they come in this order. */
function expectOrder(phases: readonly Phase<never>[], order: string[]): void {
  const titles = phases.map((p) => p.title);
  expect(new Set(titles).size, 'a phase listed twice').toBe(titles.length);
  const at = order.map((t) => titles.indexOf(t));
  expect(at.filter((i) => i < 0).length, `missing from [${titles.join(', ')}]`).toBe(0);
  expect(at, 'out of order').toEqual([...at].sort((a, b) => a - b));
}

describe('every exported *_PHASES list of src/lib/actions (found by reading the folder)', async () => {
  const lists = await phaseLists();

  it('finds the lists there are (a discovery that finds none would pass everything below)', () => {
    expect(lists.map((l) => l.name)).toEqual(
      expect.arrayContaining([
        'INSTALL_PHASES',
        'RESET_PHASES',
        'RESTORE_PHASES',
        'UPGRADE_PHASES',
        'BACKUP_PHASES',
        'NODE_REMOVE_PHASES',
        'NODE_PROMOTE_PHASES',
        'NODE_DEMOTE_PHASES',
        'NODE_DRAIN_PHASES',
        'NODE_ACTIVATE_PHASES',
        'REBALANCE_PHASES',
        'REGISTRY_GC_PHASES',
        'REGISTRY_PRUNE_PHASES',
        'SUPPORT_DUMP_PHASES',
        'SANDBOX_UP_PHASES',
        'STATUS_PHASES',
      ]),
    );
  });

  const changing = lockingLists(lists);
  it.each(changing.map((l) => [`${l.name} (actions/${l.module})`, l] as const))(
    '%s: the lock comes before fact gathering, after nothing but the connection',
    (_, list) => {
      const names = titles(list.phases);
      expect(new Set(names).size, `a phase listed twice in ${list.name}`).toBe(names.length);
      const lock = names.indexOf(LOCK_TITLE);
      expect(lock, `${list.name} takes no cluster lock: [${names.join(', ')}]`).toBeGreaterThanOrEqual(0);
      expect(
        names.slice(0, lock).filter((t) => !BEFORE_LOCK.has(t)),
        `${list.name}: phases before the lock`,
      ).toEqual([]);
      for (const facts of FACT_GATHERING) {
        const at = names.indexOf(facts);
        if (at >= 0) expect(at, `${list.name}: "${facts}" before the lock`).toBeGreaterThan(lock);
      }
    },
  );
});

describe('the order of the phase lists (what each phase needs from the ones before it)', () => {
  it('install: nothing changes before preflight; the engine before the swarm, the swarm before what runs on it', () => {
    expectOrder(INSTALL_PHASES as Phase<never>[], [
      'Connect to hosts',
      'Lock the cluster',
      'Gather host facts',
      // --exclude: the quorum without the excluded managers is judged from facts, before preflight.
      'Check the excluded hosts',
      'Preflight checks',
      'Check the engine configuration',
      // Refuses a destination before any host changes; converging writes what it found different.
      'Check the files to upload',
      // The user's hooks after every check and before the first change: a failing one changes nothing.
      'Run the hooks before install',
      // Recorded before the first change, so reset knows what was there before eectl.
      'Record what each host has before install',
      // The proxy before the sources: setting up Docker's repository downloads its key.
      'Configure package proxies',
      'Configure package sources',
      'Resolve the engine version',
      'Install engines and form the swarm',
      'Restart engines in the swarm, one at a time',
      'Label nodes',
      'Trust the registry on every node',
      'Wait until every node is Ready',
      'Deploy the webhook relays',
      'Deploy the registry replicas',
      'Run the hooks after install',
    ]);
    expect(titles(INSTALL_PHASES as Phase<never>[]).at(-1)).toBe('Run the hooks after install');
  });

  it('hooks: before an action’s first change and after its last; restore runs none of install’s', () => {
    expectOrder(UPGRADE_PHASES as Phase<never>[], [
      'Plan the upgrade',
      'Run the hooks before upgrade',
      'Update the cluster file and take a backup',
      'Download the new engine packages on every host',
      'Upgrade engines, one manager at a time, workers in batches',
      'Deploy the registry replicas',
      'Run the hooks after upgrade',
    ]);
    expectOrder(BACKUP_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Gather host facts',
      'Plan the backup',
      'Run the hooks before backup',
      'Copy the swarm state and write the archive',
      'Run the hooks after backup',
    ]);
    expect(titles(BACKUP_PHASES as Phase<never>[]).at(-1)).toBe('Run the hooks after backup');
    expect(titles(RESTORE_PHASES as Phase<never>[]).filter((t) => t.startsWith('Run the hooks'))).toEqual([]);
  });

  it('reset: the managers checked and everything found before the first removal; the swarm left before engines go', () => {
    expectOrder(RESET_PHASES as Phase<never>[], [
      'Connect to hosts',
      'Lock the cluster',
      'Gather host facts',
      "Check the swarm's managers",
      'Find what to remove',
      'Run the hooks before reset',
      'Leave the swarm',
      'Remove engines and eectl files',
      'Run the hooks after reset',
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

  it('rebalance: locked before the swarm is read, the plan (and the question) before any service changes', () => {
    expectOrder(REBALANCE_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Reach the managers',
      'Plan the rebalance',
      'Rebalance services, one at a time',
    ]);
  });

  it('registry gc: locked first; every replica read-only before the collector, read-write after it', () => {
    expectOrder(REGISTRY_GC_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Reach the managers',
      'Plan the garbage collection',
      'Switch every replica to read-only',
      'Collect garbage',
      'Switch every replica back to read-write',
    ]);
    const readOnly = REGISTRY_GC_PHASES.find((p) => p.title === 'Switch every replica to read-only');
    expect(readOnly?.cleanup, 'a failed collect must return the replicas to read-write').toBeDefined();
  });

  it('registry prune: locked before the registry is read, the plan (and the question) before any delete', () => {
    expectOrder(REGISTRY_PRUNE_PHASES as Phase<never>[], [
      'Lock the cluster',
      'Reach the managers',
      'Plan the prune',
      'Delete the pruned tags',
    ]);
  });

  it('support dump: no lock, every host before the swarm, the swarm before the status; written last, after the redaction', () => {
    expect(titles(SUPPORT_DUMP_PHASES as Phase<never>[])).not.toContain(LOCK_TITLE);
    expectOrder(SUPPORT_DUMP_PHASES as Phase<never>[], [
      'Connect to hosts',
      'Learn the secrets to redact',
      'Collect from every host',
      'Read the swarm',
      'Report the status',
      'Redact and write the archive',
    ]);
    expect(titles(SUPPORT_DUMP_PHASES as Phase<never>[]).at(-1)).toBe('Redact and write the archive');
  });

  it('status: no lock (it must not wait for a run that holds it); the hosts, then the swarm they lead to, then the services on them', () => {
    expect(titles(STATUS_PHASES as Phase<never>[])).not.toContain(LOCK_TITLE);
    expectOrder(STATUS_PHASES as Phase<never>[], [
      // Starts each manager's node list as soon as its facts are in: the swarm is read from those.
      'Connect to hosts and gather their facts',
      'Read the swarm',
      // The replicas and proxies are asked on the hosts that answered.
      'Ask the registry replicas, ingress proxies and webhook relays',
    ]);
  });

  it('node activate, upgrade and restore end by looking at how the services are spread (the hint to rebalance)', () => {
    for (const list of [NODE_ACTIVATE_PHASES, UPGRADE_PHASES, RESTORE_PHASES] as Phase<never>[][]) {
      expect(titles(list).at(-1)).toBe('Look at how services are spread');
    }
  });
});
