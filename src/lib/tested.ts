/**
 * What eectl is tested on end to end (the e2e tier, every CI run): the engine packages of the sandbox's
 * mirror on Debian 12 hosts. `eectl version` shows it; the sandbox e2e asserts that the mirror serves exactly
 * these versions, so the list cannot drift from what the tests run. Other OS families (apt on Ubuntu,
 * dnf, zypper) are tested by the commands eectl generates for them (unit tests), not on real hosts.
 */
export const TESTED_ENGINES = [
  { version: '20.10.24', package: 'docker.io', from: 'Debian 12 (bookworm)' },
  { version: '26.1.5', package: 'docker.io', from: 'Debian 13 (trixie), on Debian 12 hosts' },
] as const;

/** The host operating system of the e2e tier. */
export const TESTED_HOSTS = 'Debian 12 (systemd, OpenSSH, sudo)';
