import { describe, expect, it } from 'vitest';
import { INSTALL_PHASES } from '../../../src/lib/actions/install.js';
import { NODE_ACTIVATE_PHASES, NODE_DRAIN_PHASES } from '../../../src/lib/actions/node-availability.js';
import type { NodeContext } from '../../../src/lib/phase/node-context.js';
import { NODE_REMOVE_PHASES } from '../../../src/lib/actions/node-remove.js';
import { NODE_DEMOTE_PHASES, NODE_PROMOTE_PHASES } from '../../../src/lib/actions/node-role.js';
import { RESET_PHASES } from '../../../src/lib/actions/reset.js';
import type { ClusterContext } from '../../../src/lib/phase/cluster-context.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError, ExitCode } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { ChangeLog } from '../../../src/lib/phase/changes.js';
import type { Phase } from '../../../src/lib/phase/phase.js';
import { lockHost, lockPhase } from '../../../src/lib/phases/lock.js';
import { nodeLockPhase } from '../../../src/lib/phases/node-connect.js';
import type { Connection } from '../../../src/lib/ssh/connection.js';
import { nullLogger } from '../../../src/lib/ui/log.js';

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
const host = (i: number) => new Host(config.spec.hosts[i]!, { log: nullLogger } as unknown as Connection);

const titles = (phases: readonly Phase<never>[]) => phases.map((p) => p.title);

describe('the cluster lock', () => {
  it('is taken right after connecting, before any fact or swarm state is read, by every action that changes hosts', () => {
    for (const phases of [INSTALL_PHASES, RESET_PHASES] as Phase<never>[][]) {
      expect(titles(phases).slice(0, 3)).toEqual([
        'Connect to hosts',
        'Lock the cluster',
        'Gather host facts',
      ]);
    }
    for (const phases of [
      NODE_REMOVE_PHASES,
      NODE_PROMOTE_PHASES,
      NODE_DEMOTE_PHASES,
      NODE_DRAIN_PHASES,
      NODE_ACTIVATE_PHASES,
    ] as Phase<never>[][]) {
      expect(titles(phases).slice(0, 2)).toEqual(['Lock the cluster', 'Reach the managers']);
    }
  });

  it('lives on the first manager of the file, never on another manager that happens to be reachable', async () => {
    const ctx = { config, hosts: [host(0), host(1), host(2)] };
    expect(lockHost(ctx)?.name).toBe('10.0.0.11');
    // 10.0.0.11 is down (a reset goes on without it): the lock does not move to 10.0.0.12.
    const without = {
      ...ctx,
      hosts: [host(0), host(2)],
      dryRun: false,
      log: nullLogger,
      changes: new ChangeLog(false),
      concurrency: 1,
    } as unknown as ClusterContext;
    expect(lockHost(without)).toBeUndefined();
    const error = await lockPhase.run(without, { report: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EectlError);
    expect(error).toMatchObject({ code: 'ELOCK_HOST', exitCode: ExitCode.preflight, host: '10.0.0.11' });
    expect(without.lock).toBeUndefined();
  });

  it('node commands refuse when the first manager cannot be reached, without trying another for the lock', async () => {
    const tried: string[] = [];
    const ctx = {
      config,
      command: 'drain',
      target: '10.0.0.21',
      dryRun: false,
      log: nullLogger,
      unreachable: new Map(),
      connect: async (spec: { address: string }) => {
        tried.push(spec.address);
        throw new Error('connect ETIMEDOUT');
      },
    } as unknown as NodeContext;
    const error = await nodeLockPhase.run(ctx, { report: () => {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ELOCK_HOST', exitCode: ExitCode.preflight });
    expect((error as EectlError).message).toContain('10.0.0.11');
    expect((error as EectlError).message).toContain('connect ETIMEDOUT');
    expect(tried).toEqual(['10.0.0.11']);
    // Removing that very manager (dead for good) locks the next manager of the file instead.
    tried.length = 0;
    const removal = { ...ctx, command: 'remove', target: '10.0.0.11' } as NodeContext;
    await nodeLockPhase.run(removal, { report: () => {} }).catch(() => undefined);
    expect(tried).toEqual(['10.0.0.11', '10.0.0.12']);
  });
});
