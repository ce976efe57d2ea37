import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../src/lib/actions/backup.js';
import { upgrade } from '../../../src/lib/actions/upgrade.js';
import { ExitCode, toEectlError, type EectlError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { ScriptedCluster, clusterFile } from '../../helpers/scripted-cluster.js';
import { useTempEectlHome } from '../../helpers/temp-home.js';

// The actions that change hosts besides install and reset (install-run and reset-run test theirs), run
// for real over the scripted cluster while another run holds the lock: each stops at the lock with exit 5
// before it reads any host.

const M1 = '10.0.0.11';
const HOLDER = JSON.stringify({
  id: 'b7a1f0c2-7d4e-4f7a-9a51-3c2d1e0f9a8b',
  user: 'alice',
  machine: 'laptop',
  machineId: '0d4c7f5e-2b1a-4c3d-8e9f-1a2b3c4d5e6f',
  pid: 4242,
  command: 'install',
  since: '2026-12-02T04:00:00.000Z',
});

useTempEectlHome();

const failure = (p: Promise<unknown>): Promise<EectlError> =>
  p.then(
    () => {
      throw new Error('the run was expected to fail');
    },
    (e: unknown) => toEectlError(e),
  );

function held(): ScriptedCluster {
  const cluster = new ScriptedCluster();
  cluster.host(M1).lockOwner = HOLDER;
  cluster.host(M1).lockAge = 12;
  return cluster;
}

function expectStoppedAtTheLock(cluster: ScriptedCluster, error: EectlError): void {
  expect(error.code).toBe('ELOCKED');
  expect(error.exitCode).toBe(ExitCode.locked);
  expect(error.message).toContain('alice@laptop (pid 4242, `eectl install`)');
  // The one command of the run: the attempt to take the lock. No facts were read on any host.
  expect(cluster.journal.map((e) => [e.host, e.kind])).toEqual([[M1, 'lock']]);
  expect(cluster.hosts.flatMap((h) => h.conn.lines).filter((l) => l === 'sh -s')).toEqual([]);
  expect(cluster.host(M1).lockOwner).toBe(HOLDER);
}

const run = { log: nullLogger, dryRun: false, concurrency: 8, progress: 'silent' as const };

describe('when another run holds the cluster lock', () => {
  it('upgrade exits 5 before reading any host', async () => {
    const cluster = held();
    const file = await clusterFile();
    const error = await failure(
      upgrade({
        ...run,
        config: file.config,
        file,
        session: cluster.session(),
        skipBackup: true,
        confirm: async () => undefined,
      }),
    );
    expectStoppedAtTheLock(cluster, error);
  });

  it('backup exits 5 before reading any host', async () => {
    const cluster = held();
    const file = await clusterFile();
    const error = await failure(
      backup({
        ...run,
        config: file.config,
        session: cluster.session(),
        request: {
          out: join(mkdtempSync(join(tmpdir(), 'eectl-backup-')), 'prod.tar.age'),
          keys: { passphrase: 'unused in this test' },
          includeRegistryData: false,
          clusterFile: Buffer.from(file.text),
          eectlVersion: '0.0.0',
          confirmOutage: async () => true,
        },
      }),
    );
    expectStoppedAtTheLock(cluster, error);
  });
});
