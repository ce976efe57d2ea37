import { inSwarm, type ClusterContext } from '../runner/cluster-context.js';
import { EectlError, ExitCode } from '../../errors.js';
import { HostDocker } from '../../swarm/docker.js';
import type { Host } from '../../host/host.js';
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

/** Initialises the swarm on `host` (the first manager of the file) and makes it the swarm's contact. */
export async function initSwarm(ctx: ClusterContext, host: Host): Promise<Host> {
  const swarm = ctx.config.spec.swarm;
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
  return host;
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
 * Callers run this one host at a time.
 */
export async function joinManager(ctx: ClusterContext, contact: Host, host: Host): Promise<void> {
  if (inSwarm(host) && host.facts?.swarm?.isManager) return;
  if (inSwarm(host)) {
    await ctx.changes.apply(host, 'promote to manager', async () => {
      await new HostDocker(contact).nodeUpdate(host.facts!.swarm!.nodeId!, { role: 'manager' });
      await refreshSwarmFacts(host);
    });
  } else {
    await joinAs(ctx, contact, host, 'manager');
  }
  if (!ctx.changes.dryRun) await waitForManagerQuorum(ctx, contact, host);
}

/** Joins a worker or registry node to the swarm. Safe to run for many hosts at once. */
export async function joinWorker(ctx: ClusterContext, contact: Host, host: Host): Promise<void> {
  if (inSwarm(host)) return;
  await joinAs(ctx, contact, host, 'worker');
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
