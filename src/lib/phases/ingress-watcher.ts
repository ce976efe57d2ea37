import { X509Certificate } from 'node:crypto';
import type { Host } from '../host/host.js';
import {
  WATCHER_DIR,
  WATCHER_ENTRY,
  WATCHER_MANIFEST,
  WATCHER_NODE,
  WATCHER_PKI_DIR,
  WATCHER_KEY,
  WATCHER_CERT,
  WATCHER_CA,
  WATCHER_ENDPOINT,
} from '../ingress/names.js';
import { WATCHER_USER, WATCHER_UNIT, WATCHER_UNIT_NAME } from '../host-layout.js';
import { issueClientCert, type CertifiedKey } from '../pki/certificates.js';
import { isDue, signedBy } from '../pki/inspect.js';
import { keyMatchesCert } from '../pki/keys.js';
import { addSecret } from '../util/redact.js';
import { clusterCaKey } from './registry-plan.js';
import type { ClusterContext } from './runner/cluster-context.js';
import {
  CONFINED_SERVICE,
  deployProgram,
  hiddenPaths,
  systemUserArgv,
  nodeProgram,
  ownUserService,
  programUnit,
  type NodeProgram,
  type ProgramPlace,
} from './converge/node-program.js';

/**
 * The watcher's modules by their path under dist/lib, uploaded as they are into the same folders under
 * WATCHER_DIR (their relative imports hold): they import only node: built-ins and each other.
 */
export const WATCHER_MODULES = [
  'ingress/watcher.js',
  'ingress/routes.js',
  'ingress/haproxy-config.js',
  'ingress/names.js',
];

/**
 * The watcher's unit: supervised as the authorization plugin is (restarted at once when it dies), after
 * the engine it calls; its stdout (JSON lines) is the ingress audit log in journald. It runs as
 * WATCHER_USER with no capability, and the engine's socket and the managers' PKI folder are out of its
 * sight.
 */
export function watcherUnit(): string {
  return programUnit({
    about: 'routes HTTP ingress from service labels (reads services, rolls eectl-ingress-sync).',
    description: 'eectl ingress watcher',
    order: 'After=docker.service',
    execStart: `${WATCHER_NODE} ${WATCHER_ENTRY}`,
    service: [
      // Its own user, no capability, no engine socket: it reaches the engine only through the API's TLS
      // port with its certificate, where the authorization plugin admits its own requests alone.
      ...ownUserService(WATCHER_USER),
      hiddenPaths(),
      ...CONFINED_SERVICE,
    ],
  });
}

function watcherPlan(): Promise<NodeProgram> {
  return nodeProgram(WATCHER_DIR, WATCHER_MODULES, [
    { path: WATCHER_UNIT, content: watcherUnit(), mode: 0o644 },
  ]);
}

/**
 * Installs or updates the watcher on every manager, and starts it when it does not run; `renew` (a reason)
 * issues its client certificate again although the one it has is good (`certs rotate`).
 */
export async function deployWatchers(
  ctx: ClusterContext,
  hosts: readonly Host[],
  renew?: string,
): Promise<void> {
  const plan = await watcherPlan();
  const ca = ctx.controlPlane?.ca;
  if (!ca) throw new Error('the ingress watcher needs the cluster CA: run the PKI phase first');
  const endpoint = `${JSON.stringify({ host: '127.0.0.1', port: ctx.config.spec.controlPlane.apiPort })}\n`;
  let caKey: Promise<string> | undefined;
  const identity: WatcherIdentity = {
    // Trusts what the cluster trusts (both CAs during a cluster CA rotation); is issued by the CA that signs.
    caPem: ca.trustPem ?? ca.certPem,
    endpoint,
    renew,
    issue: async () => {
      caKey ??= clusterCaKey(ctx, ca, "the ingress watcher's client certificate");
      return issueClientCert({ certPem: ca.certPem, keyPem: await caKey }, WATCHER_USER);
    },
  };
  for (const host of hosts) await deployWatcher(ctx, host, plan, identity);
}

interface WatcherIdentity {
  caPem: string;
  endpoint: string;
  renew: string | undefined;
  issue: () => Promise<CertifiedKey>;
}

/**
 * Why the watcher's certificate on a host must be issued again (missing, not from this CA, another name,
 * due for renewal, or its key does not match); undefined when it is good.
 */
export function watcherCertProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  caPem: string,
  now = new Date(),
): string | undefined {
  if (!certPem || !keyPem) return 'missing';
  try {
    if (!signedBy(certPem, caPem)) return 'not issued by the cluster CA';
    const cert = new X509Certificate(certPem);
    if (!/(?:^|\n)CN=eectl-ingress-watcher(?:\n|$)/.test(cert.subject)) return `not for ${WATCHER_USER}`;
    if (isDue(new Date(cert.validTo), now)) return 'due for renewal';
    if (!keyMatchesCert(keyPem, certPem)) return 'its key does not match';
  } catch {
    return 'unreadable';
  }
  return undefined;
}

/** The system user, its folder, key (0600, its own), certificate, CA and endpoint. */
async function ensureIdentity(ctx: ClusterContext, host: Host, identity: WatcherIdentity): Promise<boolean> {
  const hasUser = (await host.exec(['id', '-u', WATCHER_USER], { check: false })).code === 0;
  // The folder is root's and the watcher's (0750): a login user other than root reads it with sudo.
  const read = async (path: string) => (await host.conn.readFile(path, { sudo: true }))?.toString('utf8');
  const certPem = await read(WATCHER_CERT);
  const keyPem = hasUser ? await read(WATCHER_KEY) : undefined;
  addSecret(keyPem);
  const problem =
    watcherCertProblem(certPem, keyPem, identity.caPem) ?? (hasUser ? identity.renew : undefined);
  const caHave = await read(WATCHER_CA);
  const endpointHave = await read(WATCHER_ENDPOINT);
  if (hasUser && !problem && caHave === identity.caPem && endpointHave === identity.endpoint) return false;
  const why = !hasUser ? 'new' : problem ? `the certificate is ${problem}` : 'the CA or API endpoint changed';
  await ctx.changes.apply(
    host,
    `give the ingress watcher its own user and client certificate (${why})`,
    async () => {
      if (!hasUser) {
        await host.sudo(systemUserArgv(WATCHER_USER));
      }
      await host.sudo(['install', '-d', '-m', '0750', '-o', 'root', '-g', WATCHER_USER, WATCHER_PKI_DIR]);
      if (problem) {
        const issued = await identity.issue();
        addSecret(issued.keyPem);
        await host.conn.upload(WATCHER_KEY, issued.keyPem, {
          mode: 0o600,
          sudo: true,
          owner: `${WATCHER_USER}:${WATCHER_USER}`,
        });
        await host.conn.upload(WATCHER_CERT, issued.certPem, { mode: 0o644, sudo: true });
      }
      await host.conn.upload(WATCHER_CA, identity.caPem, { mode: 0o644, sudo: true });
      await host.conn.upload(WATCHER_ENDPOINT, identity.endpoint, { mode: 0o644, sudo: true });
    },
  );
  return true;
}

async function deployWatcher(
  ctx: ClusterContext,
  host: Host,
  plan: NodeProgram,
  identity: WatcherIdentity,
): Promise<void> {
  await deployProgram(ctx, host, plan, WATCHER_PLACE, { prepare: () => ensureIdentity(ctx, host, identity) });
}

const WATCHER_PLACE: ProgramPlace = {
  what: 'the ingress watcher',
  dirs: [
    [WATCHER_DIR, '0755'],
    [`${WATCHER_DIR}/ingress`, '0755'],
  ],
  node: WATCHER_NODE,
  manifest: WATCHER_MANIFEST,
  unit: WATCHER_UNIT_NAME,
};
