import { BaseCommand, hostFlags } from '../../lib/base-command.js';
import { ClusterFile } from '../../lib/config/cluster-file.js';
import { listIngress } from '../../lib/actions/ingress-list.js';
import type { IngressListResult } from '../../lib/results/ingress.js';
import { renderIngressList } from '../../lib/ui/ingress-render.js';

export default class IngressLs extends BaseCommand<typeof IngressLs> {
  static override summary = 'List the HTTP routes: host, path, service, TLS, backends, and refused claims';
  static override description =
    'Reads every service from the first reachable manager and shows the routes their labels ask for ' +
    '(eectl.http.* or com.docker.lb.*) as the ingress watcher decides them: who holds each host name, ' +
    "how many of the service's tasks run, and every service refused a route, with the reason (a host " +
    'another collection claimed first, a label value outside the allowed grammar). Read-only: it takes no lock.';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
    '# route a service: docker service create --network eectl-ingress --label eectl.http.host=app.example.org --label eectl.http.port=8080 …',
  ];
  static override flags = { ...hostFlags };

  async run(): Promise<IngressListResult> {
    const { config, path } = await this.loadCluster();
    const file = await ClusterFile.read(path);
    return this.withSession(config.metadata.name, this.flags, async (session) => {
      const result = await listIngress({ file, session, log: this.log_ });
      if (!this.jsonEnabled()) this.log(renderIngressList(result));
      return result;
    });
  }
}
