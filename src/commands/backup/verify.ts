import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { decryptionKeys, PASSPHRASE_ENV } from '../../lib/backup/keys.js';
import { requireTrust } from '../../lib/backup/signature.js';
import { trustFlags, trustPolicy } from '../../lib/backup/trust-flags.js';
import { readTrustedArchive, type TrustedArchive } from '../../lib/backup/trusted-archive.js';
import { BaseCommand } from '../../lib/base-command.js';
import { askSecret } from '../../lib/util/prompts.js';
import { renderManifest } from '../../lib/ui/backup-summary.js';

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static override summary =
    'Decrypt an archive, check every checksum and its signature, and print its manifest';
  static override description = `Reads the whole archive without writing anything: age authenticates every chunk and the end of the file, every entry's SHA-256 is compared with the manifest, and the manifest's signature (made with the cluster CA's key by \`eectl backup\`) is checked against a CA certificate you hold. A wrong passphrase or identity, a truncated archive, a changed byte, an unsigned archive or one signed by another CA exits 2 with the reason. Needs no host.

Who wrote it: age encrypts to a public key, so anyone with the recipient's public key can write an archive that decrypts. The signature is checked against the cluster's CA certificate on this machine (~/.eectl/<cluster>/pki/ca.pem, or controlPlane.ca) for the cluster file of -c when it exists, or against --trust FILE (ca.pem of a client bundle) — never against the CA copy inside the archive. --accept-unsigned reads an unsigned or unverifiable archive with a warning.

The key: --identity FILE (an age identity file, as age-keygen writes it) for archives made for recipients, else the passphrase in ${PASSPHRASE_ENV} (or asked on a terminal).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> ~/.eectl/prod/backups/prod-backup-20260101T020000Z.tar.age --identity key.txt -c prod.yaml',
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt --trust bundle/ca.pem',
    `${PASSPHRASE_ENV}=… <%= config.bin %> <%= command.id %> prod.tar.age -c prod.yaml --json`,
  ];
  static override args = { file: Args.string({ description: 'The archive', required: true }) };
  static override flags = {
    identity: Flags.string({ description: 'age identity file (for archives made with --recipient)' }),
    ...trustFlags,
  };

  async run(): Promise<TrustedArchive & { archive: string }> {
    // --trust, else the CA of the cluster file (-c) on this machine, when that file exists.
    const policy = await trustPolicy({
      trust: this.flags.trust,
      acceptUnsigned: this.flags['accept-unsigned'] === true,
      cluster:
        this.flags.trust === undefined && existsSync(this.flags.config)
          ? (await this.loadCluster()).config
          : undefined,
      noCluster: `no --trust, and no cluster file (${this.flags.config} does not exist) whose CA this machine holds`,
    });
    // Before a passphrase is asked for: with nothing to check the signature against, stop here.
    requireTrust(this.args.file, policy);
    const keys = await decryptionKeys(this.flags.identity, {
      env: process.env,
      interactive: this.interactive,
      ask: askSecret,
    });
    const check = await readTrustedArchive(this.args.file, keys, policy, this.log_);
    if (!this.jsonEnabled()) this.log(renderManifest(this.args.file, check));
    return { archive: this.args.file, ...check };
  }
}
