import { ENGINE_DATA_PATHS } from '../../host-layout.js';
import { samePackageVersion } from '../version.js';
import { rootCommand, type Step } from './steps.js';
import type { EnginePackages, PackageOffer } from './types.js';

/** Packages that are an engine, in the order one is taken as "the" engine when several are installed. */
export const ENGINE_PACKAGE_NAMES = ['docker-ee', 'docker-ce', 'docker.io', 'moby-engine', 'docker'] as const;

/** Packages of Docker's own repositories and of Mirantis', the same on deb and rpm hosts. */
export const DOCKER_REPO_PACKAGES = [
  'docker-ce',
  'docker-ce-cli',
  'containerd.io',
  'docker-buildx-plugin',
  'docker-compose-plugin',
  'docker-ce-rootless-extras',
  'docker-ee',
  'docker-ee-cli',
] as const;

/** The versions listed for one package, in listing order, without duplicates. */
export function versionsOf(offers: readonly PackageOffer[], name: string): string[] {
  return [...new Set(offers.filter((o) => o.name === name).map((o) => o.version))];
}

/** The engine package's versions in a listing: what resolveEngineVersion chooses from. */
export function engineVersions(offers: readonly PackageOffer[], packages: EnginePackages): string[] {
  return versionsOf(offers, packages.engine);
}

/**
 * The companions offered at the engine's own version. A companion absent at that version is left out rather
 * than installed at another: Debian's docker-cli exists only since the split of docker.io 26, and the
 * engine's own dependencies pull in whatever else it needs.
 */
export function pinnedCompanions(
  packages: EnginePackages,
  version: string,
  offers: readonly PackageOffer[],
): string[] {
  return packages.companions.filter((name) =>
    offers.some((o) => o.name === name && samePackageVersion(o.version, version)),
  );
}

/** The installed engine among installed packages (docker-ce-cli alone is not an engine). */
export function installedEngine(installed: readonly PackageOffer[]): PackageOffer | undefined {
  for (const name of ENGINE_PACKAGE_NAMES) {
    const found = installed.find((p) => p.name === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * Removes the engine's data and eectl's repository files. `--one-file-system` because a container that is
 * still running has bind mounts under /var/lib/docker: rm must not follow them into the host's own files.
 */
export function removeEngineData(sourceFiles: readonly string[]): Step[] {
  return [
    rootCommand(
      ['rm', '-rf', '--one-file-system', ...ENGINE_DATA_PATHS],
      `remove the engine's data and configuration (${ENGINE_DATA_PATHS.join(', ')})`,
    ),
    rootCommand(['rm', '-f', ...sourceFiles], "remove eectl's package source"),
  ];
}
