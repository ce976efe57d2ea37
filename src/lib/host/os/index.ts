import { EectlError, ExitCode } from '../../errors.js';
import type { Facts } from '../facts-types.js';
import { AptConfigurer } from './apt.js';
import { DnfConfigurer, type DockerRpmFlavor } from './dnf.js';
import type { OsConfigurer } from './types.js';
import { ZypperConfigurer } from './zypper.js';

export type { CommandStep, Step, UploadStep } from './steps.js';
export type { EnginePackages, EngineSourceSpec, OsConfigurer, PackageOffer } from './types.js';
export { engineVersions, installedEngine } from './packages.js';

const SUPPORTED =
  'Debian, Ubuntu, RHEL, CentOS, Rocky Linux, AlmaLinux, Oracle Linux, Fedora, SLES and openSUSE';

const DEBIAN = ['debian', 'ubuntu'];
const RHEL = ['rhel', 'centos', 'rocky', 'almalinux', 'ol'];
const SUSE = ['sles', 'sles_sap', 'opensuse', 'opensuse-leap', 'opensuse-tumbleweed', 'suse'];
/** Says "like rhel/fedora" but has neither Docker's repositories nor RHEL's layout; matched by name to refuse it. */
const LOOKALIKES = ['amzn'];

/** The facts a configurer is chosen and built from. */
export type ConfigurerFacts = Pick<Facts, 'hostname' | 'os' | 'arch' | 'packageManager'>;

/** Picks the OS configurer for a host from os-release (ID, then ID_LIKE) and the package manager found. */
export function configurerFor(facts: ConfigurerFacts): OsConfigurer {
  const { os, packageManager: pm } = facts;
  const is = (ids: readonly string[]) =>
    ids.includes(os.id) || (!LOOKALIKES.includes(os.id) && ids.some((i) => os.idLike.includes(i)));
  if (is(DEBIAN) && pm === 'apt') return new AptConfigurer(os, facts.arch);
  if (os.id === 'fedora' && (pm === 'dnf' || pm === 'yum')) return new DnfConfigurer(os, pm, 'fedora');
  // Checked before Fedora: Rocky and Alma say ID_LIKE="rhel centos fedora".
  if (is(RHEL) && (pm === 'dnf' || pm === 'yum')) {
    const flavor: DockerRpmFlavor = os.id === 'rhel' ? 'rhel' : 'centos';
    return new DnfConfigurer(os, pm, flavor);
  }
  if (is(SUSE) && pm === 'zypper') return new ZypperConfigurer(os, facts.arch);
  if (is(['fedora']) && (pm === 'dnf' || pm === 'yum')) return new DnfConfigurer(os, pm, 'fedora');
  const name = os.prettyName || os.id || 'an unknown OS';
  throw new EectlError(
    `${facts.hostname}: eectl cannot install the engine on ${name} (ID=${os.id || '?'}, package manager ${pm})`,
    {
      code: 'EUNSUPPORTED_OS',
      exitCode: ExitCode.preflight,
      suggestions: [`eectl installs the engine on ${SUPPORTED}, with apt, dnf, yum or zypper.`],
    },
  );
}
