import { Args, Flags } from '@oclif/core';
import { readArchive, type ArchiveCheck } from '../../lib/backup/archive-reader.js';
import { decryptionKeys, PASSPHRASE_ENV } from '../../lib/backup/keys.js';
import { BaseCommand, EXIT_CODES_HELP } from '../../lib/base-command.js';
import { askSecret } from '../../lib/ui/prompts.js';
import { renderManifest } from '../../lib/ui/backup-summary.js';

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static override summary = 'Decrypt an archive, check every checksum, and print its manifest';
  static override description = `Reads the whole archive without writing anything: age authenticates every chunk and the end of the file, and every entry's SHA-256 is compared with the manifest. A wrong passphrase or identity, a truncated archive or a changed byte exits 2 with the reason. Needs no cluster file and no host.

The key: --identity FILE (an age identity file, as age-keygen writes it) for archives made for recipients, else the passphrase in ${PASSPHRASE_ENV} (or asked on a terminal).

${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ~/.eectl/prod/backups/prod-backup-20260101T020000Z.tar.age --identity key.txt',
    `${PASSPHRASE_ENV}=… <%= config.bin %> <%= command.id %> prod.tar.age --json`,
  ];
  static override args = { file: Args.string({ description: 'The archive', required: true }) };
  static override flags = {
    identity: Flags.string({ description: 'age identity file (for archives made with --recipient)' }),
  };

  async run(): Promise<ArchiveCheck & { archive: string }> {
    const keys = await decryptionKeys(this.flags.identity, {
      env: process.env,
      interactive: this.interactive,
      ask: askSecret,
    });
    const check = await readArchive(this.args.file, keys);
    if (!this.jsonEnabled()) this.log(renderManifest(this.args.file, check));
    return { archive: this.args.file, ...check };
  }
}
