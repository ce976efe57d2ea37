import type { OsFacts } from '../facts-types.js';
import type { HostProxy } from '../proxy.js';
import { APT_PROXY_AUTH, APT_PROXY_CONF, aptProxySteps, curlProxyEnv } from './proxy.js';
import { assertPackageVersionSyntax } from '../version.js';
import { DOCKER_REPO_PACKAGES, pinnedCompanions, removeEngineData } from './packages.js';
import {
  DOCKER_DOWNLOAD,
  EECTL_REPO,
  managedHeader,
  mirrorAddress,
  mirrorKey,
  MIRROR_KEY_APT,
  repoWord,
  unsupportedSource,
} from './source.js';
import { rootCommand, secretUpload, upload, userCommand, type CommandStep, type Step } from './steps.js';
import type { EnginePackages, EngineSourceSpec, OsConfigurer, PackageOffer } from './types.js';

/** eectl's one-line sources file (one-line format: `Dir::Etc::sourcelist` reads only that). */
export const APT_SOURCE_FILE = `/etc/apt/sources.list.d/${EECTL_REPO}.list`;
/** Docker's signing key, referenced by `signed-by` so it vouches for Docker's repository only. */
export const APT_KEYRING = '/etc/apt/keyrings/eectl-docker.asc';
/** The mirror's login and password (apt reads auth.conf.d as root only: mode 0600). */
export const APT_AUTH_FILE = `/etc/apt/auth.conf.d/${EECTL_REPO}.conf`;

/** Every package dpkg-query asks about: engines, their companions, and what Docker's packages pull in. */
const QUERIED = [...DOCKER_REPO_PACKAGES, 'docker.io', 'docker-cli'];

/**
 * apt-get, non-interactive (no debconf questions over SSH), waiting for the dpkg lock because fresh cloud
 * hosts run unattended-upgrades at boot. Older apt ignores the unknown Lock::Timeout option.
 */
function aptGet(...args: string[]): string[] {
  return ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args];
}

/** Debian, Ubuntu and their derivatives. */
export class AptConfigurer implements OsConfigurer {
  readonly packageManager = 'apt';
  readonly packageFamily = 'deb';
  readonly name: string;
  private readonly flavor: 'debian' | 'ubuntu';

  constructor(
    private readonly os: OsFacts,
    private readonly arch: string,
  ) {
    this.flavor = os.id === 'ubuntu' || os.idLike.includes('ubuntu') ? 'ubuntu' : 'debian';
    this.name = `${os.prettyName || os.id} (apt)`;
  }

  checkSource(spec: EngineSourceSpec): void {
    if (spec.source === 'mirror') this.mirrorLine(spec);
    if (spec.source === 'docker' && !this.os.codename) {
      throw unsupportedSource(
        this.name,
        spec,
        "os-release names no VERSION_CODENAME, and Docker's repository is organised by codename",
        'Use engine.source "distro", or "mirror" with a flat repository (a repoUrl ending in /).',
      );
    }
  }

  enginePackages(spec: EngineSourceSpec): EnginePackages {
    if (spec.source === 'docker') {
      return { engine: 'docker-ce', companions: ['docker-ce-cli'], unpinned: ['containerd.io'] };
    }
    // Debian split the client out of docker.io with 26.x; older releases and Ubuntu have no docker-cli.
    return { engine: 'docker.io', companions: ['docker-cli'], unpinned: [] };
  }

  setupSource(spec: EngineSourceSpec): Step[] {
    this.checkSource(spec);
    if (spec.source === 'distro') {
      return [
        rootCommand(
          ['rm', '-f', APT_SOURCE_FILE, APT_KEYRING, MIRROR_KEY_APT, APT_AUTH_FILE],
          "remove eectl's package source, if any",
        ),
      ];
    }
    if (spec.source === 'mirror') {
      const key = mirrorKey(spec);
      const { credentials } = mirrorAddress(spec);
      return [
        ...(key === undefined
          ? []
          : [
              rootCommand(['install', '-m', '0755', '-d', '/etc/apt/keyrings'], 'create /etc/apt/keyrings'),
              upload(MIRROR_KEY_APT, key, "install the mirror's signing key"),
            ]),
        ...(credentials === undefined
          ? []
          : [
              rootCommand(
                ['install', '-m', '0755', '-d', '/etc/apt/auth.conf.d'],
                'create /etc/apt/auth.conf.d',
              ),
              secretUpload(
                APT_AUTH_FILE,
                `machine ${credentials.machine} login ${credentials.user} password ${credentials.password}\n`,
                "store the mirror's login (root only)",
              ),
            ]),
        upload(APT_SOURCE_FILE, managedHeader(spec) + this.mirrorLine(spec), 'point apt at the mirror'),
      ];
    }
    const repo = `${DOCKER_DOWNLOAD}/${this.flavor}`;
    const line = `deb [arch=${this.arch} signed-by=${APT_KEYRING}] ${repo} ${this.os.codename} stable\n`;
    return [
      // curl and CA certificates fetch Docker's key; fresh images have neither, nor any package lists.
      rootCommand(aptGet('update'), 'refresh package lists (to install curl)'),
      rootCommand(aptGet('install', '-y', 'ca-certificates', 'curl'), 'install ca-certificates and curl'),
      rootCommand(['install', '-m', '0755', '-d', '/etc/apt/keyrings'], 'create /etc/apt/keyrings'),
      rootCommand(
        ['curl', '-fsSL', '--retry', '3', '-o', APT_KEYRING, `${repo}/gpg`],
        "download Docker's signing key",
        { env: curlProxyEnv(spec.proxy) },
      ),
      rootCommand(['chmod', '0644', APT_KEYRING], 'make the key readable by apt'),
      upload(APT_SOURCE_FILE, managedHeader(spec) + line, "add Docker's apt repository"),
    ];
  }

  refreshMetadata(spec: EngineSourceSpec): Step[] {
    if (spec.source === 'distro') return [rootCommand(aptGet('update'), 'refresh package lists')];
    // Only eectl's list: on an air-gapped host the other sources are unreachable and would fail the update;
    // List-Cleanup=0 keeps the lists of the other sources that apt did not fetch this time.
    return [
      rootCommand(
        aptGet(
          'update',
          '-o',
          `Dir::Etc::sourcelist=${APT_SOURCE_FILE}`,
          '-o',
          'Dir::Etc::sourceparts=-',
          '-o',
          'APT::Get::List-Cleanup=0',
        ),
        "refresh eectl's package list",
      ),
    ];
  }

  listVersions(spec: EngineSourceSpec): CommandStep {
    const { engine, companions } = this.enginePackages(spec);
    return userCommand(['apt-cache', 'madison', engine, ...companions], `list versions of ${engine}`, false);
  }

  parseAvailable(stdout: string): PackageOffer[] {
    return parseMadison(stdout);
  }

  installEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    assertPackageVersionSyntax(version);
    const packages = this.enginePackages(spec);
    const pinned = [packages.engine, ...pinnedCompanions(packages, version, available)];
    return [
      rootCommand(
        aptGet(
          'install',
          '-y',
          // Held packages are ours (see below); an upgrade or a downgrade must be able to move them.
          '--allow-downgrades',
          '--allow-change-held-packages',
          // Keep configuration files an operator changed instead of stopping at dpkg's question.
          '-o',
          'Dpkg::Options::=--force-confold',
          ...pinned.map((name) => `${name}=${version}`),
          ...packages.unpinned,
        ),
        `install ${packages.engine} ${version}`,
      ),
      rootCommand(['apt-mark', 'hold', ...pinned], `hold ${pinned.join(', ')} at ${version}`),
    ];
  }

  holdPackages(names: readonly string[]): Step[] {
    return [rootCommand(['apt-mark', 'hold', ...names], `hold ${names.join(', ')}`)];
  }

  downloadEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    const install = this.installEngine(spec, version, available)[0] as CommandStep;
    const args = [...install.command];
    // apt-get install --download-only: the same resolution as the install, into /var/cache/apt/archives.
    args.splice(args.indexOf('install') + 1, 0, '--download-only');
    return [rootCommand(args, `download ${this.enginePackages(spec).engine} ${version} (not installed yet)`)];
  }

  installedQuery(): CommandStep {
    return userCommand(
      ['dpkg-query', '-W', '-f', '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', ...QUERIED],
      'query installed engine packages',
      false,
    );
  }

  parseInstalled(stdout: string): PackageOffer[] {
    return parseDpkgQuery(stdout);
  }

  removeEngine(installed: readonly string[]): Step[] {
    const purge =
      installed.length === 0
        ? []
        : [
            rootCommand(
              aptGet('purge', '-y', '--allow-change-held-packages', ...installed),
              `purge ${installed.join(', ')}`,
            ),
          ];
    return [
      ...purge,
      ...removeEngineData([
        APT_SOURCE_FILE,
        APT_KEYRING,
        MIRROR_KEY_APT,
        APT_AUTH_FILE,
        APT_PROXY_CONF,
        APT_PROXY_AUTH,
      ]),
    ];
  }

  packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[] {
    return aptProxySteps(proxy, files);
  }

  /**
   * A mirror's sources line: its Release file must be signed by engine.repoKey (`signed-by`, that key
   * alone), unless the file says the mirror is unsigned on purpose (`trusted=yes`). The URL carries no
   * credentials (they are in APT_AUTH_FILE). A URL ending in `/` is a flat repository (`Packages` at the
   * URL itself); otherwise it has a distribution layout (dists/<suite>/<components>).
   */
  private mirrorLine(spec: EngineSourceSpec): string {
    const { url } = mirrorAddress(spec);
    const trust = mirrorKey(spec) === undefined ? 'trusted=yes' : `signed-by=${MIRROR_KEY_APT}`;
    const options = `[arch=${this.arch} ${trust}]`;
    if (url.endsWith('/') && spec.suite === undefined) return `deb ${options} ${url} ./\n`;
    const suite = spec.suite ?? this.os.codename;
    if (suite === undefined) {
      throw unsupportedSource(
        this.name,
        spec,
        'os-release names no VERSION_CODENAME to use as the suite of the mirror',
        'End engine.repoUrl with / for a flat repository.',
      );
    }
    const components = (spec.components ?? ['main']).map((c) => repoWord(c, 'apt component'));
    return `deb ${options} ${url} ${repoWord(suite, 'apt suite')} ${components.join(' ')}\n`;
  }
}

/**
 * Parses `apt-cache madison` ("  docker-ce | 5:26.1.4-1~debian.12~bookworm | https://… bookworm/stable amd64
 * Packages"), skipping source-package lines.
 */
export function parseMadison(stdout: string): PackageOffer[] {
  const offers: PackageOffer[] = [];
  for (const line of stdout.split('\n')) {
    const [name, version, origin] = line.split('|').map((field) => field.trim());
    if (!name || !version || origin === undefined || origin.endsWith(' Sources')) continue;
    if (!offers.some((o) => o.name === name && o.version === version)) offers.push({ name, version });
  }
  return offers;
}

/** Parses dpkg-query's `Package<TAB>Status-Abbrev<TAB>Version` lines; installed ones have `i` second ("ii", "hi"). */
export function parseDpkgQuery(stdout: string): PackageOffer[] {
  const installed: PackageOffer[] = [];
  for (const line of stdout.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status?.[1] === 'i' && version) installed.push({ name, version: version.trim() });
  }
  return installed;
}
