import type { OsFacts } from '../facts-types.js';
import type { HostProxy } from '../proxy.js';
import { zypperProxySteps } from './proxy.js';
import { assertPackageVersionSyntax, stripEpoch } from '../version.js';
import { pinnedCompanions, removeEngineData } from './packages.js';
import { parseRpmQuery, rpmInstalledQuery } from './rpm-query.js';
import {
  DOCKER_DOWNLOAD,
  EECTL_REPO,
  majorVersion,
  managedHeader,
  mirrorAddress,
  mirrorKey,
  mirrorUrl,
  MIRROR_KEY_RPM,
  unsupportedSource,
} from './source.js';
import { rootCommand, secretUpload, upload, type CommandStep, type Step } from './steps.js';
import type { EnginePackages, EngineSourceSpec, OsConfigurer, PackageOffer } from './types.js';

/** eectl's repository file; its section name is the alias that `zypper refresh` takes. */
export const ZYPPER_REPO_FILE = `/etc/zypp/repos.d/${EECTL_REPO}.repo`;
const DOCKER_SLES = `${DOCKER_DOWNLOAD}/sles`;
/** The mirror's login, named by the repository URL's `credentials=` (zypp reads credentials.d as root). */
export const ZYPPER_CREDENTIALS_FILE = `/etc/zypp/credentials.d/${EECTL_REPO}`;

/** zypper, non-interactive, waiting for the zypp lock (PackageKit holds it on desktops and fresh hosts). */
function zypper(...args: string[]): string[] {
  return ['env', 'ZYPP_LOCK_TIMEOUT=300', 'zypper', '--non-interactive', ...args];
}

/** SLES and openSUSE. */
export class ZypperConfigurer implements OsConfigurer {
  readonly packageManager = 'zypper';
  readonly packageFamily = 'rpm';
  readonly name: string;

  constructor(
    private readonly os: OsFacts,
    private readonly arch: string,
  ) {
    this.name = `${os.prettyName || os.id} (zypper)`;
  }

  checkSource(spec: EngineSourceSpec): void {
    if (spec.source === 'mirror') {
      mirrorUrl(spec);
      mirrorKey(spec);
    }
    if (spec.source === 'docker' && !(this.os.id.startsWith('sles') && this.arch === 's390x')) {
      throw unsupportedSource(
        this.name,
        spec,
        'Docker publishes SLES packages for s390x only, and none for openSUSE',
        'Use engine.source "distro" (SLES: enable the Containers Module) or "mirror".',
      );
    }
  }

  enginePackages(spec: EngineSourceSpec): EnginePackages {
    if (spec.source === 'docker') {
      return { engine: 'docker-ce', companions: ['docker-ce-cli'], unpinned: ['containerd.io'] };
    }
    return { engine: 'docker', companions: [], unpinned: [] };
  }

  setupSource(spec: EngineSourceSpec): Step[] {
    this.checkSource(spec);
    if (spec.source === 'distro') {
      return [
        rootCommand(
          ['rm', '-f', ZYPPER_REPO_FILE, MIRROR_KEY_RPM, ZYPPER_CREDENTIALS_FILE],
          "remove eectl's package source, if any",
        ),
      ];
    }
    const file = upload(
      ZYPPER_REPO_FILE,
      managedHeader(spec) + this.repoFile(spec),
      `add the ${spec.source} repository`,
    );
    if (spec.source === 'mirror') {
      const key = mirrorKey(spec);
      const { credentials } = mirrorAddress(spec);
      return [
        ...(key === undefined
          ? []
          : [
              rootCommand(['install', '-m', '0755', '-d', '/etc/pki/rpm-gpg'], 'create /etc/pki/rpm-gpg'),
              upload(MIRROR_KEY_RPM, key, "install the mirror's signing key"),
              // Imported from the file the operator gave, not from whatever key the mirror serves.
              rootCommand(['rpm', '--import', MIRROR_KEY_RPM], "import the mirror's signing key"),
            ]),
        ...(credentials === undefined
          ? []
          : [
              rootCommand(
                ['install', '-m', '0755', '-d', '/etc/zypp/credentials.d'],
                'create /etc/zypp/credentials.d',
              ),
              secretUpload(
                ZYPPER_CREDENTIALS_FILE,
                `username=${credentials.user}\npassword=${credentials.password}\n`,
                "store the mirror's login (root only)",
              ),
            ]),
        file,
      ];
    }
    // Imported explicitly over https: non-interactive zypper otherwise rejects the repository's unknown key,
    // and --gpg-auto-import-keys would trust whatever key the repository serves.
    return [rootCommand(['rpm', '--import', `${DOCKER_SLES}/gpg`], "import Docker's signing key"), file];
  }

  refreshMetadata(spec: EngineSourceSpec): Step[] {
    if (spec.source === 'distro') return [rootCommand(zypper('refresh'), 'refresh metadata')];
    return [rootCommand(zypper('refresh', EECTL_REPO), "refresh eectl's metadata")];
  }

  listVersions(spec: EngineSourceSpec): CommandStep {
    const { engine, companions } = this.enginePackages(spec);
    return rootCommand(
      zypper(...this.noRefresh(spec), 'search', '--details', '--match-exact', engine, ...companions),
      `list versions of ${engine}`,
      { check: false },
    );
  }

  parseAvailable(stdout: string): PackageOffer[] {
    return parseZypperSearch(stdout);
  }

  installEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    assertPackageVersionSyntax(version);
    const packages = this.enginePackages(spec);
    const pinned = [packages.engine, ...pinnedCompanions(packages, version, available)];
    // Without the epoch: docker-ce and docker-ce-cli of one build differ in epoch; an epoch-less edition
    // matches any epoch.
    const specs = pinned.map((name) => `${name}=${stripEpoch(version)}`);
    return [
      rootCommand(zypper('removelock', ...pinned), `unlock ${pinned.join(', ')}`, { check: false }),
      rootCommand(
        zypper(...this.noRefresh(spec), 'install', '--oldpackage', ...specs, ...packages.unpinned),
        `install ${packages.engine} ${version}`,
      ),
      rootCommand(zypper('addlock', ...pinned), `lock ${pinned.join(', ')} at ${version}`),
    ];
  }

  holdPackages(names: readonly string[]): Step[] {
    return [rootCommand(zypper('addlock', ...names), `lock ${names.join(', ')}`)];
  }

  downloadEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    // Locks are by name: lifted for the download (it installs nothing), put back right after.
    const [unlock, install, lock] = this.installEngine(spec, version, available) as CommandStep[];
    const args = [...install!.command];
    args.splice(args.indexOf('install') + 1, 0, '--download-only');
    return [
      unlock!,
      rootCommand(args, `download ${this.enginePackages(spec).engine} ${version} (not installed yet)`),
      lock!,
    ];
  }

  installedQuery(): CommandStep {
    return rpmInstalledQuery();
  }

  parseInstalled(stdout: string): PackageOffer[] {
    return parseRpmQuery(stdout);
  }

  removeEngine(installed: readonly string[]): Step[] {
    const remove =
      installed.length === 0
        ? []
        : [
            rootCommand(zypper('removelock', ...installed), 'unlock', { check: false }),
            rootCommand(zypper('remove', ...installed), `remove ${installed.join(', ')}`),
          ];
    return [...remove, ...removeEngineData([ZYPPER_REPO_FILE, MIRROR_KEY_RPM, ZYPPER_CREDENTIALS_FILE])];
  }

  /** A mirror site's other repositories may be unreachable: eectl's was refreshed just before. */
  packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[] {
    return zypperProxySteps(proxy, files);
  }

  private noRefresh(spec: EngineSourceSpec): string[] {
    return spec.source === 'mirror' ? ['--no-refresh'] : [];
  }

  /**
   * A mirror's packages must be signed by engine.repoKey (imported beforehand), unless the file says the
   * mirror is unsigned on purpose; its login, if any, is in ZYPPER_CREDENTIALS_FILE, not in the URL.
   */
  private repoFile(spec: EngineSourceSpec): string {
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
