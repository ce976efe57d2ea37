import { isIP } from 'node:net';
import { UsageError } from '../../errors.js';
import type { HostProxy } from '../proxy.js';
import { rootCommand, secretUpload, upload, type Step } from './steps.js';

/**
 * What each package manager needs to download through spec.proxy. Every value in these files was admitted
 * by config/proxy-url.ts (no spaces, quotes or line breaks), so they cannot add lines or options.
 */

/** apt's proxy settings (world-readable: no credentials). */
export const APT_PROXY_CONF = '/etc/apt/apt.conf.d/90eectl-proxy';
/** The proxy's login for apt (apt_auth.conf(5) covers proxies too, by `machine http://HOST:PORT`): root only. */
export const APT_PROXY_AUTH = '/etc/apt/auth.conf.d/eectl-proxy.conf';
/** SUSE's system proxy file, which libzypp reads. */
export const ZYPPER_PROXY_FILE = '/etc/sysconfig/proxy';
/** dnf's and yum's main configuration, whose [main] `proxy` eectl sets with config-manager. */
export const DNF_CONF = '/etc/dnf/dnf.conf';
export const YUM_CONF = '/etc/yum.conf';

const HEADER = '# Written by eectl (spec.proxy); removed when the file has no proxy.';

/** noProxy entries apt can name (Acquire::http::Proxy::HOST "DIRECT"): host names and IPv4 addresses. */
function aptDirectHosts(noProxy: readonly string[]): string[] {
  return noProxy.filter((e) => !e.includes('/') && !e.startsWith('.') && e !== '*' && isIP(e) !== 6);
}

/** The environment curl reads its proxy from (values on stdin, so a login never reaches a command line). */
export function curlProxyEnv(proxy: HostProxy | undefined): Record<string, string> {
  if (!proxy) return {};
  return {
    ...(proxy.http && { http_proxy: proxy.http.url }),
    ...(proxy.https && { https_proxy: proxy.https.url }),
    no_proxy: proxy.noProxy.join(','),
  };
}

/** apt's conf file for a proxy (the URLs without credentials). */
export function aptProxyConf(proxy: HostProxy): string {
  const lines = [HEADER];
  for (const [scheme, url] of [
    ['http', proxy.http],
    ['https', proxy.https],
  ] as const) {
    if (!url) continue;
    lines.push(`Acquire::${scheme}::Proxy "${url.address}/";`);
    for (const host of aptDirectHosts(proxy.noProxy))
      lines.push(`Acquire::${scheme}::Proxy::${host} "DIRECT";`);
  }
  if (proxy.credentials) lines.push(`// The proxy's login is in ${APT_PROXY_AUTH} (root only).`);
  return `${lines.join('\n')}\n`;
}

/** apt_auth.conf entries for the proxies that have a login: `machine http://HOST:PORT login USER password PASSWORD`. */
export function aptProxyAuth(proxy: HostProxy): string {
  const entries = new Set<string>();
  for (const url of [proxy.http, proxy.https]) {
    if (url?.user === undefined) continue;
    // With the scheme: apt uses an entry without one only over https (seen with apt 2.6 on Debian 12).
    const machine = url.address;
    entries.add(
      `machine ${machine} login ${url.user}${url.password === undefined ? '' : ` password ${url.password}`}\n`,
    );
  }
  return [...entries].join('');
}

/** apt: the conf file (and the login, root only), or their removal. */
export function aptProxySteps(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[] {
  const current = files[APT_PROXY_CONF];
  if (!proxy) {
    return current === undefined
      ? []
      : [rootCommand(['rm', '-f', APT_PROXY_CONF, APT_PROXY_AUTH], "remove apt's proxy settings")];
  }
  const conf = aptProxyConf(proxy);
  const login = proxy.credentials
    ? [
        rootCommand(['install', '-m', '0755', '-d', '/etc/apt/auth.conf.d'], 'create /etc/apt/auth.conf.d'),
        secretUpload(APT_PROXY_AUTH, aptProxyAuth(proxy), "store the proxy's login for apt (root only)"),
      ]
    : current?.includes(APT_PROXY_AUTH)
      ? [rootCommand(['rm', '-f', APT_PROXY_AUTH], "remove the proxy's old login for apt")]
      : [];
  return [...login, ...(current === conf ? [] : [upload(APT_PROXY_CONF, conf, 'point apt at the proxy')])];
}

/**
 * What eectl last set in a system file it shares with the operator (dnf.conf, /etc/sysconfig/proxy), kept
 * in a file of its own that the facts read: the system files themselves are never read into the facts
 * (they go to the log), since an operator's own proxy login may be in them.
 */
export const PACKAGE_PROXY_MARK = '/etc/eectl/package-proxy';

/** The steps that record (or forget) what eectl set, after the change itself. */
function markSteps(mark: string | undefined): Step[] {
  if (mark === undefined)
    return [rootCommand(['rm', '-f', PACKAGE_PROXY_MARK], "forget eectl's package proxy")];
  return [
    rootCommand(['install', '-d', '-m', '0755', '/etc/eectl'], 'create /etc/eectl'),
    upload(PACKAGE_PROXY_MARK, mark, "record eectl's package proxy"),
  ];
}

/**
 * dnf and yum: the [main] section's `proxy` (every repository's downloads), set by the package manager's own
 * config-manager so the rest of the file stays as it is. A login is refused: dnf.conf is world-readable.
 */
export function dnfProxySteps(
  packageManager: 'dnf' | 'yum',
  proxy: HostProxy | undefined,
  files: Readonly<Record<string, string>>,
): Step[] {
  if (proxy?.credentials)
    throw credentialsRefused(packageManager, 'its configuration is readable by every user');
  const confPath = packageManager === 'dnf' ? DNF_CONF : YUM_CONF;
  const configManager = packageManager === 'dnf' ? ['dnf', 'config-manager'] : ['yum-config-manager'];
  // dnf has one proxy setting for every scheme: the https one when both are given (repositories are https).
  const wanted = (proxy?.https ?? proxy?.http)?.address;
  const mark = wanted === undefined ? undefined : `${confPath}: proxy=${wanted}\n`;
  const current = files[PACKAGE_PROXY_MARK];
  if (current === mark) return [];
  return [
    rootCommand(
      [...configManager, '--save', `--setopt=proxy=${wanted ?? ''}`],
      wanted === undefined ? `remove the proxy from ${confPath}` : `point ${packageManager} at the proxy`,
    ),
    ...markSteps(mark),
  ];
}

/** zypper: SUSE's /etc/sysconfig/proxy (libzypp reads it), written whole, or disabled when eectl wrote it. */
export function zypperProxyFile(proxy: HostProxy | undefined): string {
  if (!proxy) return `${HEADER}\nPROXY_ENABLED="no"\n`;
  return [
    HEADER,
    'PROXY_ENABLED="yes"',
    `HTTP_PROXY="${proxy.http?.address ?? ''}"`,
    `HTTPS_PROXY="${proxy.https?.address ?? ''}"`,
    `NO_PROXY="${proxy.noProxy.join(', ')}"`,
    '',
  ].join('\n');
}

export function zypperProxySteps(
  proxy: HostProxy | undefined,
  files: Readonly<Record<string, string>>,
): Step[] {
  if (proxy?.credentials) throw credentialsRefused('zypper', `its login would go into root's ~/.curlrc`);
  const current = files[PACKAGE_PROXY_MARK];
  const text = zypperProxyFile(proxy);
  // Without a proxy, a file eectl did not write is left alone.
  if (proxy ? current === text : current === undefined) return [];
  return [
    upload(ZYPPER_PROXY_FILE, text, proxy ? 'point zypper at the proxy' : "disable eectl's proxy for zypper"),
    ...markSteps(proxy ? text : undefined),
  ];
}

function credentialsRefused(packageManager: string, why: string): UsageError {
  return new UsageError(
    `a proxy with a login (urlEnv with USER:PASSWORD) is not supported with ${packageManager}: ${why}`,
    {
      code: 'EPROXY',
      suggestions: [
        `Use a proxy without a login for ${packageManager} hosts (give them their own \`proxy\` in spec.hosts), or allow them by address at the proxy.`,
      ],
    },
  );
}
