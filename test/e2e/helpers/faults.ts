import { quoteArg } from '../../../src/lib/ssh/quote.js';
import type { DockerCli } from '../../../src/lib/sandbox/docker.js';
import type { LocalResult } from '../../../src/lib/sandbox/exec.js';
import { waitForBoot } from '../../../src/lib/sandbox/hosts.js';
import type { SandboxHost } from '../../../src/lib/sandbox/state.js';

/**
 * Faults for end-to-end tests, done to a sandbox host from outside it: power off and on, and network
 * partitions. A partition is made with iptables inside the host on its sandbox interface (eth0), so the
 * host loses the network while `docker exec` — the test's own view of the host — keeps working.
 */

const CHAIN = 'EECTL-PARTITION';

/** Runs a shell script on the host as root (via docker exec, not SSH). */
export async function runOnHost(
  docker: DockerCli,
  host: SandboxHost,
  script: string,
  options: { check?: boolean; timeoutMs?: number; args?: readonly string[] } = {},
): Promise<LocalResult> {
  // `args` are the script's positional parameters ("$1", "$@"): values never go into its text.
  return docker.exec(host.container, ['/bin/bash', '-s', '--', ...(options.args ?? [])], {
    input: script,
    check: options.check ?? false,
    timeoutMs: options.timeoutMs ?? 600_000,
  });
}

/** Powers the host off: a clean shutdown, or with `hard` the plug pulled (no shutdown at all). */
export async function stopHost(
  docker: DockerCli,
  host: SandboxHost,
  options: { hard?: boolean } = {},
): Promise<void> {
  if (options.hard) await docker.kill(host.container);
  else await docker.stop(host.container);
}

/** Powers the host on and waits until systemd runs again. */
export async function startHost(docker: DockerCli, host: SandboxHost): Promise<void> {
  await docker.start(host.container);
  await waitForBoot(docker, host);
}

/**
 * Cuts the host off the sandbox network: from everyone, or with `peers` only from those addresses (both
 * directions, also for the host's containers). Calling it again replaces the previous partition.
 */
export async function partitionHost(
  docker: DockerCli,
  host: SandboxHost,
  options: { peers?: string[] } = {},
): Promise<void> {
  await runOnHost(docker, host, partitionScript(options.peers), { check: true, timeoutMs: 30_000 });
}

/** Undoes partitionHost. */
export async function healHost(docker: DockerCli, host: SandboxHost): Promise<void> {
  await runOnHost(docker, host, healScript(), { check: true, timeoutMs: 30_000 });
}

const JUMPS = [
  ['INPUT', '-i', 'eth0'],
  ['FORWARD', '-i', 'eth0'],
  ['OUTPUT', '-o', 'eth0'],
  ['FORWARD', '-o', 'eth0'],
] as const;

/** The iptables commands of a partition: a chain of DROP rules, jumped to first for traffic on eth0. */
export function partitionScript(peers?: readonly string[]): string {
  const drops =
    peers === undefined
      ? [`iptables -A ${CHAIN} -j DROP`]
      : peers.flatMap((p) => [
          `iptables -A ${CHAIN} -s ${quoteArg(p)} -j DROP`,
          `iptables -A ${CHAIN} -d ${quoteArg(p)} -j DROP`,
        ]);
  return [
    'set -eu',
    `iptables -N ${CHAIN} 2>/dev/null || iptables -F ${CHAIN}`,
    ...drops,
    ...JUMPS.map(
      ([chain, flag, dev]) =>
        `iptables -C ${chain} ${flag} ${dev} -j ${CHAIN} 2>/dev/null || iptables -I ${chain} 1 ${flag} ${dev} -j ${CHAIN}`,
    ),
    '',
  ].join('\n');
}

export function healScript(): string {
  return [
    'set -u',
    ...JUMPS.map(
      ([chain, flag, dev]) =>
        `while iptables -C ${chain} ${flag} ${dev} -j ${CHAIN} 2>/dev/null; do iptables -D ${chain} ${flag} ${dev} -j ${CHAIN}; done`,
    ),
    `iptables -F ${CHAIN} 2>/dev/null || true`,
    `iptables -X ${CHAIN} 2>/dev/null || true`,
    '',
  ].join('\n');
}
