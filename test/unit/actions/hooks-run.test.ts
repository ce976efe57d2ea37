import { describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { reset } from '../../../src/lib/actions/reset.js';
import type { ClusterConfig } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError, type EectlError } from '../../../src/lib/errors.js';
import { newClusterContext, type ClusterContext } from '../../../src/lib/phases/runner/cluster-context.js';
import { runPhases } from '../../../src/lib/phases/runner/runner.js';
import { connectPhase } from '../../../src/lib/phases/connect.js';
import { gatherFactsPhase } from '../../../src/lib/phases/gather-facts.js';
import { lockPhase } from '../../../src/lib/phases/lock.js';
import { rollHosts } from '../../../src/lib/phases/rolling/roll.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { HOSTS, ScriptedCluster, clusterConfig, type JournalEntry } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// spec.hooks through the real INSTALL_PHASES and the real rolling path, against the scripted cluster
// (3 managers, 1 worker; test/helpers/scripted-cluster.ts), whose journal says what ran where and when.

const M1 = '10.0.0.11';
const M2 = '10.0.0.12';
const W1 = '10.0.0.21';

useTempEectlHome();

const HOOKS = `  hooks:
    install:
      before:
        - { name: first, run: 'echo one' }
        - { name: workers, run: 'echo two', roles: [worker] }
      after:
        - { name: done, run: 'echo done' }
      beforeTurn:
        - { run: 'echo before-turn' }
      afterTurn:
        - { run: 'echo after-turn' }`;

const config = () => clusterConfig(HOSTS, HOOKS);

async function run(cluster: ScriptedCluster, dryRun: boolean, file?: ClusterConfig) {
  return install({
    config: file ?? (await config()),
    session: cluster.session(),
    log: nullLogger,
    dryRun,
    concurrency: 8,
    progress: 'silent',
  });
}

const failure = (p: Promise<unknown>): Promise<EectlError> =>
  p.then(
    () => {
      throw new Error('the run was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );

/** The hooks' scripts in the journal, as `host: script`, in the order they ran. */
const hooksRan = (journal: readonly JournalEntry[]) =>
  journal.filter((e) => e.kind === 'hook').map((e) => `${e.host}: ${e.line.split(' sh -c ')[1]}`);
const changesHost = (e: JournalEntry) => e.kind === 'write' || e.kind === 'upload';

describe('install with hooks', () => {
  it('runs the before hooks on every host after the checks and before any change, the after hooks after the last', async () => {
    const cluster = new ScriptedCluster();
    const result = await run(cluster, false);
    const { journal } = cluster;

    expect(hooksRan(journal).slice(0, 5).sort()).toEqual([
      `${M1}: echo one eectl-hook`,
      `${M2}: echo one eectl-hook`,
      '10.0.0.13: echo one eectl-hook',
      `${W1}: echo one eectl-hook`,
      `${W1}: echo two eectl-hook`,
    ]);
    const firstHook = journal.findIndex((e) => e.kind === 'hook');
    const lastBefore = journal.findLastIndex((e) => e.kind === 'hook' && e.line.includes('echo two'));
    // The preflight's probes ran before, and no host was changed before the last before hook.
    expect(journal.findIndex((e) => e.line.includes('/dev/tcp/'))).toBeLessThan(firstHook);
    expect(journal.findIndex(changesHost)).toBeGreaterThan(lastBefore);
    // On the worker, in the file's order.
    expect(hooksRan(journal.filter((e) => e.host === W1)).slice(0, 2)).toEqual([
      `${W1}: echo one eectl-hook`,
      `${W1}: echo two eectl-hook`,
    ]);
    // After: on every host, once nothing else changes.
    const after = journal.findIndex((e) => e.kind === 'hook' && e.line.includes('echo done'));
    expect(journal.findLastIndex(changesHost)).toBeLessThan(after);
    expect(hooksRan(journal.slice(after))).toHaveLength(4);
    // Each host is told who it is, as arguments of env, never inside the script.
    const w1Hook = cluster.host(W1).conn.commands.find((c) => c[0] === 'env')!;
    expect(w1Hook).toContain(`EECTL_HOST=${W1}`);
    expect(w1Hook).toContain('EECTL_ROLE=worker');
    expect(w1Hook).toContain('EECTL_STAGE=before');
    expect(w1Hook.slice(-3)).toEqual(['-c', 'echo one', 'eectl-hook']);

    expect(result.hooks.map((h) => [h.host, h.hook, h.exitCode])).toContainEqual([
      W1,
      'spec.hooks.install.before[1]',
      0,
    ]);
    expect(result.hooks).toHaveLength(9);
    // Hooks are not eectl's changes: nothing in the change list says "hook".
    expect(result.changes.filter((c) => /hook/.test(c.description))).toEqual([]);
  });

  it('a converged cluster: the hooks still run, and the run is still converged', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    const since = cluster.mark();
    const again = await run(cluster, false);
    expect(again.converged).toBe(true);
    expect(cluster.hostWork(since)).toEqual([]);
    expect(hooksRan(cluster.journal.slice(since))).toHaveLength(9);
  });

  it('--dry-run lists the hooks, runs none, and a converged dry run still says nothing would change', async () => {
    const cluster = new ScriptedCluster();
    const dry = await run(cluster, true);
    expect(cluster.journal.filter((e) => e.kind === 'hook')).toEqual([]);
    expect(dry.hooks.every((h) => !h.ran && h.exitCode === undefined)).toBe(true);
    expect(new Set(dry.hooks.map((h) => h.hook))).toEqual(
      new Set([
        'spec.hooks.install.before[0]',
        'spec.hooks.install.before[1]',
        'spec.hooks.install.after[0]',
      ]),
    );
    await run(cluster, false);
    const since = cluster.mark();
    const converged = await run(cluster, true);
    expect(converged.changes).toEqual([]);
    expect(converged.hooks).toHaveLength(9);
    expect(cluster.journal.slice(since).filter((e) => e.kind === 'hook')).toEqual([]);
  });

  it('a failing before hook stops the run before any change on any host: exit 3, the hook and host named, lock released', async () => {
    const cluster = new ScriptedCluster();
    cluster.host(W1).failures.push(/echo two/);

    const error = await failure(run(cluster, false));

    expect(error.exitCode).toBe(ExitCode.preflight);
    expect(error.code).toBe('EHOOK');
    expect(error.host).toBe(W1);
    expect(error.message).toBe(`${W1}: hook spec.hooks.install.before[1] (workers) exited 100`);
    expect(cluster.hostWork()).toEqual([]);
    expect(hooksRan(cluster.journal).filter((l) => l.includes('echo done'))).toEqual([]);
    expect(cluster.host(M1).lockOwner).toBeUndefined();
  });
});

/** Connected, locked, facts read, with the hooks of install: the context the rolling restart phase gets. */
async function rollingContext(cluster: ScriptedCluster): Promise<ClusterContext> {
  const ctx: ClusterContext = {
    ...newClusterContext({
      config: await config(),
      session: cluster.session(),
      log: nullLogger,
      dryRun: false,
      concurrency: 8,
      progress: 'silent',
    }),
    hooks: { action: 'install', runs: [] },
  };
  await runPhases([connectPhase, lockPhase, gatherFactsPhase], ctx, 'silent');
  ctx.swarmManager = ctx.hosts.find((h) => h.name === M1);
  return ctx;
}

describe('hooks around each host’s turn in the rolling path', () => {
  const out = { report: () => undefined };

  it('beforeTurn runs before the host is drained and restarted, afterTurn once it is active again', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    cluster.swarm.addService('web', ['w1']);
    const ctx = await rollingContext(cluster);
    const since = cluster.mark();
    const host = ctx.hosts.find((h) => h.name === W1)!;

    await rollHosts(ctx, [{ host, reasons: ['test restart'] }], out);

    const lines = cluster.journal
      .slice(since)
      .filter((e) => e.host === W1 || e.kind !== 'read')
      .map((e) => (e.kind === 'hook' ? (e.line.split(' sh -c ')[1] ?? e.line) : e.line));
    const index = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const before = index(/^echo before-turn/);
    expect(before).toBeGreaterThanOrEqual(0);
    expect(before).toBeLessThan(index(/--availability drain/));
    expect(index(/--availability drain/)).toBeLessThan(index(/^systemctl restart docker$/));
    expect(index(/--availability active/)).toBeLessThan(index(/^echo after-turn/));
    expect(ctx.hooks!.runs.map((r) => `${r.stage} ${r.host} ${r.exitCode}`)).toEqual([
      `beforeTurn ${W1} 0`,
      `afterTurn ${W1} 0`,
    ]);
  });

  it('a failing beforeTurn hook leaves its host untouched: not drained, not restarted', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false);
    cluster.swarm.addService('web', ['w1']);
    const ctx = await rollingContext(cluster);
    const since = cluster.mark();
    cluster.host(W1).failures.push(/echo before-turn/);
    const host = ctx.hosts.find((h) => h.name === W1)!;

    const error = await failure(rollHosts(ctx, [{ host, reasons: ['test restart'] }], out));

    expect(error.code).toBe('EHOOK');
    expect(error.message).toContain(`${W1}: hook spec.hooks.install.beforeTurn[0] exited 100`);
    expect(error.message).toContain('not touched: none');
    expect(cluster.hostWork(since)).toEqual([]);
  });
});

describe('reset with hooks', () => {
  const RESET_HOOKS = `  hooks:
    reset:
      before:
        - { name: save, run: 'echo save' }
      after:
        - { name: gone, run: 'echo gone', roles: [manager] }`;
  const runReset = async (cluster: ScriptedCluster) =>
    reset({
      config: await clusterConfig(HOSTS, RESET_HOOKS),
      session: cluster.session(),
      log: nullLogger,
      dryRun: false,
      concurrency: 8,
      progress: 'silent',
    });

  it('runs before on every host before the first removal, after on the managers after the last', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false, await clusterConfig());
    const since = cluster.mark();

    const result = await runReset(cluster);

    const journal = cluster.journal.slice(since);
    const saves = journal.flatMap((e, i) => (e.kind === 'hook' && e.line.includes('echo save') ? [i] : []));
    const gones = journal.flatMap((e, i) => (e.kind === 'hook' && e.line.includes('echo gone') ? [i] : []));
    expect(saves).toHaveLength(4);
    expect(gones).toHaveLength(3);
    expect(Math.max(...saves)).toBeLessThan(journal.findIndex(changesHost));
    expect(journal.findLastIndex(changesHost)).toBeLessThan(Math.min(...gones));
    expect(result.hooks.map((h) => h.stage)).toEqual([...Array(4).fill('before'), ...Array(3).fill('after')]);
  });

  it('a failing before hook removes nothing (exit 3)', async () => {
    const cluster = new ScriptedCluster();
    await run(cluster, false, await clusterConfig());
    const since = cluster.mark();
    cluster.host(M2).failures.push(/echo save/);

    const error = await failure(runReset(cluster));

    expect(error.exitCode).toBe(ExitCode.preflight);
    expect(error.message).toBe(`${M2}: hook spec.hooks.reset.before[0] (save) exited 100`);
    expect(cluster.hostWork(since)).toEqual([]);
  });
});
