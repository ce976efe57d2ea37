import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Flags } from '@oclif/core';
import { backup } from '../../lib/actions/backup.js';
import type { BackupResult } from '../../lib/results/backup.js';
import { checkRecipients, encryptionKeys, PASSPHRASE_ENV } from '../../lib/backup/keys.js';
import { archivePath } from '../../lib/backup/paths.js';
import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { askSecret } from '../../lib/util/prompts.js';
import { renderBackupSummary } from '../../lib/ui/backup-summary.js';

export default class Backup extends BaseCommand<typeof Backup> {
  static override summary = 'Back the cluster up into one age-encrypted tar archive';
  static override description = `Copies the swarm state (Raft log, snapshots, certificates) from a manager that is not the leader, with its engine stopped only for the copy and only while the other managers keep a majority, as one turn of the rolling path of upgrades: quorum checked, the node drained first (its tasks run elsewhere during the copy), engine stopped, copied, started again (unlocked when autolocked), waited on until the manager is Ready and Reachable, the node active again. With one manager that is a short outage of the swarm's management: said, and confirmed (--yes). Also in the archive: the cluster CA and the engine API certificates, the registry's configuration, users and TLS files (/etc/eectl), the cluster file, the autolock key when the swarm is autolocked, the registry's storage with --include-registry-data (streamed), and manifest.json: eectl version, swarm ID, nodes, services, secrets, configs and networks by name and ID, and a SHA-256 per entry.

Encrypted with age to --recipient keys or backup.recipients of the file (no secret needed to write one), else with the passphrase in ${PASSPHRASE_ENV} (or asked on a terminal). The plaintext is an ordinary tar: \`age -d -i key.txt FILE | tar -x\` opens it without eectl. Written to a temporary file and renamed (0600); --keep N then removes this cluster's oldest archives in that folder.

The file's spec.hooks.backup run on the hosts after the plan and before the engine stops (before), around the copy's turn (beforeTurn, afterTurn), and once the archive is written (after); --dry-run lists them.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    `${PASSPHRASE_ENV}=… <%= config.bin %> <%= command.id %> --out /var/backups/eectl/ --keep 7 --yes`,
    '<%= config.bin %> <%= command.id %> --include-registry-data --out prod.tar.age',
    '<%= config.bin %> <%= command.id %> --dry-run',
  ];
  static override flags = {
    out: Flags.string({
      description:
        'Archive file, or a folder (trailing /) for a time-stamped name; default ~/.eectl/<cluster>/backups/',
    }),
    keep: Flags.integer({
      description: "Keep this many of the cluster's archives in that folder (oldest removed)",
      min: 1,
    }),
    'include-registry-data': Flags.boolean({
      description: "Also copy the registry's storage (image layers)",
    }),
    recipient: Flags.string({ description: 'age public key to encrypt to (repeatable)', multiple: true }),
    ...hostFlags,
    ...changeFlags,
  };

  async run(): Promise<BackupResult> {
    const { config, path } = await this.loadCluster();
    const recipients = checkRecipients(
      [...(this.flags.recipient ?? []), ...config.spec.backup.recipients],
      '--recipient',
    );
    const out = archivePath(config.metadata.name, this.flags.out, new Date());
    const dryRun = this.flags['dry-run'] === true;
    const keys = dryRun
      ? { recipients: ['dry-run'] }
      : await encryptionKeys(recipients, { env: process.env, interactive: this.interactive, ask: askSecret });
    if (!dryRun) await mkdir(dirname(out), { recursive: true, mode: 0o700 });
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await backup({
        ...this.actionOptions(config, session, { 'dry-run': dryRun, concurrency: this.flags.concurrency }),
        request: {
          out,
          keys,
          includeRegistryData: this.flags['include-registry-data'] === true,
          ...(this.flags.keep === undefined ? {} : { keep: this.flags.keep }),
          clusterFile: await readFile(path),
          eectlVersion: this.config.version,
          confirmOutage: (question) => this.confirmOutage(question),
        },
      });
      if (!this.jsonEnabled()) this.log(renderBackupSummary(result));
      return result;
    });
  }

  private async confirmOutage(question: string): Promise<boolean> {
    await this.confirmOrStop(question, this.flags.yes, {
      message: `${question.replace(/ Go on\?$/, '')} Without a terminal, --yes is needed`,
      suggestions: [
        'Pass --yes to accept the short outage, or add managers (three keep a majority during the copy).',
      ],
    });
    return true;
  }
}
