import { certsStatus } from '../../lib/actions/certs-status.js';
import type { CertsStatusResult } from '../../lib/results/certs.js';
import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { renderCertsStatus } from '../../lib/ui/certs-render.js';

export default class CertsStatus extends BaseCommand<typeof CertsStatus> {
  static override summary = 'List every certificate of the cluster with its expiry';
  static override description = `Reads, from every host that answers (its facts, and one read as root per host) and from this machine: the cluster CA; each manager's engine API server certificate (the token service serves with it too); the registry's certificate and, with token auth, its token-signing certificate; the ingress watcher's client certificate on each manager; the client bundles eectl issued here (recorded in ~/.eectl/<cluster>/issued-bundles.json by client-config); the swarm's own root CA and each node's swarm certificate.

Shows for each: what it is, whose, the day it expires, days left, its serial and where it was read. A certificate in its last 30 days, or expired, is listed again as a warning with what renews it. Changes nothing and takes no cluster lock; a host that cannot be reached is noted and the others are read. Exit 0 whatever the dates (eectl status warns too).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> -c prod.yaml --json',
  ];
  static override flags = { ...hostFlags };

  async run(): Promise<CertsStatusResult> {
    const { config } = await this.loadCluster();
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await certsStatus(this.actionOptions(config, session, this.flags));
      if (!this.jsonEnabled()) this.log(renderCertsStatus(result));
      return result;
    });
  }
}
