import { dirname } from 'node:path';
import { inSwarm, requestRestart, type ClusterContext } from '../runner/cluster-context.js';
import type { Host } from '../../host/host.js';
import { serviceManagerFor } from '../../host/service/index.js';
import type { PhaseOutput } from '../runner/phase.js';
import {
  API_DROP_IN,
  HOST_CA_CERT,
  HOST_CA_KEY,
  HOST_PKI_DIR,
  HOST_RESTART_PENDING,
  HOST_SERVER_CERT,
  HOST_SERVER_KEY,
} from '../../host-layout.js';
import { applySteps } from '../runner/steps.js';

/**
 * Writes a manager's API files as planned (CA, server certificate, drop-in) before convergeEngine
 * installs the package: a fresh engine then starts with them and needs no restart. A running engine
 * must restart to read them: at once when it is not in the swarm (nothing to keep), otherwise later, in
 * the rolling change (one manager at a time), with a marker on the host until it has. /etc/eectl/pki
 * is readable by all, because the facts read its certificates as the login user; its keys are 0600.
 */
export async function writeApiFiles(ctx: ClusterContext, host: Host, out: PhaseOutput): Promise<void> {
  const controlPlane = ctx.controlPlane;
  const plan = controlPlane?.managers.get(host.name);
  if (!controlPlane || !plan) return;
  const changed =
    plan.writeCa ||
    plan.writeTrust !== undefined ||
    plan.serverCert !== undefined ||
    plan.dropIn !== undefined;
  const restartNeeded = host.facts?.engine?.running === true && (changed || plan.restartPending);
  // In the swarm (a manager, or a worker about to be promoted): its restart is the rolling change's.
  const deferred = restartNeeded && inSwarm(host);
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
      // The rolling turn removes the marker it finds in the facts: it must find this one too.
      if (host.facts) host.facts.files[HOST_RESTART_PENDING] = 'new control-plane API files\n';
    });
  }
  if (plan.writeCa) {
    const ca = controlPlane.ca;
    const what = ca.supplied ? 'certificate (its key stays on this machine)' : 'CA';
    await ctx.changes.apply(host, `write the cluster ${what} to ${HOST_PKI_DIR}`, async () => {
      await prepareDirs();
      // Key first: a generated CA's certificate on a host promises its key is there too (the facts see
      // only certificates). A supplied CA's key is never copied to a host.
      if (!ca.supplied) await host.conn.upload(HOST_CA_KEY, ca.keyPem!, { mode: 0o600, sudo: true });
      await host.conn.upload(HOST_CA_CERT, ca.trustPem ?? ca.certPem, { mode: 0o644, sudo: true });
    });
  }
  if (plan.writeTrust !== undefined) {
    const bundle = plan.writeTrust;
    await ctx.changes.apply(host, `trust the old and the new cluster CA in ${HOST_CA_CERT}`, async () => {
      await prepareDirs();
      await host.conn.upload(HOST_CA_CERT, bundle, { mode: 0o644, sudo: true });
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
  if (!ctx.changes.dryRun) {
    // What the plan asked for is on the host now, and a restart it needs is done or asked for: converging
    // this host again in the same run (restore converges every engine before it starts the swarm, then
    // again with install's phases) writes nothing and asks no restart — one it asked with the manager
    // then in the swarm drained the restored managers for nothing.
    controlPlane.managers.set(host.name, {
      writeCa: false,
      restartPending: restartNeeded ? false : plan.restartPending,
    });
  }
  if (deferred) {
    requestRestart(
      ctx,
      host,
      plan.restartPending && !changed
        ? 'a restart an earlier run left pending'
        : 'new control-plane API files',
    );
  } else if (restartNeeded) {
    await applySteps(ctx, host, serviceManagerFor(host.known.initSystem).restart('docker'), out);
    if (plan.restartPending) await host.sudo(['rm', '-f', HOST_RESTART_PENDING]);
  }
}
