import type { OsFacts } from '../facts-types.js';
import { assertPackageVersionSyntax, stripEpoch } from '../version.js';
import { pinnedCompanions, removeEngineData } from './packages.js';
import { parseRpmQuery, rpmInstalledQuery } from './rpm-query.js';
import {
  DOCKER_DOWNLOAD,
  EECTL_REPO,
  majorVersion,
  managedHeader,
  mirrorUrl,
  unsupportedSource,
} from './source.js';
import { rootCommand, upload, type CommandStep, type Step } from './steps.js';
import type { EnginePackages, EngineSourceSpec, OsConfigurer, PackageOffer } from './types.js';

/** eectl's repository file (dnf and yum read the same directory). */
export const YUM_REPO_FILE = `/etc/yum.repos.d/${EECTL_REPO}.repo`;

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
    if (spec.source === 'mirror') mirrorUrl(spec);
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
      return [rootCommand(['rm', '-f', YUM_REPO_FILE], "remove eectl's package source, if any")];
    }
    return [
      upload(YUM_REPO_FILE, managedHeader(spec) + this.repoFile(spec), `add the ${spec.source} repository`),
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
    return [...steps, ...removeEngineData([YUM_REPO_FILE])];
  }

  private onlyEectlRepo(spec: EngineSourceSpec): string[] {
    return spec.source === 'distro' ? [] : ['--disablerepo=*', `--enablerepo=${EECTL_REPO}`];
  }

  /**
   * The release is written out rather than left to $releasever, which is "9.4" on a RHEL whose release is
   * pinned, a directory Docker does not have. A mirror is not signature-checked: the air-gapped assumption
   * is that it sits inside the site's trust boundary, signed with no key the hosts know.
   */
  private repoFile(spec: EngineSourceSpec): string {
    if (spec.source === 'mirror') {
      return [`[${EECTL_REPO}]`, 'name=Engine mirror (eectl)', `baseurl=${mirrorUrl(spec)}`, 'enabled=1']
        .concat(['gpgcheck=0', 'repo_gpgcheck=0', ''])
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
