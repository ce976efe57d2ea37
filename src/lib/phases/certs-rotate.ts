import { X509Certificate } from 'node:crypto';
import { EectlError, ExitCode } from '../errors.js';
import { inSwarm, managers, type ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import { issueServerCert } from '../pki/certificates.js';
import { serverNames } from '../pki/inspect.js';
import { addSecret } from '../util/redact.js';
import type { CertsRotatePlan, RotatedCertificate } from '../results/certs.js';
import { writeApiFiles } from './converge/api.js';
import type { ClusterCaChange } from './certs-cluster-ca.js';
import { deployWatchers } from './ingress-watcher.js';
import { clusterCaKey, planRegistryFor, registryHosts } from './registry-plan.js';

/** Why `certs rotate` issues a certificate that is still good: said in the plan and the change log. */
export const ROTATE_REASON = 'rotation asked (eectl certs rotate)';

/** What `certs rotate` is asked to do. */
export interface RotateRequest {
  /**
   * Rotate the swarm's own CA (`docker swarm ca --rotate`) and wait for every node, instead of the server
   * certificates: swarmkit rotates online, no engine restarts.
   */
  swarmCa: boolean;
  /** Longest wait for every node to hold a certificate of the new swarm CA. */
  swarmCaTimeoutMs: number;
  /** Rotate the cluster CA (CERTS_CLUSTER_CA_PHASES): its start, or with `finish` its end. */
  clusterCa?: boolean;
  /** With clusterCa: end the overlap (the new CA alone everywhere). */
  finish?: boolean;
  /** With finish: go on although recorded client bundles of the old CA will be refused. */
  force?: boolean;
}

/** What the phases of `eectl certs rotate` share. */
export interface CertsRotateContext extends ClusterContext {
  request: RotateRequest;
  /** Shown the plan before any change; throws to stop (declined, or no terminal without --yes). */
  confirm: (plan: CertsRotatePlan) => Promise<void>;
  plan?: CertsRotatePlan;
  /** Each new certificate's serial (hex), by owner, once written. */
  serials: Record<string, string>;
  /** The swarm CA rotation, once done. */
  swarmCaDone?: { nodes: number; seconds: number };
  /** --cluster-ca: what the plan decided. */
  clusterCaChange?: ClusterCaChange;
}

/** The names of a manager's API certificate, as install gives them (phases/pki.ts). */
function namesOf(ctx: ClusterContext, host: ClusterContext['hosts'][number]) {
  const addresses = [host.spec.address, host.advertiseAddress, ...host.known.addresses];
  return serverNames(host.known.hostname, addresses, ctx.config.spec.controlPlane.san);
}

/** Whether the file runs the ingress watcher (spec.ingress): its client certificate is rotated too. */
export const hasWatcher = (ctx: ClusterContext): boolean => ctx.config.spec.ingress !== undefined;

/** Each manager's ingress watcher certificate, as a rotation plan lists it (none without spec.ingress). */
export function watcherCertificates(ctx: ClusterContext, what: string): RotatedCertificate[] {
  if (!hasWatcher(ctx)) return [];
  return managers(ctx).map((host) => ({
    what,
    owner: host.name,
    takenUpBy: 'restart of eectl-ingress-watcher (not the engine)',
  }));
}

/**
 * Rotation is for a running cluster: every host of the file must be in the swarm (else install first, which
 * converges it and renews what is due). Swarm-wide commands then go through a manager of the swarm.
 */
export const certsRotateGuardPhase: Phase<CertsRotateContext> = {
  title: 'Check that every host is in the swarm',
  async run(ctx) {
    const outside = ctx.hosts.filter((h) => !inSwarm(h));
    if (outside.length > 0) {
      throw new EectlError(
        `${outside.map((h) => h.name).join(', ')}: not in the swarm; certs rotate works on an installed cluster, and changed nothing`,
        {
          code: 'ENOT_INSTALLED',
          kind: 'user',
          exitCode: ExitCode.preflight,
          suggestions: ['Run eectl install first: it converges these hosts (and renews due certificates).'],
        },
      );
    }
    ctx.swarmManager = managers(ctx).find((m) => m.facts?.swarm?.isManager);
  },
};

/**
 * Decides the rotation before any host changes, after install's own PKI decision (the CA every place
 * agrees on, and what is due anyway): a new server certificate for every manager that is not already
 * getting one, the registry's plan with new certificates, the watcher's (or, with --swarm-ca, the swarm's
 * CA alone); then the plan is shown and confirmed.
 */
export const certsRotatePlanPhase: Phase<CertsRotateContext, 'controlPlane'> = {
  title: 'Plan the certificate rotation',
  needs: ['controlPlane'],
  async run(ctx) {
    if (ctx.request.swarmCa) {
      ctx.plan = { certificates: [swarmCaRow], engineRestarts: [], swarmCa: true };
      if (!ctx.changes.dryRun) await ctx.confirm(ctx.plan);
      return;
    }
    const controlPlane = ctx.controlPlane;
    if (controlPlane.ca.keyPem === undefined) {
      const key = await clusterCaKey(ctx, controlPlane.ca, 'new server certificates');
      addSecret(key);
      controlPlane.ca = { ...controlPlane.ca, keyPem: key };
    }
    const ca = { certPem: controlPlane.ca.certPem, keyPem: controlPlane.ca.keyPem! };
    const certificates: RotatedCertificate[] = [];
    for (const host of managers(ctx)) {
      const plan = controlPlane.managers.get(host.name)!;
      if (!plan.serverCert) {
        const cert = await issueServerCert(ca, namesOf(ctx, host));
        addSecret(cert.keyPem);
        plan.serverCert = { ...cert, reason: ROTATE_REASON };
      }
      certificates.push({
        what: 'API server certificate',
        owner: host.name,
        takenUpBy: 'engine restart (rolling, one manager at a time); the token service reloads it',
      });
    }
    if (registryHosts(ctx).length > 0) {
      await planRegistryFor(ctx, ROTATE_REASON);
      certificates.push({
        what: 'registry certificate',
        owner: 'registry',
        takenUpBy: 'service update, one replica at a time',
      });
      if (ctx.config.spec.registry.auth?.token) {
        certificates.push({
          what: 'token-signing certificate',
          owner: 'registry',
          takenUpBy: 'the token service reloads it; the registry by its service update',
        });
      }
    }
    certificates.push(...watcherCertificates(ctx, "ingress watcher's client certificate"));
    ctx.plan = { certificates, engineRestarts: managers(ctx).map((h) => h.name), swarmCa: false };
    if (!ctx.changes.dryRun) await ctx.confirm(ctx.plan);
  },
};

const swarmCaRow: RotatedCertificate = {
  what: "swarm root CA, and every node's swarm certificate",
  owner: 'swarm',
  takenUpBy: 'swarmkit, online (no engine restarts)',
};

/**
 * Writes each manager's new server certificate (install's own writer: key before certificate, and the
 * restart marker first), which asks the rolling path for its engine restart.
 */
export const certsServerFilesPhase: Phase<CertsRotateContext> = {
  title: 'Write the new API server certificates',
  shouldRun: (ctx) => !ctx.request.swarmCa,
  async run(ctx, out) {
    for (const host of managers(ctx)) {
      const cert = ctx.controlPlane?.managers.get(host.name)?.serverCert;
      await writeApiFiles(ctx, host, out);
      if (cert && !ctx.changes.dryRun)
        ctx.serials[host.name] = new X509Certificate(cert.certPem).serialNumber;
    }
  },
};

/** The ingress watcher's new client certificate on every manager, taken up by restarting its unit. */
export const certsWatcherPhase: Phase<CertsRotateContext> = {
  title: "Renew the ingress watcher's client certificate",
  shouldRun: (ctx) => hasWatcher(ctx) && !ctx.request.swarmCa,
  run: (ctx) => deployWatchers(ctx, managers(ctx), `to be rotated (${ROTATE_REASON})`),
};
