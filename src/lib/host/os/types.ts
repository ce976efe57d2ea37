import type { EngineSpec } from '../../config/schema.js';
import type { HostProxy } from '../proxy.js';
import type { PackageFamily } from '../version.js';
import type { CommandStep, Step } from './steps.js';

/** Where the engine comes from (cluster.yaml `spec.engine`), plus the optional layout of an apt mirror. */
export interface EngineSourceSpec {
  source: EngineSpec['source'];
  repoUrl?: string | undefined;
  /** apt mirrors with a distribution layout: the suite (default: the host's codename). */
  suite?: string | undefined;
  /** The mirror's signing key (ASCII-armored OpenPGP public key, read from engine.repoKey). */
  repoKey?: string | undefined;
  /** engine.insecure: the mirror is unsigned on purpose; nothing is checked. */
  insecure?: boolean | undefined;
  /** apt mirrors with a distribution layout: the components (default: main). */
  components?: readonly string[] | undefined;
  /** The host's proxy: what downloads outside the package manager (Docker's key, with curl) go through. */
  proxy?: HostProxy | undefined;
}

/** The packages that make up the engine from one source. */
export interface EnginePackages {
  /** The package whose version is the engine's: docker-ce, docker.io, docker, moby-engine. */
  engine: string;
  /** Pinned to the engine's exact version when the source offers them at it (docker-ce-cli, docker-cli). */
  companions: readonly string[];
  /** Installed at whatever version the source has (containerd.io). */
  unpinned: readonly string[];
}

/** One version of one package, as a package manager lists it (available or installed). */
export interface PackageOffer {
  name: string;
  version: string;
}

/**
 * What installing the engine means on one OS family. Every method only describes steps or parses output;
 * the install phase runs the steps in order, as root where they say so.
 */
export interface OsConfigurer {
  /** For logs and errors: "Debian 12 (apt)". */
  readonly name: string;
  readonly packageManager: 'apt' | 'dnf' | 'yum' | 'zypper';
  /** Whose version ordering applies to this host's package versions. */
  readonly packageFamily: PackageFamily;
  /** Throws EUNSUPPORTED_SOURCE / EREPO_URL when this OS cannot install from the source (a preflight check). */
  checkSource(spec: EngineSourceSpec): void;
  enginePackages(spec: EngineSourceSpec): EnginePackages;
  /** Writes eectl's package source (repository file, key), or removes it for `distro`. Idempotent. */
  setupSource(spec: EngineSourceSpec): Step[];
  /** Refreshes package metadata: only eectl's repository where the other sources are not needed. */
  refreshMetadata(spec: EngineSourceSpec): Step[];
  /** Lists the engine package's versions (unchecked: "nothing found" exits non-zero on dnf and zypper). */
  listVersions(spec: EngineSourceSpec): CommandStep;
  /** Parses listVersions' stdout into every listed package version. */
  parseAvailable(stdout: string): PackageOffer[];
  /** Installs the engine at an exact package version (from resolveEngineVersion) and holds it there. */
  installEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[];
  /** Holds installed packages at their version (apt-mark hold, dnf versionlock, zypper addlock); none on yum. */
  holdPackages(names: readonly string[]): Step[];
  /**
   * Downloads the packages of installEngine into the package manager's cache without installing them, so
   * the install in a host's turn of a rolling upgrade is short.
   */
  downloadEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[];
  /** Queries which engine packages are installed, at which versions (unchecked: absent packages exit 1). */
  installedQuery(): CommandStep;
  parseInstalled(stdout: string): PackageOffer[];
  /** Purges the installed engine packages, the engine's data and eectl's package source (for reset). */
  removeEngine(installed: readonly string[]): Step[];
  /**
   * Makes the package manager download through `proxy` (spec.proxy), or removes eectl's proxy settings
   * when it is undefined, judged from the managed files the facts read: no steps when they say so already.
   * A login is a secret upload, always returned (the facts never read it): the caller compares it on the
   * host. Throws EPROXY when this package manager cannot keep the proxy's login to root.
   */
  packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[];
}
