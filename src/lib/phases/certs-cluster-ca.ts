import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import type { Host } from '../host/host.js';
import { managers, type ClusterContext } from './runner/cluster-context.js';
import type { Phase } from './runner/phase.js';
import {
  bundlesOfOldCa,
  caRotationState,
  type CaRotationState,
  type ManagerCaFiles,
} from '../pki/ca-rotation.js';
import { completeCa, readLocalNextCa, writeAtomically, writeLocalCa } from '../pki/ca-store.js';
import { createCa, issueServerCert, type CertifiedKey } from '../pki/certificates.js';
import { sameCertificate, serverNames, summarizeCertificate } from '../pki/inspect.js';
import { readIssuedBundles, type IssuedBundle } from '../pki/issued-bundles.js';
import { keyMatchesCert } from '../pki/keys.js';
import { localNextPkiDir, localPkiDir } from '../pki/paths.js';
import { HOST_CA_CERT, HOST_CA_NEXT_CERT, HOST_CA_NEXT_KEY, HOST_RESTART_PENDING } from '../host-layout.js';
import type { ManagerApiPlan } from '../pki/plan.js';
import { trustBundle } from '../pki/trust-bundle.js';
import { addSecret } from '../util/redact.js';
import type { CaSummary, RotatedCertificate } from '../results/certs.js';
import { writeApiFiles } from './converge/api.js';
import { hasWatcher, watcherCertificates, type CertsRotateContext } from './certs-rotate.js';
import { deployWatchers } from './ingress-watcher.js';
import { planRegistryFor, registryHosts } from './registry-plan.js';

/** Why the finish issues a certificate again: said in the plan and the change log. */
export const CLUSTER_CA_REASON = 'cluster CA rotation (eectl certs rotate --cluster-ca)';

/** What a cluster CA rotation decided: the CA it leaves, the one it brings, and what is trusted meanwhile. */
export interface ClusterCaChange {
  old: string | undefined;
  next: CertifiedKey;
  /** The managers that must get the new CA's files (the start), by name. */
  writeNext: string[];
  /** Recorded client bundles the old CA signed. */
  oldBundles: IssuedBundle[];
}

/** The CA files of every manager, from the facts. */
function managerCaFiles(ctx: ClusterContext): ManagerCaFiles[] {
  return managers(ctx).map((h) => ({
    host: h.name,
    trust: h.facts?.files[HOST_CA_CERT],
    next: h.facts?.files[HOST_CA_NEXT_CERT],
  }));
}

/** A CA as the result names it. */
export function caSummary(pem: string): CaSummary {
  const s = summarizeCertificate(pem);
  return { subject: s.subject, fingerprint: s.fingerprint, notAfter: s.notAfter.toISOString() };
}

/**
 * The new CA's key: this machine's copy when it has the same CA, else read as root from the managers that
 * hold the new CA (its key sits beside it, 0600).
 */
async function nextCaKey(ctx: ClusterContext, nextPem: string): Promise<string> {
  const local = await readLocalNextCa(ctx.config.metadata.name);
  const complete = local && completeCa(local);
  if (complete && sameCertificate(complete.certPem, nextPem)) return complete.keyPem;
  for (const m of managers(ctx).filter((h) => h.facts?.files[HOST_CA_NEXT_CERT] !== undefined)) {
    const key = (await m.conn.readFile(HOST_CA_NEXT_KEY, { sudo: true }))?.toString('utf8');
    addSecret(key);
    if (key !== undefined && keyMatchesCert(key, nextPem)) return key;
    m.log.warn(
      `${HOST_CA_NEXT_KEY} is ${key === undefined ? 'missing' : 'not the key of the new cluster CA'}`,
    );
  }
  throw new EectlError(
    'the key of the new cluster CA was found neither on a manager nor here; nothing was changed',
    {
      code: 'ECA_KEY_MISSING',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        `Put it back in ${HOST_CA_NEXT_KEY} on a manager, or in ${localNextPkiDir(ctx.config.metadata.name)}/ca-key.pem here.`,
      ],
    },
  );
}

function namesOf(ctx: ClusterContext, host: Host) {
  const addresses = [host.spec.address, host.advertiseAddress, ...host.known.addresses];
  return serverNames(host.known.hostname, addresses, ctx.config.spec.controlPlane.san);
}

/**
 * Decides the rotation's step from the managers' files, before any host changes, and asks. The start makes
 * the new CA (or takes the one a stopped run left on the managers) and plans the trust bundle (old + new)
 * for every CA file; the finish issues every server certificate from the new CA and plans the new CA alone
 * everywhere, refusing while a manager is not in the overlap or a recorded client bundle is the old CA's
 * (unless --force).
 */
export const clusterCaPlanPhase: Phase<CertsRotateContext> = {
  title: 'Plan the cluster CA rotation',
  async run(ctx) {
    if (ctx.config.spec.controlPlane.ca) {
      throw new UsageError(
        'controlPlane.ca names a CA of your own: eectl does not hold its key, so it cannot rotate it; nothing was changed',
        {
          code: 'ECA_SUPPLIED',
          suggestions: ['Rotate that CA where it is kept, then point controlPlane.ca at the new files.'],
        },
      );
    }
    const state = caRotationState(managerCaFiles(ctx));
    if (ctx.request.finish) await planFinish(ctx, state);
    else await planStart(ctx, state);
    if (!ctx.changes.dryRun) await ctx.confirm(ctx.plan!);
  },
};

async function planStart(ctx: CertsRotateContext, state: CaRotationState): Promise<void> {
  if (state.stage === 'rotating') {
    const finished = state.managers.filter((m) => m.trusts === 'new').map((m) => m.host);
    if (finished.length > 0) {
      throw new EectlError(
        `a finish of the cluster CA rotation is under way (${finished.join(', ')} trust the new CA alone); nothing was changed`,
        {
          code: 'ECA_ROTATION_STATE',
          kind: 'user',
          exitCode: ExitCode.preflight,
          suggestions: ['Complete it: eectl certs rotate --cluster-ca --finish'],
        },
      );
    }
  }
  const old = state.stage === 'none' ? state.current : state.old!;
  let next: CertifiedKey;
  if (state.stage === 'none') next = await createCa(ctx.config.metadata.name);
  else next = { certPem: state.next, keyPem: await nextCaKey(ctx, state.next) };
  addSecret(next.keyPem);
  const bundle = trustBundle([old, next.certPem]);
  const plans = new Map<string, ManagerApiPlan>();
  const certificates: RotatedCertificate[] = [
    {
      what: 'new cluster CA, trusted beside the old one',
      owner: ctx.config.metadata.name,
      takenUpBy:
        "every manager's CA file (engines restart, rolling; the plugin and token service reload it), /etc/docker/certs.d on every node, the ingress watcher",
    },
  ];
  for (const host of managers(ctx)) {
    const inOverlap =
      state.stage === 'rotating' && state.managers.find((m) => m.host === host.name)?.trusts === 'both';
    plans.set(host.name, {
      writeCa: false,
      restartPending: host.known.files[HOST_RESTART_PENDING] !== undefined,
      ...(!inOverlap && { writeTrust: bundle }),
    });
  }
  certificates.push(...watcherCertificates(ctx, "ingress watcher's client certificate, from the new CA"));
  const writeNext =
    state.stage === 'none'
      ? managers(ctx).map((h) => h.name)
      : state.managers.filter((m) => !m.hasNext).map((m) => m.host);
  ctx.clusterCaChange = {
    old,
    next,
    writeNext,
    oldBundles: bundlesOfOldCa(await readIssuedBundles(ctx.config.metadata.name), next.certPem),
  };
  ctx.controlPlane = {
    ca: { certPem: next.certPem, keyPem: next.keyPem, supplied: false, trustPem: bundle },
    managers: plans,
  };
  const restarts = [...plans]
    .filter(([, p]) => p.writeTrust !== undefined || p.restartPending)
    .map(([h]) => h);
  ctx.plan = { certificates, engineRestarts: restarts, swarmCa: false, clusterCa: 'start' };
}

async function planFinish(ctx: CertsRotateContext, state: CaRotationState): Promise<void> {
  if (state.stage === 'none') {
    throw new EectlError(
      'no cluster CA rotation is under way, so there is nothing to finish; nothing was changed',
      {
        code: 'ENO_CA_ROTATION',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: ['Start one with eectl certs rotate --cluster-ca.'],
      },
    );
  }
  const behind = state.managers.filter((m) => m.trusts === 'old' || (m.trusts === 'both' && !m.hasNext));
  if (behind.length > 0) {
    throw new EectlError(
      `${behind.map((m) => m.host).join(', ')}: not in the overlap yet (the start did not reach it); nothing was changed`,
      {
        code: 'ECA_ROTATION_STATE',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: ['Run eectl certs rotate --cluster-ca again: it completes the start, then finish.'],
      },
    );
  }
  const next: CertifiedKey = { certPem: state.next, keyPem: await nextCaKey(ctx, state.next) };
  addSecret(next.keyPem);
  const oldBundles = bundlesOfOldCa(await readIssuedBundles(ctx.config.metadata.name), next.certPem);
  if (oldBundles.length > 0 && !ctx.request.force) {
    throw new EectlError(
      `${oldBundles.length} client bundle(s) issued here were signed by the old cluster CA, which the finish stops trusting:\n${oldBundles.map((b) => `  ${b.user}: ${b.dir}`).join('\n')}\nnothing was changed`,
      {
        code: 'ECA_OLD_BUNDLES',
        kind: 'user',
        exitCode: ExitCode.preflight,
        suggestions: [
          ...oldBundles.map((b) => `eectl client-config --user ${b.user} --out ${b.dir}`),
          'Or finish anyway with --force: those bundles are then refused.',
        ],
      },
    );
  }
  const plans = new Map<string, ManagerApiPlan>();
  const certificates: RotatedCertificate[] = [];
  for (const host of managers(ctx)) {
    const cert = await issueServerCert(next, namesOf(ctx, host));
    addSecret(cert.keyPem);
    plans.set(host.name, {
      writeCa: true,
      restartPending: host.known.files[HOST_RESTART_PENDING] !== undefined,
      serverCert: { ...cert, reason: CLUSTER_CA_REASON },
    });
    certificates.push({
      what: 'API server certificate, from the new CA; the CA file trusts the new CA alone',
      owner: host.name,
      takenUpBy: 'engine restart (rolling, one manager at a time); the plugin and token service reload',
    });
  }
  ctx.clusterCaChange = { old: state.old, next, writeNext: [], oldBundles };
  ctx.controlPlane = { ca: { certPem: next.certPem, keyPem: next.keyPem, supplied: false }, managers: plans };
  if (registryHosts(ctx).length > 0) {
    await planRegistryFor(ctx, CLUSTER_CA_REASON);
    certificates.push({
      what: 'registry certificate (and token-signing certificate), from the new CA',
      owner: 'registry',
      takenUpBy: 'service update, one replica at a time; then certs.d trusts the new CA alone',
    });
  }
  if (hasWatcher(ctx)) {
    certificates.push({
      what: "ingress watcher's CA file: the new CA alone",
      owner: 'every manager',
      takenUpBy: 'restart of eectl-ingress-watcher (not the engine)',
    });
  }
  ctx.plan = {
    certificates,
    engineRestarts: managers(ctx).map((h) => h.name),
    swarmCa: false,
    clusterCa: 'finish',
  };
}

/**
 * Writes the planned files on every manager. The start: the new CA (key first, 0600) where it is missing
 * and on this machine beside the old one, then the trust bundle in ca.pem (the restart marker first, so a
 * stopped run still restarts that engine). The finish: the new server certificate and the new CA alone
 * (install's writer: marker, CA key, CA, server key, server certificate).
 */
export const clusterCaFilesPhase: Phase<CertsRotateContext, 'clusterCaChange'> = {
  title: 'Write the cluster CA files',
  needs: ['clusterCaChange'],
  async run(ctx, out) {
    const { next, writeNext } = ctx.clusterCaChange;
    for (const host of managers(ctx).filter((h) => writeNext.includes(h.name))) {
      await ctx.changes.apply(
        host,
        `write the new cluster CA to ${HOST_CA_NEXT_CERT} (its key 0600)`,
        async () => {
          await host.conn.upload(HOST_CA_NEXT_KEY, next.keyPem, { mode: 0o600, sudo: true });
          await host.conn.upload(HOST_CA_NEXT_CERT, next.certPem, { mode: 0o644, sudo: true });
        },
      );
    }
    const cluster = ctx.config.metadata.name;
    const local = await readLocalNextCa(cluster);
    if (!ctx.request.finish && !(local && sameCertificate(local.certPem, next.certPem))) {
      await ctx.changes.apply(
        { name: 'local', log: ctx.log },
        `save the new cluster CA in ${localNextPkiDir(cluster)}`,
        () => writeLocalCa(cluster, next, localNextPkiDir(cluster)),
      );
    }
    for (const host of managers(ctx)) await writeApiFiles(ctx, host, out);
  },
};

/**
 * The ingress watcher: at the start its CA file becomes the trust bundle and its client certificate is
 * issued from the new CA; at the finish its CA file holds the new CA alone (a certificate of the old CA
 * would be issued again, as it no longer chains to what is trusted).
 */
export const clusterCaWatcherPhase: Phase<CertsRotateContext> = {
  title: 'Move the ingress watcher to the new cluster CA',
  shouldRun: hasWatcher,
  run: (ctx) =>
    deployWatchers(
      ctx,
      managers(ctx),
      ctx.request.finish ? undefined : `to be issued from the new CA (${CLUSTER_CA_REASON})`,
    ),
};

/** Where the finish keeps the old CA's certificate on this machine (public; backup verify --trust reads it). */
export function retiredCaFile(cluster: string, oldPem: string): string {
  return join(
    localPkiDir(cluster),
    `ca-retired-${summarizeCertificate(oldPem).fingerprint.slice(0, 16)}.pem`,
  );
}

/**
 * The finish's last step, once every place trusts the new CA alone: this machine's copy of the cluster
 * CA becomes the new one (install, client-config and backup sign with it from now on), then the managers'
 * ca-next files go, which ends the rotation (a run stopped before this point finishes on the next run).
 * The old CA's key is not kept anywhere.
 */
export const clusterCaRetirePhase: Phase<CertsRotateContext, 'clusterCaChange'> = {
  title: 'Retire the old cluster CA',
  needs: ['clusterCaChange'],
  shouldRun: (ctx) => ctx.request.finish === true,
  async run(ctx) {
    const cluster = ctx.config.metadata.name;
    const { next, old } = ctx.clusterCaChange;
    const retired = old === undefined ? undefined : retiredCaFile(cluster, old);
    await ctx.changes.apply(
      { name: 'local', log: ctx.log },
      `make the new cluster CA this machine's copy in ${localPkiDir(cluster)}`,
      async () => {
        // The old CA's certificate (never its key) stays here: backups it signed verify with --trust.
        if (retired) await writeAtomically(retired, old!, 0o644);
        await writeLocalCa(cluster, next);
        await rm(localNextPkiDir(cluster), { recursive: true, force: true });
      },
    );
    for (const host of managers(ctx).filter((h) => h.facts?.files[HOST_CA_NEXT_CERT] !== undefined)) {
      await ctx.changes.apply(host, `remove ${HOST_CA_NEXT_CERT} and its key: the rotation is finished`, () =>
        host.sudo(['rm', '-f', HOST_CA_NEXT_KEY, HOST_CA_NEXT_CERT]),
      );
    }
  },
};
