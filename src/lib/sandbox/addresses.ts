import { UsageError } from '../errors.js';
import type { Role } from '../config/schema.js';
import { containerName, type SandboxHost } from './state.js';

/**
 * Address plan of a sandbox: one /24 per sandbox in 10.77.0.0/16 (so several coexist), the gateway at .1
 * (where the package mirror answers), managers from .11, workers from .21, registries from .31 (or .111,
 * .121, .131 with an address base of 100).
 */

export const SUBNET_PREFIX = '10.77';
const FIRST_ADDRESS: Record<Role, number> = { manager: 11, worker: 21, registry: 31 };
const HOSTNAME_LETTER: Record<Role, string> = { manager: 'm', worker: 'w', registry: 'r' };
/** The ranges above leave room for nine hosts of each role. */
export const MAX_PER_ROLE = 9;

/** How many hosts of each role a sandbox has. */
export interface HostCounts {
  managers: number;
  workers: number;
  registries: number;
}

/**
 * Managers log in as root and the others as `eectl` through sudo, so one sandbox exercises both paths
 * of the SSH layer.
 */
export const SSH_USER: Record<Role, string> = { manager: 'root', worker: 'eectl', registry: 'eectl' };

export function assertCounts(counts: HostCounts): void {
  const bad: string[] = [];
  if (counts.managers < 1 || counts.managers > MAX_PER_ROLE)
    bad.push(`--managers must be 1..${MAX_PER_ROLE}`);
  if (counts.workers < 0 || counts.workers > MAX_PER_ROLE) bad.push(`--workers must be 0..${MAX_PER_ROLE}`);
  if (counts.registries < 0 || counts.registries > MAX_PER_ROLE) {
    bad.push(`--registries must be 0..${MAX_PER_ROLE}`);
  }
  if (bad.length > 0) {
    throw new UsageError(bad.join('; '), {
      code: 'ESANDBOXSIZE',
      suggestions: ['A sandbox has 1 to 9 managers and up to 9 workers and 9 registry hosts.'],
    });
  }
}

/** The /24 and gateway of the sandbox network with this index (the third octet). */
export function subnetFor(index: number): { subnet: string; gateway: string; index: number } {
  return { subnet: `${SUBNET_PREFIX}.${index}.0/24`, gateway: `${SUBNET_PREFIX}.${index}.1`, index };
}

/** The lowest index whose /24 overlaps none of the given subnets (every network the engine has). */
export function pickSubnetIndex(usedSubnets: readonly string[]): number {
  for (let index = 0; index < 256; index++) {
    const candidate = subnetFor(index).subnet;
    if (!usedSubnets.some((used) => cidrsOverlap(used, candidate))) return index;
  }
  throw new UsageError(`no free /24 left in ${SUBNET_PREFIX}.0.0/16 for a sandbox network`, {
    code: 'ESANDBOXNET',
    suggestions: ['Remove sandboxes you no longer need: eectl sandbox ls, then eectl sandbox down --name N.'],
  });
}

/** Whether two IPv4 CIDRs share an address; anything that is not IPv4 never overlaps. */
export function cidrsOverlap(a: string, b: string): boolean {
  const ra = cidrRange(a);
  const rb = cidrRange(b);
  if (!ra || !rb) return false;
  return ra.first <= rb.last && rb.first <= ra.last;
}

function cidrRange(cidr: string): { first: number; last: number } | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(address / size) * size;
  return { first, last: first + size - 1 };
}

/**
 * What is added to every host's last octet: 0 (managers from .11) or 100 (managers from .111), so a second
 * sandbox can stand for a site whose hosts differ from the first's in the last octet too (a restore onto
 * new addresses).
 */
export type AddressBase = 0 | 100;

/** Hostnames, addresses, users and container names of a sandbox's hosts, managers first. */
export function planHosts(
  sandbox: string,
  counts: HostCounts,
  subnetIndex: number,
  addressBase: AddressBase = 0,
): SandboxHost[] {
  const roles: [Role, number][] = [
    ['manager', counts.managers],
    ['worker', counts.workers],
    ['registry', counts.registries],
  ];
  return roles.flatMap(([role, count]) =>
    Array.from({ length: count }, (_, i) => {
      const hostname = `${HOSTNAME_LETTER[role]}${i + 1}`;
      return {
        hostname,
        role,
        address: `${SUBNET_PREFIX}.${subnetIndex}.${addressBase + FIRST_ADDRESS[role] + i}`,
        user: SSH_USER[role],
        container: containerName(sandbox, hostname),
      };
    }),
  );
}
