import { inSwarm, type ClusterContext } from '../runner/cluster-context.js';
import { EectlError, ExitCode } from '../../errors.js';
import { HostDocker } from '../../swarm/docker.js';
import type { Host } from '../../host/host.js';
import type { SwarmFacts } from '../../host/facts-types.js';
import { managerCounts } from '../../swarm/nodes.js';
import { describeQuorum, hasQuorum } from '../../swarm/quorum.js';
import { addSecret } from '../../util/redact.js';
import { done, pending, pollUntil } from '../../util/poll.js';

/** How long a joined manager may take to become Reachable before the run stops. */
const MANAGER_READY_TIMEOUT_MS = 90_000;
/**
 * How often the quorum is read while a joined manager becomes Reachable: every later manager's join
 * waits on it (Raft changes go one at a time), so a second-long interval cost up to a second per join.
 */
const QUORUM_POLL_MS = 250;

/**
 * Initialises the swarm on `host` (the first manager of the file) and makes it the swarm's contact; `founded`
 * is false when its engine, stopped when the facts were read and started since, says it is a manager of a
 * swarm already: that swarm is the cluster's, and nothing is initialised.
 */
export async function initSwarm(
  ctx: ClusterContext,
  host: Host,
): Promise<{ contact: Host; founded: boolean }> {
  const swarm = ctx.config.spec.swarm;
  const now = await membershipNow(ctx, host);
  if (now?.state === 'active' && now.isManager) {
    host.log.info('its engine, started by this run, is a manager of a swarm already: no new swarm');
    ctx.swarmManager = host;
    return { contact: host, founded: false };
  }
  if (now?.state === 'active') {
    // A worker of a swarm none of whose managers in the file answered: a new swarm here is refused.
    throw new EectlError(
      `${host.name}: its engine is a worker of a swarm, and no manager of the file is a manager of it`,
      {
        code: 'ESWARM_STATE',
        kind: 'external',
        exitCode: ExitCode.partial,
        host: host.name,
        suggestions: [
          "Start the engines of the swarm's managers (or fix the file's roles), then run install again.",
        ],
      },
    );
  }
  await ctx.changes.apply(host, `initialise the swarm, advertising ${host.advertiseAddress}`, async () => {
    await new HostDocker(host).swarmInit({
      advertiseAddr: host.advertiseAddress,
      defaultAddrPool: swarm.defaultAddrPool,
      subnetSize: swarm.subnetSize,
      dataPathPort: swarm.dataPathPort,
    });
    await refreshSwarmFacts(host);
  });
  ctx.swarmManager = host;
  return { contact: host, founded: true };
}

/** A join token, read once per run from the swarm's contact manager (registered as a secret). */
async function joinToken(ctx: ClusterContext, contact: Host, role: 'manager' | 'worker'): Promise<string> {
  ctx.tokens ??= (async () => {
    const docker = new HostDocker(contact);
    const tokens = { manager: await docker.joinToken('manager'), worker: await docker.joinToken('worker') };
    addSecret(tokens.manager);
    addSecret(tokens.worker);
    return tokens;
  })();
  return (await ctx.tokens)[role];
}

/**
 * Brings a manager of the file into the swarm: joins it (or promotes it when it is a worker), then waits
 * until it is Reachable and the swarm still has its quorum, as `contact` (a manager in it) sees it.
 * Callers run this one host at a time. True when it joined now (a new node, to be labelled).
 */
export async function joinManager(ctx: ClusterContext, contact: Host, host: Host): Promise<boolean> {
  if (!inSwarm(host)) await membershipNow(ctx, host, contact);
  if (inSwarm(host) && host.facts?.swarm?.isManager) return false;
  const joins = !inSwarm(host);
  if (joins) {
    await joinAs(ctx, contact, host, 'manager');
  } else {
    await ctx.changes.apply(host, 'promote to manager', async () => {
      await new HostDocker(contact).nodeUpdate(host.facts!.swarm!.nodeId!, { role: 'manager' });
      await refreshSwarmFacts(host);
    });
  }
  if (!ctx.changes.dryRun) await waitForManagerQuorum(ctx, contact, host);
  return joins;
}

/** Joins a worker or registry node to the swarm. Safe to run for many hosts at once. True when it joined now. */
export async function joinWorker(ctx: ClusterContext, contact: Host, host: Host): Promise<boolean> {
  if (!inSwarm(host)) await membershipNow(ctx, host, contact);
  if (inSwarm(host)) return false;
  await joinAs(ctx, contact, host, 'worker');
  return true;
}

/** `docker swarm join` through the swarm's contact manager, then the host's own view of the swarm. */
async function joinAs(
  ctx: ClusterContext,
  contact: Host,
  host: Host,
  role: 'manager' | 'worker',
): Promise<void> {
  await ctx.changes.apply(
    host,
    `join the swarm as a ${role} through ${contact.advertiseAddress}`,
    async () => {
      await new HostDocker(host).swarmJoin({
        token: await joinToken(ctx, contact, role),
        managerAddr: contact.advertiseAddress,
        advertiseAddr: host.advertiseAddress,
      });
      await refreshSwarmFacts(host);
    },
  );
}

/** How long a node that is connecting to its swarm (state "pending", as after its engine starts) may take. */
const PENDING_TIMEOUT_MS = 60_000;

/**
 * The host's swarm membership as its engine says it now, kept in its facts, before eectl founds a swarm on
 * it or joins it to one: the facts may be older than the engine (its engine was stopped when they were
 * read, and this run started it), and a node that was in a swarm says "pending" for some seconds after its
 * engine starts. Only a node that is in no swarm ("inactive") may found or join one; a node in this swarm
 * is simply in it; anything else stops here with what the engine says, where a join or an init would be
 * refused by the engine with "already part of a swarm" (or worse, succeed on a node of another swarm).
 */
async function membershipNow(
  ctx: ClusterContext,
  host: Host,
  contact?: Host,
): Promise<SwarmFacts | undefined> {
  if (ctx.changes.dryRun) return host.facts?.swarm;
  const docker = new HostDocker(host);
  const outcome = await pollUntil(
    async () => {
      const swarm = await docker.swarmInfo();
      return swarm?.state === 'pending' ? pending(swarm) : done(swarm);
    },
    { timeoutMs: PENDING_TIMEOUT_MS, intervalMs: 1000, signal: ctx.signal },
  );
  const swarm = 'value' in outcome ? outcome.value : outcome.waiting;
  if (host.facts) host.facts.swarm = swarm;
  const state = swarm?.state ?? 'inactive';
  // Managers know their swarm's ID (workers' engines do not say it): two that differ are two swarms.
  const theirs = contact?.facts?.swarm?.clusterId;
  const ours = swarm?.clusterId;
  const elsewhere = state === 'active' && theirs !== undefined && ours !== undefined && ours !== theirs;
  if (state === 'inactive' || (state === 'active' && !elsewhere)) return swarm;
  throw new EectlError(
    elsewhere
      ? `${host.name}: its engine is in another swarm (${swarm?.clusterId}), not this cluster's (${theirs})`
      : `${host.name}: its engine says its swarm state is "${state}": not joining it, nor founding a swarm on it`,
    {
      code: 'ESWARM_STATE',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: host.name,
      suggestions: [
        state === 'locked'
          ? `Unlock it with \`docker swarm unlock\` on ${host.name}, then run install again.`
          : `Look at \`docker info\` and \`journalctl -u docker\` on ${host.name}; if it should leave that swarm, run \`eectl node remove\` or \`docker swarm leave --force\` there, then run install again.`,
      ],
    },
  );
}

async function refreshSwarmFacts(host: Host): Promise<void> {
  const swarm = await new HostDocker(host).swarmInfo();
  if (host.facts) host.facts.swarm = swarm;
}

async function waitForManagerQuorum(ctx: ClusterContext, contact: Host, host: Host): Promise<void> {
  const docker = new HostDocker(contact);
  const nodeId = host.facts?.swarm?.nodeId;
  const outcome = await pollUntil(
    async () => {
      const nodes = await docker.nodes();
      const me = nodes.find((n) => n.id === nodeId);
      const counts = managerCounts(nodes);
      const quorum = describeQuorum(counts);
      const ready = me?.role === 'manager' && me.reachability === 'reachable' && hasQuorum(counts);
      return ready ? done(quorum) : pending(quorum);
    },
    { timeoutMs: MANAGER_READY_TIMEOUT_MS, intervalMs: QUORUM_POLL_MS, signal: ctx.signal },
  );
  if ('value' in outcome) {
    host.log.info(`manager reachable; ${outcome.value}`);
    return;
  }
  const last = outcome.waiting;
  throw new EectlError(`${host.name}: joined as a manager but did not become reachable in time (${last})`, {
    code: 'EMANAGER_NOT_READY',
    kind: 'external',
    exitCode: ExitCode.partial,
    host: host.name,
    suggestions: [
      `Check that ${host.advertiseAddress} reaches the other managers on 2377/tcp, 7946/tcp+udp and 4789/udp.`,
      'Then run install again: it continues from where it stopped.',
    ],
  });
}
