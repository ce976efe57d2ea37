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
