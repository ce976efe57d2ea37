import { BaseCommand, changeFlags, hostFlags } from '../lib/base-command.js';
import { install } from '../lib/actions/install.js';
import type { InstallResult } from '../lib/results/install.js';
import { renderInstallSummary } from '../lib/ui/install-summary.js';
import { excludeFlag, hostSelection } from '../lib/cli/host-selection-flags.js';

export default class Install extends BaseCommand<typeof Install> {
  static override aliases = ['apply'];
  static override summary = 'Converge the hosts to the cluster file: engines, then a highly available swarm';
  static override description =
    'Connects to every host, gathers facts, runs preflight checks on all hosts before changing any ' +
    '(exit 3 when one fails), installs the pinned engine, forms the swarm and waits until every node is ' +
    'Ready. Uploads the files of spec.files and hosts[].files after the engine packages, by checksum; ' +
    'one that restarts the engine of a serving host is written in its rolling turn. ' +
    'Idempotent: on a converged cluster it changes nothing and says so. Interrupted or failed ' +
    'runs (exit 4) are converged by running it again. A host that cannot be reached stops it before any ' +
    'change (exit 3); --exclude HOST converges the others and leaves that host as it is, not contacted ' +
    '(managers only while the others keep the quorum; its certificates and registry files are not checked). ' +
    'Run it again without --exclude once the host is back. ' +
    "The file's spec.hooks.install run on the hosts after the checks and before the first change (one failing: " +
    "exit 3, nothing changed), after the last change when the run succeeded, and around each host's turn when " +
    'engines restart one at a time; --dry-run lists them without running them.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --dry-run',
    '<%= config.bin %> <%= command.id %> --dry-run --json   # which files would change on which hosts, and the restarts',
    '<%= config.bin %> <%= command.id %> --accept-new-host-keys --json',
    '<%= config.bin %> <%= command.id %> --exclude 10.0.0.22 --dry-run',
  ];
  static override flags = { ...hostFlags, ...changeFlags, ...excludeFlag };

  async run(): Promise<InstallResult> {
    const { config } = await this.loadCluster({ showWarnings: true });
    const { excluded } = hostSelection(config, { exclude: this.flags.exclude });
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await install({ ...this.actionOptions(config, session, this.flags), exclude: excluded });
      if (!this.jsonEnabled()) this.log(renderInstallSummary(result));
      return result;
    });
  }
}
