import { describe, expect, it } from 'vitest';
import type { EngineSpec } from '../../../../src/lib/config/schema.js';
import { configurerFor } from '../../../../src/lib/host/os/index.js';
import type { Step } from '../../../../src/lib/host/os/steps.js';
import {
  CENTOS_7,
  DEBIAN_12,
  DEBIAN_13,
  factsFor,
  FEDORA_40,
  HOSTILE,
  OPENSUSE_LEAP,
  RHEL_9,
  ROCKY_9,
  SLES_15,
  UBUNTU_2404_ARM,
} from './fixtures.js';

describe('configurerFor', () => {
  it.each([
    ['Debian', DEBIAN_12, 'apt'],
    ['Ubuntu', UBUNTU_2404_ARM, 'apt'],
    [
      'Linux Mint (ID_LIKE ubuntu)',
      factsFor({ id: 'linuxmint', idLike: ['ubuntu', 'debian'] }, 'apt'),
      'apt',
    ],
    ['Rocky Linux', ROCKY_9, 'dnf'],
    [
      'AlmaLinux',
      factsFor({ id: 'almalinux', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.4' }, 'dnf'),
      'dnf',
    ],
    ['Oracle Linux', factsFor({ id: 'ol', idLike: ['fedora'], versionId: '8.10' }, 'dnf'), 'dnf'],
    ['CentOS 7', CENTOS_7, 'yum'],
    ['Fedora', FEDORA_40, 'dnf'],
    ['SLES', SLES_15, 'zypper'],
    ['openSUSE Leap', OPENSUSE_LEAP, 'zypper'],
    [
      'openSUSE Tumbleweed',
      factsFor({ id: 'opensuse-tumbleweed', idLike: ['opensuse', 'suse'] }, 'zypper'),
      'zypper',
    ],
  ])('%s → %s', (_name, facts, packageManager) => {
    expect(configurerFor(facts).packageManager).toBe(packageManager);
  });

  it("gives Rocky Docker's CentOS repository though it says ID_LIKE fedora", () => {
    const [file] = configurerFor(ROCKY_9).setupSource({ source: 'docker' });
    expect(file?.kind === 'upload' && file.content).toContain('/linux/centos/9/');
  });

  it.each([
    ['Alpine', factsFor({ id: 'alpine', prettyName: 'Alpine Linux v3.20' }, 'unknown')],
    [
      'Amazon Linux',
      factsFor({ id: 'amzn', idLike: ['centos', 'rhel', 'fedora'], prettyName: 'Amazon Linux 2' }, 'yum'),
    ],
    ['Arch', factsFor({ id: 'arch', prettyName: 'Arch Linux' }, 'unknown')],
    [
      'Debian without apt',
      factsFor({ id: 'debian', prettyName: 'Debian GNU/Linux 12 (bookworm)' }, 'unknown'),
    ],
  ])('refuses %s, naming it and what is supported', (_name, facts) => {
    expect(() => configurerFor(facts)).toThrow(
      expect.objectContaining({
        code: 'EUNSUPPORTED_OS',
        exitCode: 3,
        message: expect.stringContaining(`node1: eectl cannot install the engine on ${facts.os.prettyName}`),
        suggestions: [expect.stringContaining('Debian, Ubuntu, RHEL')],
      }),
    );
  });
});

/** Every family × source that is supported, with each step list it can produce. */
function everyPlan(): { plans: { name: string; steps: Step[] }[]; refused: string[] } {
  const hosts = [
    DEBIAN_12,
    DEBIAN_13,
    UBUNTU_2404_ARM,
    ROCKY_9,
    RHEL_9,
    CENTOS_7,
    FEDORA_40,
    SLES_15,
    OPENSUSE_LEAP,
  ];
  const specs: (Pick<EngineSpec, 'source' | 'repoUrl'> & { repoKey?: string })[] = [
    { source: 'docker' },
    { source: 'distro' },
    {
      source: 'mirror',
      repoUrl: `http://u$(id):p'w;d@m/'$(reboot)";rm/`,
      repoKey: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n$(reboot)\n-----END PGP PUBLIC KEY BLOCK-----\n',
    },
  ];
  const plans: { name: string; steps: Step[] }[] = [];
  const refused: string[] = [];
  for (const facts of hosts) {
    const c = configurerFor(facts);
    for (const spec of specs) {
      try {
        c.checkSource(spec);
      } catch {
        refused.push(`${facts.os.id} ${spec.source}`);
        continue;
      }
      const steps = [
        ...c.setupSource(spec),
        ...c.refreshMetadata(spec),
        c.listVersions(spec),
        ...c.installEngine(spec, '5:26.1.4-1~x', [{ name: 'docker-ce-cli', version: '5:26.1.4-1~x' }]),
        c.installedQuery(),
        ...c.removeEngine(['docker-ce', 'docker.io']),
      ];
      plans.push({ name: `${c.name} ${spec.source}`, steps });
    }
  }
  return { plans, refused };
}

describe('every family × source', () => {
  const { plans, refused } = everyPlan();

  it('refuses only the combinations that have no engine package', () => {
    expect(refused).toEqual(['rocky distro', 'rhel distro', 'sles docker', 'opensuse-leap docker']);
    expect(plans).toHaveLength(9 * 3 - refused.length);
  });

  it.each(plans)('$name: argv only, no shell, user values never on a command line', ({ steps }) => {
    for (const step of steps) {
      expect(step.description).not.toBe('');
      if (step.kind === 'upload') {
        expect(step.path).toMatch(/^\/etc\//);
        continue;
      }
      expect(step.command.every((arg) => typeof arg === 'string')).toBe(true);
      expect(['sh', 'bash', 'eval']).not.toContain(step.command[0]);
      expect(step.command.join(' ')).not.toMatch(/reboot|rm\/|;/);
    }
  });

  it('refuses a hostile version on every family', () => {
    for (const facts of [DEBIAN_12, ROCKY_9, SLES_15]) {
      expect(() => configurerFor(facts).installEngine({ source: 'distro' }, HOSTILE, [])).toThrow(
        /not a package/,
      );
    }
  });
});
