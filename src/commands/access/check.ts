import { Flags } from '@oclif/core';
import { accessCheck, refusedError, registryScopeCheck } from '../../lib/actions/access.js';
import type { AccessCheckResult, RegistryCheckResult } from '../../lib/results/access.js';
import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { UsageError } from '../../lib/errors.js';

export default class AccessCheck extends BaseCommand<typeof AccessCheck> {
  static override summary =
    "The managers' access decision for one engine API request of a user, or for registry scopes";
  static override description = `Runs the authorization plugin's own code on a manager, with that manager's policy file and its engine for the resources the request names, so the answer is the one the plugin gives to a bundle of --user (a bundle issued now). The body (--body FILE, JSON as the docker CLI sends it) goes over SSH on stdin.

With --registry-scope (token authentication, registry.auth.token) it asks the registry's token service code on a manager instead: what a token of --user would hold for each scope (TYPE:NAME:ACTIONS, as docker asks, e.g. repository:web/app:pull,push), and why.

Exits 0 when the request would be allowed and 1 when it would be refused (the reason is printed; --json: the decision in result, and error EACCESS_DENIED).

Without spec.access and images.policy.requireSigned in the file, access control is off: every request is allowed, exit 0, with that reason, and no manager is asked (--json: "host" is empty).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --user dev --method GET --path /v1.41/services',
    '<%= config.bin %> <%= command.id %> --user dev --method POST --path /v1.41/services/create --body spec.json',
    '<%= config.bin %> <%= command.id %> --user ops --method POST --path /v1.41/nodes/w1/update --json',
    '<%= config.bin %> <%= command.id %> --user alice --registry-scope repository:web/app:push',
    '<%= config.bin %> <%= command.id %> --user alice --registry-scope repository:web/app:pull,push --registry-scope repository:api/app:pull --json',
  ];
  static override flags = {
    user: Flags.string({ description: 'User of the request (a certificate CN)', required: true }),
    method: Flags.string({ description: 'HTTP method', exclusive: ['registry-scope'] }),
    path: Flags.string({
      description: 'Request URI, as the engine sees it (e.g. /v1.41/services/create)',
      exclusive: ['registry-scope'],
    }),
    'registry-scope': Flags.string({
      description: 'A registry scope (repository:NAME:pull,push,delete); repeat for several',
      multiple: true,
    }),
    body: Flags.string({
      description: 'File with the JSON body of the request',
      exclusive: ['registry-scope'],
    }),
    host: Flags.string({ description: 'Manager to ask (default: the first that answers)' }),
    ...hostFlags,
  };

  async run(): Promise<AccessCheckResult | RegistryCheckResult> {
    const { config } = await this.loadCluster();
    const scopes = this.flags['registry-scope'];
    if (scopes) {
      return this.withSession(config.metadata.name, this.flags, async (session) => {
        const result = await registryScopeCheck(
          { config, session, log: this.log_, host: this.flags.host },
          { user: this.flags.user, scopes },
        );
        if (!this.jsonEnabled()) {
          if (!result.known) this.log(`${result.user} is not in the policy: every login is refused`);
          for (const d of result.decisions) {
            this.log(
              `${d.granted.length > 0 ? 'GRANT' : 'REFUSE'}  ${d.scope} → ${d.granted.join(',') || 'nothing'}`,
            );
            this.log(`  reason: ${d.reason}`);
          }
          this.log(`  decided by the token service code on ${result.host}`);
        }
        if (!result.allow) throw refusedError(result);
        return result;
      });
    }
    const { method, path } = this.flags;
    if (method === undefined || path === undefined) {
      throw new UsageError('give --method and --path (an engine API request), or --registry-scope', {
        code: 'EUSAGE',
      });
    }
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await accessCheck(
        { config, session, log: this.log_, host: this.flags.host },
        {
          user: this.flags.user,
          method,
          path,
          bodyFile: this.flags.body,
        },
      );
      if (!this.jsonEnabled()) {
        this.log(`${result.allow ? 'ALLOW' : 'DENY'}  ${result.user}: ${result.action}`);
        this.log(`  resource: ${result.resource}`);
        this.log(`  reason:   ${result.reason}`);
        this.log(
          result.host
            ? `  decided by the plugin code on ${result.host}`
            : '  decided from the cluster file: no authorization plugin judges requests (run eectl install if the managers still enforce an earlier spec.access)',
        );
      }
      if (!result.allow) throw refusedError(result);
      return result;
    });
  }
}
