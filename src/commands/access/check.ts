import { Flags } from '@oclif/core';
import { accessCheck, type AccessCheckResult } from '../../lib/actions/access.js';
import { BaseCommand, EXIT_CODES_HELP, hostFlags } from '../../lib/base-command.js';

export default class AccessCheck extends BaseCommand<typeof AccessCheck> {
  static override summary = "The managers' access decision for one engine API request of a user";
  static override description = `Runs the authorization plugin's own code on a manager, with that manager's policy file and its engine for the resources the request names, so the answer is the one the plugin gives to a bundle of --user (a bundle issued now). The body (--body FILE, JSON as the docker CLI sends it) goes over SSH on stdin.

Exits 0 when the request would be allowed and 1 when it would be refused (the reason is printed, and in --json).

Without spec.access and images.policy.requireSigned in the file, access control is off: every request is allowed, exit 0, with that reason, and no manager is asked (--json: "host" is empty).

${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --user dev --method GET --path /v1.41/services',
    '<%= config.bin %> <%= command.id %> --user dev --method POST --path /v1.41/services/create --body spec.json',
    '<%= config.bin %> <%= command.id %> --user ops --method POST --path /v1.41/nodes/w1/update --json',
  ];
  static override flags = {
    user: Flags.string({ description: 'User of the request (a certificate CN)', required: true }),
    method: Flags.string({ description: 'HTTP method', required: true }),
    path: Flags.string({
      description: 'Request URI, as the engine sees it (e.g. /v1.41/services/create)',
      required: true,
    }),
    body: Flags.string({ description: 'File with the JSON body of the request' }),
    host: Flags.string({ description: 'Manager to ask (default: the first that answers)' }),
    ...hostFlags,
  };

  async run(): Promise<AccessCheckResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await accessCheck(
        { config, session, log: this.log_, host: this.flags.host },
        {
          user: this.flags.user,
          method: this.flags.method,
          path: this.flags.path,
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
      if (!result.allow) process.exitCode = 1;
      return result;
    });
  }
}
