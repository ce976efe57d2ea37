import type { HostDescription } from '../cluster/describe.js';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import { Host } from '../host/host.js';
import { checkReplica } from './health.js';
import type { ReplicaHealth } from './plan.js';

/** The registry's replicas: filled by the registry module once eectl installs registries. */
export interface RegistryStatus {
  /** False until eectl deploys registry replicas: nothing was checked. */
  checked: boolean;
  replicas: { host: string; healthy: boolean; detail: string }[];
  note: string;
  /** Each pull-through cache (registry.mirrors) with its replicas; absent without mirrors. */
  mirrors?: { name: string; replicas: { host: string; healthy: boolean; detail: string }[] }[];
}

/** What of a status report (results/status.ts, StatusResult) the replicas go into. */
export interface RegistryStatusPart {
  health: 'healthy' | 'degraded' | 'quorum-lost';
  problems: string[];
  registry: RegistryStatus;
}

/**
 * The registry part of `eectl status`: each registry host's replica asked for `/v2/` (from the host
 * itself, over TLS checked against certs.d). A host that SSH cannot reach is reported, not asked.
 */
export async function registryReplicaHealth(
  config: ClusterConfig,
  described: readonly HostDescription[],
  session: Session,
): Promise<ReplicaHealth[]> {
  const ports = [config.spec.registry.port, ...config.spec.registry.mirrors.map((m) => m.port)];
  const checks = await Promise.all(
    config.spec.hosts
      .filter((spec) => spec.role === 'registry')
      .map(async (spec) => {
        const d = described.find((x) => x.address === spec.address);
        if (!d?.ok) {
          return ports.map((port) => ({
            host: spec.address,
            url: `https://${spec.address}:${port}/v2/`,
            healthy: false,
            detail: 'host unreachable',
          }));
        }
        const host = new Host(spec, await session.connect(spec));
        host.facts = d.facts;
        const out: ReplicaHealth[] = [];
        for (const port of ports) out.push(await checkReplica(host, config.spec.registry, port));
        return out;
      }),
  );
  // The registry's replicas first, then each mirror's (registry.mirrors order), as withRegistryHealth reads them.
  return ports.flatMap((_, i) => checks.map((perHost) => perHost[i]!));
}

/**
 * Puts the replicas into a status report: an unhealthy replica is a problem, and the cluster degraded.
 * `mirrors` names the mirrors whose replicas follow the registry's in `checked`, one per registry host each.
 */
export function withRegistryHealth<R extends RegistryStatusPart>(
  result: R,
  checked: readonly ReplicaHealth[],
  mirrors: readonly string[] = [],
): R {
  if (checked.length === 0) return result;
  const perService = checked.length / (mirrors.length + 1);
  const replicas = checked.slice(0, perService);
  const mirrorReplicas = mirrors.map((name, i) => ({
    name,
    replicas: checked.slice((i + 1) * perService, (i + 2) * perService),
  }));
  const down = checked.filter((r) => !r.healthy);
  const problems = [
    ...result.problems,
    ...replicas.filter((r) => !r.healthy).map((r) => `registry replica ${r.url}: ${r.detail}`),
    ...mirrorReplicas.flatMap((m) =>
      m.replicas.filter((r) => !r.healthy).map((r) => `mirror ${m.name} replica ${r.url}: ${r.detail}`),
    ),
  ];
  const brief = (r: ReplicaHealth) => ({ host: r.host, healthy: r.healthy, detail: r.detail });
  return {
    ...result,
    registry: {
      checked: true,
      replicas: replicas.map(brief),
      note: `${replicas.filter((r) => r.healthy).length}/${replicas.length} replicas answer /v2/`,
      ...(mirrors.length > 0 && {
        mirrors: mirrorReplicas.map((m) => ({ name: m.name, replicas: m.replicas.map(brief) })),
      }),
    },
    problems,
    health: result.health === 'healthy' && down.length > 0 ? 'degraded' : result.health,
  };
}
