import { userCommand, type CommandStep } from './steps.js';
import type { PackageOffer } from './types.js';

/** Every package rpm is asked about: engines, their companions, and what Docker's packages pull in. */
const QUERIED = [
  'docker-ce',
  'docker-ce-cli',
  'containerd.io',
  'docker-buildx-plugin',
  'docker-compose-plugin',
  'docker-ce-rootless-extras',
  'docker',
  'moby-engine',
  'docker-ee',
  'docker-ee-cli',
];

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
