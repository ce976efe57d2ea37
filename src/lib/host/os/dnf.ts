import type { OsFacts } from '../facts-types.js';
import type { HostProxy } from '../proxy.js';
import { dnfProxySteps } from './proxy.js';
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

/** eectl's repository file (dnf and yum read the same directory). */
export const YUM_REPO_FILE = `/etc/yum.repos.d/${EECTL_REPO}.repo`;

/** The variable that holds a mirror's password, so the world-readable repository file does not. */
const PASSWORD_VAR = 'eectl_mirror_password';
/** The password variable's file for dnf and for yum (reset removes either). */
export const DNF_PASSWORD_FILES = [`/etc/dnf/vars/${PASSWORD_VAR}`, `/etc/yum/vars/${PASSWORD_VAR}`];

/** Docker's directory under download.docker.com: RHEL has its own; its rebuilds use the CentOS one. */
export type DockerRpmFlavor = 'rhel' | 'centos' | 'fedora';

const DOCKER_CE: EnginePackages = {
  engine: 'docker-ce',
  companions: ['docker-ce-cli'],
  unpinned: ['containerd.io'],
};

/** RHEL, CentOS, Rocky Linux, AlmaLinux, Oracle Linux (dnf, or yum on 7) and Fedora. */
export class DnfConfigurer implements OsConfigurer {
  readonly packageFamily = 'rpm';
  readonly name: string;

  constructor(
    private readonly os: OsFacts,
    readonly packageManager: 'dnf' | 'yum',
    private readonly flavor: DockerRpmFlavor,
  ) {
    this.name = `${os.prettyName || os.id} (${packageManager})`;
  }

  checkSource(spec: EngineSourceSpec): void {
    if (spec.source === 'mirror') {
      mirrorUrl(spec);
      mirrorKey(spec);
    }
    if (
      spec.source === 'distro' &&
      this.flavor !== 'fedora' &&
      Number(majorVersion(this.os.versionId)) >= 8
    ) {
      throw unsupportedSource(
        this.name,
        spec,
        'RHEL 8 and later ship no Docker Engine package (their "docker" is podman-docker, an emulation)',
        'Use engine.source "docker", or "mirror" with a mirror of Docker\'s repository.',
      );
    }
  }

  /**
   * Fedora packages the engine as moby-engine; RHEL 7 had "docker". A mirror for RHEL and its rebuilds
   * carries Docker's packages (there is no distribution package to mirror), one for Fedora carries Fedora's.
   */
  enginePackages(spec: EngineSourceSpec): EnginePackages {
    if (spec.source === 'docker') return DOCKER_CE;
    if (this.flavor === 'fedora') return { engine: 'moby-engine', companions: [], unpinned: [] };
    if (spec.source === 'mirror') return DOCKER_CE;
    return { engine: 'docker', companions: [], unpinned: [] };
  }

  setupSource(spec: EngineSourceSpec): Step[] {
    this.checkSource(spec);
    if (spec.source === 'distro') {
      return [
        rootCommand(['rm', '-f', YUM_REPO_FILE, MIRROR_KEY_RPM], "remove eectl's package source, if any"),
      ];
    }
    const text = managedHeader(spec) + this.repoFile(spec);
    const description = `add the ${spec.source} repository`;
    if (spec.source !== 'mirror') return [upload(YUM_REPO_FILE, text, description)];
    const key = mirrorKey(spec);
    const { credentials } = mirrorAddress(spec);
    return [
      ...(key === undefined ? [] : [upload(MIRROR_KEY_RPM, key, "install the mirror's signing key")]),
      // The password is a dnf/yum variable in a file only root reads; the repository file names it.
      ...(credentials === undefined
        ? []
        : [
            rootCommand(['install', '-m', '0755', '-d', this.varsDir], `create ${this.varsDir}`),
            secretUpload(this.passwordVar, credentials.password, "store the mirror's password (root only)"),
          ]),
      upload(YUM_REPO_FILE, text, description),
    ];
  }

  refreshMetadata(spec: EngineSourceSpec): Step[] {
    if (spec.source === 'distro')
      return [rootCommand([this.packageManager, '-y', 'makecache'], 'refresh metadata')];
    return [
      rootCommand(
        [this.packageManager, '-y', ...this.onlyEectlRepo(spec), 'makecache'],
        "refresh eectl's metadata",
      ),
    ];
  }

  listVersions(spec: EngineSourceSpec): CommandStep {
    const { engine, companions } = this.enginePackages(spec);
    // As root, to read the system metadata cache that refreshMetadata filled (users get their own cache).
    return rootCommand(
      [this.packageManager, 'list', '--showduplicates', ...this.onlyEectlRepo(spec), engine, ...companions],
      `list versions of ${engine}`,
      { check: false },
    );
  }

  parseAvailable(stdout: string): PackageOffer[] {
    return parseDnfList(stdout);
  }

  installEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    assertPackageVersionSyntax(version);
    const packages = this.enginePackages(spec);
    const pinned = [packages.engine, ...pinnedCompanions(packages, version, available)];
    // name-version-release without the epoch: docker-ce has epoch 3 and docker-ce-cli epoch 1 for one build.
    const specs = pinned.map((name) => `${name}-${stripEpoch(version)}`);
    // A mirror site's other repositories may be unreachable; dependencies come from those that answer.
    const tolerant = spec.source === 'mirror' ? ['--setopt=skip_if_unavailable=True'] : [];
    const install = rootCommand(
      [this.packageManager, 'install', '-y', ...tolerant, ...specs, ...packages.unpinned],
      `install ${packages.engine} ${version}`,
    );
    if (this.packageManager === 'yum') return [install];
    // The versionlock plugin is optional on dnf 4: without it these fail and the version is simply not locked.
    return [
      rootCommand(['dnf', 'versionlock', 'delete', ...pinned], `unlock ${pinned.join(', ')}`, {
        check: false,
      }),
      install,
      rootCommand(['dnf', 'versionlock', 'add', ...specs], `lock ${pinned.join(', ')} at ${version}`, {
        check: false,
      }),
    ];
  }

  holdPackages(names: readonly string[]): Step[] {
    if (this.packageManager === 'yum') return [];
    return [
      rootCommand(['dnf', 'versionlock', 'add', ...names], `lock ${names.join(', ')}`, { check: false }),
    ];
  }

  downloadEngine(spec: EngineSourceSpec, version: string, available: readonly PackageOffer[]): Step[] {
    const install = this.installEngine(spec, version, available).find((s) =>
      s.description.startsWith('install'),
    );
    const args = [...(install as CommandStep).command];
    // The lock of the running version would hide the new one; the install in the host's turn unlocks it.
    const unlocked = this.packageManager === 'dnf' ? ['--disableplugin=versionlock'] : [];
    args.splice(args.indexOf('install') + 1, 0, '--downloadonly', ...unlocked);
    return [rootCommand(args, `download ${this.enginePackages(spec).engine} ${version} (not installed yet)`)];
  }

  installedQuery(): CommandStep {
    return rpmInstalledQuery();
  }

  parseInstalled(stdout: string): PackageOffer[] {
    return parseRpmQuery(stdout);
  }

  removeEngine(installed: readonly string[]): Step[] {
    const steps: Step[] = [];
    if (installed.length > 0) {
      if (this.packageManager === 'dnf') {
        steps.push(rootCommand(['dnf', 'versionlock', 'delete', ...installed], 'unlock', { check: false }));
      }
      steps.push(
        rootCommand([this.packageManager, 'remove', '-y', ...installed], `remove ${installed.join(', ')}`),
      );
    }
    return [...steps, ...removeEngineData([YUM_REPO_FILE, MIRROR_KEY_RPM, this.passwordVar])];
  }

  /** dnf and yum read variables (`$name` in repository files) from one file each in this directory. */
  packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[] {
    return dnfProxySteps(this.packageManager, proxy, files);
  }

  private get varsDir(): string {
    return this.packageManager === 'yum' ? '/etc/yum/vars' : '/etc/dnf/vars';
  }

  private get passwordVar(): string {
    return `${this.varsDir}/${PASSWORD_VAR}`;
  }

  private onlyEectlRepo(spec: EngineSourceSpec): string[] {
    return spec.source === 'distro' ? [] : ['--disablerepo=*', `--enablerepo=${EECTL_REPO}`];
  }

  /**
   * The release is written out rather than left to $releasever, which is "9.4" on a RHEL whose release is
   * pinned, a directory Docker does not have. A mirror's packages must be signed by engine.repoKey
   * (gpgcheck with that key file), unless the file says the mirror is unsigned on purpose; its login, if
   * any, is written as username/password, never in the baseurl.
   */
  private repoFile(spec: EngineSourceSpec): string {
    if (spec.source === 'mirror') {
      const { url, credentials } = mirrorAddress(spec);
      const check =
        mirrorKey(spec) === undefined
          ? ['gpgcheck=0', 'repo_gpgcheck=0']
          : ['gpgcheck=1', 'repo_gpgcheck=0', `gpgkey=file://${MIRROR_KEY_RPM}`];
      const login = credentials ? [`username=${credentials.user}`, `password=$${PASSWORD_VAR}`] : [];
      return [`[${EECTL_REPO}]`, 'name=Engine mirror (eectl)', `baseurl=${url}`, 'enabled=1']
        .concat(check, login, [''])
        .join('\n');
    }
    const release = this.flavor === 'fedora' ? this.os.versionId : majorVersion(this.os.versionId);
    const repo = `${DOCKER_DOWNLOAD}/${this.flavor}`;
    return [
      `[${EECTL_REPO}]`,
      'name=Docker CE Stable (eectl)',
      `baseurl=${repo}/${release}/$basearch/stable`,
      'enabled=1',
      'gpgcheck=1',
      `gpgkey=${repo}/gpg`,
      '',
    ].join('\n');
  }
}

/**
 * Parses `dnf list --showduplicates` / `yum list` ("docker-ce.x86_64  3:26.1.4-1.el9  docker-ce-stable"),
 * also when dnf 4 wraps a long name.arch onto a line of its own. Headers and progress lines are ignored.
 */
export function parseDnfList(stdout: string): PackageOffer[] {
  const offers: PackageOffer[] = [];
  let pendingName: string | undefined;
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    let nameArch: string | undefined;
    let version: string | undefined;
    if (fields.length === 3 && !/^\s/.test(line)) [nameArch, version] = fields;
    else if (fields.length === 2 && /^\s/.test(line) && pendingName)
      [nameArch, version] = [pendingName, fields[0]];
    pendingName = fields.length === 1 && /^[^\s]+\.[^\s.]+$/.test(line) ? fields[0] : undefined;
    const dot = nameArch?.lastIndexOf('.') ?? -1;
    if (!nameArch || !version || dot <= 0 || !/^(\d+:)?\d[^\s]*-[^\s]+$/.test(version)) continue;
    const name = nameArch.slice(0, dot);
    if (!offers.some((o) => o.name === name && o.version === version)) offers.push({ name, version });
  }
  return offers;
}
