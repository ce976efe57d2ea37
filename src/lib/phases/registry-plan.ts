import { inSwarm, managers, type ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { completeCa, readGivenCa, readLocalCa } from '../pki/ca-store.js';
import { keyMatchesCert } from '../pki/keys.js';
import { HOST_CA_KEY } from '../host-layout.js';
import { bundledImageId } from '../registry/bundle-images.js';
import { planRegistry } from '../registry/plan.js';
import { readRegistryState, type RegistryState } from '../registry/state.js';
import { tokenAuthSettings } from '../registry/token-auth.js';
import { registryLogins } from './converge/access.js';
import { addSecret } from '../util/redact.js';

/** The hosts of the file that run a registry replica. */
export const registryHosts = (ctx: ClusterContext): Host[] => ctx.hosts.filter((h) => h.role === 'registry');

/**
 * Decides the registry before any host changes, so a missing password variable stops the run here:
 * reads what the managers kept (one round trip each), reuses it, and issues the certificate only when
 * the kept one does not cover the registry hosts (the CA key is read only then).
 */
export const registryPlanPhase: Phase<ClusterContext> = {
  title: 'Prepare the registry configuration',
  shouldRun: (ctx) => registryHosts(ctx).length > 0,
  run: (ctx) => planRegistryFor(ctx),
};

/**
 * The registry's plan into `ctx.registry`; `renew` (a reason) issues its server and token-signing
 * certificates again although the kept ones are good (`certs rotate`).
 */
export async function planRegistryFor(ctx: ClusterContext, renew?: string): Promise<void> {
  // File users' password hashes are checked here too, before any host changes (the plugin's phase uses them).
  const access = ctx.config.spec.access;
  if (ctx.config.spec.registry.auth?.token && access) registryLogins(access, process.env);
  const kept = await Promise.all(
    managers(ctx).map(async (m) => [m.name, inSwarm(m) ? await readRegistryState(m) : new Map()] as const),
  );
  ctx.registryState = new Map(kept);
  const state: RegistryState = kept.find(([, s]) => s.size > 0)?.[1] ?? new Map();
  const ca = ctx.controlPlane?.ca;
  if (!ca) throw new Error('the registry plan needs the cluster CA: run the PKI phase first');
  ctx.registry = await planRegistry({
    spec: ctx.config.spec.registry,
    cluster: ctx.config.metadata.name,
    registryHosts: registryHosts(ctx),
    env: process.env,
    state,
    caCertPem: ca.certPem,
    caKey: () => clusterCaKey(ctx, ca, 'the registry certificate'),
    imageId: await bundledImageId(ctx.config.spec.images.bundles, ctx.config.spec.registry.image),
    keepAdminPassword: ctx.config.spec.images.policy.requireSigned,
    token: tokenAuthSettings(ctx.config),
    renew,
  });
  if (ctx.registry.certReason) ctx.log.info(`${ctx.registry.certReason}: issuing a new one`);
}

/** The CA key: from this run, from controlPlane.ca, from this machine's copy, else read as root from a manager. */
export async function clusterCaKey(
  ctx: ClusterContext,
  ca: { certPem: string; keyPem?: string | undefined },
  what: string,
): Promise<string> {
  if (ca.keyPem) return ca.keyPem;
  // A supplied CA signs on this machine only: its key is in controlPlane.ca, never on a manager.
  const given = ctx.config.spec.controlPlane.ca;
  if (given) {
    const candidate = await readGivenCa(given);
    if (candidate.certPem === ca.certPem) return candidate.keyPem!;
  }
  const local = await readLocalCa(ctx.config.metadata.name);
  const complete = local && completeCa(local);
  if (complete && complete.certPem === ca.certPem) return complete.keyPem;
  for (const m of managers(ctx).filter(inSwarm)) {
    const key = (await m.conn.readFile(HOST_CA_KEY, { sudo: true }))?.toString('utf8');
    addSecret(key);
    if (key && keyMatchesCert(key, ca.certPem)) return key;
  }
  throw new EectlError(`${what} must be issued, and the cluster CA key was not found`, {
    code: 'ECA_KEY_MISSING',
    kind: 'user',
    exitCode: ExitCode.preflight,
    suggestions: [
      `Put the CA key back in ${HOST_CA_KEY} on a manager, or in ~/.eectl/<cluster>/pki/ca-key.pem.`,
    ],
  });
}
