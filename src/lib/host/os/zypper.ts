import type { OsFacts } from '../facts-types.js';
import type { HostProxy } from '../proxy.js';
import { zypperProxySteps } from './proxy.js';
import { DISTRO_DOCKER, RpmConfigurer, type DownloadOnly, type VersionLock } from './rpm.js';
import {
  DOCKER_DOWNLOAD,
  EECTL_REPO,
  majorVersion,
  mirrorAddress,
  mirrorKey,
  MIRROR_KEY_RPM,
} from './source.js';
import { rootCommand, secretUpload, type Step, type UploadStep } from './steps.js';
import type { EnginePackages, EngineSourceSpec, PackageOffer } from './types.js';

/** eectl's repository file; its section name is the alias that `zypper refresh` takes. */
export const ZYPPER_REPO_FILE = `/etc/zypp/repos.d/${EECTL_REPO}.repo`;
const DOCKER_SLES = `${DOCKER_DOWNLOAD}/sles`;
/** The mirror's login, named by the repository URL's `credentials=` (zypp reads credentials.d as root). */
export const ZYPPER_CREDENTIALS_FILE = `/etc/zypp/credentials.d/${EECTL_REPO}`;

/** zypper, non-interactive, waiting for the zypp lock (PackageKit holds it on desktops and fresh hosts). */
function zypper(...args: string[]): string[] {
  return ['env', 'ZYPP_LOCK_TIMEOUT=300', 'zypper', '--non-interactive', ...args];
}

/** zypper's locks are by name, whatever the version. */
const ZYPPER_LOCK: VersionLock = {
  add: (names) => zypper('addlock', ...names),
  remove: (names) => zypper('removelock', ...names),
  optional: false,
};

/** SLES and openSUSE. */
export class ZypperConfigurer extends RpmConfigurer {
  readonly packageManager = 'zypper';
  readonly name: string;
  protected readonly repoPath = ZYPPER_REPO_FILE;
  protected readonly sourceFiles = [ZYPPER_REPO_FILE, MIRROR_KEY_RPM, ZYPPER_CREDENTIALS_FILE];
  protected readonly replacedSourceFiles = this.sourceFiles;
  protected readonly versionSeparator = '=';
  protected readonly versionLock = ZYPPER_LOCK;
  /** Locks are by name: lifted for the download (it installs nothing), put back right after. */
  protected readonly downloadOnly: DownloadOnly = { flags: ['--download-only'], liftsLock: true };

  constructor(
    private readonly os: OsFacts,
    private readonly arch: string,
  ) {
    super();
    this.name = `${os.prettyName || os.id} (zypper)`;
  }

  protected unsupported(spec: EngineSourceSpec): { why: string; instead: string } | undefined {
    if (spec.source !== 'docker' || (this.os.id.startsWith('sles') && this.arch === 's390x'))
      return undefined;
    return {
      why: 'Docker publishes SLES packages for s390x only, and none for openSUSE',
      instead: 'Use engine.source "distro" (SLES: enable the Containers Module) or "mirror".',
    };
  }

  /** SUSE's own package, in the distribution and in a mirror of it. */
  protected nonDockerPackages(): EnginePackages {
    return DISTRO_DOCKER;
  }

  /**
   * Imported explicitly over https: non-interactive zypper otherwise rejects the repository's unknown key,
   * and --gpg-auto-import-keys would trust whatever key the repository serves.
   */
  protected dockerKeySteps(): Step[] {
    return [rootCommand(['rpm', '--import', `${DOCKER_SLES}/gpg`], "import Docker's signing key")];
  }

  /** Imported from the file the operator gave, not from whatever key the mirror serves. */
  protected override mirrorKeySteps(key: string): Step[] {
    return [
      rootCommand(['install', '-m', '0755', '-d', '/etc/pki/rpm-gpg'], 'create /etc/pki/rpm-gpg'),
      ...super.mirrorKeySteps(key),
      rootCommand(['rpm', '--import', MIRROR_KEY_RPM], "import the mirror's signing key"),
    ];
  }

  protected mirrorLogin(credentials: { user: string; password: string }): UploadStep {
    return secretUpload(
      ZYPPER_CREDENTIALS_FILE,
      `username=${credentials.user}\npassword=${credentials.password}\n`,
      "store the mirror's login (root only)",
    );
  }

  refreshMetadata(spec: EngineSourceSpec): Step[] {
    if (spec.source === 'distro') return [rootCommand(zypper('refresh'), 'refresh metadata')];
    return [rootCommand(zypper('refresh', EECTL_REPO), "refresh eectl's metadata")];
  }

  protected listArgs(spec: EngineSourceSpec, packages: readonly string[]): string[] {
    return zypper(...this.noRefresh(spec), 'search', '--details', '--match-exact', ...packages);
  }

  parseAvailable(stdout: string): PackageOffer[] {
    return parseZypperSearch(stdout);
  }

  protected installArgs(spec: EngineSourceSpec, packages: readonly string[]): string[] {
    return zypper(...this.noRefresh(spec), 'install', '--oldpackage', ...packages);
  }

  protected removeArgs(packages: readonly string[]): string[] {
    return zypper('remove', ...packages);
  }

  packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[] {
    return zypperProxySteps(proxy, files);
  }

  /** A mirror site's other repositories may be unreachable: eectl's was refreshed just before. */
  private noRefresh(spec: EngineSourceSpec): string[] {
    return spec.source === 'mirror' ? ['--no-refresh'] : [];
  }

  /**
   * A mirror's packages must be signed by engine.repoKey (imported beforehand), unless the file says the
   * mirror is unsigned on purpose; its login, if any, is in ZYPPER_CREDENTIALS_FILE, not in the URL.
   */
  protected repoFile(spec: EngineSourceSpec): string {
    const mirror = spec.source === 'mirror' ? mirrorAddress(spec) : undefined;
    const signed = spec.source === 'mirror' && mirrorKey(spec) !== undefined;
    const baseurl = mirror?.credentials
      ? `${mirror.url}${mirror.url.includes('?') ? '&' : '?'}credentials=${EECTL_REPO}`
      : mirror?.url;
    const lines =
      spec.source === 'mirror'
        ? [
            'name=Engine mirror (eectl)',
            `baseurl=${baseurl}`,
            ...(signed
              ? ['gpgcheck=1', 'repo_gpgcheck=0', 'pkg_gpgcheck=1', `gpgkey=file://${MIRROR_KEY_RPM}`]
              : ['gpgcheck=0', 'repo_gpgcheck=0', 'pkg_gpgcheck=0']),
          ]
        : [
            'name=Docker CE Stable (eectl)',
            `baseurl=${DOCKER_SLES}/${majorVersion(this.os.versionId)}/$basearch/stable`,
            'gpgcheck=1',
            `gpgkey=${DOCKER_SLES}/gpg`,
          ];
    return [`[${EECTL_REPO}]`, ...lines, 'enabled=1', 'autorefresh=1', 'type=rpm-md', ''].join('\n');
  }
}

/**
 * Parses `zypper search --details` tables ("i+ | docker | package | 24.0.7_ce-150000.198.2 | x86_64 | …"),
 * reading the column positions from the header; source packages are skipped.
 */
export function parseZypperSearch(stdout: string): PackageOffer[] {
  const offers: PackageOffer[] = [];
  let columns: string[] | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.includes('|')) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    if (columns === undefined) {
      if (cells.includes('Name') && cells.includes('Version')) columns = cells;
      continue;
    }
    const cell = (title: string) => cells[columns?.indexOf(title) ?? -1];
    const name = cell('Name');
    const version = cell('Version');
    if (!name || !version || (cell('Type') ?? 'package') !== 'package') continue;
    if (!offers.some((o) => o.name === name && o.version === version)) offers.push({ name, version });
  }
  return offers;
}
