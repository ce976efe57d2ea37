import { Args, Flags } from '@oclif/core';
import { restore, type RestoreResult } from '../lib/actions/restore.js';
import { parseManagerMaps } from '../lib/backup/address-map.js';
import { readArchive } from '../lib/backup/archive-reader.js';
import { decryptionKeys, PASSPHRASE_ENV } from '../lib/backup/keys.js';
import { BaseCommand, changeFlags, EXIT_CODES_HELP, hostFlags } from '../lib/base-command.js';
import { UNLOCK_KEY_ENTRY } from '../lib/phases/backup-write.js';
import { addSecret } from '../lib/ui/redact.js';
import { askSecret } from '../lib/ui/prompts.js';
import { renderRestoreSummary } from '../lib/ui/restore-summary.js';

export default class Restore extends BaseCommand<typeof Restore> {
  static override summary = 'Restore the cluster from a backup archive, onto the same hosts or fresh ones';
  static override description = `First reads the whole archive and checks every checksum (a wrong key or a damaged archive exits 2 before any host is touched). Then, as install does: connects, gathers facts, runs the preflight checks, and installs the engines; puts the CA, the API certificates and the registry's files back on the manager that gets the swarm state (the one --map names for the source's address, else the manager at the address the state was copied from, else the first manager of the file), starts the swarm there with --force-new-cluster, removes the old cluster's other nodes; at a new address, hands the restored manager's Raft identity off (another host of the file joins as a manager, the restored one is demoted and joins again at its new address), joins the other managers one at a time and the workers, deploys the registry, waits until every service runs at its replica count, and compares services, secrets, configs and networks with the manifest (exit 4 with what differs).

The plan (--dry-run) shows which old manager goes where. When services end up unevenly spread over the nodes (they start on the nodes that joined first), it ends with a hint to run \`eectl rebalance\`.

Refuses to run over a swarm — the backed-up one still running, or another — unless --force, saying what it would replace (with --force it asks, or --yes).

The key: --identity FILE for archives made for recipients, else the passphrase in ${PASSPHRASE_ENV}.

${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> prod-backup-20260101T020000Z.tar.age --identity key.txt -c prod.yaml',
    `${PASSPHRASE_ENV}=… <%= config.bin %> <%= command.id %> prod.tar.age --dry-run`,
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt --force --yes --json',
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt -c dr-site.yaml --dry-run',
    '<%= config.bin %> <%= command.id %> prod.tar.age --identity key.txt -c dr-site.yaml --map 10.0.1.11=10.8.0.21',
  ];
  static override args = { file: Args.string({ description: 'The archive', required: true }) };
  static override flags = {
    identity: Flags.string({ description: 'age identity file (for archives made with --recipient)' }),
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
    const keys = await decryptionKeys(this.flags.identity, {
      env: process.env,
      interactive: this.interactive,
      ask: askSecret,
    });
    let unlockKey: string | undefined;
    const check = await readArchive(this.args.file, keys, async ({ name, stream }) => {
      if (name !== UNLOCK_KEY_ENTRY) return void stream.resume();
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      unlockKey = Buffer.concat(chunks).toString('utf8').trim();
      addSecret(unlockKey);
    });
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
