import { Args, Flags } from '@oclif/core';
import { restore } from '../lib/actions/restore.js';
import type { RestoreResult } from '../lib/results/backup.js';
import { parseManagerMaps } from '../lib/backup/address-map.js';
import { decryptionKeys, PASSPHRASE_ENV } from '../lib/backup/keys.js';
import { requireTrust } from '../lib/backup/signature.js';
import { trustFlags, trustPolicy } from '../lib/backup/trust-flags.js';
import { readTrustedArchive } from '../lib/backup/trusted-archive.js';
import { BaseCommand, changeFlags, hostFlags } from '../lib/base-command.js';
import { UNLOCK_KEY_ENTRY } from '../lib/phases/backup-write.js';
import { addSecret } from '../lib/util/redact.js';
import { askSecret } from '../lib/util/prompts.js';
import { renderRestoreSummary } from '../lib/ui/restore-summary.js';

export default class Restore extends BaseCommand<typeof Restore> {
  static override summary = 'Restore the cluster from a backup archive, onto the same hosts or fresh ones';
  static override description = `First reads the whole archive, checks every checksum and the manifest's signature (a wrong key, a damaged archive, or one not signed by the trusted CA exits 2 before any host is touched). Then, as install does: connects, gathers facts, runs the preflight checks, and installs the engines; puts the CA, the API certificates and the registry's files back on the manager that gets the swarm state (the one --map names for the source's address, else the manager at the address the state was copied from, else the first manager of the file), starts the swarm there with --force-new-cluster, removes the old cluster's other nodes; at a new address, hands the restored manager's Raft identity off (another host of the file joins as a manager, the restored one is demoted and joins again at its new address), joins the other managers one at a time and the workers, deploys the registry, waits until every service runs at its replica count, and compares services, secrets, configs and networks with the manifest (exit 4 with what differs).

The plan (--dry-run) shows which old manager goes where. When services end up unevenly spread over the nodes (they start on the nodes that joined first), it ends with a hint to run \`eectl rebalance\`.

Refuses to run over a swarm — the backed-up one still running, or another — unless --force, saying what it would replace (with --force it asks, or --yes).

The key: --identity FILE for archives made for recipients, else the passphrase in ${PASSPHRASE_ENV}.

Who wrote it: the manifest's signature is checked against the CA certificate this machine holds for the cluster of the file (~/.eectl/<cluster>/pki/ca.pem, or controlPlane.ca), or against --trust FILE — never against the CA copy inside the archive. Restoring onto a new cluster file (another site, a lost one's backup), this machine has no CA for it yet: pass --trust with the old cluster's ca.pem (from a client bundle issued before the backup), or --accept-unsigned to restore without knowing who wrote the archive (a warning).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> prod-backup-20260101T020000Z.tar.age --identity key.txt -c prod.yaml',
    `${PASSPHRASE_ENV}=… <%= config.bin %> <%= command.id %> prod.tar.age --dry-run`,
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt --force --yes --json',
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt -c dr-site.yaml --trust bundle/ca.pem --dry-run',
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt -c dr-site.yaml --trust bundle/ca.pem --map 10.0.1.11=10.8.0.21',
  ];
  static override args = { file: Args.string({ description: 'The archive', required: true }) };
  static override flags = {
    identity: Flags.string({ description: 'age identity file (for archives made with --recipient)' }),
    ...trustFlags,
    force: Flags.boolean({ description: 'Replace a swarm that runs on the hosts (asks first, or --yes)' }),
    map: Flags.string({
      description:
        'OLD=NEW: the manager of the file (name or address) that takes the place of the old manager at OLD (repeatable)',
      multiple: true,
    }),
    ...hostFlags,
    ...changeFlags,
  };

  async run(): Promise<RestoreResult> {
    const maps = parseManagerMaps(this.flags.map ?? []);
    const { config } = await this.loadCluster({ showWarnings: true });
    const trust = await trustPolicy({
      trust: this.flags.trust,
      acceptUnsigned: this.flags['accept-unsigned'] === true,
      cluster: config,
    });
    const policy = trust.anchor
      ? trust
      : {
          ...trust,
          noAnchor: `${trust.noAnchor}: a restore onto a new cluster file (disaster recovery), or from a machine that never installed this cluster, has no CA of its own to check the archive against`,
        };
    // Before a passphrase is asked for: with nothing to check the signature against, stop here.
    requireTrust(this.args.file, policy);
    const keys = await decryptionKeys(this.flags.identity, {
      env: process.env,
      interactive: this.interactive,
      ask: askSecret,
    });
    let unlockKey: string | undefined;
    // Before any host is reached: the archive read whole, its checksums and its signature checked.
    const check = await readTrustedArchive(
      this.args.file,
      keys,
      policy,
      this.log_,
      async ({ name, stream }) => {
        if (name !== UNLOCK_KEY_ENTRY) return void stream.resume();
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        unlockKey = Buffer.concat(chunks).toString('utf8').trim();
        addSecret(unlockKey);
      },
    );
    if (check.manifest.cluster !== config.metadata.name) {
      this.log_.warn(
        `the archive is of cluster ${check.manifest.cluster}; restoring it as ${config.metadata.name}`,
      );
    }
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await restore({
        ...this.actionOptions(config, session, this.flags),
        request: {
          archive: this.args.file,
          keys,
          manifest: check.manifest,
          signature: check.signature,
          ...(unlockKey ? { unlockKey } : {}),
          force: this.flags.force === true,
          maps,
          confirmReplace: (message) => this.confirmReplace(message),
        },
      });
      if (!this.jsonEnabled()) this.log(renderRestoreSummary(result, this.flags.config));
      return result;
    });
  }

  private async confirmReplace(message: string): Promise<boolean> {
    await this.confirmOrStop(message, this.flags.yes, {
      message: `${message.replace(/\nReplace it\?$/, '')}\nWithout a terminal, --yes is needed`,
      suggestions: ['Pass --force --yes to replace it.'],
    });
    return true;
  }
}
