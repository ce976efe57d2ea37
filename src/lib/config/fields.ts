import { isIP } from 'node:net';
import { posix } from 'node:path';
import { z } from 'zod';
import { destinationShapeProblem, refusedDestination } from './destinations.js';

/**
 * What each kind of field of the cluster file may hold. Values end up in command lines, file contents
 * (apt sources, daemon.json, registry config), certificates and swarm objects on the hosts, so each is
 * checked as what it is, at load time, and none can carry shell syntax or a line break into a host.
 */

/** Control characters (newlines, tabs, NUL, escape): never part of a name, a path or an address. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f]/;

/** An RFC 1123 host name: dot-separated labels of letters, digits and inner dashes, at most 253 long. */
const HOSTNAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** True for a host name (RFC 1123) or an IPv4/IPv6 address. */
export function isHostOrIp(value: string): boolean {
  return isIP(value) !== 0 || HOSTNAME.test(value);
}

/** A host name or an IP address: what eectl connects to. */
export const hostOrIp = z
  .string()
  .min(1)
  .refine(
    (v) => v === '' || isHostOrIp(v),
    'must be a host name or an IP address (letters, digits, dots and dashes)',
  );

/** An IP address (v4 or v6): what a node advertises to the swarm. */
export const ipAddress = z
  .string()
  .min(1)
  .refine((v) => v === '' || isIP(v) !== 0, 'must be an IP address such as 10.0.0.11');

/** A certificate subject alternative name: a host name (a leading `*.` allowed) or an IP address. */
export const subjectAltName = z
  .string()
  .min(1)
  .refine(
    (v) => v === '' || isHostOrIp(v.startsWith('*.') ? v.slice(2) : v),
    'must be a host name (optionally *.domain) or an IP address',
  );

/** A login name on a host (POSIX portable names, plus @ for directory users). */
export const userName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]*\$?$/, 'must be a user name (letters, digits, _ . @ -)');

/** A path on this machine (relative to the cluster file, `~` for home): anything but control characters. */
export const localPath = z
  .string()
  .min(1)
  .refine((v) => !CONTROL.test(v), 'must be a path on one line (no control characters)');

/**
 * An absolute path on the hosts that becomes a bind mount's source: no `..`, no comma or quote (docker's
 * `--mount` takes comma-separated fields), no spaces or control characters.
 */
export const hostPath = z
  .string()
  .min(1)
  .refine((v) => v === '' || v.startsWith('/'), 'must be an absolute path (starting with /)')
  .refine((v) => !/[,"'\s]/.test(v) && !CONTROL.test(v), 'must not contain commas, quotes or spaces')
  .refine((v) => !v.split('/').includes('..'), 'must not contain .. (name the directory itself)')
  .refine((v) => v === '' || posix.normalize(v) !== '/', 'must not be / itself');

/** A URL with no whitespace or control characters (it is written into package sources and configs). */
export function urlOf(protocol: RegExp, message: string) {
  return z
    .string()
    .min(1)
    .refine((v) => !/\s/.test(v) && !CONTROL.test(v), 'must be a URL without spaces or line breaks')
    .pipe(z.url({ protocol, error: message }));
}

/**
 * How clients reach the registry: `https://host[:port]` or `host[:port]` (https assumed), nothing after
 * the port, because it names the registry's endpoint in every engine's certs.d and in its certificate.
 */
export const registryEndpointUrl = z
  .string()
  .min(1)
  .refine(
    (v) => v === '' || isRegistryEndpoint(v),
    'must be https://HOST[:PORT] or HOST[:PORT] (a host name or IP, no path)',
  );

function isRegistryEndpoint(value: string): boolean {
  if (/\s/.test(value) || CONTROL.test(value)) return false;
  const withScheme = value.includes('://') ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    return false;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // new URL() percent-encodes or drops odd characters, so the text itself must hold the host as parsed.
  return isHostOrIp(host) && value.toLowerCase().includes(host.toLowerCase());
}

/** Docker's reserved label namespace for eectl's own node labels. */
export const RESERVED_LABEL_PREFIX = 'eectl.';

/** A swarm node label key: letters, digits, `.`, `-`, `_`, `/`; no `=`, not in eectl's own namespace. */
export const labelKey = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/, 'must be letters, digits, and . - _ / inside (no =)')
  .refine((k) => !k.toLowerCase().startsWith(RESERVED_LABEL_PREFIX), {
    message: `must not start with "${RESERVED_LABEL_PREFIX}": eectl keeps that prefix for its own labels`,
  });

/** A label value: one line of text. */
export const labelValue = z
  .string()
  .refine((v) => !CONTROL.test(v), 'must be one line of text (no control characters)');

/** A package version or prefix as the package managers write them (`26.1`, `5:26.1.4-1~debian.12~bookworm`). */
export const packageVersion = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.+~:_-]*$/, 'must be a package version such as "26.1" or "26.1.4"');

/** An image reference (`registry:2.8.3`, `host:5000/team/app@sha256:…`). */
export const imageReference = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'must be an image reference such as registry:2.8.3')
  .refine((v) => !v.split('/').includes('..'), 'must be an image reference such as registry:2.8.3');

/** A registry (htpasswd) user name: no `:` (the file's separator), no spaces. */
export const registryUserName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/, 'must be a user name (letters, digits, _ . @ -)');

/** An S3 bucket name (AWS's are stricter; S3-compatible stores differ, so only what is safe in a config). */
export const bucketName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a bucket name (letters, digits, . _ -)');

/** An S3 region such as us-east-1. */
export const regionName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a region name such as us-east-1');

/** Ports the swarm itself takes on every node: Raft (2377/tcp), gossip (7946/tcp+udp). */
export const SWARM_PORTS = [2377, 7946] as const;

/**
 * A file's destination on the hosts: absolute, normalized, and not one of eectl's own places
 * (files/destinations.ts has the table; it is judged again on the host with symbolic links resolved).
 */
export const hostFilePath = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((v, ctx) => {
    const why = refusedDestination(v);
    if (why) ctx.addIssue({ code: 'custom', message: destinationShapeProblem(v) ?? `refused: ${why}` });
  });

/** Permission bits as an octal string: a YAML number would be read as decimal (644) or octal by version. */
export const fileMode = z
  .string({ error: 'must be an octal string, quoted, such as "0644"' })
  .regex(
    /^0?[0-7]{3}$/,
    'must be octal permission bits, quoted, such as "0644" (no setuid, setgid or sticky bit)',
  );

/** A user or group on a host: a portable name (useradd's) or a numeric id. */
const OWNER_NAME = '(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}|[0-9]{1,10})';

/** `user` or `user:group`, as chown takes it. */
export const fileOwner = z
  .string()
  .regex(
    new RegExp(`^${OWNER_NAME}(?::${OWNER_NAME})?$`),
    'must be user or user:group (letters, digits, _ . -, not starting with - or .; or numeric ids)',
  );

/** A service the hosts' init system restarts after a file of it changed; never one of eectl's own. */
export const serviceToRestart = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$/, 'must be a service name such as docker or chrony')
  .refine(
    (v) => !/\.service$/.test(v),
    'must be the service name without .service (docker, not docker.service)',
  )
  .refine((v) => !/eectl/i.test(v), "must not be one of eectl's own services: eectl restarts them itself");

/** A repository pattern: path segments of lower-case name characters and `*`, or a whole `**` segment. */
export const REPOSITORY_PATTERN =
  /^(?=.{1,255}$)(\*\*|[a-z0-9*][a-z0-9._*-]*)(\/(\*\*|[a-z0-9*][a-z0-9._*-]*))*$/;

/** The characters of a tag pattern: a tag's own (`[A-Za-z0-9_.-]`) and the wildcards `*` and `?`. */
export const TAG_PATTERN = /^[A-Za-z0-9_.*?-]{1,128}$/;
