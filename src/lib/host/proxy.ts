import { UsageError } from '../errors.js';
import { parseProxyUrl, type ProxyUrl } from '../config/proxy-url.js';
import type { ClusterConfig, ProxySpec } from '../config/schema.js';
import { addSecret } from '../util/redact.js';
import { ENGINE_PROXY_ENV } from '../host-layout.js';

/** One host's proxy, resolved: URLs parsed (urlEnv read), noProxy with the cluster's own addresses. */
export interface HostProxy {
  http?: ProxyUrl;
  https?: ProxyUrl;
  noProxy: string[];
  /** A URL carries a user or password: the files that hold it are root's only. */
  credentials: boolean;
}

/**
 * What every engine and package manager reaches directly: the hosts (addresses and swarm addresses),
 * the registry's external name, loopback and the swarm's address pools — merged with the file's list.
 */
export function defaultNoProxy(config: ClusterConfig, advertised: readonly string[] = []): string[] {
  const registryHost = registryExternalHost(config.spec.registry.externalUrl);
  return [
    'localhost',
    '127.0.0.1',
    '::1',
    ...config.spec.hosts.flatMap((h) => [h.address, h.privateAddress ?? '']),
    ...advertised,
    registryHost ?? '',
    ...config.spec.swarm.defaultAddrPool,
  ].filter((entry) => entry !== '');
}

function registryExternalHost(externalUrl: string | undefined): string | undefined {
  if (!externalUrl) return undefined;
  try {
    return new URL(externalUrl.includes('://') ? externalUrl : `https://${externalUrl}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The proxy of one host (its own `proxy`, else spec.proxy), or undefined when it has none. Reads urlEnv
 * from `env` and registers every credential-bearing form as a secret. Throws a UsageError naming the
 * field (never the URL) when the variable is unset or its URL is refused.
 */
export function resolveHostProxy(
  config: ClusterConfig,
  hostIndex: number,
  advertised: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): HostProxy | undefined {
  const own = config.spec.hosts[hostIndex]?.proxy;
  const spec = own ?? config.spec.proxy;
  if (!spec) return undefined;
  const field = own ? `spec.hosts[${hostIndex}].proxy` : 'spec.proxy';
  const fromEnv = spec.urlEnv === undefined ? undefined : urlFromEnv(spec, field, env);
  const http =
    fromEnv ?? (spec.http === undefined ? undefined : parseProxyUrl(spec.http, { credentials: false }));
  const https = spec.https === undefined ? http : parseProxyUrl(spec.https, { credentials: false });
  const noProxy = [...new Set([...defaultNoProxy(config, advertised), ...spec.noProxy])];
  return {
    ...(http && { http }),
    ...(https && { https }),
    noProxy,
    credentials: fromEnv?.user !== undefined,
  };
}

function urlFromEnv(spec: ProxySpec, field: string, env: NodeJS.ProcessEnv): ProxyUrl {
  const name = spec.urlEnv!;
  const text = env[name];
  if (!text) {
    throw new UsageError(`${field}.urlEnv: environment variable ${name} is not set`, {
      code: 'ESECRET',
      suggestions: [
        `Export ${name} with the proxy URL (http://USER:PASSWORD@HOST:PORT) before running eectl.`,
      ],
    });
  }
  // Registered before it is parsed: whatever goes wrong below, nothing prints it.
  addSecret(text);
  try {
    const url = parseProxyUrl(text, { credentials: true });
    addSecret(url.password);
    if (url.user !== undefined && url.password !== undefined) addSecret(`${url.user}:${url.password}`);
    return url;
  } catch (error) {
    throw new UsageError(`${field}.urlEnv: the URL in ${name} ${(error as Error).message}`, {
      code: 'EPROXY',
      suggestions: [`Set ${name} to http://USER:PASSWORD@HOST:PORT, escaping other characters as %XX.`],
    });
  }
}

/** The engine's drop-in, and with credentials the environment file it names. */
export interface EngineProxyFiles {
  dropIn: string;
  envFile?: string;
}

/** The environment dockerd gets: Go's net/http reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY. */
function engineEnvironment(proxy: HostProxy): [string, string][] {
  return [
    ...(proxy.http ? [['HTTP_PROXY', proxy.http.url] as [string, string]] : []),
    ...(proxy.https ? [['HTTPS_PROXY', proxy.https.url] as [string, string]] : []),
    ['NO_PROXY', proxy.noProxy.join(',')],
  ];
}

/**
 * The files that give dockerd its proxy. Every value was admitted by proxy-url.ts (no spaces, quotes,
 * backslashes or line breaks); the one character left that systemd reads specially in Environment= is
 * `%` (its specifiers, from a URL's %XX escapes), so it is doubled there. An EnvironmentFile has none.
 */
export function engineProxyFiles(proxy: HostProxy): EngineProxyFiles {
  const header = '# Written by eectl (spec.proxy): the engine pulls images through this proxy.';
  const variables = engineEnvironment(proxy);
  if (proxy.credentials) {
    return {
      dropIn: [header, '[Service]', `EnvironmentFile=${ENGINE_PROXY_ENV}`, ''].join('\n'),
      envFile: variables.map(([k, v]) => `${k}=${v}\n`).join(''),
    };
  }
  const assignments = variables.map(([k, v]) => `"${k}=${v.replaceAll('%', '%%')}"`).join(' ');
  return { dropIn: [header, '[Service]', `Environment=${assignments}`, ''].join('\n') };
}

/** For the plan and logs: where the proxy is, never who logs in to it. */
export function describeProxy(proxy: HostProxy): string {
  const http = proxy.http?.address;
  const https = proxy.https?.address;
  const where = http === https || !https ? http : http ? `${http}, https ${https}` : `https ${https}`;
  return `${where}${proxy.credentials ? ' (with credentials)' : ''}`;
}
