import { dirname } from 'node:path';
import type { HostProxy } from '../proxy.js';
import { assertPackageVersionSyntax, stripEpoch } from '../version.js';
import { pinnedCompanions, removeEngineData } from './packages.js';
import { parseRpmQuery, rpmInstalledQuery } from './rpm-query.js';
import {
  managedHeader,
  mirrorAddress,
  mirrorKey,
  mirrorUrl,
  MIRROR_KEY_RPM,
  unsupportedSource,
} from './source.js';
import { rootCommand, upload, type CommandStep, type Step, type UploadStep } from './steps.js';
import type { EnginePackages, EngineSourceSpec, OsConfigurer, PackageOffer } from './types.js';

/** Docker's packages in its rpm repositories (and in a mirror of them). */
export const DOCKER_CE: EnginePackages = {
  engine: 'docker-ce',
  companions: ['docker-ce-cli'],
  unpinned: ['containerd.io'],
};

/** The distribution's own engine package, as RHEL 7 and SUSE name it (no companions to pin). */
export const DISTRO_DOCKER: EnginePackages = { engine: 'docker', companions: [], unpinned: [] };

/** How a package manager holds packages at their version (dnf versionlock, zypper addlock). */
export interface VersionLock {
  /** Locks the packages: dnf at the name-version `specs` installed (the names alone for a hold), zypper by name. */
  add(names: readonly string[], specs: readonly string[]): string[];
  remove(names: readonly string[]): string[];
  /** dnf 4's versionlock is an optional plugin: without it a lock fails and the version is simply not locked. */
  optional: boolean;
}

/** How a package manager downloads an install's packages without installing them. */
export interface DownloadOnly {
  /** Put right after `install` in the install's argv. */
  flags: readonly string[];
  /** The lock of the running version must be lifted around the download (zypper's locks are by name). */
  liftsLock: boolean;
}

/**
 * What the rpm package managers (dnf and yum, zypper) share: the mirror checks, the order of a source's
 * steps, an install pinned at name-version with its lock around it, the download-only variant of that
 * install, `rpm -q` for what is installed, and the removal of the engine and eectl's source. A subclass
 * says how its package manager spells each of them.
 */
export abstract class RpmConfigurer implements OsConfigurer {
  readonly packageFamily = 'rpm';
  abstract readonly name: string;
  abstract readonly packageManager: 'dnf' | 'yum' | 'zypper';
  /** eectl's repository file. */
  protected abstract readonly repoPath: string;
  /** What the switch to engine.source "distro" removes. */
  protected abstract readonly replacedSourceFiles: readonly string[];
  /** eectl's files of the package source that reset removes. */
  protected abstract readonly sourceFiles: readonly string[];
  protected abstract readonly versionLock: VersionLock | undefined;
  protected abstract readonly downloadOnly: DownloadOnly;
  /** Between the package name and its version in an install: `docker-ce-27.3.1-1.el9`, `docker=24.0.7_ce`. */
  protected abstract readonly versionSeparator: string;

  /** Why this OS cannot install from the source, and what to use instead; undefined: it can. */
  protected abstract unsupported(spec: EngineSourceSpec): { why: string; instead: string } | undefined;
  /** Docker's own repository carries docker-ce everywhere; the distribution and a mirror differ per family. */
  enginePackages(spec: EngineSourceSpec): EnginePackages {
    return spec.source === 'docker' ? DOCKER_CE : this.nonDockerPackages(spec);
  }
  /** The engine's packages from the distribution, or from a mirror (`spec.source` is not "docker"). */
  protected abstract nonDockerPackages(spec: EngineSourceSpec): EnginePackages;
  /** The repository file's text, after the managed header. */
  protected abstract repoFile(spec: EngineSourceSpec): string;
  /** The mirror's login as the package manager reads it: a file only root reads. */
  protected abstract mirrorLogin(credentials: { user: string; password: string }): UploadStep;
  /** Steps before the repository file of Docker's repository (its signing key). */
  protected abstract dockerKeySteps(): Step[];
  /** The argv that lists every version of these packages. */
  protected abstract listArgs(spec: EngineSourceSpec, packages: readonly string[]): string[];
  /** The argv that installs these package specs. */
  protected abstract installArgs(spec: EngineSourceSpec, packages: readonly string[]): string[];
  protected abstract removeArgs(packages: readonly string[]): string[];
  abstract refreshMetadata(spec: EngineSourceSpec): Step[];
  abstract parseAvailable(stdout: string): PackageOffer[];
  abstract packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[];

  checkSource(spec: EngineSourceSpec): void {
    if (spec.source === 'mirror') {
      mirrorUrl(spec);
      mirrorKey(spec);
    }
    const refused = this.unsupported(spec);
    if (refused) throw unsupportedSource(this.name, spec, refused.why, refused.instead);
  }

  setupSource(spec: EngineSourceSpec): Step[] {
    this.checkSource(spec);
    if (spec.source === 'distro') {
      return [
        rootCommand(['rm', '-f', ...this.replacedSourceFiles], "remove eectl's package source, if any"),
      ];
    }
    const file = upload(
      this.repoPath,
      managedHeader(spec) + this.repoFile(spec),
      `add the ${spec.source} repository`,
    );
    if (spec.source !== 'mirror') return [...this.dockerKeySteps(), file];
    const key = mirrorKey(spec);
    const { credentials } = mirrorAddress(spec);
    const login = credentials && this.mirrorLogin(credentials);
    return [
      ...(key === undefined ? [] : this.mirrorKeySteps(key)),
      ...(login === undefined
        ? []
        : [
            rootCommand(
              ['install', '-m', '0755', '-d', dirname(login.path)],
              `create ${dirname(login.path)}`,
            ),
            login,
          ]),
      file,
    ];
  }

  /** The mirror's signing key (engine.repoKey), as the file gave it: never what the mirror serves. */
  protected mirrorKeySteps(key: string): Step[] {
    return [upload(MIRROR_KEY_RPM, key, "install the mirror's signing key")];
  }

  listVersions(spec: EngineSourceSpec): CommandStep {
    const { engine, companions } = this.enginePackages(spec);
    return rootCommand(this.listArgs(spec, [engine, ...companions]), `list versions of ${engine}`, {
      check: false,
    });
  }

  installEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    assertPackageVersionSyntax(version);
    const packages = this.enginePackages(spec);
    const pinned = [packages.engine, ...pinnedCompanions(packages, version, available)];
    // Without the epoch: docker-ce has epoch 3 and docker-ce-cli epoch 1 for one build; an epoch-less
    // version matches any epoch.
    const specs = pinned.map((name) => `${name}${this.versionSeparator}${stripEpoch(version)}`);
    const install = rootCommand(
      this.installArgs(spec, [...specs, ...packages.unpinned]),
      `install ${packages.engine} ${version}`,
    );
    const lock = this.versionLock;
    if (lock === undefined) return [install];
    return [
      rootCommand(lock.remove(pinned), `unlock ${pinned.join(', ')}`, { check: false }),
      install,
      rootCommand(lock.add(pinned, specs), `lock ${pinned.join(', ')} at ${version}`, {
        check: !lock.optional,
      }),
    ];
  }

  holdPackages(names: readonly string[]): Step[] {
    const lock = this.versionLock;
    if (lock === undefined) return [];
    return [rootCommand(lock.add(names, names), `lock ${names.join(', ')}`, { check: !lock.optional })];
  }

  downloadEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    const steps = this.installEngine(spec, version, available) as CommandStep[];
    const install = steps.find((s) => s.description.startsWith('install'))!;
    const args = [...install.command];
    args.splice(args.indexOf('install') + 1, 0, ...this.downloadOnly.flags);
    const download = rootCommand(
      args,
      `download ${this.enginePackages(spec).engine} ${version} (not installed yet)`,
    );
    return this.downloadOnly.liftsLock ? steps.map((s) => (s === install ? download : s)) : [download];
  }

  installedQuery(): CommandStep {
    return rpmInstalledQuery();
  }

  parseInstalled(stdout: string): PackageOffer[] {
    return parseRpmQuery(stdout);
  }

  removeEngine(installed: readonly string[]): Step[] {
    const lock = this.versionLock;
    const remove =
      installed.length === 0
        ? []
        : [
            ...(lock === undefined ? [] : [rootCommand(lock.remove(installed), 'unlock', { check: false })]),
            rootCommand(this.removeArgs(installed), `remove ${installed.join(', ')}`),
          ];
    return [...remove, ...removeEngineData(this.sourceFiles)];
  }
}
