import { BaseCommand, changeFlags, hostFlags } from '../lib/base-command.js';
import { install, type InstallResult } from '../lib/actions/install.js';
import { renderInstallSummary } from '../lib/ui/install-summary.js';

export default class Install extends BaseCommand<typeof Install> {
  static override aliases = ['apply'];
  static override summary = 'Converge the hosts to the cluster file: engines, then a highly available swarm';
  static override description =
    'Connects to every host, gathers facts, runs preflight checks on all hosts before changing any ' +
    '(exit 3 when one fails), installs the pinned engine, forms the swarm and waits until every node is ' +
    'Ready. Idempotent: on a converged cluster it changes nothing and says so. Interrupted or failed ' +
    'runs (exit 4) are converged by running it again. ' +
    "The file's spec.hooks.install run on the hosts after the checks and before the first change (one failing: " +
    "exit 3, nothing changed), after the last change when the run succeeded, and around each host's turn when " +
    'engines restart one at a time; --dry-run lists them without running them.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --dry-run',
    '<%= config.bin %> <%= command.id %> --accept-new-host-keys --json',
  ];
  static override flags = { ...hostFlags, ...changeFlags };

  async run(): Promise<InstallResult> {
    const { config } = await this.loadCluster({ showWarnings: true });
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await install(this.actionOptions(config, session, this.flags));
      if (!this.jsonEnabled()) this.log(renderInstallSummary(result));
      return result;
    });
  }
}
