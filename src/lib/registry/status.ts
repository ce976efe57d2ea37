import type { StatusResult } from '../ui/results.js';
import type { HostDescription } from '../cluster/describe.js';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import { Host } from '../host/host.js';
import { checkReplica } from './health.js';
import type { ReplicaHealth } from './plan.js';

/**
 * The registry part of `eectl status`: each registry host's replica asked for `/v2/` (from the host
 * itself, over TLS checked against certs.d). A host that SSH cannot reach is reported, not asked.
 */
export async function registryReplicaHealth(
  config: ClusterConfig,
  described: readonly HostDescription[],
  session: Session,
): Promise<ReplicaHealth[]> {
  const port = config.spec.registry.port;
  return Promise.all(
    config.spec.hosts
      .filter((spec) => spec.role === 'registry')
      .map(async (spec) => {
        const d = described.find((x) => x.address === spec.address);
        const url = `https://${spec.address}:${port}/v2/`;
        if (!d?.ok) return { host: spec.address, url, healthy: false, detail: 'host unreachable' };
        const host = new Host(spec, await session.connect(spec));
        host.facts = d.facts;
        return checkReplica(host, config.spec.registry);
      }),
  );
}

/** Puts the replicas into a status report: an unhealthy replica is a problem, and the cluster degraded. */
export function withRegistryHealth(result: StatusResult, replicas: readonly ReplicaHealth[]): StatusResult {
  if (replicas.length === 0) return result;
  const down = replicas.filter((r) => !r.healthy);
  const problems = [...result.problems, ...down.map((r) => `registry replica ${r.url}: ${r.detail}`)];
  return {
    ...result,
    registry: {
      checked: true,
      replicas: replicas.map((r) => ({ host: r.host, healthy: r.healthy, detail: r.detail })),
      note: `${replicas.length - down.length}/${replicas.length} replicas answer /v2/`,
    },
    problems,
    health: result.health === 'healthy' && down.length > 0 ? 'degraded' : result.health,
  };
}
