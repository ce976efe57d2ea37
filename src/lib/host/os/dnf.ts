import type { OsFacts } from '../facts-types.js';
import type { HostProxy } from '../proxy.js';
import { dnfProxySteps } from './proxy.js';
import { DISTRO_DOCKER, DOCKER_CE, RpmConfigurer, type DownloadOnly, type VersionLock } from './rpm.js';
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

/** eectl's repository file (dnf and yum read the same directory). */
export const YUM_REPO_FILE = `/etc/yum.repos.d/${EECTL_REPO}.repo`;

/** The variable that holds a mirror's password, so the world-readable repository file does not. */
const PASSWORD_VAR = 'eectl_mirror_password';
/** The password variable's file for dnf and for yum (reset removes either). */
export const DNF_PASSWORD_FILES = [`/etc/dnf/vars/${PASSWORD_VAR}`, `/etc/yum/vars/${PASSWORD_VAR}`];

/** Docker's directory under download.docker.com: RHEL has its own; its rebuilds use the CentOS one. */
export type DockerRpmFlavor = 'rhel' | 'centos' | 'fedora';

/** dnf's versionlock plugin: optional on dnf 4, so its commands are not checked. yum 7 has none. */
const DNF_VERSIONLOCK: VersionLock = {
  add: (_names, specs) => ['dnf', 'versionlock', 'add', ...specs],
  remove: (names) => ['dnf', 'versionlock', 'delete', ...names],
  optional: true,
};

/** RHEL, CentOS, Rocky Linux, AlmaLinux, Oracle Linux (dnf, or yum on 7) and Fedora. */
export class DnfConfigurer extends RpmConfigurer {
  readonly name: string;
  protected readonly repoPath = YUM_REPO_FILE;
  protected readonly replacedSourceFiles = [YUM_REPO_FILE, MIRROR_KEY_RPM];
  protected readonly versionSeparator = '-';
  protected readonly versionLock: VersionLock | undefined;
  protected readonly downloadOnly: DownloadOnly;

  constructor(
    private readonly os: OsFacts,
    readonly packageManager: 'dnf' | 'yum',
    private readonly flavor: DockerRpmFlavor,
  ) {
    super();
    this.name = `${os.prettyName || os.id} (${packageManager})`;
    this.versionLock = packageManager === 'dnf' ? DNF_VERSIONLOCK : undefined;
    // The lock of the running version would hide the new one; the install in the host's turn unlocks it.
    this.downloadOnly = {
      flags: ['--downloadonly', ...(packageManager === 'dnf' ? ['--disableplugin=versionlock'] : [])],
      liftsLock: false,
    };
  }

  protected get sourceFiles(): readonly string[] {
    return [YUM_REPO_FILE, MIRROR_KEY_RPM, this.passwordVar];
  }

  protected unsupported(spec: EngineSourceSpec): { why: string; instead: string } | undefined {
    if (spec.source !== 'distro' || this.flavor === 'fedora' || Number(majorVersion(this.os.versionId)) < 8)
      return undefined;
    return {
      why: 'RHEL 8 and later ship no Docker Engine package (their "docker" is podman-docker, an emulation)',
      instead: 'Use engine.source "docker", or "mirror" with a mirror of Docker\'s repository.',
    };
  }

  /**
   * Fedora packages the engine as moby-engine; RHEL 7 had "docker". A mirror for RHEL and its rebuilds
   * carries Docker's packages (there is no distribution package to mirror), one for Fedora carries Fedora's.
   */
  protected nonDockerPackages(spec: EngineSourceSpec): EnginePackages {
    if (this.flavor === 'fedora') return { engine: 'moby-engine', companions: [], unpinned: [] };
    if (spec.source === 'mirror') return DOCKER_CE;
    return DISTRO_DOCKER;
  }

  /** Docker's key is named by the repository file (gpgkey=), and dnf fetches it itself. */
  protected dockerKeySteps(): Step[] {
    return [];
  }

  /** The password is a dnf/yum variable in a file only root reads; the repository file names it. */
  protected mirrorLogin(credentials: { password: string }): UploadStep {
    return secretUpload(this.passwordVar, credentials.password, "store the mirror's password (root only)");
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

  /** As root, to read the system metadata cache that refreshMetadata filled (users get their own cache). */
  protected listArgs(spec: EngineSourceSpec, packages: readonly string[]): string[] {
    return [this.packageManager, 'list', '--showduplicates', ...this.onlyEectlRepo(spec), ...packages];
  }

  parseAvailable(stdout: string): PackageOffer[] {
    return parseDnfList(stdout);
  }

  /** A mirror site's other repositories may be unreachable; dependencies come from those that answer. */
  protected installArgs(spec: EngineSourceSpec, packages: readonly string[]): string[] {
    const tolerant = spec.source === 'mirror' ? ['--setopt=skip_if_unavailable=True'] : [];
    return [this.packageManager, 'install', '-y', ...tolerant, ...packages];
  }

  protected removeArgs(packages: readonly string[]): string[] {
    return [this.packageManager, 'remove', '-y', ...packages];
  }

  /** dnf and yum read variables (`$name` in repository files) from one file each in this directory. */
  packageProxy(proxy: HostProxy | undefined, files: Readonly<Record<string, string>>): Step[] {
    return dnfProxySteps(this.packageManager, proxy, files);
  }

  private get passwordVar(): string {
    return `${this.packageManager === 'yum' ? '/etc/yum/vars' : '/etc/dnf/vars'}/${PASSWORD_VAR}`;
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
  protected repoFile(spec: EngineSourceSpec): string {
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
