import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { identitySync } from '../../lib/actions/identity.js';
import type { IdentitySyncResult } from '../../lib/results/identity.js';
import { renderIdentityDiff } from '../../lib/ui/identity-render.js';

export default class IdentitySync extends BaseCommand<typeof IdentitySync> {
  static override summary = 'Read the directory and push the users and teams it gives to the managers';
  static override description = `Reads spec.identity.ldap from here (the bind password from the environment variable its bindPasswordEnv names), maps its groups to the teams of spec.access (ldapGroup), and writes the resulting access policy on every manager, where the authorization plugin reloads it within a second. Directory users in no mapped group get nothing; one who left every mapped group, or the directory, is revoked: the certificates of the name issued before now are refused, and so are registry logins. Shows users and memberships added and removed; --dry-run shows them and changes nothing. Takes the cluster lock. A directory that cannot be read changes nothing.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --log-level info',
    '<%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = { ...hostFlags, 'dry-run': changeFlags['dry-run'] };

  async run(): Promise<IdentitySyncResult> {
    const { config } = await this.loadCluster({ showWarnings: true });
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await identitySync(this.actionOptions(config, session, this.flags));
      if (!this.jsonEnabled()) {
        for (const line of renderIdentityDiff(result.diff)) this.log(line);
        const users = `${result.directory.users} directory users read in ${result.directory.roundTrips} round trips`;
        this.log(
          result.dryRun
            ? `Dry run: ${users}; the policy would be written on ${result.managers.join(', ')}.`
            : `${users}; policy written on ${result.managers.join(', ')}.`,
        );
      }
      return result;
    });
  }
}
