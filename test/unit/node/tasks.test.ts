import { describe, expect, it } from 'vitest';
import {
  drainProgress,
  runningByService,
  parseServiceList,
  parseTaskInspect,
  type SwarmTask,
} from '../../../src/lib/swarm/tasks.js';

const task = (
  id: string,
  serviceId: string,
  nodeId: string,
  state = 'running',
  desiredState = 'running',
): SwarmTask => ({
  id,
  serviceId,
  nodeId,
  state,
  desiredState,
});

describe('services and tasks from the Docker CLI', () => {
  it('reads `service ls` lines, with notes after the replica count', () => {
    expect(
      parseServiceList(
        's1\tweb\treplicated\t2/3\ns2\tagent\tglobal\t4/4\ns3\tapi\treplicated\t1/1 (max 1 per node)\n',
      ),
    ).toEqual([
      { id: 's1', name: 'web', mode: 'replicated', running: 2, desired: 3 },
      { id: 's2', name: 'agent', mode: 'global', running: 4, desired: 4 },
      { id: 's3', name: 'api', mode: 'replicated', running: 1, desired: 1 },
    ]);
  });

  it('reads `docker inspect` of tasks', () => {
    const json = JSON.stringify([
      { ID: 't1', ServiceID: 's1', NodeID: 'n1', DesiredState: 'running', Status: { State: 'preparing' } },
    ]);
    expect(parseTaskInspect(json)).toEqual([task('t1', 's1', 'n1', 'preparing')]);
  });

  it("reads the ForceUpdate a task was made with (a forced update's new tasks carry the new one)", () => {
    const json = JSON.stringify([
      {
        ID: 't1',
        ServiceID: 's1',
        NodeID: 'n1',
        DesiredState: 'running',
        Status: { State: 'running' },
        Spec: { ForceUpdate: 3 },
      },
    ]);
    expect(parseTaskInspect(json)[0]?.forceUpdate).toBe(3);
  });
});

describe('waiting for a drained node', () => {
  // `service ls` prints short IDs; tasks carry the full ones.
  const WEB = 'pq6cq8mwfymmtj1xiuzn6mpss';
  const AGENT = 'x7d0ub3kq1zzabcdefghijklm';
  const services = parseServiceList(
    `${WEB.slice(0, 12)}\tweb\treplicated\t3/3\n${AGENT.slice(0, 12)}\tagent\tglobal\t3/3\n`,
  );
  const watched = new Set([WEB, AGENT]);

  it('is not done while a task is still wanted on the node', () => {
    const tasks = [task('a', WEB, 'w3'), task('b', WEB, 'w1'), task('c', WEB, 'w2')];
    expect(drainProgress('w3', tasks, services, watched)).toMatchObject({ done: false, tasksOnNode: 1 });
  });

  it('does not count a replacement that is not running yet, nor a task shutting down on the node', () => {
    const tasks = [
      task('a', WEB, 'w3', 'running', 'shutdown'),
      task('b', WEB, 'w1'),
      task('c', WEB, 'w2'),
      task('d', WEB, 'w1', 'preparing'),
    ];
    expect(drainProgress('w3', tasks, services, watched)).toEqual({
      done: false,
      tasksOnNode: 0,
      servicesShort: ['web (2/3 running elsewhere)'],
    });
  });

  it('is done when the replicated services run their full count elsewhere; global ones are not waited for', () => {
    const tasks = [task('b', WEB, 'w1'), task('c', WEB, 'w2'), task('d', WEB, 'w1'), task('g', AGENT, 'w1')];
    expect(drainProgress('w3', tasks, services, watched)).toEqual({
      done: true,
      tasksOnNode: 0,
      servicesShort: [],
    });
  });

  it('waits for as many tasks elsewhere as ran before the drain when a service ran fewer than its count', () => {
    // web ran 2 of 3 before (one task could not be placed): 2 elsewhere is what served, and is enough.
    const before = runningByService([
      task('a', WEB, 'w3'),
      task('b', WEB, 'w1'),
      task('x', WEB, 'w2', 'pending'),
    ]);
    expect(before.get(WEB)).toBe(2);
    const one = [task('b', WEB, 'w1'), task('d', WEB, 'w2', 'preparing')];
    expect(drainProgress('w3', one, services, watched, before)).toEqual({
      done: false,
      tasksOnNode: 0,
      servicesShort: ['web (1/2 running elsewhere, as before the drain; 3 wanted)'],
    });
    const two = [task('b', WEB, 'w1'), task('d', WEB, 'w2')];
    expect(drainProgress('w3', two, services, watched, before).done).toBe(true);
    // Without what ran before, the full count is waited for.
    expect(drainProgress('w3', two, services, watched).done).toBe(false);
  });

  it('a service none of whose tasks ran before the drain (its image unreachable) waits only for its tasks to leave the node', () => {
    const before = runningByService(
      [task('a', WEB, 'w3', 'preparing'), task('b', WEB, 'w1', 'rejected')],
      [WEB],
    );
    expect(before.get(WEB)).toBe(0);
    expect(drainProgress('w3', [task('c', WEB, 'w1', 'preparing')], services, watched, before)).toEqual({
      done: true,
      tasksOnNode: 0,
      servicesShort: [],
    });
    expect(drainProgress('w3', [task('a', WEB, 'w3', 'preparing')], services, watched, before).done).toBe(
      false,
    );
  });

  it('ignores services that had no task on the node', () => {
    const short = parseServiceList('9a9a9a9a9a9a\tother\treplicated\t0/2\n');
    expect(drainProgress('w3', [], short, watched).done).toBe(true);
  });
});
