import { describe, expect, it } from 'vitest';
import { parseDnfList } from '../../../../src/lib/host/os/dnf.js';
import { configurerFor, engineVersions, installedEngine } from '../../../../src/lib/host/os/index.js';
import { resolveEngineVersion } from '../../../../src/lib/host/version.js';
import { CENTOS_7, commands, FEDORA_40, HOSTILE, RHEL_9, ROCKY_9, uploads } from './fixtures.js';

const REPO = '/etc/yum.repos.d/eectl-engine.repo';
const ONLY_OURS = ['--disablerepo=*', '--enablerepo=eectl-engine'];

const rocky = configurerFor(ROCKY_9);
const rhel = configurerFor(RHEL_9);
const centos7 = configurerFor(CENTOS_7);
const fedora = configurerFor(FEDORA_40);

const DNF4_LIST = `Last metadata expiration check: 0:01:02 ago on Tue 08 Oct 2024 09:12:44 AM UTC.
Installed Packages
docker-ce.x86_64                     3:26.1.3-1.el9                       @eectl-engine
Available Packages
docker-ce.x86_64                     3:20.10.15-3.el9                     eectl-engine
docker-ce.x86_64                     3:26.1.3-1.el9                       eectl-engine
docker-ce.x86_64                     3:26.1.4-1.el9                       eectl-engine
docker-ce.x86_64                     3:27.3.1-1.el9                       eectl-engine
docker-ce-cli.x86_64                 1:20.10.15-3.el9                     eectl-engine
docker-ce-cli.x86_64                 1:26.1.3-1.el9                       eectl-engine
docker-ce-cli.x86_64                 1:26.1.4-1.el9                       eectl-engine
docker-ce-cli.x86_64                 1:27.3.1-1.el9                       eectl-engine
`;

const DNF5_LIST = `Updating and loading repositories:
 Docker CE Stable (eectl)              100% |  27.6 KiB/s |   5.4 KiB |  00m00s
Repositories loaded.
Available packages
docker-ce.x86_64     3:27.3.1-1.fc40 eectl-engine
docker-ce.x86_64     3:27.2.1-1.fc40 eectl-engine
docker-ce-cli.x86_64 1:27.3.1-1.fc40 eectl-engine
`;

const YUM_LIST = `Loaded plugins: fastestmirror
Loading mirror speeds from cached hostfile
 * base: mirror.example.com
 * extras: mirror.example.com
Available Packages
docker.x86_64                2:1.13.1-208.git7d71120.el7_9                extras
docker.x86_64                2:1.13.1-209.git7d71120.el7.centos           extras
`;

describe('DnfConfigurer: engine.source docker', () => {
  const spec = { source: 'docker' } as const;

  it("writes Docker's CentOS repository for Rocky, with the major release written out", () => {
    const steps = rocky.setupSource(spec);
    expect(commands(steps)).toEqual([]);
    const [file] = uploads(steps);
    expect(file?.path).toBe(REPO);
    expect(file?.content.split('\n').slice(1)).toEqual([
      '[eectl-engine]',
      'name=Docker CE Stable (eectl)',
      'baseurl=https://download.docker.com/linux/centos/9/$basearch/stable',
      'enabled=1',
      'gpgcheck=1',
      'gpgkey=https://download.docker.com/linux/centos/gpg',
      '',
    ]);
  });

  it("uses Docker's RHEL and Fedora repositories on those", () => {
    expect(uploads(rhel.setupSource(spec))[0]?.content).toContain(
      'baseurl=https://download.docker.com/linux/rhel/9/$basearch/stable',
    );
    const fedoraRepo = uploads(fedora.setupSource(spec))[0]?.content;
    expect(fedoraRepo).toContain('baseurl=https://download.docker.com/linux/fedora/40/$basearch/stable');
    expect(fedoraRepo).toContain('gpgkey=https://download.docker.com/linux/fedora/gpg');
  });

  it("refreshes and lists only eectl's repository", () => {
    expect(commands(rocky.refreshMetadata(spec))).toEqual([['dnf', '-y', ...ONLY_OURS, 'makecache']]);
    const list = rocky.listVersions(spec);
    expect(list.command).toEqual([
      'dnf',
      'list',
      '--showduplicates',
      ...ONLY_OURS,
      'docker-ce',
      'docker-ce-cli',
    ]);
    expect(list).toMatchObject({ sudo: true, check: false });
  });

  it('installs name-version-release without epochs, unlocking before and locking after, optionally', () => {
    const offers = parseDnfList(DNF4_LIST);
    const version = resolveEngineVersion('26.1', engineVersions(offers, rocky.enginePackages(spec)), 'rpm');
    expect(version).toBe('3:26.1.4-1.el9');
    const steps = rocky.installEngine(spec, version, offers);
    expect(commands(steps)).toEqual([
      ['dnf', 'versionlock', 'delete', 'docker-ce', 'docker-ce-cli'],
      ['dnf', 'install', '-y', 'docker-ce-26.1.4-1.el9', 'docker-ce-cli-26.1.4-1.el9', 'containerd.io'],
      ['dnf', 'versionlock', 'add', 'docker-ce-26.1.4-1.el9', 'docker-ce-cli-26.1.4-1.el9'],
    ]);
    expect(steps.map((s) => s.kind === 'command' && s.check)).toEqual([false, true, false]);
  });

  it('installs with yum on 7, without versionlock', () => {
    const offers = [{ name: 'docker-ce', version: '3:26.1.4-1.el7' }];
    expect(commands(centos7.installEngine(spec, '3:26.1.4-1.el7', offers))).toEqual([
      ['yum', 'install', '-y', 'docker-ce-26.1.4-1.el7', 'containerd.io'],
    ]);
    expect(commands(centos7.refreshMetadata(spec))).toEqual([['yum', '-y', ...ONLY_OURS, 'makecache']]);
  });
});

describe('DnfConfigurer: engine.source distro', () => {
  const spec = { source: 'distro' } as const;

  it('refuses RHEL 8+ and its rebuilds: their "docker" is podman-docker', () => {
    for (const c of [rhel, rocky]) {
      expect(() => c.setupSource(spec)).toThrow(
        expect.objectContaining({ code: 'EUNSUPPORTED_SOURCE', exitCode: 3 }),
      );
    }
  });

  it('installs "docker" from CentOS 7 extras', () => {
    expect(commands(centos7.setupSource(spec))).toEqual([
      ['rm', '-f', REPO, '/etc/pki/rpm-gpg/eectl-engine-mirror.asc'],
    ]);
    expect(commands(centos7.refreshMetadata(spec))).toEqual([['yum', '-y', 'makecache']]);
    expect(centos7.listVersions(spec).command).toEqual(['yum', 'list', '--showduplicates', 'docker']);
    const offers = parseDnfList(YUM_LIST);
    const version = resolveEngineVersion(
      undefined,
      engineVersions(offers, centos7.enginePackages(spec)),
      'rpm',
    );
    expect(version).toBe('2:1.13.1-209.git7d71120.el7.centos');
    expect(commands(centos7.installEngine(spec, version, offers))).toEqual([
      ['yum', 'install', '-y', 'docker-1.13.1-209.git7d71120.el7.centos'],
    ]);
  });

  it("installs Fedora's moby-engine", () => {
    expect(fedora.listVersions(spec).command).toEqual(['dnf', 'list', '--showduplicates', 'moby-engine']);
    expect(commands(fedora.installEngine(spec, '27.3.1-1.fc40', []))[1]).toEqual([
      'dnf',
      'install',
      '-y',
      'moby-engine-27.3.1-1.fc40',
    ]);
  });
});

describe('DnfConfigurer: engine.source mirror', () => {
  const spec = {
    source: 'mirror',
    insecure: true,
    repoUrl: 'http://mirror.internal/el9/docker-ce/',
  } as const;

  it('writes the mirror without signature checks (the air-gapped assumption)', () => {
    const content = uploads(rocky.setupSource(spec))[0]?.content ?? '';
    expect(content.split('\n').slice(1)).toEqual([
      '[eectl-engine]',
      'name=Engine mirror (eectl)',
      'baseurl=http://mirror.internal/el9/docker-ce/',
      'enabled=1',
      'gpgcheck=0',
      'repo_gpgcheck=0',
      '',
    ]);
  });

  it("installs Docker's packages, skipping repositories that do not answer", () => {
    const offers = parseDnfList(DNF4_LIST);
    expect(commands(rocky.installEngine(spec, '3:27.3.1-1.el9', offers))[1]).toEqual([
      'dnf',
      'install',
      '-y',
      '--setopt=skip_if_unavailable=True',
      'docker-ce-27.3.1-1.el9',
      'docker-ce-cli-27.3.1-1.el9',
      'containerd.io',
    ]);
  });

  it('refuses a repoUrl with a newline (it would add lines to the repository file)', () => {
    expect(() =>
      rocky.setupSource({ source: 'mirror', insecure: true, repoUrl: 'http://m/\ngpgcheck=0' }),
    ).toThrow(expect.objectContaining({ code: 'EREPO_URL' }));
  });
});

describe('parseDnfList', () => {
  it('reads dnf 4 output, installed and available, without duplicates', () => {
    const offers = parseDnfList(DNF4_LIST);
    expect(offers.filter((o) => o.name === 'docker-ce').map((o) => o.version)).toEqual([
      '3:26.1.3-1.el9',
      '3:20.10.15-3.el9',
      '3:26.1.4-1.el9',
      '3:27.3.1-1.el9',
    ]);
    expect(offers.filter((o) => o.name === 'docker-ce-cli')).toHaveLength(4);
  });

  it('reads dnf 5 output and ignores its progress lines', () => {
    expect(parseDnfList(DNF5_LIST)).toEqual([
      { name: 'docker-ce', version: '3:27.3.1-1.fc40' },
      { name: 'docker-ce', version: '3:27.2.1-1.fc40' },
      { name: 'docker-ce-cli', version: '1:27.3.1-1.fc40' },
    ]);
  });

  it('reads a name wrapped onto its own line', () => {
    const wrapped = `Available Packages
docker-ce-rootless-extras.x86_64
                                     26.1.4-1.el9                         eectl-engine
containerd.io.x86_64                 1.7.22-3.1.el9                       eectl-engine
`;
    expect(parseDnfList(wrapped)).toEqual([
      { name: 'docker-ce-rootless-extras', version: '26.1.4-1.el9' },
      { name: 'containerd.io', version: '1.7.22-3.1.el9' },
    ]);
  });

  it('reads yum output and an empty result', () => {
    expect(parseDnfList(YUM_LIST).map((o) => o.version)).toEqual([
      '2:1.13.1-208.git7d71120.el7_9',
      '2:1.13.1-209.git7d71120.el7.centos',
    ]);
    expect(parseDnfList('Error: No matching Packages to list\n')).toEqual([]);
  });
});

describe('DnfConfigurer: installed packages and reset', () => {
  it('asks rpm with the epoch printed only when set', () => {
    const step = rocky.installedQuery();
    expect(step.command.slice(0, 3)).toEqual(['rpm', '-q', '--qf']);
    expect(step.command[3]).toBe('%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n');
    expect(step.check).toBe(false);
  });

  it('parses rpm -q, skipping "is not installed" lines', () => {
    const stdout = [
      'docker-ce\t3:26.1.4-1.el9',
      'docker-ce-cli\t1:26.1.4-1.el9',
      'containerd.io\t1.7.22-3.1.el9',
      'package docker is not installed',
      'package moby-engine is not installed',
      '',
    ].join('\n');
    const installed = rocky.parseInstalled(stdout);
    expect(installed.map((p) => p.name)).toEqual(['docker-ce', 'docker-ce-cli', 'containerd.io']);
    expect(installedEngine(installed)).toEqual({ name: 'docker-ce', version: '3:26.1.4-1.el9' });
  });

  it('removes packages, data and the repository file', () => {
    expect(commands(rocky.removeEngine(['docker-ce', 'containerd.io']))).toEqual([
      ['dnf', 'versionlock', 'delete', 'docker-ce', 'containerd.io'],
      ['dnf', 'remove', '-y', 'docker-ce', 'containerd.io'],
      ['rm', '-rf', '--one-file-system', '/var/lib/docker', '/var/lib/containerd', '/etc/docker'],
      ['rm', '-f', REPO, '/etc/pki/rpm-gpg/eectl-engine-mirror.asc', '/etc/dnf/vars/eectl_mirror_password'],
    ]);
  });

  it('refuses a hostile version before building a command', () => {
    expect(() => rocky.installEngine({ source: 'docker' }, HOSTILE, [])).toThrow(
      expect.objectContaining({ code: 'EVERSION_SYNTAX' }),
    );
  });
});
