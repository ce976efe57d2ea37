import { EectlError } from '../errors.js';
import { quoteArg } from '../ssh/quote.js';
import { done, pending, pollUntil } from '../util/poll.js';
import { pickSubnetIndex, subnetFor } from './addresses.js';
import { hostRunArgs, type DockerCli } from './docker.js';
import { tail } from './exec.js';
import { INOTIFY_ADVICE } from './inotify.js';
import { knownHostsLines } from './ssh-keys.js';
import {
  LABEL,
  networkName,
  REGISTRY_STORAGE_PATH,
  registryVolumeName,
  volumeName,
  type SandboxHost,
} from './state.js';

/** The sandbox network (its own /24) and its hosts: containers booting systemd, each like a machine. */

/** Labels of every host container, so `ls` can describe a sandbox from the engine alone. */
export function hostLabels(sandbox: string, host: SandboxHost): Record<string, string> {
  return {
    [LABEL.sandbox]: sandbox,
    [LABEL.kind]: 'host',
    [LABEL.hostname]: host.hostname,
    [LABEL.role]: host.role,
    [LABEL.address]: host.address,
    [LABEL.user]: host.user,
  };
}

/**
 * Creates the sandbox's bridge on the lowest free 10.77.N.0/24; when another sandbox takes the same /24
 * at the same moment, the engine refuses the second and the next one is tried.
 */
export async function createSandboxNetwork(
  docker: DockerCli,
  sandbox: string,
): Promise<{ name: string; subnet: string; gateway: string; index: number }> {
  const name = networkName(sandbox);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const net = subnetFor(pickSubnetIndex(await docker.networkSubnets()));
    try {
      await docker.createNetwork({
        name,
        subnet: net.subnet,
        gateway: net.gateway,
        labels: { [LABEL.sandbox]: sandbox },
      });
      return { name, ...net };
    } catch (error) {
      lastError = error;
      if (!/overlap/i.test(error instanceof Error ? error.message : '')) throw error;
    }
  }
  throw lastError;
}

/** Creates every host's volume and container in parallel (registry hosts also share one storage volume). */
export async function createHosts(
  docker: DockerCli,
  sandbox: string,
  network: string,
  image: string,
  hosts: SandboxHost[],
): Promise<void> {
  const registryStorage = registryVolumeName(sandbox);
  if (hosts.some((h) => h.role === 'registry')) {
    await docker.createVolume(registryStorage, { [LABEL.sandbox]: sandbox });
  }
  await Promise.all(
    hosts.map(async (host) => {
      const volume = volumeName(sandbox, host.hostname);
      await docker.createVolume(volume, { [LABEL.sandbox]: sandbox, [LABEL.hostname]: host.hostname });
      await docker.runContainer(
        hostRunArgs({
          container: host.container,
          hostname: host.hostname,
          network,
          address: host.address,
          volume,
          image,
          labels: hostLabels(sandbox, host),
          ...(host.role === 'registry'
            ? { extraVolumes: [`${registryStorage}:${REGISTRY_STORAGE_PATH}`] }
            : {}),
        }),
      );
    }),
  );
}

/** How long a host may take from `docker start` to a running systemd. */
export const BOOT_TIMEOUT_MS = 180_000;

/** Waits until systemd on the host says `running` (or `degraded`: a unit failed, the machine is up). */
export async function waitForBoot(
  docker: DockerCli,
  host: SandboxHost,
  timeoutMs = BOOT_TIMEOUT_MS,
): Promise<string> {
  const outcome = await pollUntil(
    async () => {
      const result = await docker.exec(host.container, ['systemctl', 'is-system-running'], {
        timeoutMs: 15_000,
      });
      const state = result.stdout.trim() || tail(result.stderr, 1).join('');
      if (state === 'running' || state === 'degraded') return done(state);
      // A container that exited will not come back by waiting.
      if (state === 'maintenance' || state === 'stopping' || /is not running/.test(result.stderr)) {
        return done(state);
      }
      return pending(state);
    },
    { timeoutMs, intervalMs: 500 },
  );
  const state = 'value' in outcome ? outcome.value : outcome.waiting;
  if (state === 'running' || state === 'degraded') return state;
  const failed = await docker.exec(host.container, ['systemctl', '--failed', '--no-legend', '--plain'], {
    timeoutMs: 15_000,
  });
  const jobs = await docker.exec(host.container, ['systemctl', 'list-jobs', '--no-legend'], {
    timeoutMs: 15_000,
  });
  throw new EectlError(
    `${host.hostname} (${host.address}) did not boot within ${Math.round(timeoutMs / 1000)} s: systemd says "${state}"`,
    {
      code: 'ESANDBOXBOOT',
      kind: 'external',
      host: host.address,
      suggestions: [
        ...tail(failed.stdout, 5).map((l) => `failed unit: ${l}`),
        ...tail(jobs.stdout, 5).map((l) => `waiting job: ${l}`),
        `Failed .path units mean inotify instances ran out (many hosts on this machine): ${INOTIFY_ADVICE}`,
        `Look inside: docker exec ${host.container} journalctl -b --no-pager | tail -50`,
      ],
    },
  );
}

/**
 * Gives a booted host the sandbox's key (root and eectl), its apt sources (the mirror only), and returns
 * its known_hosts lines, read from the host keys it made at first boot.
 */
export async function provisionHost(
  docker: DockerCli,
  host: SandboxHost,
  publicKey: string,
  aptSources: string,
): Promise<string[]> {
  const script = provisionScript(publicKey, aptSources);
  const result = await docker.exec(host.container, ['/bin/sh', '-s'], {
    input: script,
    check: true,
    timeoutMs: 60_000,
  });
  const lines = knownHostsLines(host.address, result.stdout);
  if (!lines.some((l) => l.includes(' ssh-ed25519 '))) {
    throw new EectlError(`${host.hostname} (${host.address}) has no ed25519 host key`, {
      code: 'ESANDBOXKEYS',
      kind: 'external',
      host: host.address,
      suggestions: [`docker exec ${host.container} systemctl status eectl-sandbox-host-keys ssh`],
    });
  }
  return lines;
}

/** The shell script `provisionHost` runs; it prints the host's public host keys. */
export function provisionScript(publicKey: string, aptSources: string): string {
  return [
    'set -eu',
    `printf '%s\\n' ${quoteArg(publicKey)} > /root/.ssh/authorized_keys`,
    'chmod 0600 /root/.ssh/authorized_keys',
    'install -m 0600 -o eectl -g eectl /root/.ssh/authorized_keys /home/eectl/.ssh/authorized_keys',
    `printf '%s' ${quoteArg(aptSources)} > /etc/apt/sources.list`,
    'cat /etc/ssh/ssh_host_*_key.pub',
    '',
  ].join('\n');
}
