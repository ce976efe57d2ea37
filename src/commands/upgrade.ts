import { Flags } from '@oclif/core';
import { upgrade } from '../lib/actions/upgrade.js';
import type { UpgradePlan, UpgradeResult, UpgradeListResult } from '../lib/results/upgrade.js';
import { BaseCommand, changeFlags, hostFlags } from '../lib/base-command.js';
import { ClusterFile } from '../lib/config/cluster-file.js';
import { askSecret, confirmAction } from '../lib/util/prompts.js';
import { upgradeBackup } from '../lib/actions/upgrade-backup.js';
import { renderUpgradeList, renderUpgradePlan, renderUpgradeSummary } from '../lib/ui/upgrade-summary.js';
import { listUpgradeVersions } from '../lib/actions/upgrade-list.js';
import { excludeFlag, hostSelection, hostsFlag } from '../lib/cli/host-selection-flags.js';

export default class Upgrade extends BaseCommand<typeof Upgrade> {
  static override summary =
    'Upgrade the engines one host at a time, keeping the quorum and the services running';
  static override description =
    'Shows the plan first (hosts in order, from → to, batch size), then asks (--yes without a terminal). ' +
    'Downloads the new packages on every host at once, then gives each host its turn: managers one at a ' +
    'time with the leader last and only while the quorum can spare one, then workers in batches ' +
    '(--max-unavailable), then registry nodes one at a time. A turn drains the node when it runs tasks and ' +
    'waits until they run elsewhere, installs from the local cache, restarts the engine, checks the version ' +
    'the daemon reports, waits until the node is Ready (and Reachable), and makes it active again. It stops ' +
    'at the first host that fails and says where; run it again to resume (hosts already upgraded are left ' +
    'alone). A downgrade is refused (exit 3, nothing changed). With --to, engine.version in the file is set ' +
    "first, comments and layout kept. Before the first change it takes an encrypted backup (as `eectl backup` does, to ~/.eectl/<cluster>/backups/) under its own lock; without backup.recipients in the file or EECTL_BACKUP_PASSPHRASE it refuses before any change, unless --no-backup. --dry-run refuses without a backup key as the real run would; reading the package lists is the only thing it does on hosts, and its plan ends with an estimate from the last measured turn of each host. --hosts A,B upgrades only those hosts and --exclude C leaves hosts out (not contacted; managers only while the others keep the quorum); both together: the named hosts minus the excluded. The plan and the result name the hosts left on their version; a swarm of mixed engine versions works meanwhile (status warns, it does not call it broken). The drains leave tasks crowded on the nodes upgraded last: when services are unevenly spread at the end, it says so, with a hint to run `eectl rebalance`. The file's spec.hooks.upgrade run before the first change and after the last when it upgrades a host, and around each host's turn (beforeTurn before the drain, afterTurn once the node is active again); --dry-run lists them.";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --list',
    '<%= config.bin %> <%= command.id %> --to 26.1 --dry-run',
    '<%= config.bin %> <%= command.id %> --to 26.1 --yes',
    '<%= config.bin %> <%= command.id %> --max-unavailable 3 --yes --json',
    '<%= config.bin %> <%= command.id %> --to 26.1 --hosts 10.0.0.21,10.0.0.22 --dry-run',
    '<%= config.bin %> <%= command.id %> --exclude 10.0.0.23 --yes',
    'EECTL_BACKUP_PASSPHRASE=… <%= config.bin %> <%= command.id %> --to 26.1 --yes',
    '<%= config.bin %> <%= command.id %> --no-backup --yes',
  ];
  static override flags = {
    ...hostFlags,
    ...changeFlags,
    ...hostsFlag,
    ...excludeFlag,
    to: Flags.string({
      description:
        'Engine version to move to (a prefix such as 26.1, or an exact package version); written to the file',
    }),
    'max-unavailable': Flags.integer({
      description: 'Workers upgraded at once (default: 10% of the workers, at least 1)',
      min: 1,
    }),
    'drain-timeout': Flags.integer({
      description: "Seconds to wait until a drained node's tasks run elsewhere",
      default: 300,
      min: 1,
    }),
    backup: Flags.boolean({
      description:
        "Take an encrypted backup before the first change (to ~/.eectl/<cluster>/backups/, for the file's backup.recipients or with EECTL_BACKUP_PASSPHRASE); --no-backup skips it, with a warning",
      allowNo: true,
      default: true,
    }),
    'skip-backup': Flags.boolean({ description: 'The same as --no-backup', hidden: true, default: false }),
    list: Flags.boolean({
      description:
        "Only list the engine versions each host's package source offers (newest first), marking the installed and the pinned (engine.version) one; changes nothing but package lists",
      default: false,
      exclusive: ['to', 'max-unavailable', 'yes', 'dry-run', 'hosts', 'exclude'],
    }),
  };

  async run(): Promise<UpgradeResult | UpgradeListResult> {
    const { config, path } = await this.loadCluster({ showWarnings: true });
    if (this.flags.list) {
      return this.withSession(config.metadata.name, this.flags, async (session) => {
        const result = await listUpgradeVersions(this.actionOptions(config, session, this.flags));
        if (!this.jsonEnabled()) this.log(renderUpgradeList(result));
        return result;
      });
    }
    const selection = hostSelection(config, { hosts: this.flags.hosts, exclude: this.flags.exclude });
    const file = await ClusterFile.read(path);
    const skipBackup = !this.flags.backup || this.flags['skip-backup'];
    if (skipBackup && !this.flags['dry-run']) {
      this.log_.warn('--no-backup: upgrading without a backup first; take one with eectl backup if unsure');
    }
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await upgrade({
        ...this.actionOptions(config, session, this.flags),
        exclude: selection.excluded,
        notSelected: selection.notSelected,
        file,
        skipBackup,
        ...(!skipBackup && {
          backup: upgradeBackup({
            config,
            clusterFilePath: path,
            session,
            log: this.log_,
            concurrency: this.flags.concurrency,
            eectlVersion: this.config.version,
            keys: { env: process.env, interactive: this.interactive, ask: askSecret },
            confirmOutage: (question) => this.confirmOutage(question),
            exclude: selection.excluded,
          }),
        }),
        drainTimeoutMs: this.flags['drain-timeout'] * 1000,
        ...(this.flags.to !== undefined && { to: this.flags.to }),
        ...(this.flags['max-unavailable'] !== undefined && { maxUnavailable: this.flags['max-unavailable'] }),
        confirm: (plan) => this.confirmPlan(plan),
      });
      if (!this.jsonEnabled()) this.log(renderUpgradeSummary(result));
      return result;
    });
  }

  private async confirmOutage(question: string): Promise<boolean> {
    if (this.flags.yes || !this.interactive) return this.flags.yes;
    return confirmAction(question);
  }

  private async confirmPlan(plan: UpgradePlan): Promise<void> {
    if (!plan.hosts.some((h) => h.changes)) return;
    if (!this.jsonEnabled()) process.stderr.write(`${renderUpgradePlan(plan)}\n`);
    await this.confirmOrStop('Upgrade the engines as planned?', this.flags.yes, {
      message: 'Upgrade the engines as planned? Without a terminal, confirm with --yes',
      suggestions: [`${this.config.bin} upgrade ${this.argv.join(' ')} --yes`],
    });
  }
}
