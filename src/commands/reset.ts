import { BaseCommand, changeFlags, hostFlags } from '../lib/base-command.js';
import { reset, resetWarning } from '../lib/actions/reset.js';
import type { ResetResult } from '../lib/results/install.js';
import { renderResetSummary } from '../lib/ui/reset-summary.js';

export default class Reset extends BaseCommand<typeof Reset> {
  static override summary = 'Tear the cluster down: the hosts go back to how they were before install';
  static override description =
    'Asks first (--yes to skip; without a terminal --yes is required). Workers leave the swarm, then the ' +
    'managers one at a time (with --force: the cluster is destroyed, so quorum is not protected); then on ' +
    'every host in parallel the engine is stopped and its packages purged with what they pulled in, and ' +
    "the engine's data, bridges, firewall chains and group are removed, with eectl's package source and " +
    'its files in /etc/eectl and /var/lib/eectl. Hosts that cannot be reached are reported (exit 4) after ' +
    'the others are reset; run it again for them. On clean hosts it changes nothing and says so. ' +
    "The file's spec.hooks.reset run before the first removal and after the last (only when every host was reset).";
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> -c prod.yaml',
    '<%= config.bin %> <%= command.id %> --yes --json',
  ];
  static override flags = { ...hostFlags, ...changeFlags };

  async run(): Promise<ResetResult> {
    const { config } = await this.loadCluster();
    if (!this.flags['dry-run']) {
      await this.confirmOrStop(resetWarning(config), this.flags.yes, {
        message: `reset destroys cluster ${config.metadata.name} and asks first; there is no terminal to ask on`,
        suggestions: ['Pass --yes to reset without asking, or --dry-run to see what would be removed.'],
      });
    }
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await reset(this.actionOptions(config, session, this.flags));
      if (!this.jsonEnabled()) this.log(renderResetSummary(result));
      return result;
    });
  }
}
