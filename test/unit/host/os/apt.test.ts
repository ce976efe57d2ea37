import { describe, expect, it } from 'vitest';
import { AptConfigurer, parseDpkgQuery, parseMadison } from '../../../../src/lib/host/os/apt.js';
import { configurerFor, engineVersions, installedEngine } from '../../../../src/lib/host/os/index.js';
import { resolveEngineVersion } from '../../../../src/lib/host/version.js';
import { commands, DEBIAN_12, DEBIAN_13, factsFor, HOSTILE, UBUNTU_2404_ARM, uploads } from './fixtures.js';

const LIST = '/etc/apt/sources.list.d/eectl-engine.list';
const KEY = '/etc/apt/keyrings/eectl-docker.asc';
const MIRROR_KEY = '/etc/apt/keyrings/eectl-engine-mirror.asc';
const AUTH = '/etc/apt/auth.conf.d/eectl-engine.conf';
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-o', 'DPkg::Lock::Timeout=300'];

const debian = configurerFor(DEBIAN_12);
const trixie = configurerFor(DEBIAN_13);
const ubuntu = configurerFor(UBUNTU_2404_ARM);

const MADISON_DOCKER = `
 docker-ce | 5:27.3.1-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:27.3.0-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:26.1.4-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:26.1.3-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:26.0.2-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
 docker-ce | 5:24.0.9-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
docker-ce-cli | 5:27.3.1-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
docker-ce-cli | 5:26.1.4-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
docker-ce-cli | 5:26.1.3-1~debian.12~bookworm | https://download.docker.com/linux/debian bookworm/stable amd64 Packages
`;

const MADISON_TRIXIE = `
 docker.io | 26.1.5+dfsg1-9+deb13u1+b1 | http://security.debian.org/debian-security trixie-security/main amd64 Packages
 docker.io | 26.1.5+dfsg1-9+b9 | http://deb.debian.org/debian trixie/main amd64 Packages
 docker.io | 26.1.5+dfsg1-9 | http://deb.debian.org/debian trixie/main Sources
docker-cli | 26.1.5+dfsg1-9+deb13u1+b1 | http://security.debian.org/debian-security trixie-security/main amd64 Packages
docker-cli | 26.1.5+dfsg1-9+b9 | http://deb.debian.org/debian trixie/main amd64 Packages
`;

describe('AptConfigurer: engine.source docker', () => {
  const spec = { source: 'docker' } as const;

  it('installs curl, fetches the key and writes a signed-by sources line for Debian', () => {
    const steps = debian.setupSource(spec);
    expect(commands(steps)).toEqual([
      [...APT, 'update'],
      [...APT, 'install', '-y', 'ca-certificates', 'curl'],
      ['install', '-m', '0755', '-d', '/etc/apt/keyrings'],
      ['curl', '-fsSL', '--retry', '3', '-o', KEY, 'https://download.docker.com/linux/debian/gpg'],
      ['chmod', '0644', KEY],
    ]);
    const [file] = uploads(steps);
    expect(file?.path).toBe(LIST);
    expect(file?.mode).toBe(0o644);
    expect(file?.content.split('\n').slice(1)).toEqual([
      `deb [arch=amd64 signed-by=${KEY}] https://download.docker.com/linux/debian bookworm stable`,
      '',
    ]);
    expect(steps.at(-1)?.kind).toBe('upload');
    expect(steps.every((s) => s.kind === 'upload' || s.sudo)).toBe(true);
  });

  it("uses Docker's Ubuntu repository, the host's codename and dpkg arch", () => {
    const content = uploads(ubuntu.setupSource(spec))[0]?.content ?? '';
    expect(content).toContain(
      `deb [arch=arm64 signed-by=${KEY}] https://download.docker.com/linux/ubuntu noble stable`,
    );
    const mint = configurerFor(
      factsFor({ id: 'linuxmint', idLike: ['ubuntu', 'debian'], codename: 'noble', versionId: '22' }, 'apt'),
    );
    expect(commands(mint.setupSource(spec))).toContainEqual([
      'curl',
      '-fsSL',
      '--retry',
      '3',
      '-o',
      KEY,
      'https://download.docker.com/linux/ubuntu/gpg',
    ]);
  });

  it('refuses a host without a codename', () => {
    const sid = configurerFor(factsFor({ id: 'debian', versionId: '' }, 'apt'));
    expect(() => sid.checkSource(spec)).toThrow(
      expect.objectContaining({ code: 'EUNSUPPORTED_SOURCE', exitCode: 3 }),
    );
  });

  it("refreshes only eectl's list", () => {
    expect(commands(debian.refreshMetadata(spec))).toEqual([
      [
        ...APT,
        'update',
        '-o',
        `Dir::Etc::sourcelist=${LIST}`,
        '-o',
        'Dir::Etc::sourceparts=-',
        '-o',
        'APT::Get::List-Cleanup=0',
      ],
    ]);
  });

  it('lists docker-ce and docker-ce-cli without root, unchecked', () => {
    const step = debian.listVersions(spec);
    expect(step.command).toEqual(['apt-cache', 'madison', 'docker-ce', 'docker-ce-cli']);
    expect(step).toMatchObject({ sudo: false, check: false });
  });

  it('installs docker-ce and docker-ce-cli at the exact version, containerd.io unpinned, and holds them', () => {
    const offers = parseMadison(MADISON_DOCKER);
    const version = resolveEngineVersion('26.1', engineVersions(offers, debian.enginePackages(spec)), 'deb');
    expect(version).toBe('5:26.1.4-1~debian.12~bookworm');
    expect(commands(debian.installEngine(spec, version, offers))).toEqual([
      [
        ...APT,
        'install',
        '-y',
        '--allow-downgrades',
        '--allow-change-held-packages',
        '-o',
        'Dpkg::Options::=--force-confold',
        'docker-ce=5:26.1.4-1~debian.12~bookworm',
        'docker-ce-cli=5:26.1.4-1~debian.12~bookworm',
        'containerd.io',
      ],
      ['apt-mark', 'hold', 'docker-ce', 'docker-ce-cli'],
    ]);
  });
});

describe('AptConfigurer: engine.source distro', () => {
  const spec = { source: 'distro' } as const;

  it("removes eectl's source and refreshes every list", () => {
    expect(commands(debian.setupSource(spec))).toEqual([['rm', '-f', LIST, KEY, MIRROR_KEY, AUTH]]);
    expect(commands(debian.refreshMetadata(spec))).toEqual([[...APT, 'update']]);
  });

  it('lists docker.io and docker-cli', () => {
    expect(trixie.listVersions(spec).command).toEqual(['apt-cache', 'madison', 'docker.io', 'docker-cli']);
  });

  it('pins docker-cli with docker.io where Debian split it out (13)', () => {
    const offers = parseMadison(MADISON_TRIXIE);
    const version = resolveEngineVersion('26.1', engineVersions(offers, trixie.enginePackages(spec)), 'deb');
    expect(version).toBe('26.1.5+dfsg1-9+deb13u1+b1');
    expect(commands(trixie.installEngine(spec, version, offers))).toEqual([
      [
        ...APT,
        'install',
        '-y',
        '--allow-downgrades',
        '--allow-change-held-packages',
        '-o',
        'Dpkg::Options::=--force-confold',
        'docker.io=26.1.5+dfsg1-9+deb13u1+b1',
        'docker-cli=26.1.5+dfsg1-9+deb13u1+b1',
      ],
      ['apt-mark', 'hold', 'docker.io', 'docker-cli'],
    ]);
  });

  it('downloads the same packages without installing them (the short window of a rolling upgrade), and holds', () => {
    const offers = parseMadison(MADISON_TRIXIE);
    const version = '26.1.5+dfsg1-9+deb13u1+b1';
    const [download] = commands(trixie.downloadEngine(spec, version, offers));
    const [install] = commands(trixie.installEngine(spec, version, offers));
    expect(download).toEqual([...APT, 'install', '--download-only', ...install!.slice(APT.length + 1)]);
    expect(commands(trixie.holdPackages(['docker.io', 'docker-cli']))).toEqual([
      ['apt-mark', 'hold', 'docker.io', 'docker-cli'],
    ]);
  });

  it('installs docker.io alone where there is no docker-cli (Debian 12, Ubuntu)', () => {
    const offers = parseMadison(
      ' docker.io | 20.10.24+dfsg1-1+b3 | http://deb.debian.org/debian bookworm/main amd64 Packages\n',
    );
    const install = commands(debian.installEngine(spec, '20.10.24+dfsg1-1+b3', offers));
    expect(install[0]?.slice(-1)).toEqual(['docker.io=20.10.24+dfsg1-1+b3']);
    expect(install[1]).toEqual(['apt-mark', 'hold', 'docker.io']);
  });
});

describe('AptConfigurer: engine.source mirror', () => {
  it('writes a trusted flat repository for a URL ending in /', () => {
    const steps = debian.setupSource({
      source: 'mirror',
      insecure: true,
      repoUrl: 'http://mirror.internal/docker/',
    });
    expect(commands(steps)).toEqual([]);
    expect(uploads(steps)[0]?.content).toMatch(
      /^# Managed by eectl \(engine.source: mirror\)[^\n]*\ndeb \[arch=amd64 trusted=yes\] http:\/\/mirror.internal\/docker\/ \.\/\n$/,
    );
  });

  it('writes the codename and main for a mirror with a distribution layout, or the given suite', () => {
    const url = 'http://mirror.internal/debian';
    expect(
      uploads(debian.setupSource({ source: 'mirror', insecure: true, repoUrl: url }))[0]?.content,
    ).toContain(`deb [arch=amd64 trusted=yes] ${url} bookworm main\n`);
    const custom = {
      source: 'mirror',
      insecure: true,
      repoUrl: url,
      suite: 'docker-26',
      components: ['main', 'extra'],
    } as const;
    expect(uploads(debian.setupSource(custom))[0]?.content).toContain(`${url} docker-26 main extra\n`);
  });

  it("updates only eectl's list, so unreachable sources cannot fail it", () => {
    const [update] = commands(
      debian.refreshMetadata({ source: 'mirror', insecure: true, repoUrl: 'http://m/' }),
    );
    expect(update).toContain(`Dir::Etc::sourcelist=${LIST}`);
    expect(update).toContain('Dir::Etc::sourceparts=-');
  });

  it('needs a repoUrl', () => {
    expect(() => debian.setupSource({ source: 'mirror' })).toThrow(
      expect.objectContaining({ code: 'EREPO_URL' }),
    );
  });
});

describe('AptConfigurer: parsers', () => {
  it('parses madison, skipping Sources lines and duplicates', () => {
    expect(parseMadison(MADISON_TRIXIE + MADISON_TRIXIE)).toEqual([
      { name: 'docker.io', version: '26.1.5+dfsg1-9+deb13u1+b1' },
      { name: 'docker.io', version: '26.1.5+dfsg1-9+b9' },
      { name: 'docker-cli', version: '26.1.5+dfsg1-9+deb13u1+b1' },
      { name: 'docker-cli', version: '26.1.5+dfsg1-9+b9' },
    ]);
    expect(parseMadison('N: Unable to locate package docker-ce\n')).toEqual([]);
    expect(parseMadison('')).toEqual([]);
  });

  it('queries dpkg for every engine package, unchecked', () => {
    const step = debian.installedQuery();
    expect(step.command.slice(0, 4)).toEqual([
      'dpkg-query',
      '-W',
      '-f',
      '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n',
    ]);
    expect(step.command).toEqual(
      expect.arrayContaining(['docker-ce', 'docker.io', 'docker-cli', 'containerd.io']),
    );
    expect(step.check).toBe(false);
  });

  it('parses dpkg-query: installed and held count, removed and unknown do not', () => {
    const stdout = [
      'containerd.io\tii \t1.7.22-1',
      'docker-ce\thi \t5:26.1.4-1~debian.12~bookworm',
      'docker-ce-cli\thi \t5:26.1.4-1~debian.12~bookworm',
      'docker.io\trc \t20.10.24+dfsg1-1+b3',
      'docker-cli\tun \t',
      '',
    ].join('\n');
    const installed = parseDpkgQuery(stdout);
    expect(installed.map((p) => p.name)).toEqual(['containerd.io', 'docker-ce', 'docker-ce-cli']);
    expect(installedEngine(installed)).toEqual({
      name: 'docker-ce',
      version: '5:26.1.4-1~debian.12~bookworm',
    });
  });
});

describe('AptConfigurer: reset', () => {
  it('purges what is installed, then the data and eectl files', () => {
    expect(commands(debian.removeEngine(['docker-ce', 'docker-ce-cli', 'containerd.io']))).toEqual([
      [...APT, 'purge', '-y', '--allow-change-held-packages', 'docker-ce', 'docker-ce-cli', 'containerd.io'],
      ['rm', '-rf', '--one-file-system', '/var/lib/docker', '/var/lib/containerd', '/etc/docker'],
      [
        'rm',
        '-f',
        LIST,
        KEY,
        MIRROR_KEY,
        AUTH,
        '/etc/apt/apt.conf.d/90eectl-proxy',
        '/etc/apt/auth.conf.d/eectl-proxy.conf',
      ],
    ]);
  });

  it('skips the purge when nothing is installed', () => {
    expect(commands(debian.removeEngine([]))[0]?.[0]).toBe('rm');
  });
});

describe('AptConfigurer: injection', () => {
  it('refuses a version that is not a package version before building a command', () => {
    expect(() => debian.installEngine({ source: 'docker' }, HOSTILE, [])).toThrow(
      expect.objectContaining({ code: 'EVERSION_SYNTAX' }),
    );
  });

  it('refuses a repoUrl with whitespace or a newline (they would add sources lines or options)', () => {
    for (const repoUrl of ['http://m/ ; rm -rf /', 'http://m/\ndeb http://evil/ ./', 'http://m/\tx']) {
      expect(() => debian.setupSource({ source: 'mirror', insecure: true, repoUrl })).toThrow(
        expect.objectContaining({ code: 'EREPO_URL' }),
      );
    }
  });

  it('keeps shell syntax in a repoUrl inside the file body, never in a command', () => {
    const repoUrl = `http://m/'$(reboot)";rm/`;
    const steps = debian.setupSource({ source: 'mirror', insecure: true, repoUrl });
    expect(commands(steps).flat().join(' ')).not.toContain('reboot');
    expect(uploads(steps)[0]?.content).toContain(`deb [arch=amd64 trusted=yes] ${repoUrl} ./`);
  });

  it('builds configurers with the class too (derivatives pass their own facts)', () => {
    expect(new AptConfigurer(DEBIAN_12.os, 'amd64').packageManager).toBe('apt');
  });
});
