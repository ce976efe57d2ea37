import { describe, expect, it } from 'vitest';
import { upgradeBackup } from '../../../src/lib/actions/upgrade-backup.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { nullLogger } from '../../../src/lib/ui/log.js';

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
