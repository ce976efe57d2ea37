import { EectlError, ExitCode } from '../../errors.js';
import type { EngineSourceSpec } from './types.js';

/** Docker's repositories, one per OS flavor. */
export const DOCKER_DOWNLOAD = 'https://download.docker.com/linux';

/** Name of eectl's repository in every package manager (file names, repo ids, zypper aliases). */
export const EECTL_REPO = 'eectl-engine';

/** The header of every repository file eectl writes, so an operator knows who owns it. */
export function managedHeader(spec: EngineSourceSpec): string {
  return `# Managed by eectl (engine.source: ${spec.source}); rewritten by every eectl install, removed by eectl reset.\n`;
}

/**
 * The mirror URL, checked. It ends up inside a repository file, never on a command line, but those files are
 * line- and whitespace-based: a newline or space in it would add lines or options of its own.
 */
export function mirrorUrl(spec: EngineSourceSpec): string {
  const url = spec.repoUrl;
  if (url === undefined || url === '') {
    throw new EectlError('engine.source is "mirror" but engine.repoUrl is not set', {
      code: 'EREPO_URL',
      exitCode: ExitCode.usage,
      suggestions: ['Set engine.repoUrl to the URL of the package repository that mirrors the engine.'],
    });
  }
  if (!/^(https?|file):\/\/[^\s\p{Cc}]+$/u.test(url)) {
    throw new EectlError(`engine.repoUrl "${url}" is not an http(s) or file URL without spaces`, {
      code: 'EREPO_URL',
      exitCode: ExitCode.usage,
      suggestions: ['Write engine.repoUrl as a plain URL, such as http://mirror.internal/debian/.'],
    });
  }
  return url;
}

/** A word of a repository file (apt suite, component): no spaces, no control characters, no brackets. */
export function repoWord(word: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/+-]*$/.test(word)) {
    throw new EectlError(`${what} "${word}" is not a repository word`, {
      code: 'EREPO_URL',
      exitCode: ExitCode.usage,
    });
  }
  return word;
}

/** This OS cannot install the engine from this source, and why (exit 3: preflight, nothing was changed). */
export function unsupportedSource(
  os: string,
  spec: EngineSourceSpec,
  why: string,
  instead: string,
): EectlError {
  return new EectlError(`${os} cannot install the engine from engine.source "${spec.source}": ${why}`, {
    code: 'EUNSUPPORTED_SOURCE',
    exitCode: ExitCode.preflight,
    suggestions: [instead],
  });
}

/** The major version of VERSION_ID ("9.4" → "9"): Docker's rpm repositories are per major version. */
export function majorVersion(versionId: string): string {
  return versionId.split('.')[0] ?? versionId;
}

/** Where a mirror's signing key goes on hosts: apt's keyrings (for signed-by), rpm's key directory. */
export const MIRROR_KEY_APT = `/etc/apt/keyrings/${EECTL_REPO}-mirror.asc`;
export const MIRROR_KEY_RPM = `/etc/pki/rpm-gpg/${EECTL_REPO}-mirror.asc`;

/** The mirror's signing key, or undefined for a mirror that is unsigned on purpose (engine.insecure). */
export function mirrorKey(spec: EngineSourceSpec): string | undefined {
  if (spec.insecure === true) return undefined;
  if (spec.repoKey === undefined || spec.repoKey === '') {
    throw new EectlError('engine.source is "mirror" but engine.repoKey is not set', {
      code: 'EREPO_KEY',
      exitCode: ExitCode.usage,
      suggestions: [
        'Set engine.repoKey to the file of the public key that signs the mirror (ASCII-armored).',
        'Or, if the mirror is unsigned on purpose, say so with engine.insecure: true.',
      ],
    });
  }
  return spec.repoKey;
}

/** Login and password for a mirror, kept out of world-readable repository files. */
export interface MirrorCredentials {
  user: string;
  password: string;
  /** `host[:port]/path` of the URL, as apt's auth.conf names a machine. */
  machine: string;
}

/**
 * The mirror URL without its `user:password@`, and those credentials: a repository file is readable by
 * every local user, so the password goes to a file only root can read (the configurer's choice).
 */
export function mirrorAddress(spec: EngineSourceSpec): { url: string; credentials?: MirrorCredentials } {
  const raw = mirrorUrl(spec);
  const userinfo = /^([a-z]+:\/\/)([^@/?#]*)@/i.exec(raw);
  if (!userinfo) return { url: raw };
  const url = raw.replace(userinfo[0], userinfo[1]!);
  const [user = '', password = ''] = userinfo[2]!.split(':').map((part) => safeDecode(part));
  if (!/^[^\s\p{Cc}]+$/u.test(user) || !/^[^\s\p{Cc}]*$/u.test(password)) {
    throw new EectlError('engine.repoUrl: the login and password in the URL must have no spaces', {
      code: 'EREPO_URL',
      exitCode: ExitCode.usage,
    });
  }
  const machine = url.replace(/^[a-z]+:\/\//i, '').replace(/[?#].*$/, '');
  return { url, credentials: { user, password, machine } };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
