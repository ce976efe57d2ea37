import semver from 'semver';
import { EectlError, ExitCode } from '../errors.js';
import { compareDebVersions, compareRpmVersions, splitEvr } from './os/vercmp.js';

/** Which package manager's ordering applies to a host's versions. */
export type PackageFamily = 'deb' | 'rpm';

/** Orders two package versions as the host's package manager does (negative: a is older). */
export function comparePackageVersions(a: string, b: string, family: PackageFamily): number {
  return family === 'deb' ? compareDebVersions(a, b) : compareRpmVersions(a, b);
}

/** `5:26.1.4-1~debian.12~bookworm` → `26.1.4-1~debian.12~bookworm`: rpm specs and rpm -q carry no epoch. */
export function stripEpoch(pkgVersion: string): string {
  return pkgVersion.replace(/^\d+:/, '');
}

/**
 * The engine version the daemon reports, from a package version: `5:26.1.4-1~debian.12~bookworm`,
 * `26.1.5+dfsg1-9+deb13u1+b1`, `3:26.1.4-1.el9` and `24.0.7_ce-150000.198.2` give 26.1.4, 26.1.5, 26.1.4 and
 * 24.0.7. Keeps the leading dotted number rather than cutting at the last hyphen, because Docker's old
 * packages (`18.09.1~3-0~debian-stretch`) put hyphens inside the revision; keeps an rc/beta marker
 * (`27.0.0~rc.1-1~…` → 27.0.0-rc.1) because that is what a test-channel daemon reports.
 */
export function upstreamVersion(pkgVersion: string): string {
  const bare = stripEpoch(pkgVersion.trim());
  const match = /^(\d+(?:\.\d+)*)(?:[~-]((?:rc|beta|alpha)\.?\d*))?/.exec(bare);
  if (!match?.[1]) return bare;
  return match[2] ? `${match[1]}-${match[2]}` : match[1];
}

const isPrerelease = (upstream: string): boolean => upstream.includes('-');

/**
 * Orders engine (upstream) versions. semver after dropping zero padding: semver refuses `18.09.1` (leading
 * zeros), which Docker used until 19.03. Only for upstream versions; package versions use the package
 * manager's order (comparePackageVersions).
 */
export function compareUpstream(a: string, b: string): number {
  const toSemver = (v: string) =>
    semver.coerce(v.replace(/(^|\.)0+(\d)/g, '$1$2'), { includePrerelease: true }) ?? undefined;
  const x = toSemver(a);
  const y = toSemver(b);
  if (x && y) return semver.compare(x, y) || a.localeCompare(b);
  return a.localeCompare(b);
}

/** `26.1` matches upstream 26.1 and 26.1.x but not 26.10.0; `2` does not match 20.10. */
function matchesPrefix(requested: string, upstream: string): boolean {
  if (upstream === requested) return true;
  return /^\d+(\.\d+)*$/.test(requested) && !isPrerelease(upstream) && upstream.startsWith(`${requested}.`);
}

/** Whether `requested` names this package version exactly (epoch optional: dnf hides it, users omit it). */
function isExact(requested: string, pkgVersion: string): boolean {
  return pkgVersion === requested || stripEpoch(pkgVersion) === stripEpoch(requested);
}

/** The available package versions that `requested` selects (all of them when undefined). */
export function matchingVersions(requested: string | undefined, available: readonly string[]): string[] {
  const unique = [...new Set(available)];
  if (requested === undefined || requested.trim() === '') {
    const stable = unique.filter((v) => !isPrerelease(upstreamVersion(v)));
    return stable.length > 0 ? stable : unique;
  }
  const want = requested.trim();
  const exact = unique.filter((v) => isExact(want, v));
  if (exact.length > 0) return exact;
  return unique.filter((v) => matchesPrefix(want, upstreamVersion(v)));
}

/** Newest first, in the package manager's order. */
export function newestFirst(versions: readonly string[], family: PackageFamily): string[] {
  return [...versions].sort((a, b) => comparePackageVersions(b, a, family));
}

/**
 * The exact package version to install for `engine.version`: an exact package version as-is, else the newest
 * whose upstream version is the requested prefix (on dot boundaries), else (undefined) the newest stable one.
 */
export function resolveEngineVersion(
  requested: string | undefined,
  available: readonly string[],
  family: PackageFamily,
  host?: string,
): string {
  const newest = newestFirst(matchingVersions(requested, available), family)[0];
  if (newest === undefined) throw versionNotFound(requested, available, family, host);
  return newest;
}

/** One host's offer: what its package manager lists for the engine package. */
export interface HostVersions {
  host: string;
  available: readonly string[];
  family: PackageFamily;
}

/**
 * Resolves `engine.version` on every host to the same upstream version: the newest upstream that every host
 * offers and that matches the request, then on each host the newest package of that upstream version. So a
 * Debian and a Rocky host asked for "26.1" both get 26.1.4 even when Debian alone already has 26.1.5.
 */
export function resolveAcrossHosts(
  requested: string | undefined,
  hosts: readonly HostVersions[],
): Map<string, string> {
  const candidates = hosts.map((h) => {
    const matching = matchingVersions(requested, h.available);
    if (matching.length === 0) throw versionNotFound(requested, h.available, h.family, h.host);
    return { ...h, matching };
  });
  const shared = candidates
    .map((h) => new Set(h.matching.map(upstreamVersion)))
    .reduce((common, next) => new Set([...common].filter((u) => next.has(u))));
  const target = [...shared].sort((a, b) => compareUpstream(b, a))[0];
  if (target === undefined) {
    const newest = new Map(candidates.map((h) => [h.host, newestFirst(h.matching, h.family)[0] ?? '']));
    throw versionMismatch(newest, 'no engine version matching the request is available on every host');
  }
  return new Map(
    candidates.map((h) => {
      const ofTarget = h.matching.filter((v) => upstreamVersion(v) === target);
      return [h.host, newestFirst(ofTarget, h.family)[0] ?? ''];
    }),
  );
}

/** Checks that every host resolved (or runs) the same upstream engine version; returns that version. */
export function assertSameUpstreamVersion(versionByHost: ReadonlyMap<string, string>): string {
  const upstreams = new Set([...versionByHost.values()].map(upstreamVersion));
  const [only] = upstreams;
  if (upstreams.size === 1 && only !== undefined) return only;
  if (upstreams.size === 0) {
    throw new EectlError('No host has an engine version to compare', { code: 'EINTERNAL', kind: 'bug' });
  }
  throw versionMismatch(versionByHost, 'the hosts do not agree on one engine version');
}

/** Package versions are alphanumerics and `.+~:_-`; anything else is refused before it reaches a command. */
export function assertPackageVersionSyntax(version: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9.+~:_-]*$/.test(version)) {
    throw new EectlError(`"${version}" is not a package version`, {
      code: 'EVERSION_SYNTAX',
      exitCode: ExitCode.preflight,
      suggestions: ['Set engine.version to a version such as "26.1" or an exact package version.'],
    });
  }
}

/** Whether two package versions are the same package build, ignoring an epoch one side may omit. */
export function samePackageVersion(a: string, b: string): boolean {
  const x = splitEvr(a);
  const y = splitEvr(b);
  return x.version === y.version && x.release === y.release;
}

const LISTED = 15;

function versionNotFound(
  requested: string | undefined,
  available: readonly string[],
  family: PackageFamily,
  host: string | undefined,
): EectlError {
  const where = host === undefined ? '' : `${host}: `;
  if (available.length === 0) {
    return new EectlError(`${where}no engine package is available from the configured source`, {
      code: 'EVERSION_NOT_FOUND',
      exitCode: ExitCode.preflight,
      ...(host === undefined ? {} : { host }),
      suggestions: [
        'Check engine.source (and engine.repoUrl for a mirror) and that the host reaches the repository.',
      ],
    });
  }
  const sorted = newestFirst([...new Set(available)], family);
  const shown = sorted.slice(0, LISTED).join(', ');
  const more = sorted.length > LISTED ? ` … and ${sorted.length - LISTED} older` : '';
  return new EectlError(
    `${where}engine.version "${requested ?? ''}" matches none of the available versions: ${shown}${more}`,
    {
      code: 'EVERSION_NOT_FOUND',
      exitCode: ExitCode.preflight,
      ...(host === undefined ? {} : { host }),
      suggestions: [
        `Set engine.version to one of them, or to a prefix of an engine version such as "${upstreamVersion(sorted[0] ?? '')}".`,
      ],
    },
  );
}

function versionMismatch(versionByHost: ReadonlyMap<string, string>, why: string): EectlError {
  const lines = [...versionByHost].map(([host, v]) => `  ${host} → ${upstreamVersion(v)} (${v})`);
  return new EectlError(`Engine versions differ between hosts: ${why}:\n${lines.join('\n')}`, {
    code: 'EVERSION_MISMATCH',
    exitCode: ExitCode.preflight,
    suggestions: [
      'Set engine.version to an engine version every host offers, or use one engine.source for all hosts.',
    ],
  });
}
