import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { ClusterConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { EngineApi, readClientBundle, type ClientTls } from '../engine-api/client.js';
import { ClusterCollector } from '../dashboard/collector.js';
import { fullControlPermissions, type PermissionsSource } from '../dashboard/permissions.js';
import { policyPermissions } from '../dashboard/policy-permissions.js';
import { RegistryReader } from '../dashboard/registry-reader.js';
import { CERT_BACKDATE_MS } from '../access/paths.js';
import { dashboardApp, startDashboardServer } from '../dashboard/server.js';
import { AccessTokens } from '../dashboard/token.js';
import { summarizeCertificate } from '../pki/inspect.js';
import { clusterDir, type Logger } from '../util/log.js';
import type { DashboardResult } from '../results/dashboard.js';

/** Where `eectl client-config` writes the admin bundle, which the dashboard uses unless told otherwise. */
export function defaultBundleDir(cluster: string): string {
  return join(clusterDir(cluster), 'bundles', 'admin');
}

/** The managers' engine API endpoints, in file order. */
export function managerEndpoints(config: ClusterConfig): string[] {
  const port = config.spec.controlPlane.apiPort;
  return config.spec.hosts
    .filter((h) => h.role === 'manager')
    .map((h) => (isIP(h.address) === 6 ? `[${h.address}]:${port}` : `${h.address}:${port}`));
}

/** The engine API of the file's managers with a client bundle, and who the bundle is. */
export async function openClusterApi(
  config: ClusterConfig,
  bundleDir: string | undefined,
): Promise<{
  api: EngineApi;
  tls: ClientTls;
  dir: string;
  user: string;
  issuedAt: Date;
  caNotAfter: string | undefined;
}> {
  const dir = resolve(bundleDir ?? defaultBundleDir(config.metadata.name));
  const tls = await readClientBundle(dir);
  const cert = summarizeCertificate(tls.cert);
  const user = /CN=([^,]+)/.exec(cert.subject)?.[1] ?? 'unknown';
  // As the managers' plugin reckons it: client certificates are backdated when issued.
  const issuedAt = new Date(cert.notBefore.getTime() + CERT_BACKDATE_MS);
  let caNotAfter: string | undefined;
  try {
    caNotAfter = summarizeCertificate(tls.ca).notAfter.toISOString();
  } catch {
    caNotAfter = undefined;
  }
  return {
    api: new EngineApi({ endpoints: managerEndpoints(config), tls }),
    tls,
    dir,
    user,
    issuedAt,
    caNotAfter,
  };
}

export interface DashboardOptions {
  config: ClusterConfig;
  bundleDir: string | undefined;
  listen: string;
  port: number;
  log: Logger;
  /** The cluster file's path, named on the page as where the permissions come from. */
  file?: string;
  /** Overrides the permissions the file's access policy (or its absence) gives. */
  permissions?: PermissionsSource;
  /** Time between two reads of the cluster while a page is open. */
  intervalMs?: number;
}

/**
 * What the page offers: with `spec.access`, what the file's access policy gives the bundle's user (the
 * managers enforce the same policy once installed); without it, everything, and the page says why.
 */
export function dashboardPermissions(
  config: ClusterConfig,
  file: string | undefined,
  api: EngineApi,
): PermissionsSource {
  const access = config.spec.access;
  // Signatures are read from the registry with the managers' credentials: only the managers can check them.
  const signed = config.spec.images.policy.requireSigned
    ? '; the managers also require signed images (spec.images.policy), which the page does not check'
    : '';
  if (!access) {
    if (!signed) return fullControlPermissions;
    return {
      forPage: async (user, objects) => {
        const p = await fullControlPermissions.forPage(user, objects);
        return { ...p, source: `${p.source}${signed}` };
      },
      check: fullControlPermissions.check,
    };
  }
  return policyPermissions({
    file: file ?? 'the cluster file',
    cluster: config.metadata.name,
    access,
    api,
    note: signed,
  });
}

/**
 * Why the server could not listen, in terms of the flags: a port another program holds or a privileged
 * one (--port), an address this machine does not have (--listen). Exit 2 with the way out; undefined for
 * any other error.
 */
export function listenError(error: unknown, listen: string, port: number): UsageError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const cause = { cause: error };
  if (code === 'EADDRINUSE')
    return new UsageError(`--port ${port}: another program is listening on ${listen}:${port}`, {
      ...cause,
      code: 'EPORT_IN_USE',
      suggestions: [
        'Run it with --port 0: the dashboard takes any free port and prints its URL.',
        `Or choose another --port; \`ss -ltnp 'sport = :${port}'\` shows which program holds ${port}.`,
      ],
    });
  if (code === 'EACCES' || code === 'EPERM')
    return new UsageError(`--port ${port}: a port below 1024 needs privileges this user lacks`, {
      ...cause,
      code: 'EPORT_DENIED',
      suggestions: ['Run it with --port 0 (any free port), or a --port from 1024 up.'],
    });
  if (code === 'EADDRNOTAVAIL')
    return new UsageError(`--listen ${listen}: not an address of this machine`, {
      ...cause,
      code: 'EADDRESS',
      suggestions: ['Use 127.0.0.1 (the default), ::1, or an address `ip -brief address` lists.'],
    });
  return undefined;
}

/** Loopback addresses: the only ones where the dashboard is not reachable by other machines. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address);
}

/**
 * Starts the dashboard: a local web server over the managers' mutual-TLS engine API with the user's client
 * bundle, behind a random access token. Resolves once it listens; `close` stops it.
 */
export async function startDashboard(
  options: DashboardOptions,
): Promise<{ result: DashboardResult; openUrl: () => string; close: () => Promise<void> }> {
  if (isIP(options.listen) === 0 && options.listen !== 'localhost') {
    throw new UsageError(`--listen ${JSON.stringify(options.listen)} is not an IP address`, {
      suggestions: ['Use 127.0.0.1 (the default), ::1, or the address of one of this machine’s interfaces.'],
    });
  }
  if (!isLoopback(options.listen)) {
    options.log.warn(
      `listening on ${options.listen}: the dashboard is reachable from other machines (plain HTTP; the token in the URL is all that guards it)`,
    );
  }
  const { api, tls, dir, user, issuedAt, caNotAfter } = await openClusterApi(
    options.config,
    options.bundleDir,
  );
  const collector = new ClusterCollector({
    config: options.config,
    api,
    caPem: tls.ca,
    caNotAfter,
    intervalMs: options.intervalMs,
  });
  const tokens = new AccessTokens();
  const app = dashboardApp({
    tokens,
    collector,
    api,
    bundleDir: dir,
    user: { name: user, issuedAt },
    permissions: options.permissions ?? dashboardPermissions(options.config, options.file, api),
    ...(options.config.spec.hosts.some((h) => h.role === 'registry') && {
      registry: new RegistryReader({
        config: options.config,
        user,
        file: options.file ?? 'the cluster file',
        log: options.log,
      }),
    }),
    log: options.log,
  });
  const server = await startDashboardServer(app, options.listen, options.port).catch((error: unknown) => {
    collector.stop();
    api.close();
    throw listenError(error, options.listen, options.port) ?? error;
  });
  const result: DashboardResult = {
    cluster: options.config.metadata.name,
    url: `${server.url}?token=${tokens.main}`,
    listen: options.listen,
    port: server.port,
    user,
    bundle: dir,
    managers: api.endpoints,
    permissions: options.permissions
      ? 'given by the caller'
      : options.config.spec.access
        ? `the access policy of ${options.file ?? 'the cluster file'} (spec.access) for ${user}`
        : 'every action (the cluster file has no spec.access)',
  };
  return {
    result,
    openUrl: () => `${server.url}?token=${tokens.issueOneTime()}`,
    close: async () => {
      collector.stop();
      await server.close();
      api.close();
    },
  };
}
