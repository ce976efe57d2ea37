import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { excludedNames, managers, reportExcluded, type ClusterContext } from './runner/cluster-context.js';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import {
  DAEMON_JSON,
  API_DROP_IN,
  HOST_CA_CERT,
  HOST_CA_KEY,
  HOST_RESTART_PENDING,
  HOST_SERVER_CERT,
} from '../host-layout.js';
import type { Host } from '../host/host.js';
import type { Phase } from './runner/phase.js';
import { apiDropIn, conflictingDaemonKeys } from '../pki/api-drop-in.js';
import {
  agreeOnCa,
  completeCa,
  readGivenCa,
  readLocalCa,
  writeLocalCa,
  type CaCandidate,
} from '../pki/ca-store.js';
import { createCa, issueServerCert, type CertifiedKey } from '../pki/certificates.js';
import { serverCertificateProblem, serverNames } from '../pki/inspect.js';
import { keyMatchesCert } from '../pki/keys.js';
import { CA_KEY_FILE, localPkiDir } from '../pki/paths.js';
import type { ControlPlanePlan, ManagerApiPlan } from '../pki/plan.js';
import { firstCertificate, pemCertificates } from '../pki/trust-bundle.js';
import { addSecret } from '../util/redact.js';

/** A CA found on a manager, with the manager to read its key from. */
type ManagerCa = CaCandidate & { host: Host };

/**
 * Decides the control plane before any host changes: the one cluster CA, and per manager whether it
 * needs the CA, a new server certificate (issued here, in memory) or the API drop-in. Refuses what
 * would break the engine (daemon.json keys the drop-in sets, an init system other than systemd) and two
 * different CAs. A converged cluster costs nothing here: the certificates and the drop-in came with
 * the facts, and the CA key is read only when something must be signed or copied.
 */
export const pkiPhase: Phase<ClusterContext> = {
  title: 'Prepare the cluster CA and API certificates',
  async run(ctx, out) {
    checkApiPrerequisites(ctx);
    reportExcluded(ctx, out, 'its CA and API certificate are not checked or renewed', true);
    const cluster = ctx.config.metadata.name;
    // A manager's CA file may be a trust bundle (a cluster CA rotation in its overlap): its first
    // certificate is the CA that signs, the whole file what the cluster trusts and keeps trusting.
    const onManagers: ManagerCa[] = managers(ctx).flatMap((host) => {
      const file = host.facts?.files[HOST_CA_CERT];
      if (file === undefined) return [];
      return [{ where: `${host.name}:${HOST_CA_CERT}`, certPem: firstCertificate(file), host }];
    });
    const trustPem = managers(ctx)
      .map((h) => h.facts?.files[HOST_CA_CERT])
      .find((file) => file !== undefined && pemCertificates(file).length > 1);
    const local = await readLocalCa(cluster);
    const givenPaths = ctx.config.spec.controlPlane.ca;
    const given = givenPaths ? await readGivenCa(givenPaths) : undefined;
    // Precedence: the CA a manager has is the one the running cluster trusts, so it comes first; then
    // this machine's copy (a cluster installed again after a reset keeps its CA, and its bundles); then
    // the file's controlPlane.ca; else a new one. Every copy that exists must be that same CA.
    const chosen = agreeOnCa([...onManagers, ...(local ? [local] : []), ...(given ? [given] : [])]);
    if (!chosen && excludedNames(ctx, true).length > 0) throw caOnlyOnExcluded(excludedNames(ctx, true));

    const now = new Date();
    const plans = new Map<string, ManagerApiPlan>();
    const san = ctx.config.spec.controlPlane.san;
    const dropIn = apiDropIn(ctx.config.spec.controlPlane.apiPort);
    const toIssue: { host: Host; reason: string }[] = [];
    for (const host of managers(ctx)) {
      const files = host.known.files;
      const reason = chosen
        ? serverCertificateProblem(files[HOST_SERVER_CERT], chosen.certPem, namesOf(host, san), now)
        : 'no server certificate yet';
      if (reason) toIssue.push({ host, reason });
      plans.set(host.name, {
        writeCa: files[HOST_CA_CERT] === undefined,
        dropIn: files[API_DROP_IN] === dropIn ? undefined : dropIn,
        restartPending: files[HOST_RESTART_PENDING] !== undefined,
      });
    }
    // A supplied CA's key stays where the operator keeps it: nothing copies it to the managers or here.
    const supplied = given !== undefined;
    if (supplied) await planSuppliedKeyRemoval(ctx, cluster, given, onManagers, plans);
    const localComplete = local !== undefined && completeCa(local) !== undefined;
    const needKey =
      toIssue.length > 0 || (!supplied && ([...plans.values()].some((p) => p.writeCa) || !localComplete));

    // The key is read only when something must be signed or copied: a converged run does not touch it.
    const ca: CertifiedKey | undefined = !chosen
      ? await createCa(cluster, now)
      : needKey
        ? await caWithKey(chosen, [local, given], onManagers)
        : undefined;
    if (!localComplete && !supplied) {
      const verb = chosen ? 'save the cluster CA' : 'create the cluster CA and save it';
      await ctx.changes.apply({ name: 'local', log: ctx.log }, `${verb} in ${localPkiDir(cluster)}`, () =>
        writeLocalCa(cluster, ca!),
      );
    }
    for (const { host, reason } of toIssue) {
      host.log.info(`${reason}: issuing a new one`);
      const cert = await issueServerCert(ca!, namesOf(host, san), now);
      plans.get(host.name)!.serverCert = { ...cert, reason };
    }
    const plan: ControlPlanePlan = {
      ca: { ...(ca ?? { certPem: chosen!.certPem }), supplied, ...(trustPem && { trustPem }) },
      managers: plans,
    };
    ctx.controlPlane = plan;
  },
};

/** No CA anywhere the run looks, with a manager left out: it may hold the cluster's CA; a new one would split the cluster. */
function caOnlyOnExcluded(excluded: readonly string[]): EectlError {
  return new EectlError(
    `no cluster CA on the managers this run reaches nor on this machine, and ${excluded.join(', ')} is excluded: it may hold the cluster's CA, so no new one is made; nothing was changed`,
    {
      code: 'EEXCLUDE_CA',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        `Bring ${excluded.join(', ')} back and run again without --exclude, or give the CA in controlPlane.ca.`,
      ],
    },
  );
}

/**
 * Copies of a supplied CA's key that an older eectl left behind: this machine's is removed now (it is the
 * operator's own machine, and the key is in controlPlane.ca anyway); a manager's is planned for removal
 * (one `test` per manager that has the CA's certificate, since the facts never read keys).
 */
async function planSuppliedKeyRemoval(
  ctx: ClusterContext,
  cluster: string,
  given: CaCandidate,
  onManagers: readonly ManagerCa[],
  plans: Map<string, ManagerApiPlan>,
): Promise<void> {
  for (const { host, certPem } of onManagers) {
    if (certPem !== given.certPem) continue;
    const r = await host.sudo(['test', '-e', HOST_CA_KEY], { check: false, timeoutMs: 30_000 });
    if (r.code === 0) plans.get(host.name)!.removeCaKey = true;
  }
  const localKey = join(localPkiDir(cluster), CA_KEY_FILE);
  if (existsSync(localKey)) {
    await ctx.changes.apply(
      { name: 'local', log: ctx.log },
      `remove the supplied CA's key from ${localPkiDir(cluster)}`,
      () => rm(localKey, { force: true }),
    );
  }
}

/** The names of a manager's API certificate: hostname, the file's address, advertise and own addresses, SANs. */
function namesOf(host: Host, san: readonly string[]) {
  const addresses = [host.spec.address, host.advertiseAddress, ...host.known.addresses];
  return serverNames(host.known.hostname, addresses, san);
}

/**
 * The chosen CA with its key: from this machine or the file when they hold it (no round trip), else read
 * as root from the managers that have the CA, in file order, until one has the matching key.
 */
async function caWithKey(
  chosen: CaCandidate,
  offline: (CaCandidate | undefined)[],
  onManagers: readonly ManagerCa[],
): Promise<CertifiedKey> {
  for (const candidate of [chosen, ...offline]) {
    if (candidate?.keyPem !== undefined && keyMatchesCert(candidate.keyPem, chosen.certPem)) {
      return { certPem: chosen.certPem, keyPem: candidate.keyPem };
    }
  }
  for (const { host } of onManagers) {
    const key = (await host.conn.readFile(HOST_CA_KEY, { sudo: true }))?.toString('utf8');
    addSecret(key);
    if (key !== undefined && keyMatchesCert(key, chosen.certPem))
      return { certPem: chosen.certPem, keyPem: key };
    host.log.warn(`${HOST_CA_KEY} is ${key === undefined ? 'missing' : 'not the key of the cluster CA'}`);
  }
  throw new EectlError(`the key of the cluster CA (${chosen.where}) was not found; nothing was changed`, {
    code: 'ECA_KEY_MISSING',
    kind: 'user',
    exitCode: ExitCode.preflight,
    suggestions: [
      `Put the CA key back in ${HOST_CA_KEY} on a manager, or in ~/.eectl/<cluster>/pki/ca-key.pem here.`,
      'Or name the CA in controlPlane.ca: {certPath, keyPath} of the cluster file.',
    ],
  });
}

/** What the API drop-in needs from every manager: systemd, and no daemon.json key it sets as a flag. */
function checkApiPrerequisites(ctx: ClusterContext): void {
  const fromFile = conflictingDaemonKeys(ctx.config.spec.engine.daemon);
  if (fromFile.length > 0) {
    throw new UsageError(
      `engine.daemon sets ${fromFile.join(', ')}, which eectl sets itself for the control-plane API`,
      {
        code: 'EAPI_DAEMON_KEYS',
        suggestions: [
          `Remove ${fromFile.join(', ')} from engine.daemon: the API listens on controlPlane.apiPort with mutual TLS.`,
        ],
      },
    );
  }
  for (const host of managers(ctx)) {
    if (host.known.initSystem !== 'systemd') {
      throw new UsageError(
        `${host.name}: the control-plane API is set up through systemd, and this host runs ${host.known.initSystem}`,
        {
          code: 'EAPI_INIT',
          host: host.name,
          suggestions: ['Use managers with systemd (every supported distribution has it).'],
        },
      );
    }
    const text = host.known.files[DAEMON_JSON];
    let daemon: Record<string, unknown>;
    try {
      daemon = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      continue; // The engine phase reports an unreadable daemon.json with its own advice.
    }
    const onHost = conflictingDaemonKeys(daemon);
    if (onHost.length > 0) {
      throw new UsageError(
        `${host.name}: ${DAEMON_JSON} sets ${onHost.join(', ')}, which clash with the control-plane API`,
        {
          code: 'EAPI_DAEMON_KEYS',
          host: host.name,
          suggestions: [
            `Remove ${onHost.join(', ')} from ${DAEMON_JSON} on ${host.name}, then run install again.`,
          ],
        },
      );
    }
  }
}
