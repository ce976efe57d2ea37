import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNodeAction } from '../../../src/lib/actions/node-action.js';
import { ClusterLock } from '../../../src/lib/cluster/lock.js';
import { ClusterFile } from '../../../src/lib/config/cluster-file.js';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import type { ClusterContext } from '../../../src/lib/phases/runner/cluster-context.js';
import type { NodeContext } from '../../../src/lib/phases/runner/node-context.js';
import type { Phase } from '../../../src/lib/phases/runner/phase.js';
import { lockPhaseFor } from '../../../src/lib/phases/lock.js';
import { nodeLockPhase } from '../../../src/lib/phases/node-connect.js';
import { nodeResetPhase } from '../../../src/lib/phases/node-reset.js';
import type { ResetContext } from '../../../src/lib/phases/reset-host.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { ScriptedConnection, type ScriptRule } from '../../helpers/scripted-connection.js';

const YAML = `apiVersion: eectl/v1
kind: Cluster
metadata: { name: prod }
spec:
  hosts:
    - { address: 10.0.0.11, role: manager }
    - { address: 10.0.0.12, role: manager }
    - { address: 10.0.0.13, role: manager }
    - { address: 10.0.0.21, role: worker }
`;

async function clusterFile(): Promise<ClusterFile> {
  const path = join(mkdtempSync(join(tmpdir(), 'eectl-compose-')), 'cluster.yaml');
  writeFileSync(path, YAML);
  return ClusterFile.read(path, {});
}

/** The lock scripts of one host, answering as the real ones do: a held lock is held for every other record. */
function lockRules(): ScriptRule[] {
  let held: string | undefined;
  return [
    {
      match: (argv) => argv[0] === 'sh' && argv[2]!.includes('mkdir "$d"'),
      answer: (argv) => {
        if (held !== undefined) return { stdout: `held 3 ${held}\n` };
        held = argv[5];
        return { stdout: 'acquired\n' };
      },
    },
    {
      match: (argv) => argv[0] === 'sh' && argv[2]!.includes('rm -rf "$d"'),
      answer: (argv) => {
        if (argv[5] !== held) return { stdout: 'not-owner\n' };
        held = undefined;
        return { stdout: 'ok\n' };
      },
    },
    { match: /^rmdir \/var\/lib\/eectl$/, answer: {} },
  ];
}
const isAcquire = (line: string) => line.startsWith('sh -c') && line.includes('mkdir "$d"');
const isRelease = (line: string) => line.startsWith('sh -c') && line.includes('rm -rf "$d"');

/** Sets what the target phases would find: the node is the file host `address`, reachable. */
const targetIs = (address: string): Phase<NodeContext> => ({
  title: 'Find the node',
  async run(ctx) {
    ctx.spec = ctx.config.spec.hosts.find((h) => h.address === address)!;
    ctx.host = new Host(ctx.spec, await ctx.connect(ctx.spec));
  },
});

/** Stands for reset's host work: one change on each host of the (one-host) reset, or a failure after it. */
const resetWork = (fail = false): Phase<ResetContext> => ({
  title: 'Remove engines and eectl files',
  async run(ctx) {
    for (const host of ctx.config.spec.hosts) {
      await ctx.changes.apply({ name: host.address, log: nullLogger }, 'remove the engine', async () => {});
    }
    if (fail) throw new Error('apt-get purge failed');
  },
});

function harness() {
  const conns = new Map<string, ScriptedConnection>();
  const connect = async (spec: HostSpec) => {
    let c = conns.get(spec.address);
    if (!c) conns.set(spec.address, (c = new ScriptedConnection(spec.address, lockRules())));
    return c;
  };
  return { conns, session: { connect, close: async () => {} } };
}

describe('node remove --reset: reset runs as phases of the node command, under its lock', () => {
  const resetPhases = (fail = false) => [lockPhaseFor('reset'), resetWork(fail)] as Phase<ClusterContext>[];

  it('removing the first manager: the lock is taken once, on that host, and its state directory goes with it', async () => {
    const { conns, session } = harness();
    const result = await runNodeAction(
      'remove',
      [nodeLockPhase, targetIs('10.0.0.11'), nodeResetPhase(resetPhases() as Phase<ResetContext>[])],
      {
        file: await clusterFile(),
        session,
        log: nullLogger,
        target: '10.0.0.11',
        dryRun: false,
        reset: true,
        concurrency: 2,
        progress: 'silent',
      },
    );
    const lines = conns.get('10.0.0.11')!.lines;
    // Before re-entrancy the nested reset asked for the same lock a second time, and failed on its own run.
    expect(lines.filter(isAcquire)).toHaveLength(1);
    expect(lines.filter(isRelease)).toHaveLength(1);
    // Released first, then the empty /var/lib/eectl the reset left for the lock is removed.
    expect(lines.findIndex(isRelease)).toBeLessThan(lines.indexOf('rmdir /var/lib/eectl'));
    // The reset's changes are the command's changes: one change log, nothing copied by hand.
    expect(result.changes).toEqual([{ host: '10.0.0.11', description: 'remove the engine', applied: true }]);
  });

  it('removing a worker: the lock stays on the first manager and the worker is reset under it', async () => {
    const { conns, session } = harness();
    const result = await runNodeAction(
      'remove',
      [nodeLockPhase, targetIs('10.0.0.21'), nodeResetPhase(resetPhases() as Phase<ResetContext>[])],
      {
        file: await clusterFile(),
        session,
        log: nullLogger,
        target: '10.0.0.21',
        dryRun: false,
        reset: true,
        concurrency: 2,
        progress: 'silent',
      },
    );
    expect(conns.get('10.0.0.11')!.lines.filter(isAcquire)).toHaveLength(1);
    expect(conns.get('10.0.0.11')!.lines.filter(isRelease)).toHaveLength(1);
    // Not the lock host: its state directory is the reset's business, not the lock's.
    expect(conns.get('10.0.0.21')!.lines).toEqual([]);
    expect(result.changes.map((c) => c.host)).toEqual(['10.0.0.21']);
  });

  it('a reset that fails after a change fails the command with exit 4, and the lock is still released', async () => {
    const { conns, session } = harness();
    const error = await runNodeAction(
      'remove',
      [nodeLockPhase, targetIs('10.0.0.21'), nodeResetPhase(resetPhases(true) as Phase<ResetContext>[])],
      {
        file: await clusterFile(),
        session,
        log: nullLogger,
        target: '10.0.0.21',
        dryRun: false,
        reset: true,
        concurrency: 2,
        progress: 'silent',
      },
    ).then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );
    expect(error?.exitCode).toBe(ExitCode.partial);
    expect(error?.message).toContain('apt-get purge failed');
    expect(conns.get('10.0.0.11')!.lines.filter(isRelease)).toHaveLength(1);
  });

  it('under --dry-run takes no lock and lists what the reset would remove', async () => {
    const { conns, session } = harness();
    const result = await runNodeAction(
      'remove',
      [nodeLockPhase, targetIs('10.0.0.11'), nodeResetPhase(resetPhases() as Phase<ResetContext>[])],
      {
        file: await clusterFile(),
        session,
        log: nullLogger,
        target: '10.0.0.11',
        dryRun: true,
        reset: true,
        concurrency: 2,
        progress: 'silent',
      },
    );
    expect(conns.get('10.0.0.11')!.lines).toEqual([]);
    expect(result.changes).toEqual([{ host: '10.0.0.11', description: 'remove the engine', applied: false }]);
  });
});

describe('ClusterLock.reenter', () => {
  it('hands a nested run the held lock: nothing is asked of the host, and only the holder releases it', async () => {
    const conn = new ScriptedConnection('10.0.0.11', lockRules());
    const host = new Host({ address: '10.0.0.11', role: 'manager' } as HostSpec, conn);
    const lock = await ClusterLock.acquire(host, 'upgrade');
    const nested = lock.reenter();
    expect(nested.reentered).toBe(true);
    expect(nested.owner).toEqual(lock.owner);
    await nested.release();
    expect(conn.lines.filter(isRelease)).toHaveLength(0);
    await lock.release();
    expect(conn.lines.filter(isAcquire)).toHaveLength(1);
    expect(conn.lines.filter(isRelease)).toHaveLength(1);
  });
});
