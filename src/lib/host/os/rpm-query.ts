import { userCommand, type CommandStep } from './steps.js';
import type { PackageOffer } from './types.js';
import { DOCKER_REPO_PACKAGES } from './packages.js';

/** Every package rpm is asked about: engines, their companions, and what Docker's packages pull in. */
const QUERIED = [...DOCKER_REPO_PACKAGES, 'docker', 'moby-engine'];

/**
 * `rpm -q` for the engine packages. The epoch is printed only when set, as dnf and zypper list versions, so
 * an installed version compares equal to the listed one.
 */
export function rpmInstalledQuery(): CommandStep {
  return userCommand(
    ['rpm', '-q', '--qf', '%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n', ...QUERIED],
    'query installed engine packages',
    false,
  );
}

/** Parses rpm's `NAME<TAB>[EPOCH:]VERSION-RELEASE` lines; "package docker is not installed" lines have no tab. */
export function parseRpmQuery(stdout: string): PackageOffer[] {
  const installed: PackageOffer[] = [];
  for (const line of stdout.split('\n')) {
    const [name, version] = line.split('\t');
    if (name && version?.trim()) installed.push({ name, version: version.trim() });
  }
  return installed;
}
