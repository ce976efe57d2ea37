import { describe, expect, it } from 'vitest';
import { configurerFor, engineVersions } from '../../../../src/lib/host/os/index.js';
import { parseZypperSearch } from '../../../../src/lib/host/os/zypper.js';
import { resolveEngineVersion } from '../../../../src/lib/host/version.js';
import { commands, factsFor, HOSTILE, OPENSUSE_LEAP, SLES_15, uploads } from './fixtures.js';

const REPO = '/etc/zypp/repos.d/eectl-engine.repo';
const ZYPPER = ['env', 'ZYPP_LOCK_TIMEOUT=300', 'zypper', '--non-interactive'];

const sles = configurerFor(SLES_15);
const leap = configurerFor(OPENSUSE_LEAP);
const slesS390x = configurerFor(factsFor({ ...SLES_15.os }, 'zypper', 's390x'));

const SEARCH = `Loading repository data...
Reading installed packages...

S  | Name   | Type       | Version                  | Arch   | Repository
---+--------+------------+--------------------------+--------+-------------------------------------
i+ | docker | package    | 24.0.7_ce-150000.198.2   | x86_64 | SLE-Module-Containers15-SP5-Updates
v  | docker | package    | 24.0.5_ce-150000.185.1   | x86_64 | SLE-Module-Containers15-SP5-Updates
v  | docker | package    | 20.10.17_ce-150000.166.1 | x86_64 | SLE-Module-Containers15-SP5-Pool
   | docker | srcpackage | 24.0.7_ce-150000.198.2   | noarch | SLE-Module-Containers15-SP5-Updates
`;

describe('ZypperConfigurer: engine.source distro', () => {
  const spec = { source: 'distro' } as const;

  it("removes eectl's repository and refreshes all", () => {
    expect(commands(sles.setupSource(spec))).toEqual([
      ['rm', '-f', REPO, '/etc/pki/rpm-gpg/eectl-engine-mirror.asc', '/etc/zypp/credentials.d/eectl-engine'],
    ]);
    expect(commands(sles.refreshMetadata(spec))).toEqual([[...ZYPPER, 'refresh']]);
  });

  it('searches for docker, unchecked (no match exits 104)', () => {
    const step = leap.listVersions(spec);
    expect(step.command).toEqual([...ZYPPER, 'search', '--details', '--match-exact', 'docker']);
    expect(step).toMatchObject({ sudo: true, check: false });
  });

  it('installs the exact version, allowing a downgrade, and locks it', () => {
    const offers = parseZypperSearch(SEARCH);
    const version = resolveEngineVersion('24.0', engineVersions(offers, sles.enginePackages(spec)), 'rpm');
    expect(version).toBe('24.0.7_ce-150000.198.2');
    const steps = sles.installEngine(spec, version, offers);
    expect(commands(steps)).toEqual([
      [...ZYPPER, 'removelock', 'docker'],
      [...ZYPPER, 'install', '--oldpackage', 'docker=24.0.7_ce-150000.198.2'],
      [...ZYPPER, 'addlock', 'docker'],
    ]);
    expect(steps[0]).toMatchObject({ check: false });
  });
});

describe('ZypperConfigurer: engine.source docker', () => {
  const spec = { source: 'docker' } as const;

  it('is refused off s390x and on openSUSE: Docker publishes nothing for them', () => {
    for (const c of [sles, leap]) {
      expect(() => c.checkSource(spec)).toThrow(
        expect.objectContaining({ code: 'EUNSUPPORTED_SOURCE', exitCode: 3 }),
      );
    }
  });

  it("imports Docker's key over https and writes its SLES repository on s390x", () => {
    const steps = slesS390x.setupSource(spec);
    expect(commands(steps)).toEqual([['rpm', '--import', 'https://download.docker.com/linux/sles/gpg']]);
    expect(uploads(steps)[0]?.content.split('\n').slice(1)).toEqual([
      '[eectl-engine]',
      'name=Docker CE Stable (eectl)',
      'baseurl=https://download.docker.com/linux/sles/15/$basearch/stable',
      'gpgcheck=1',
      'gpgkey=https://download.docker.com/linux/sles/gpg',
      'enabled=1',
      'autorefresh=1',
      'type=rpm-md',
      '',
    ]);
    expect(commands(slesS390x.refreshMetadata(spec))).toEqual([[...ZYPPER, 'refresh', 'eectl-engine']]);
  });

  it('pins docker-ce and docker-ce-cli without their differing epochs', () => {
    const offers = [
      { name: 'docker-ce', version: '3:26.1.4-1' },
      { name: 'docker-ce-cli', version: '1:26.1.4-1' },
    ];
    expect(commands(slesS390x.installEngine(spec, '3:26.1.4-1', offers))[1]).toEqual([
      ...ZYPPER,
      'install',
      '--oldpackage',
      'docker-ce=26.1.4-1',
      'docker-ce-cli=26.1.4-1',
      'containerd.io',
    ]);
  });
});

describe('ZypperConfigurer: engine.source mirror', () => {
  const spec = {
    source: 'mirror',
    insecure: true,
    repoUrl: 'https://mirror.internal/suse/containers/',
  } as const;

  it('writes the mirror without signature checks and refreshes only it', () => {
    const steps = leap.setupSource(spec);
    expect(commands(steps)).toEqual([]);
    const content = uploads(steps)[0]?.content ?? '';
    expect(content).toContain('baseurl=https://mirror.internal/suse/containers/\n');
    expect(content).toContain('gpgcheck=0\nrepo_gpgcheck=0\npkg_gpgcheck=0\n');
    expect(commands(leap.refreshMetadata(spec))).toEqual([[...ZYPPER, 'refresh', 'eectl-engine']]);
  });

  it('lists and installs without refreshing repositories an air-gapped host cannot reach', () => {
    expect(leap.listVersions(spec).command).toEqual([
      ...ZYPPER,
      '--no-refresh',
      'search',
      '--details',
      '--match-exact',
      'docker',
    ]);
    expect(commands(leap.installEngine(spec, '26.1.5_ce-150000.212.1', []))[1]).toEqual([
      ...ZYPPER,
      '--no-refresh',
      'install',
      '--oldpackage',
      'docker=26.1.5_ce-150000.212.1',
    ]);
  });
});

describe('ZypperConfigurer: parsing, reset, injection', () => {
  it('reads the table by its header, skipping source packages', () => {
    expect(parseZypperSearch(SEARCH)).toEqual([
      { name: 'docker', version: '24.0.7_ce-150000.198.2' },
      { name: 'docker', version: '24.0.5_ce-150000.185.1' },
      { name: 'docker', version: '20.10.17_ce-150000.166.1' },
    ]);
    expect(parseZypperSearch('Loading repository data...\nNo matching items found.\n')).toEqual([]);
  });

  it('removes locks, packages, data and the repository file', () => {
    expect(commands(sles.removeEngine(['docker']))).toEqual([
      [...ZYPPER, 'removelock', 'docker'],
      [...ZYPPER, 'remove', 'docker'],
      ['rm', '-rf', '--one-file-system', '/var/lib/docker', '/var/lib/containerd', '/etc/docker'],
      ['rm', '-f', REPO, '/etc/pki/rpm-gpg/eectl-engine-mirror.asc', '/etc/zypp/credentials.d/eectl-engine'],
    ]);
  });

  it('refuses a hostile version and a repoUrl with spaces', () => {
    expect(() => sles.installEngine({ source: 'distro' }, HOSTILE, [])).toThrow(
      expect.objectContaining({ code: 'EVERSION_SYNTAX' }),
    );
    expect(() => sles.setupSource({ source: 'mirror', insecure: true, repoUrl: 'http://m/ x' })).toThrow(
      expect.objectContaining({ code: 'EREPO_URL' }),
    );
  });
});
