import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { activateNode, drainNode } from '../../../src/lib/actions/node-availability.js';
import { rebalance } from '../../../src/lib/actions/rebalance.js';
import type { RebalancePlan } from '../../../src/lib/results/rebalance.js';
import { upgrade } from '../../../src/lib/actions/upgrade.js';
import { ClusterFile } from '../../../src/lib/config/cluster-file.js';
import { toEectlError, UsageError, type EectlError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { rebalanceHint } from '../../../src/lib/ui/rebalance-render.js';
import { clusterConfig, clusterFile, HOSTS, ScriptedCluster } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// eectl rebalance over the scripted cluster: three managers and two workers installed by the real
// install, services whose tasks the test places, and a scripted scheduler that spreads a forced update's
// new tasks over the nodes their placement allows, each on the node with the fewest.

const W2 = { address: '10.0.0.22', hostname: 'w2', role: 'worker' } as const;
const HOSTS_5 = [...HOSTS, W2];

useTempEectlHome();

const options = (cluster: ScriptedCluster) => ({
  session: cluster.session(),
  log: nullLogger,
  concurrency: 8,
  progress: 'silent' as const,
});

/**
 * Installed, with `web` (workers only) crowded on w1, `api` spread over every node, and `edge`, whose
 * constraint eectl does not judge, crowded on m1.
 */
async function installed(): Promise<ScriptedCluster> {
  const cluster = new ScriptedCluster(HOSTS_5);
  await install({ ...options(cluster), config: await clusterConfig(HOSTS_5), dryRun: false });
  cluster.swarm.addService('web', ['w1', 'w1', 'w1', 'w2'], {
    constraints: ['node.role==worker'],
    eligible: ['w1', 'w2'],
  });
  cluster.swarm.addService('api', ['m1', 'm2', 'm3', 'w1', 'w2']);
  cluster.swarm.addService('edge', ['m1', 'm1', 'm1'], { constraints: ['node.ip!=10.0.0.99'] });
  return cluster;
}

async function run(
  cluster: ScriptedCluster,
  extra: {
    dryRun?: boolean;
    services?: string[];
    timeoutMs?: number;
    confirm?: (p: RebalancePlan) => Promise<void>;
  } = {},
) {
  return rebalance({
    ...options(cluster),
    config: await clusterConfig(HOSTS_5),
    dryRun: extra.dryRun ?? false,
    services: extra.services ?? [],
    timeoutMs: extra.timeoutMs ?? 60_000,
    confirm: extra.confirm ?? (async () => {}),
  });
}

const failure = (p: Promise<unknown>): Promise<EectlError> =>
  p.then(
    () => {
      throw new Error('the rebalance was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );

const forcedUpdates = (cluster: ScriptedCluster, since: number) =>
  cluster.hostWork(since).filter((l) => l.includes('service update --force'));
const lockLines = (cluster: ScriptedCluster, since: number) =>
  cluster.journal.slice(since).filter((e) => e.kind === 'lock');

describe('eectl rebalance over a scripted swarm', () => {
  it('shows the plan under --dry-run, changes nothing and takes no lock', async () => {
    const cluster = await installed();
    const mark = cluster.mark();
    const r = await run(cluster, { dryRun: true });
    expect(r.planned).toEqual(['web']);
    expect(r.services.map((s) => [s.name, s.verdict])).toEqual([
      ['api', 'even'],
      ['edge', 'not-judged'],
      ['web', 'uneven'],
    ]);
    expect(r.services.find((s) => s.name === 'edge')?.reason).toContain('node.ip');
    expect(r.changes).toEqual([
      {
        host: '10.0.0.11',
        description:
          'rebalance service web (now w1 3, w2 1): replace its tasks, 1 task at a time, stop-first, on failure: pause',
        applied: false,
      },
    ]);
    expect(cluster.hostWork(mark)).toEqual([]);
    expect(lockLines(cluster, mark)).toEqual([]);
    expect(cluster.swarm.spread('web')).toEqual({ w1: 3, w2: 1 });
  });

  it('asks with the plan, then has the swarm replace the uneven service’s tasks, one service, under the lock', async () => {
    const cluster = await installed();
    const mark = cluster.mark();
    const asked: string[][] = [];
    const r = await run(cluster, {
      confirm: async (plan) => {
        asked.push(plan.services.map((s) => s.name));
        expect(forcedUpdates(cluster, mark), 'nothing changes before the answer').toEqual([]);
      },
    });
    expect(asked).toEqual([['web']]);
    const web = cluster.swarm.serviceNamed('web')!;
    expect(forcedUpdates(cluster, mark)).toEqual([
      `10.0.0.11: docker service update --force --detach --quiet --no-resolve-image ${web.id}`,
    ]);
    expect(cluster.swarm.spread('web')).toEqual({ w1: 2, w2: 2 });
    expect(cluster.swarm.spread('api')).toEqual({ m1: 1, m2: 1, m3: 1, w1: 1, w2: 1 });
    expect(r.rebalanced).toMatchObject([
      {
        name: 'web',
        before: [
          { node: 'w1', tasks: 3 },
          { node: 'w2', tasks: 1 },
        ],
        after: [
          { node: 'w1', tasks: 2 },
          { node: 'w2', tasks: 2 },
        ],
      },
    ]);
    expect(r.changes.map((c) => c.applied)).toEqual([true]);
    // Taken before the swarm was read, released at the end; nobody holds it now.
    const locks = lockLines(cluster, mark);
    expect(locks[0]?.line).toContain('echo acquired');
    expect(locks.at(-1)?.line).toContain('rm -rf "$d"');
    expect(cluster.host('10.0.0.11').lockOwner).toBeUndefined();
    // Run again: nothing is uneven, nothing is asked or changed.
    const again = await run(cluster, {
      confirm: async () => {
        throw new Error('asked with nothing to do');
      },
    });
    expect(again.planned).toEqual([]);
    expect(forcedUpdates(cluster, mark)).toHaveLength(1);
  });

  it('without a terminal and without --yes: refused after the plan, nothing changed, the lock released', async () => {
    const cluster = await installed();
    const mark = cluster.mark();
    const e = await failure(
      run(cluster, {
        confirm: async () => {
          throw new UsageError(
            'Replace the tasks of these services? Without a terminal, confirm with --yes',
            {
              code: 'ECONFIRM',
            },
          );
        },
      }),
    );
    expect(e.code).toBe('ECONFIRM');
    expect(e.exitCode).toBe(2);
    expect(forcedUpdates(cluster, mark)).toEqual([]);
    expect(cluster.host('10.0.0.11').lockOwner).toBeUndefined();
  });

  it('--service rebalances a service it cannot judge, and only the services named', async () => {
    const cluster = await installed();
    const mark = cluster.mark();
    const r = await run(cluster, { services: ['edge'] });
    expect(r.planned).toEqual(['edge']);
    expect(r.services.map((s) => s.name)).toEqual(['edge']);
    expect(forcedUpdates(cluster, mark)).toHaveLength(1);
    expect(Math.max(...Object.values(cluster.swarm.spread('edge')))).toBe(1);
    expect(cluster.swarm.spread('web')).toEqual({ w1: 3, w2: 1 });
  });

  it('an update the swarm pauses stops the run: exit 4, the service named, the ones not done listed', async () => {
    const cluster = await installed();
    cluster.swarm.addService('db', ['w2', 'w2', 'w2'], { eligible: ['w1', 'w2'] }).nextUpdate = 'pauses';
    const mark = cluster.mark();
    const e = await failure(run(cluster));
    expect(e.code).toBe('EREBALANCE_FAILED');
    expect(e.exitCode).toBe(4);
    expect(e.message).toContain(
      'db: the swarm stopped replacing its tasks (update paused: update paused due to failure',
    );
    expect(e.message).toContain('Not rebalanced: web.');
    expect(e.suggestions.join('\n')).toContain('docker service ps --no-trunc db');
    expect(forcedUpdates(cluster, mark)).toHaveLength(1);
    expect(cluster.host('10.0.0.11').lockOwner).toBeUndefined();
  });

  it('an update that does not finish in time fails with what the swarm said', async () => {
    const cluster = await installed();
    cluster.swarm.serviceNamed('web')!.nextUpdate = 'hangs';
    const e = await failure(run(cluster, { timeoutMs: 1 }));
    expect(e.code).toBe('EREBALANCE_TIMEOUT');
    expect(e.exitCode).toBe(4);
    expect(e.message).toBe(
      'web: the swarm did not finish replacing its tasks in 0.001s (0/4 tasks replaced; the swarm says: updating, update in progress).',
    );
  });
});

describe('the hint after node activate', () => {
  it('names the services the drain left crowded once the node takes tasks again', async () => {
    const cluster = await installed();
    const file = await clusterFile(HOSTS_5);
    const node = (target: string, dryRun = false) => ({
      ...options(cluster),
      file,
      target,
      dryRun,
    });
    const drained = await drainNode(node('w2'));
    expect(drained.uneven).toBeUndefined();
    expect(cluster.swarm.spread('web')).toEqual({ w1: 4 });

    const dry = await activateNode(node('w2', true));
    expect(dry.uneven, 'a dry run reads nothing for the hint').toBeUndefined();

    const activated = await activateNode(node('w2'));
    // api's task on w2 went to the node with the fewest tasks: one node has 2 of its 5, w2 none.
    expect(activated.uneven).toEqual(['api', 'web']);
    expect(rebalanceHint(activated.uneven, 'prod.yaml')).toBe(
      '2 services are unevenly spread: eectl rebalance -c prod.yaml',
    );
    expect(rebalanceHint(['web'], 'my cluster.yaml')).toBe(
      "1 service is unevenly spread: eectl rebalance -c 'my cluster.yaml'",
    );
    expect(rebalanceHint([], 'prod.yaml')).toBeUndefined();

    const r = await run(cluster);
    expect(r.rebalanced.map((s) => s.name)).toEqual(['api', 'web']);
    expect(cluster.swarm.spread('web')).toEqual({ w1: 2, w2: 2 });
  });
});

describe('the hint at the end of an upgrade', () => {
  it('names the services the hosts’ drains left crowded', async () => {
    const cluster = new ScriptedCluster(HOSTS_5);
    const written = await clusterFile(HOSTS_5);
    writeFileSync(written.path, readFileSync(written.path, 'utf8').replace('"27.3"', '"27.2"'));
    const file = await ClusterFile.read(written.path, {});
    await install({ ...options(cluster), config: file.config, dryRun: false });
    cluster.swarm.addService('web', ['w1', 'w1', 'w2', 'w2'], { eligible: ['w1', 'w2'] });

    const r = await upgrade({
      ...options(cluster),
      config: file.config,
      file,
      dryRun: false,
      to: '27.3',
      skipBackup: true,
      confirm: async () => {},
    });
    expect(r.rolling.hosts.filter((h) => h.drained).map((h) => h.host)).toEqual(['10.0.0.21', '10.0.0.22']);
    // w1's turn moved its tasks to w2, w2's turn moved all four back to w1; the swarm left them there.
    expect(cluster.swarm.spread('web')).toEqual({ w1: 4 });
    expect(r.uneven).toEqual(['web']);
  });
});
