import { afterEach, describe, expect, it, vi } from 'vitest';
import { install } from '../../../../src/lib/actions/install.js';
import { ExitCode, toEectlError, type EectlError } from '../../../../src/lib/errors.js';
import { newClusterContext, type ClusterContext } from '../../../../src/lib/phases/runner/cluster-context.js';
import { runPhases } from '../../../../src/lib/phases/runner/runner.js';
import { connectPhase } from '../../../../src/lib/phases/connect.js';
import { gatherFactsPhase } from '../../../../src/lib/phases/gather-facts.js';
import { lockPhase } from '../../../../src/lib/phases/lock.js';
import {
  ROLLING_DEMOTED_LABEL,
  ROLLING_DRAIN_LABEL,
  rollHosts,
  type HostTurn,
} from '../../../../src/lib/phases/rolling/roll.js';
import { nullLogger } from '../../../../src/lib/util/log.js';
import { ScriptedCluster, clusterConfig } from '../../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../../helpers/temp-home.js';

// The one rolling path (rolling/roll.ts) over the scripted cluster: a real 3-manager swarm (m1 the
// leader, m2, m3) and a worker (w1), installed by the real install, with services whose tasks run on
// the nodes; the context is the one the actions build, with the real lock taken.

const M1 = '10.0.0.11';
const M2 = '10.0.0.12';
const M3 = '10.0.0.13';
const W1 = '10.0.0.21';
const out = { report: () => undefined };

useTempEectlHome();
afterEach(() => {
  vi.useRealTimers();
});

/** An installed cluster with `web` (tasks on w1 and m2) and `api` (a task on w1). */
async function installed(): Promise<ScriptedCluster> {
  const cluster = new ScriptedCluster();
  const options = {
    session: cluster.session(),
    log: nullLogger,
    concurrency: 8,
    progress: 'silent' as const,
  };
  await install({ ...options, config: await clusterConfig(), dryRun: false });
  cluster.swarm.addService('web', ['w1', 'm2']);
  cluster.swarm.addService('api', ['w1']);
  return cluster;
}

/** Connected, locked, facts read: the context a rolling phase gets. */
async function context(cluster: ScriptedCluster): Promise<ClusterContext> {
  const ctx = newClusterContext({
    config: await clusterConfig(),
    session: cluster.session(),
    log: nullLogger,
    dryRun: false,
    concurrency: 8,
    progress: 'silent',
  });
  await runPhases([connectPhase, lockPhase, gatherFactsPhase], ctx, 'silent');
  ctx.swarmManager = ctx.hosts.find((h) => h.name === M1);
  return ctx;
}

const turns = (ctx: ClusterContext, ...names: string[]): HostTurn[] =>
  names.map((name) => ({ host: ctx.hosts.find((h) => h.name === name)!, reasons: ['test restart'] }));

const failure = (p: Promise<unknown>): Promise<EectlError> =>
  p.then(
    () => {
      throw new Error('the rolling change was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );

const restarted = (cluster: ScriptedCluster) =>
  cluster.journal.filter((e) => e.line === 'systemctl restart docker').map((e) => e.host);

describe('the rolling path over a 3-manager swarm with tasks', () => {
  it('drains a node that runs tasks before its engine restarts, waits until they run elsewhere, and makes it active again', async () => {
    const cluster = await installed();
    const ctx = await context(cluster);
    const w1 = cluster.host(W1);
    expect(cluster.swarm.tasksOn(w1.nodeId!)).toHaveLength(2);

    const report = await rollHosts(ctx, turns(ctx, W1), out);

    expect(report.hosts).toMatchObject([{ host: W1, drained: true }]);
    // The engine restarted with no task left on the node: the drain moved them first.
    expect(w1.restarts).toEqual([{ tasks: 0, leader: false }]);
    const j = cluster.journal.map((e) => `${e.host}: ${e.line}`);
    const drain = j.findIndex((l) => / node update .*--availability drain/.test(l));
    const restart = j.indexOf(`${W1}: systemctl restart docker`);
    const activate = j.findIndex((l) => / node update .*--availability active/.test(l));
    expect(drain).toBeGreaterThanOrEqual(0);
    expect(drain).toBeLessThan(restart);
    expect(activate).toBeGreaterThan(restart);
    // Both services run their count elsewhere; the node takes tasks again and carries no drain label.
    expect(cluster.swarm.tasksOn(w1.nodeId!)).toHaveLength(0);
    expect(cluster.swarm.tasks.filter((t) => t.desiredState === 'running')).toHaveLength(3);
    const node = cluster.swarm.nodes.get(w1.nodeId!)!;
    expect(node.availability).toBe('active');
    expect(node.labels[ROLLING_DRAIN_LABEL]).toBeUndefined();
    await ctx.lock?.release();
  });

  it('restarts a node that runs no task without draining it', async () => {
    const cluster = await installed();
    const ctx = await context(cluster);
    const report = await rollHosts(ctx, turns(ctx, M3), out);
    expect(report.hosts).toMatchObject([{ host: M3, drained: false }]);
    expect(cluster.journal.some((e) => e.line.includes('--availability drain'))).toBe(false);
    expect(restarted(cluster)).toEqual([M3]);
    await ctx.lock?.release();
  });

  it('refuses to restart a manager when another is unreachable and the restart would lose the quorum', async () => {
    const cluster = await installed();
    const ctx = await context(cluster);
    // m3's engine stops after the facts were read: 2 of 3 managers reachable, m2 cannot be spared.
    cluster.host(M3).active.delete('docker');

    const error = await failure(rollHosts(ctx, turns(ctx, M2), out));

    expect(error.code).toBe('EQUORUM_RISK');
    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.message).toMatch(
      /10\.0\.0\.12: not restarting its engine: the swarm could not spare this manager/,
    );
    expect(error.message).toContain('3 managers, tolerates 1 failure, 1 unreachable');
    // Nothing was done to m2: no drain (it runs a task of web), no restart.
    expect(restarted(cluster)).toEqual([]);
    expect(cluster.journal.some((e) => e.line.includes('--availability drain'))).toBe(false);
    expect(cluster.host(M2).restarts).toEqual([]);
    await ctx.lock?.release();
  });

  it('restarts the managers one at a time, the leader last, then the worker, each Ready again before the next', async () => {
    const cluster = await installed();
    const ctx = await context(cluster);
    await rollHosts(ctx, turns(ctx, M1, M2, M3, W1), out);
    expect(restarted(cluster)).toEqual([M2, M3, M1, W1]);
    for (const h of cluster.hosts) expect(h.restarts.every((r) => r.tasks === 0)).toBe(true);
    await ctx.lock?.release();
  });

  it('hands leadership over before the leader restarts: demoted first, never restarted while it leads, no election, a manager again', async () => {
    const cluster = await installed();
    const ctx = await context(cluster);
    const m1 = cluster.host(M1);
    expect(cluster.swarm.leaderId).toBe(m1.nodeId);

    const report = await rollHosts(ctx, turns(ctx, M1, M2, M3), out);

    // No engine restarted while its node led Raft: the swarm never waited for an election.
    expect(cluster.hosts.flatMap((h) => h.restarts).filter((r) => r.leader)).toEqual([]);
    expect(cluster.swarm.elections).toBe(0);
    // The demotion came before m1's restart, the promotion after it.
    const j = cluster.journal.map((e) => `${e.host}: ${e.line}`);
    const demote = j.findIndex((l) => l.includes('--role worker') && l.endsWith(m1.nodeId!));
    const restart = j.indexOf(`${M1}: systemctl restart docker`);
    const promote = j.findIndex((l) => l.includes('--role manager') && l.endsWith(m1.nodeId!));
    expect(demote).toBeGreaterThan(-1);
    expect(restart).toBeGreaterThan(demote);
    expect(promote).toBeGreaterThan(restart);
    // m1 is a manager again, without the label; another manager leads.
    const node = cluster.swarm.nodes.get(m1.nodeId!)!;
    expect(node.role).toBe('manager');
    expect(node.labels[ROLLING_DEMOTED_LABEL]).toBeUndefined();
    expect(cluster.swarm.leaderId).not.toBe(m1.nodeId);
    expect(report.hosts.find((h) => h.host === M1)?.times).toHaveProperty('handOff');
    await ctx.lock?.release();
  });

  it('promotes again a leader an interrupted run left demoted, before the next turn', async () => {
    const cluster = await installed();
    const m1 = cluster.swarm.nodes.get(cluster.host(M1).nodeId!)!;
    // What an interrupted turn leaves: m1 demoted with the label, leadership on m2.
    cluster.swarm.leaderLeaves(m1.id, 'demoted');
    m1.role = 'worker';
    m1.labels[ROLLING_DEMOTED_LABEL] = 'true';
    const ctx = await context(cluster);
    ctx.swarmManager = ctx.hosts.find((h) => h.name === M2);

    await rollHosts(ctx, turns(ctx, W1), out);

    expect(m1.role).toBe('manager');
    expect(m1.labels[ROLLING_DEMOTED_LABEL]).toBeUndefined();
    const j = cluster.journal.map((e) => e.line);
    const promote = j.findIndex((l) => l.includes('--role manager'));
    expect(promote).toBeGreaterThan(-1);
    expect(promote).toBeLessThan(j.indexOf('systemctl restart docker'));
    await ctx.lock?.release();
  });
});

describe('the rolling path when the run loses the cluster lock', () => {
  it('finishes the host whose turn is under way, then stops before the next: exit 4, ELOCK_LOST, the rest untouched', async () => {
    // Only the lock's heartbeat interval is faked: the test fires it when it chooses.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const cluster = await installed();
    const ctx = await context(cluster);
    const other = JSON.stringify({
      id: 'other-run',
      user: 'ops',
      machine: 'laptop',
      pid: 1,
      command: 'upgrade',
    });
    // While m2 restarts (the first turn), another run takes the lock and the heartbeat answers not-owner.
    cluster.host(M2).onCommand = (e) => {
      if (e.line !== 'systemctl restart docker') return;
      cluster.host(M1).lockOwner = other;
      vi.advanceTimersByTime(30_000);
    };

    const error = await failure(rollHosts(ctx, turns(ctx, M1, M2, M3, W1), out));

    expect(error.code).toBe('ELOCK_LOST');
    expect(error.exitCode).toBe(ExitCode.partial);
    expect(error.message).toBe(
      `lost the cluster lock on ${M1}: another run holds it now (this run's record is gone from /var/lib/eectl/lock); ` +
        `stopped after the turn of ${M2}; not touched: ${M3}, ${M1}, ${W1}`,
    );
    // m2's turn ran to its end: restarted, Ready again, active again (it had been drained for web).
    expect(restarted(cluster)).toEqual([M2]);
    const m2 = cluster.swarm.nodes.get(cluster.host(M2).nodeId!)!;
    expect(m2.availability).toBe('active');
    expect(m2.labels[ROLLING_DRAIN_LABEL]).toBeUndefined();
    expect(cluster.host(M1).lockOwner).toBe(other);
  });
});
