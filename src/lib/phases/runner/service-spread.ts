import type { HostDocker } from '../../swarm/docker.js';
import { judgeSpread, type PlacedService, type ServiceSpread } from '../../swarm/spread.js';

/** The swarm's services as placement reads them, and how each replicated one is spread. */
export interface SpreadReading {
  services: PlacedService[];
  spreads: ServiceSpread[];
}

/**
 * Reads the swarm through a manager and judges how every replicated service is spread
 * (swarm/spread.ts): one service listing, one listing of the tasks wanted running, one node listing,
 * whatever the number of services.
 */
export async function readSpreads(docker: HostDocker): Promise<SpreadReading> {
  const services = await docker.placedServices();
  const [tasks, nodes] = await Promise.all([docker.serviceTasks(services.map((s) => s.id)), docker.nodes()]);
  return { services, spreads: judgeSpread(services, nodes, tasks) };
}
