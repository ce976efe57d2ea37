import { dirname } from 'node:path';
import { inSwarm, managers, type ClusterContext } from '../actions/cluster-context.js';
import { EectlError, ExitCode } from '../errors.js';
import { HostDocker } from '../host/docker.js';
import type { Host } from '../host/host.js';
import { serviceManagerFor } from '../host/service/index.js';
import type { Phase, PhaseOutput } from '../phase/phase.js';
import {
  API_DROP_IN,
  HOST_CA_CERT,
  HOST_CA_KEY,
  HOST_PKI_DIR,
  HOST_RESTART_PENDING,
  HOST_SERVER_CERT,
  HOST_SERVER_KEY,
} from '../pki/paths.js';
import { managerCounts } from '../swarm/nodes.js';
import { describeQuorum, hasQuorum, type QuorumState } from '../swarm/quorum.js';
import { applySteps } from './steps.js';

/** How long a restarted manager may take to be Reachable again. */
const REACHABLE_TIMEOUT_MS = 90_000;

/** A running engine that is a swarm manager: restarting it takes it out of Raft for a moment. */
const isSwarmManager = (host: Host): boolean => inSwarm(host) && host.facts?.swarm?.isManager === true;

/**
 * Writes a manager's API files as planned (CA, server certificate, drop-in) before convergeEngine
 * installs the package: a fresh engine then starts with them and needs no restart. A running engine
 * must restart to read them: at once when it is not a swarm manager (nothing to keep), otherwise later,
 * one manager at a time (restartManagersPhase), with a marker on the host until it has. /etc/eectl/pki
 * is readable by all, because the facts read its certificates as the login user; its keys are 0600.
 */
export async function writeApiFiles(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  const plan = ctx.controlPlane?.managers.get(host.name);
  if (!plan) return;
  const changed = plan.writeCa || plan.serverCert !== undefined || plan.dropIn !== undefined;
  const restartNeeded = host.facts?.engine?.running === true && (changed || plan.restartPending);
  const deferred = restartNeeded && isSwarmManager(host);
  // One round trip makes both directories, the first time any file is written.
  let dirs: Promise<unknown> | undefined;
  const prepareDirs = () =>
    (dirs ??= host.sudo(['install', '-d', '-m', '0755', HOST_PKI_DIR, dirname(API_DROP_IN)]));
  if (deferred && !plan.restartPending) {
    await ctx.changes.apply(host, 'mark the engine for a restart', async () => {
      await prepareDirs();
      await host.conn.upload(HOST_RESTART_PENDING, 'new control-plane API files\n', {
        mode: 0o644,
        sudo: true,
      });
    });
  }
  if (plan.writeCa) {
    const ca = ctx.controlPlane!.ca;
    const what = ca.supplied ? 'certificate (its key stays on this machine)' : 'CA';
    await ctx.changes.apply(host, `write the cluster ${what} to ${HOST_PKI_DIR}`, async () => {
      await prepareDirs();
      // Key first: a generated CA's certificate on a host promises its key is there too (the facts see
      // only certificates). A supplied CA's key is never copied to a host.
      if (!ca.supplied) await host.conn.upload(HOST_CA_KEY, ca.keyPem!, { mode: 0o600, sudo: true });
      await host.conn.upload(HOST_CA_CERT, ca.certPem, { mode: 0o644, sudo: true });
    });
  }
  if (plan.removeCaKey) {
    await ctx.changes.apply(host, `remove the supplied CA's key from ${HOST_PKI_DIR}`, () =>
      host.sudo(['rm', '-f', HOST_CA_KEY]),
    );
  }
  if (plan.serverCert) {
    const cert = plan.serverCert;
    await ctx.changes.apply(
      host,
      `write a server certificate for the engine API (${cert.reason})`,
      async () => {
        await prepareDirs();
        await host.conn.upload(HOST_SERVER_KEY, cert.keyPem, { mode: 0o600, sudo: true });
        await host.conn.upload(HOST_SERVER_CERT, cert.certPem, { mode: 0o644, sudo: true });
      },
    );
  }
  if (plan.dropIn !== undefined) {
    const dropIn = plan.dropIn;
    const port = ctx.config.spec.controlPlane.apiPort;
    await ctx.changes.apply(
      host,
      `write ${API_DROP_IN} (engine API on port ${port}, mutual TLS)`,
      async () => {
        await prepareDirs();
        await host.conn.upload(API_DROP_IN, dropIn, { mode: 0o644, sudo: true });
      },
    );
    await applySteps(ctx, host, serviceManagerFor(host.known.initSystem).daemonReload(), out);
  }
  if (deferred) {
    ctx.controlPlane!.restarts.push(host);
  } else if (restartNeeded) {
    await applySteps(ctx, host, serviceManagerFor(host.known.initSystem).restart('docker'), out);
    if (plan.restartPending) await host.sudo(['rm', '-f', HOST_RESTART_PENDING]);
  }
}

/**
 * Restarts the engines of swarm managers that got new API files, one at a time: each leaves Raft while
 * it restarts, so the next waits until it is Reachable again, and none starts when the quorum could not
 * spare it (the marker stays; the next run restarts it).
 */
export const restartManagersPhase: Phase<ClusterContext> = {
  title: 'Restart manager engines for the control-plane API',
  shouldRun: (ctx) => (ctx.controlPlane?.restarts.length ?? 0) > 0,
  async run(ctx, out) {
    for (const host of ctx.controlPlane!.restarts) await restartManager(ctx, host, out);
  },
};

/**
 * Whether a manager's engine may restart now. A restart keeps the membership (unlike a removal), so the
 * others must hold the quorum alone: 'safe'. With one or two managers they never can, yet the restart is
 * the only way to a new certificate: 'pause' (management stops for a few seconds) when every manager is
 * up. When one is already down and this restart would lose the quorum: 'refuse'.
 */
export function restartVerdict(counts: QuorumState): 'safe' | 'pause' | 'refuse' {
  if (hasQuorum({ managers: counts.managers, reachable: counts.reachable - 1 })) return 'safe';
  return counts.reachable >= counts.managers ? 'pause' : 'refuse';
}

async function restartManager(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  // Another manager watches the restart; a single manager can only watch itself come back.
  const contact = managers(ctx).find((m) => m !== host && isSwarmManager(m)) ?? host;
  const docker = new HostDocker(contact);
  if (!ctx.dryRun && contact !== host) {
    const counts = managerCounts(await docker.nodes());
    const verdict = restartVerdict(counts);
    if (verdict === 'refuse') {
      throw new EectlError(
        `${host.name}: not restarting its engine for the new API files: the swarm could not spare it (${describeQuorum(counts)})`,
        {
          code: 'EQUORUM_RISK',
          kind: 'external',
          exitCode: ExitCode.partial,
          host: host.name,
          suggestions: [
            'Bring the unreachable managers back, then run install again: it restarts this engine then.',
          ],
        },
      );
    }
    if (verdict === 'pause') {
      host.log.warn(`restarting the engine pauses swarm management for a moment (${describeQuorum(counts)})`);
    }
  }
  await applySteps(ctx, host, serviceManagerFor(host.known.initSystem).restart('docker'), out);
  if (ctx.dryRun) return;
  await new HostDocker(host).waitUntilUp();
  await waitReachable(host, docker, out);
  await host.sudo(['rm', '-f', HOST_RESTART_PENDING]);
}

async function waitReachable(host: Host, docker: HostDocker, out: PhaseOutput): Promise<void> {
  const nodeId = host.facts?.swarm?.nodeId;
  const deadline = Date.now() + REACHABLE_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const nodes = await docker.nodes().catch(() => []);
    const me = nodes.find((n) => n.id === nodeId);
    const counts = managerCounts(nodes);
    last = nodes.length > 0 ? describeQuorum(counts) : 'no answer from the swarm yet';
    if (me?.reachability === 'reachable' && hasQuorum(counts)) {
      host.log.info(`engine restarted with the API; ${last}`);
      return;
    }
    out.report(host.name, `waiting until reachable again (${last})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new EectlError(`${host.name}: restarted, but not a reachable manager again in time (${last})`, {
    code: 'EMANAGER_NOT_READY',
    kind: 'external',
    exitCode: ExitCode.partial,
    host: host.name,
    suggestions: [`Look at \`journalctl -u docker\` on ${host.name}, then run install again.`],
  });
}
