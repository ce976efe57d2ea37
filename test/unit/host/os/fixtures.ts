import type { OsFacts, PackageManager } from '../../../../src/lib/host/facts-types.js';
import type { ConfigurerFacts } from '../../../../src/lib/host/os/index.js';
import type { CommandStep, Step, UploadStep } from '../../../../src/lib/host/os/steps.js';

/** The facts configurers read, for a host of the given OS. */
export function factsFor(
  os: Partial<OsFacts> & { id: string },
  packageManager: PackageManager,
  arch = 'amd64',
): ConfigurerFacts {
  return {
    hostname: 'node1',
    os: { idLike: [], versionId: '', codename: undefined, prettyName: '', ...os },
    arch,
    packageManager,
  };
}

export const DEBIAN_12 = factsFor(
  { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  'apt',
);
export const DEBIAN_13 = factsFor(
  { id: 'debian', versionId: '13', codename: 'trixie', prettyName: 'Debian GNU/Linux 13 (trixie)' },
  'apt',
);
export const UBUNTU_2404_ARM = factsFor(
  {
    id: 'ubuntu',
    idLike: ['debian'],
    versionId: '24.04',
    codename: 'noble',
    prettyName: 'Ubuntu 24.04.1 LTS',
  },
  'apt',
  'arm64',
);
export const ROCKY_9 = factsFor(
  {
    id: 'rocky',
    idLike: ['rhel', 'centos', 'fedora'],
    versionId: '9.4',
    prettyName: 'Rocky Linux 9.4 (Blue Onyx)',
  },
  'dnf',
);
export const RHEL_9 = factsFor(
  { id: 'rhel', idLike: ['fedora'], versionId: '9.4', prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)' },
  'dnf',
);
export const CENTOS_7 = factsFor(
  { id: 'centos', idLike: ['rhel', 'fedora'], versionId: '7', prettyName: 'CentOS Linux 7 (Core)' },
  'yum',
);
export const FEDORA_40 = factsFor(
  { id: 'fedora', versionId: '40', prettyName: 'Fedora Linux 40 (Server Edition)' },
  'dnf',
);
export const SLES_15 = factsFor(
  { id: 'sles', idLike: ['suse'], versionId: '15.5', prettyName: 'SUSE Linux Enterprise Server 15 SP5' },
  'zypper',
);
export const OPENSUSE_LEAP = factsFor(
  { id: 'opensuse-leap', idLike: ['suse', 'opensuse'], versionId: '15.6', prettyName: 'openSUSE Leap 15.6' },
  'zypper',
);

/** The argv of every command step, in order. */
export function commands(steps: readonly Step[]): string[][] {
  return steps.filter((s): s is CommandStep => s.kind === 'command').map((s) => [...s.command]);
}

/** The upload steps, in order. */
export function uploads(steps: readonly Step[]): UploadStep[] {
  return steps.filter((s): s is UploadStep => s.kind === 'upload');
}

/** Strings that would do harm if a shell ever saw them. */
export const HOSTILE = `26.1'; rm -rf / #"$(reboot)`;
