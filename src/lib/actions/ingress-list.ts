import type { ClusterFile } from '../config/cluster-file.js';
import type { Session } from '../cluster/session.js';
import { UsageError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import { ingressListing } from '../ingress/listing.js';
import type { ServiceForRouting } from '../ingress/routes.js';
import { reachManagers, readOnlyManagerContext } from '../phases/node-connect.js';
import type { Logger } from '../util/log.js';
import type { IngressListResult } from '../results/ingress.js';

/** What `ingress ls` is given. */
export interface IngressListOptions {
  file: ClusterFile;
  session: Session;
  log: Logger;
}

/** `eectl ingress ls`: the routes, the refused claims and the proxies, as a manager sees them. Read-only. */
export async function listIngress(options: IngressListOptions): Promise<IngressListResult> {
  const config = options.file.config;
  if (!config.spec.ingress) {
    throw new UsageError('the cluster file has no spec.ingress: there are no proxies to route through', {
      code: 'EINGRESS_NONE',
      suggestions: ['Add spec.ingress (nodes, and image for air-gapped sites) and run eectl install.'],
    });
  }
  const ctx = readOnlyManagerContext(config, (spec) => options.session.connect(spec), options.log);
  const contact = await reachManagers(ctx);
  const docker = new HostDocker(contact);
  const services = JSON.parse(await docker.inspectAllServices()) as (ServiceForRouting & {
    Spec: { TaskTemplate?: unknown };
  })[];
  const listing = ingressListing(services, await docker.services(), await docker.objectNames('secret'));
  return { cluster: config.metadata.name, contact: contact.name, ...listing };
}
