import { isIP } from 'node:net';
import { isHostOrIp } from './fields.js';

/**
 * A proxy URL (spec.proxy): it ends up in a systemd unit file, an apt.conf file and the package managers'
 * configuration, so it is read by a positive model: a scheme of http or https, a host, an optional port,
 * nothing after them but `/`, and (only from an environment variable: urlEnv) a user and password of
 * RFC 3986 unreserved characters and percent-escapes. Anything else is refused, not escaped.
 */
export interface ProxyUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number | undefined;
  /** Decoded; present only when the URL came from urlEnv. */
  user?: string;
  password?: string;
  /** The URL without credentials: safe to show and to write into world-readable files. */
  address: string;
  /** The URL as the engine must get it (with credentials when there are some): a secret then. */
  url: string;
}

/** Every character a proxy URL may contain at all (before its parts are checked). */
const URL_CHARS = /^[A-Za-z0-9._~%:/@[\]-]+$/;
const SHAPE = /^(https?):\/\/(?:([^@/]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+)(?::(\d{1,5}))?\/?$/;
/** A user or password inside the URL: unreserved characters and %HH escapes. */
const USERINFO_PART = /^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/;
/** A decoded user or password: printable ASCII without spaces, quotes or backslashes (netrc and conf files). */
const DECODED_CREDENTIAL = /^[\x21-\x7e]+$/;
const UNSAFE_DECODED = /["'\\#]/;

/** Why `text` is not an acceptable proxy URL, or undefined when it is. */
export function proxyUrlProblem(text: string, options: { credentials: boolean }): string | undefined {
  try {
    parseProxyUrl(text, options);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Parses a proxy URL by the rules above; throws an Error whose message says what is wrong (never the URL). */
export function parseProxyUrl(text: string, options: { credentials: boolean }): ProxyUrl {
  if (!URL_CHARS.test(text)) {
    throw new Error(
      'must be a URL such as http://proxy.example.com:3128 (letters, digits and . _ ~ % : / @ [ ] - only; no spaces, quotes or line breaks)',
    );
  }
  const m = SHAPE.exec(text);
  if (!m) {
    throw new Error(
      'must be http://HOST[:PORT] or https://HOST[:PORT], with nothing after the port but an optional /',
    );
  }
  const [, scheme, userinfo, rawHost, rawPort] = m;
  const host = rawHost!.startsWith('[') ? rawHost!.slice(1, -1) : rawHost!;
  if (rawHost!.startsWith('[') ? isIP(host) !== 6 : !isHostOrIp(host) || isIP(host) === 6) {
    throw new Error('must name the proxy by a host name or an IP address ([...] for IPv6)');
  }
  const port = rawPort === undefined ? undefined : Number(rawPort);
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error('has a port outside 1-65535');
  const hostPort = `${rawHost}${port === undefined ? '' : `:${port}`}`;
  const address = `${scheme}://${hostPort}`;
  if (userinfo === undefined)
    return { scheme: scheme as ProxyUrl['scheme'], host, port, address, url: address };
  if (!options.credentials) {
    throw new Error(
      'must not hold a user or password (they would be readable in the file): put the whole URL into an environment variable and name it with urlEnv',
    );
  }
  const [rawUser, rawPassword, ...rest] = userinfo.split(':');
  if (rest.length > 0 || !rawUser || !USERINFO_PART.test(rawUser)) {
    throw new Error('has a user that is not letters, digits, . _ ~ - or %-escapes');
  }
  if (rawPassword !== undefined && !USERINFO_PART.test(rawPassword)) {
    throw new Error(
      'has a password that is not letters, digits, . _ ~ - or %-escapes (escape others as %XX)',
    );
  }
  const user = decodeURIComponent(rawUser);
  const password = rawPassword === undefined ? undefined : decodeURIComponent(rawPassword);
  for (const [what, value] of [
    ['user', user],
    ['password', password],
  ] as const) {
    if (value !== undefined && (!DECODED_CREDENTIAL.test(value) || UNSAFE_DECODED.test(value))) {
      throw new Error(`has a ${what} with spaces, quotes, # or backslashes once decoded`);
    }
  }
  return {
    scheme: scheme as ProxyUrl['scheme'],
    host,
    port,
    user,
    ...(password !== undefined && { password }),
    address,
    url: `${scheme}://${userinfo}@${hostPort}`,
  };
}

/**
 * A noProxy entry as Go's net/http (the engine) reads NO_PROXY: a host name, `.domain` (its subdomains),
 * an IP address or a CIDR range, or `*`. Nothing else is admitted: the list is written into unit files.
 */
export function noProxyProblem(entry: string): string | undefined {
  if (entry === '*') return undefined;
  const cidr = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const bits = Number(cidr[2]);
    if (family !== 0 && bits <= (family === 4 ? 32 : 128)) return undefined;
  } else if (isIP(entry) !== 0 || isHostOrIp(entry.replace(/^\./, ''))) {
    return undefined;
  }
  return 'must be a host name, .domain, an IP address, a CIDR range such as 10.0.0.0/8, or *';
}
