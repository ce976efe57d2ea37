import type { Facts } from '../../src/lib/host/facts-types.js';

const GiB = 1024 ** 3;

/** Facts of a healthy Debian 12 host without an engine, as unit tests start from; override what matters. */
export function makeFacts(overrides: Partial<Facts> = {}): Facts {
  return {
    hostname: 'h',
    os: { id: 'debian', idLike: [], versionId: '12', codename: 'bookworm', prettyName: 'Debian 12' },
    arch: 'amd64',
    kernel: '6.1',
    initSystem: 'systemd',
    packageManager: 'apt',
    cpus: 2,
    memoryBytes: 4 * GiB,
    diskFreeBytes: 40 * GiB,
    privateAddresses: [],
    addresses: [],
    time: 0,
    files: {},
    listening: [],
    user: 'root',
    isRoot: true,
    sudo: true,
    engine: undefined,
    swarm: undefined,
    ...overrides,
  };
}
