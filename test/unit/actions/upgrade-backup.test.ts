import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { install } from '../../../src/lib/actions/install.js';
import { upgrade } from '../../../src/lib/actions/upgrade.js';
import { upgradeBackup } from '../../../src/lib/actions/upgrade-backup.js';
import { ClusterFile } from '../../../src/lib/config/cluster-file.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { renderUpgradeSummary } from '../../../src/lib/ui/upgrade-summary.js';
import { clusterFile, ScriptedCluster } from '../../helpers/scripted-cluster.js';

const config = (recipients: string[] = []) =>
  clusterSchema.parse({
    apiVersion: 'eectl/v1',
    kind: 'Cluster',
    metadata: { name: 'prod' },
    spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], backup: { recipients } },
  });

const backupFor = (recipients: string[], env: NodeJS.ProcessEnv, interactive = false) =>
  upgradeBackup({
    config: config(recipients),
    clusterFilePath: '/nonexistent/cluster.yaml',
    session: { connect: () => Promise.reject(new Error('no host in this test')), close: async () => {} },
    log: nullLogger,
    concurrency: 1,
    eectlVersion: '0.0.0',
    keys: { env, interactive, ask: () => Promise.resolve('asked passphrase') },
    confirmOutage: () => Promise.resolve(true),
    now: new Date('2026-12-01T00:00:00Z'),
  });

describe("upgrade's backup first", () => {
  it('without recipients or a passphrase refuses before any change (exit 2), naming --no-backup', async () => {
    const error = await backupFor([], {})
      .check()
      .then(
        () => undefined,
        (e: unknown) => toEectlError(e),
      );
    expect(error?.code).toBe('EUPGRADE_NO_BACKUP_KEY');
    expect(error?.exitCode).toBe(ExitCode.usage);
    expect(error?.message).toContain('nothing was changed');
    expect(error?.suggestions.join('\n')).toContain('--no-backup');
  });

  it("is encrypted to the file's backup.recipients, or with EECTL_BACKUP_PASSPHRASE, or a passphrase asked on a terminal", async () => {
    const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
    await expect(backupFor([recipient], {}).check()).resolves.toBeUndefined();
    await expect(
      backupFor([], { EECTL_BACKUP_PASSPHRASE: 'correct horse' }).check(),
    ).resolves.toBeUndefined();
    await expect(backupFor([], {}, true).check()).resolves.toBeUndefined();
  });

  it("goes to the cluster's backup folder, named for the time it is taken", () => {
    const { archive } = backupFor([], {});
    expect(archive).toMatch(/\.eectl\/prod\/backups\/[^/]+$/);
  });
});

describe('upgrade --dry-run and the backup first', () => {
  const home = process.env.EECTL_HOME;
  beforeEach(() => {
    process.env.EECTL_HOME = mkdtempSync(join(tmpdir(), 'eectl-home-'));
  });
  afterAll(() => {
    if (home === undefined) delete process.env.EECTL_HOME;
    else process.env.EECTL_HOME = home;
  });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => toEectlError(e),
    );

  it('checkWithoutAsking refuses as check does without a key, and asks nothing where a terminal would be asked', async () => {
    expect((await failure(backupFor([], {}).checkWithoutAsking()))?.code).toBe('EUPGRADE_NO_BACKUP_KEY');
    const asking = upgradeBackup({
      config: config([]),
      clusterFilePath: '/nonexistent/cluster.yaml',
      session: { connect: () => Promise.reject(new Error('no host in this test')), close: async () => {} },
      log: nullLogger,
      concurrency: 1,
      eectlVersion: '0.0.0',
      keys: { env: {}, interactive: true, ask: () => Promise.reject(new Error('a dry run asked')) },
      confirmOutage: () => Promise.resolve(true),
    });
    await expect(asking.checkWithoutAsking()).resolves.toBeUndefined();
  });

  it('fails the way the real run would without a usable key (exit 2, EUPGRADE_NO_BACKUP_KEY), changing nothing; --no-backup passes and the plan has an estimate', async () => {
    const cluster = new ScriptedCluster();
    const written = await clusterFile();
    writeFileSync(written.path, readFileSync(written.path, 'utf8').replace('"27.3"', '"27.2"'));
    const file = await ClusterFile.read(written.path, {});
    const options = {
      session: cluster.session(),
      log: nullLogger,
      concurrency: 8,
      progress: 'silent' as const,
      config: file.config,
    };
    await install({ ...options, dryRun: false });
    const since = cluster.mark();
    const dryRun = (skipBackup: boolean) =>
      upgrade({
        ...options,
        file,
        dryRun: true,
        to: '27.3',
        skipBackup,
        backup: upgradeBackup({
          config: file.config,
          clusterFilePath: file.path,
          session: options.session,
          log: nullLogger,
          concurrency: 1,
          eectlVersion: '0.0.0',
          keys: { env: {}, interactive: false, ask: () => Promise.reject(new Error('asked')) },
          confirmOutage: () => Promise.resolve(true),
        }),
        confirm: () => Promise.reject(new Error('a dry run asked to confirm')),
      });

    const error = await failure(dryRun(false));
    expect(error?.code).toBe('EUPGRADE_NO_BACKUP_KEY');
    expect(error?.exitCode).toBe(ExitCode.usage);
    // Only the package lists were read again, as the real run would before refusing.
    expect(cluster.hostWork(since).every((l) => / apt-get -o DPkg::Lock::Timeout=300 update/.test(l))).toBe(
      true,
    );

    const r = await dryRun(true);
    expect(r.plan.hosts.filter((h) => h.changes)).toHaveLength(4);
    expect(r.plan.drainTimeoutSeconds).toBe(300);
    expect(renderUpgradeSummary(r)).toContain('Estimate: no earlier turn measured');
  });
});
