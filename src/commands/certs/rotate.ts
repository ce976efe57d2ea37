import { Flags } from '@oclif/core';
import { certsRotate } from '../../lib/actions/certs-rotate.js';
import type { CertsRotatePlan, CertsRotateResult } from '../../lib/results/certs.js';
import { BaseCommand, changeFlags, hostFlags } from '../../lib/base-command.js';
import { renderRotatePlan, renderRotateSummary } from '../../lib/ui/certs-render.js';

export default class CertsRotate extends BaseCommand<typeof CertsRotate> {
  static override summary =
    "Issue the server certificates again, or rotate the swarm's own CA (--swarm-ca) or the cluster CA (--cluster-ca)";
  static override description = `Issues new certificates from the cluster CA, whatever their dates: each manager's engine API server certificate, the registry's certificate and (token auth) its token-signing certificate, and the ingress watcher's client certificate. The cluster CA stays: client bundles keep working.

How each is taken up: a manager's engine reads its API certificate only when it starts, so the engines restart through the rolling path (one manager at a time with the quorum checked, drained, restarted, checked, made active again), as install does for any change to the API files; the token service reloads the same certificate by itself. The registry takes its new certificate by a service update, one replica at a time. The watcher's unit restarts (not the engine).

--swarm-ca rotates the swarm's own root CA instead (docker swarm ca --rotate, on a manager; swarmkit reissues every node's certificate online, no engine restarts) and waits, with progress and at most --swarm-ca-timeout seconds, until swarmkit has finished and every node reports a certificate of the new CA. A node that is down meanwhile gets its certificate when it is back; the wait names it.

--cluster-ca rotates the cluster CA itself, in two runs. The first makes a new CA (kept as the old one is: on every manager, key 0600, and in ~/.eectl/<cluster>/pki-next) and makes every CA file trust the old and the new CA (each manager's engine, restarted through the rolling path; the authorization plugin and the token service, which reload; /etc/docker/certs.d on every node; the ingress watcher, whose certificate comes from the new CA). Server certificates stay, so every client bundle keeps working; client-config signs new bundles with the new CA. It lists the client bundles recorded here that the old CA signed. --cluster-ca --finish then issues every server certificate from the new CA and leaves the new CA alone in every CA file: bundles of the old CA are refused from then on. It refuses while a recorded bundle is of the old CA, unless --force. The managers' files say how far a rotation got: a stopped run is finished by running the same command again.

Takes the cluster lock, shows the plan and asks first (--yes without a terminal); --dry-run lists what would be issued and restarted and changes nothing. Every host of the file must be in the swarm (install first).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --yes',
    '<%= config.bin %> <%= command.id %> --swarm-ca --yes --json',
    '<%= config.bin %> <%= command.id %> --cluster-ca --dry-run',
    '<%= config.bin %> <%= command.id %> --cluster-ca --yes',
    '<%= config.bin %> <%= command.id %> --cluster-ca --finish --yes',
  ];
  static override flags = {
    'swarm-ca': Flags.boolean({
      description:
        "Rotate the swarm's own root CA (not the server certificates) and wait until every node has a new certificate",
      default: false,
    }),
    'cluster-ca': Flags.boolean({
      description:
        'Rotate the cluster CA: a new CA trusted beside the old one everywhere (the overlap); end it with --finish',
      default: false,
      exclusive: ['swarm-ca'],
    }),
    finish: Flags.boolean({
      description:
        'With --cluster-ca: end the overlap; only the new CA is trusted, bundles of the old one are refused',
      default: false,
      dependsOn: ['cluster-ca'],
    }),
    force: Flags.boolean({
      description: 'With --finish: finish although client bundles recorded here are of the old CA',
      default: false,
      dependsOn: ['finish'],
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
          clusterCa: this.flags['cluster-ca'],
          finish: this.flags.finish,
          force: this.flags.force,
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
