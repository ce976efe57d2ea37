import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encryptionKeys, PASSPHRASE_ENV, type EncryptionKeys, type KeySources } from '../backup/keys.js';
import { archivePath } from '../backup/paths.js';
import type { ClusterConfig, HostSpec } from '../config/schema.js';
import { EectlError, toEectlError, UsageError } from '../errors.js';
import type { Session } from '../cluster/session.js';
import type { Logger } from '../util/log.js';
import { backup } from './backup.js';
import type { UpgradeBackup } from '../phases/upgrade.js';

/** What the upgrade's backup is built from: the file's backup settings and the command's run. */
export interface UpgradeBackupOptions {
  config: ClusterConfig;
  /** The cluster file, put into the archive. */
  clusterFilePath: string;
  session: Session;
  log: Logger;
  concurrency: number;
  eectlVersion: string;
  keys: KeySources;
  /** Asks before a one-manager outage during the copy (the command: prompt, --yes, or refuse). */
  confirmOutage: (question: string) => Promise<boolean>;
  /** The upgrade's --exclude: the backup does not contact these hosts either. */
  exclude?: readonly HostSpec[];
  now?: Date;
}

/**
 * `eectl upgrade`'s backup first: an `eectl backup` to the default folder (~/.eectl/<cluster>/backups/),
 * encrypted to the file's backup.recipients, else with the passphrase in EECTL_BACKUP_PASSPHRASE (or asked
 * on a terminal). Without a key the upgrade is refused before any change, naming --no-backup.
 */
export function upgradeBackup(options: UpgradeBackupOptions): UpgradeBackup {
  const archive = archivePath(options.config.metadata.name, undefined, options.now ?? new Date());
  let keys: EncryptionKeys | undefined;
  return {
    archive,
    async check() {
      try {
        keys ??= await encryptionKeys(options.config.spec.backup.recipients, options.keys);
      } catch (error) {
        throw noBackupKey(toEectlError(error));
      }
    },
    async checkWithoutAsking() {
      const { env, interactive } = options.keys;
      // Recipients, the passphrase in the environment, or a terminal to ask on: the real run has a key.
      if (options.config.spec.backup.recipients.length > 0 || env[PASSPHRASE_ENV] || interactive) return;
      await this.check();
    },
    async take(lock) {
      if (!keys) await this.check();
      await mkdir(dirname(archive), { recursive: true, mode: 0o700 });
      const result = await backup({
        config: options.config,
        session: options.session,
        log: options.log,
        dryRun: false,
        concurrency: options.concurrency,
        progress: 'silent',
        lock,
        ...(options.exclude && { exclude: options.exclude }),
        request: {
          out: archive,
          keys: keys!,
          includeRegistryData: false,
          clusterFile: await readFile(options.clusterFilePath),
          eectlVersion: options.eectlVersion,
          confirmOutage: options.confirmOutage,
        },
      });
      options.log.info(`backup taken before the upgrade: ${result.archive}`);
      return result.archive;
    },
  };
}

function noBackupKey(cause: EectlError): EectlError {
  if (cause.code !== 'EBACKUP_NO_KEY') return cause;
  return new UsageError(
    `upgrade takes an encrypted backup first, and there is no key for it: no backup.recipients in the file and no ${PASSPHRASE_ENV}; nothing was changed`,
    {
      code: 'EUPGRADE_NO_BACKUP_KEY',
      suggestions: [
        `Set ${PASSPHRASE_ENV}, or add age public keys to backup.recipients in the file.`,
        'Or upgrade without a backup: --no-backup (not recommended: take one with eectl backup first).',
      ],
    },
  );
}
