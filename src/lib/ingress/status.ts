import type { HostDescription } from '../cluster/describe.js';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import { Host } from '../host/host.js';

/** A proxy as `eectl status` saw it. */
export interface ProxyHealth {
  host: string;
  healthy: boolean;
  detail: string;
}

/**
 * The ingress part of `eectl status`: each ingress node asked for `/` on its HTTP port from the node
 * itself (any HTTP answer is a proxy that runs: an unknown host gets its 404). Nothing without spec.ingress.
 */
export async function ingressProxyHealth(
  config: ClusterConfig,
  described: readonly HostDescription[],
  session: Session,
): Promise<ProxyHealth[]> {
  const ingress = config.spec.ingress;
  if (!ingress) return [];
  return Promise.all(
    config.spec.hosts
      .filter((spec) => ingress.nodes.includes(spec.address))
      .map(async (spec) => {
        const d = described.find((x) => x.address === spec.address);
        if (!d?.ok) return { host: spec.address, healthy: false, detail: 'host unreachable' };
        const host = new Host(spec, await session.connect(spec));
        const url = `http://127.0.0.1:${ingress.ports.http}/`;
        const r = await host.exec(
          ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', url],
          {
            check: false,
          },
        );
        const code = r.stdout.trim();
        const healthy = /^[1-5]\d\d$/.test(code) && code !== '502' && code !== '503';
        return {
          host: spec.address,
          healthy,
          detail: healthy ? `HTTP ${code}` : `no answer on :${ingress.ports.http}`,
        };
      }),
  );
}

/** What of a status report (results/status.ts, StatusResult) the proxies go into. */
export interface IngressStatusPart {
  health: 'healthy' | 'degraded' | 'quorum-lost';
  problems: string[];
  ingress?: { proxies: ProxyHealth[] };
}

/** Puts the proxies into a status report: a proxy that does not answer is a problem, the cluster degraded. */
export function withIngressHealth<R extends IngressStatusPart>(
  result: R,
  proxies: readonly ProxyHealth[],
): R {
  if (proxies.length === 0) return result;
  const down = proxies.filter((p) => !p.healthy);
  return {
    ...result,
    ingress: { proxies: [...proxies] },
    problems: [...result.problems, ...down.map((p) => `ingress proxy ${p.host}: ${p.detail}`)],
    health: result.health === 'healthy' && down.length > 0 ? 'degraded' : result.health,
  };
}
