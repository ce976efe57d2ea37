import { describe, expect, it } from 'vitest';
import { newNodeContext } from '../../../src/lib/actions/node-action.js';
import { newClusterContext } from '../../../src/lib/phases/runner/cluster-context.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { BEFORE_LOCK, LOCK_TITLE, lockingLists, phaseLists, titles } from '../../helpers/phase-lists.js';
import { lockHost, lockPhase } from '../../../src/lib/phases/lock.js';
import { nodeLockPhase } from '../../../src/lib/phases/node-connect.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { clusterFile } from '../../helpers/scripted-cluster.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';

const config = clusterSchema.parse({
  apiVersion: 'eectl/v1',
  kind: 'Cluster',
  metadata: { name: 'prod' },
  spec: {
    hosts: [
      { address: '10.0.0.21', role: 'worker' },
      { address: '10.0.0.11', role: 'manager' },
      { address: '10.0.0.12', role: 'manager' },
    ],
  },
});
const host = (i: number) =>
  new Host(config.spec.hosts[i]!, new ScriptedConnection(config.spec.hosts[i]!.address, []));

describe('the cluster lock', async () => {
  const changing = lockingLists(await phaseLists());

  it.each(changing.map((l) => [`${l.name} (actions/${l.module})`, l] as const))(
    '%s: taken right after connecting, before any fact or swarm state is read (every action that changes hosts)',
    (_, list) => {
      const names = titles(list.phases);
      const lock = names.indexOf(LOCK_TITLE);
      expect(lock, `${list.name} takes no cluster lock`).toBeGreaterThanOrEqual(0);
      expect(
        names.slice(0, lock).every((t) => BEFORE_LOCK.has(t)),
        names.join(', '),
      ).toBe(true);
    },
  );

  it('the lists of the actions that change hosts are all found (and the node lists lock before reaching the managers)', () => {
    expect(changing.map((l) => l.name)).toEqual(
      expect.arrayContaining([
        'INSTALL_PHASES',
        'RESET_PHASES',
        'RESTORE_PHASES',
        'UPGRADE_PHASES',
        'BACKUP_PHASES',
      ]),
    );
    for (const list of changing.filter((l) => l.name.startsWith('NODE_'))) {
      expect(titles(list.phases).slice(0, 2)).toEqual([LOCK_TITLE, 'Reach the managers']);
    }
  });

  it('lives on the first manager of the file, never on another manager that happens to be reachable', async () => {
    const ctx = { config, hosts: [host(0), host(1), host(2)] };
    expect(lockHost(ctx)?.name).toBe('10.0.0.11');
    // 10.0.0.11 is down (a reset goes on without it): the lock does not move to 10.0.0.12.
    const without = newClusterContext({
      config,
      session: { connect: () => Promise.reject(new Error('not in this test')), close: async () => {} },
      log: nullLogger,
      dryRun: false,
      concurrency: 1,
      progress: 'silent',
    });
    without.hosts = [host(0), host(2)];
    expect(lockHost(without)).toBeUndefined();
    const error = await lockPhase.run(without, { report: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect(error).toMatchObject({ code: 'ELOCK_HOST', exitCode: ExitCode.preflight, host: '10.0.0.11' });
    expect(without.lock).toBeUndefined();
  });

  it('node commands refuse when the first manager cannot be reached, without trying another for the lock', async () => {
    const tried: string[] = [];
    const file = await clusterFile(config.spec.hosts);
    const session = {
      connect: async (spec: { address: string }) => {
        tried.push(spec.address);
        throw new Error('connect ETIMEDOUT');
      },
      close: async () => {},
    };
    const options = {
      file,
      session,
      log: nullLogger,
      dryRun: false,
      concurrency: 1,
      progress: 'silent' as const,
    };
    const ctx = newNodeContext('drain', { ...options, target: '10.0.0.21' });
    const error = await nodeLockPhase.run(ctx, { report: () => {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ELOCK_HOST', exitCode: ExitCode.preflight });
    expect((error as EectlError).message).toContain('10.0.0.11');
    expect((error as EectlError).message).toContain('connect ETIMEDOUT');
    expect(tried).toEqual(['10.0.0.11']);
    // Removing that very manager (dead for good) locks the next manager of the file instead.
    tried.length = 0;
    const removal = newNodeContext('remove', { ...options, target: '10.0.0.11' });
    await nodeLockPhase.run(removal, { report: () => {} }).catch(() => undefined);
    expect(tried).toEqual(['10.0.0.11', '10.0.0.12']);
  });
});
