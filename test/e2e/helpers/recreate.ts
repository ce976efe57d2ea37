import { readFile } from 'node:fs/promises';
import { hostAptSources } from '../../../src/lib/sandbox/apt.js';
import type { DockerCli } from '../../../src/lib/sandbox/docker.js';
import { createHosts, provisionHost, waitForBoot } from '../../../src/lib/sandbox/hosts.js';
import { recordHostKeys } from '../../../src/lib/sandbox/ssh-keys.js';
import { registryVolumeName, volumeName, type SandboxDescription } from '../../../src/lib/sandbox/state.js';

/**
 * Replaces every host of a sandbox with a fresh one at the same address and hostname: containers and their
 * volumes (the engine's data, the shared registry storage) removed and made again from the host image, as
 * new machines that replace dead ones. They get new host keys, recorded in the sandbox's known_hosts as an
 * operator would after checking them; the sandbox's own key still logs in.
 */
export async function recreateSandboxHosts(docker: DockerCli, sandbox: SandboxDescription): Promise<void> {
  const first = sandbox.hosts[0];
  if (!first) return;
  const image = (
    await docker.run(['container', 'inspect', '--format', '{{.Config.Image}}', first.container])
  ).stdout.trim();
  await docker.removeContainers(sandbox.hosts.map((h) => h.container));
  const volumes = sandbox.hosts.map((h) => volumeName(sandbox.name, h.hostname));
  if (sandbox.hosts.some((h) => h.role === 'registry')) volumes.push(registryVolumeName(sandbox.name));
  await docker.removeVolumes(volumes);
  await createHosts(docker, sandbox.name, sandbox.network.name, image, sandbox.hosts);
  await Promise.all(sandbox.hosts.map((h) => waitForBoot(docker, h)));
  const publicKey = (await readFile(`${sandbox.keyPath}.pub`, 'utf8')).trim();
  const lines = await Promise.all(
    sandbox.hosts.map((h) => provisionHost(docker, h, publicKey, hostAptSources(sandbox.mirrorUrl))),
  );
  await recordHostKeys(
    sandbox.knownHostsFile,
    sandbox.hosts.map((h) => h.address),
    lines.flat(),
  );
}
