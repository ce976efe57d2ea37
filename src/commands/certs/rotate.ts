import { Flags } from '@oclif/core';
import { certsRotate, type CertsRotatePlan, type CertsRotateResult } from '../../lib/actions/certs-rotate.js';
import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { renderRotatePlan, renderRotateSummary } from '../../lib/ui/certs-render.js';

export default class CertsRotate extends BaseCommand<typeof CertsRotate> {
  static override summary = "Issue the server certificates again, or (--swarm-ca) rotate the swarm's own CA";
  static override description = `Issues new certificates from the cluster CA, whatever their dates: each manager's engine API server certificate, the registry's certificate and (token auth) its token-signing certificate, and the ingress watcher's client certificate. The cluster CA stays: client bundles keep working.

How each is taken up: a manager's engine reads its API certificate only when it starts, so the engines restart through the rolling path (one manager at a time with the quorum checked, drained, restarted, checked, made active again), as install does for any change to the API files; the token service reloads the same certificate by itself. The registry takes its new certificate by a service update, one replica at a time. The watcher's unit restarts (not the engine).

--swarm-ca rotates the swarm's own root CA instead (docker swarm ca --rotate, on a manager; swarmkit reissues every node's certificate online, no engine restarts) and waits, with progress and at most --swarm-ca-timeout seconds, until swarmkit has finished and every node reports a certificate of the new CA. A node that is down meanwhile gets its certificate when it is back; the wait names it.

Takes the cluster lock, shows the plan and asks first (--yes without a terminal); --dry-run lists what would be issued and restarted and changes nothing. Every host of the file must be in the swarm (install first).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --yes',
    '<%= config.bin %> <%= command.id %> --swarm-ca --yes --json',
  ];
  static override flags = {
    'swarm-ca': Flags.boolean({
      description:
        "Rotate the swarm's own root CA (not the server certificates) and wait until every node has a new certificate",
      default: false,
    }),
    'swarm-ca-timeout': Flags.integer({
      description: 'Seconds to wait for every node to hold a certificate of the new swarm CA',
      default: 600,
      min: 1,
    }),
    ...hostFlags,
    ...changeFlags,
  };

  async run(): Promise<CertsRotateResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await certsRotate({
        ...this.actionOptions(config, session, this.flags),
        request: {
          swarmCa: this.flags['swarm-ca'],
          swarmCaTimeoutMs: this.flags['swarm-ca-timeout'] * 1000,
        },
        confirm: (plan) => this.confirmPlan(plan),
      });
      if (!this.jsonEnabled()) this.log(renderRotateSummary(result));
      return result;
    });
  }

  private async confirmPlan(plan: CertsRotatePlan): Promise<void> {
    if (!this.jsonEnabled()) process.stderr.write(`${renderRotatePlan(plan)}\n`);
    await this.confirmOrStop('Rotate these certificates?', this.flags.yes, {
      message: 'Rotate these certificates? Without a terminal, confirm with --yes',
      suggestions: [`${this.config.bin} certs rotate ${this.argv.join(' ')} --yes`],
    });
  }
}
