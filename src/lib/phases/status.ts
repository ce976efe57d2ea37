import type { HostDescription } from '../cluster/describe.js';
import type { Session } from '../cluster/session.js';
import type { ClusterConfig } from '../config/schema.js';
import { EectlError, toEectlError } from '../errors.js';
import { HostDocker } from '../swarm/docker.js';
import { gatherFacts } from '../host/facts.js';
import { Host } from '../host/host.js';
import { ingressProxyHealth, type ProxyHealth } from '../ingress/status.js';
import type { ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import type { ReplicaHealth } from '../registry/plan.js';
import { registryReplicaHealth } from '../registry/status.js';
import { readRelayCounters, summarizeWebhooks } from '../webhooks/status.js';
import type { WebhookStatus } from '../webhooks/report.js';
import type { SwarmNode } from '../swarm/nodes.js';
import { mapSettled } from '../util/concurrency.js';

/** What the swarm said: its nodes, or why no manager listed them. */
export interface SwarmView {
  nodes: SwarmNode[] | undefined;
  error: string | undefined;
}

/** What the registry replicas, the ingress proxies and the webhook relays say, each asked on its host. */
export interface ServiceHealth {
  replicas: ReplicaHealth[];
  proxies: ProxyHealth[];
  /** The webhook endpoints' delivery state, when the file has any (registry.notifications). */
  webhooks: WebhookStatus | undefined;
}

/**
 * `status`'s context: every host as read (or why not), the node listings started on the managers while
 * the other hosts are still read, the swarm once a manager answered, and the registry's and ingress's health.
 */
export interface StatusContext extends ClusterContext {
  session: Session;
  /** Why hosts could not be read, each naming its host: for what the error advises, not the report. */
  hostErrors: EectlError[];
  /** `node ls` of each manager in the swarm, by address, started as soon as its own facts were in. */
  listings: Map<string, Promise<SwarmNode[]>>;
  described?: HostDescription[];
  swarm?: SwarmView;
  health?: ServiceHealth;
}

/**
 * Every host's facts, one round trip each; a host that cannot be reached is described with why, not
 * fatal. Each manager's `node ls` starts as soon as its own facts are in, alongside the hosts still
 * connecting: without a leader `node ls` takes its 20 s deadline to fail, and a down host its SSH
 * timeout, and status should wait for the longer of the two, not their sum.
 */
export const statusHostsPhase: Phase<StatusContext> = {
  title: 'Connect to hosts and gather their facts',
  async run(ctx) {
    const specs = ctx.config.spec.hosts;
    const settled = await mapSettled(specs, ctx.concurrency, async (spec) => {
      const conn = await ctx.connect(spec);
      const facts = await gatherFacts(conn);
      if (spec.role === 'manager' && facts.swarm?.state === 'active' && facts.swarm.isManager) {
        const host = new Host(spec, conn);
        host.facts = facts;
        const listing = new HostDocker(host).nodes();
        listing.catch(() => undefined);
        ctx.listings.set(spec.address, listing);
      }
      return facts;
    });
    ctx.described = settled.map((s): HostDescription => {
      const base = { address: s.item.address, role: s.item.role };
      if (s.ok) return { ...base, ok: true, facts: s.value };
      const e = toEectlError(s.error);
      ctx.hostErrors.push(
        e.host === undefined ? new EectlError(e.message, { ...e, host: s.item.address, cause: e.cause }) : e,
      );
      return { ...base, ok: false, error: { code: e.code, message: e.message } };
    });
  },
};

/** The node list from the first manager of the file (in file order) that answers, or why none did. */
export const statusSwarmPhase: Phase<StatusContext, 'described'> = {
  title: 'Read the swarm',
  needs: ['described'],
  async run(ctx) {
    const errors: string[] = [];
    for (const spec of ctx.config.spec.hosts) {
      const listing = ctx.listings.get(spec.address);
      if (!listing) continue;
      try {
        ctx.swarm = { nodes: await listing, error: undefined };
        return;
      } catch (e) {
        // With the quorum lost, `node ls` says "The swarm does not have a leader" or times out.
        errors.push(`${spec.address}: ${lastLine(toEectlError(e).message)}`);
      }
    }
    const error =
      errors.length > 0 ? errors.join('; ') : 'no manager of the file is in the swarm and reachable';
    ctx.swarm = { nodes: undefined, error };
  },
};

/** Each registry replica's `/v2/` and each ingress proxy, asked on their hosts. */
export const statusServicesPhase: Phase<StatusContext, 'described' | 'swarm'> = {
  title: 'Ask the registry replicas, ingress proxies and webhook relays',
  needs: ['described', 'swarm'],
  async run(ctx) {
    ctx.health = await readServiceHealth(ctx.config, ctx.described, ctx.session);
  },
};

/** What the registry replicas, ingress proxies and webhook relays of the file say (status, and `support dump`'s status). */
export async function readServiceHealth(
  config: ClusterConfig,
  described: readonly HostDescription[],
  session: Session,
): Promise<ServiceHealth> {
  const replicas = await registryReplicaHealth(config, described, session);
  const proxies = await ingressProxyHealth(config, described, session);
  const endpoints = config.spec.registry.notifications;
  const webhooks =
    endpoints.length > 0
      ? summarizeWebhooks(endpoints, await readRelayCounters(config, described, session))
      : undefined;
  return { replicas, proxies, webhooks };
}

const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1) ?? text;
