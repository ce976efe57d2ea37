import { Flags } from '@oclif/core';
import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { identityList } from '../../lib/actions/identity.js';
import type { IdentityListResult } from '../../lib/results/identity.js';
import { renderIdentityUsers } from '../../lib/ui/identity-render.js';

export default class IdentityLs extends BaseCommand<typeof IdentityLs> {
  static override summary = 'List the users and teams in force on the managers, and where each comes from';
  static override description = `Reads the access policy of the first manager that answers: its users with their source (file: spec.access.users; ldap: the directory at the last identity sync or install), admin and teams, the teams with their directory group, and when the directory was last read. Read-only: it takes no lock.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --host 10.0.0.11 --json',
  ];
  static override flags = {
    host: Flags.string({ description: 'Read this manager’s policy (default: the first that answers)' }),
    ...hostFlags,
  };

  async run(): Promise<IdentityListResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await identityList({ config, session, log: this.log_, host: this.flags.host });
      if (!this.jsonEnabled()) {
        for (const line of renderIdentityUsers(result.users)) this.log(line);
        this.log('');
        for (const t of result.teams)
          this.log(`team ${t.name}${t.ldapGroup ? ` (${t.ldapGroup})` : ''}: ${t.members.join(', ') || '-'}`);
        this.log(
          result.directory
            ? `Directory ${result.directory.url}, last read ${result.directory.syncedAt ?? 'never'} (policy of ${result.host}).`
            : `No directory (policy of ${result.host}).`,
        );
      }
      return result;
    });
  }
}
