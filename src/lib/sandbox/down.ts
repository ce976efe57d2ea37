import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { nullLogger, type Logger } from '../ui/log.js';
import { DockerCli } from './docker.js';
import { forgetHostKeys } from './ssh-keys.js';
import {
  assertSandboxName,
  LABEL,
  readDescription,
  removeStateDir,
  sandboxKnownHostsFile,
  sandboxStateDir,
} from './state.js';

/** What `down` removed; all empty when there was no such sandbox. */
export interface SandboxDownResult {
  name: string;
  containers: string[];
  volumes: string[];
  networks: string[];
  /** The state directory and the known_hosts entries, when they existed. */
  files: string[];
}

/**
 * Removes everything `up` made for the sandbox — the containers (hosts and mirror server), volumes and
 * network labelled `eectl.sandbox=<name>`, its key pair, cluster file and known_hosts entries — and
 * nothing else. The shared cache stays. Running it twice is harmless.
 */
export async function sandboxDown(
  name: string,
  options: { logger?: Logger; signal?: AbortSignal; keepLogs?: boolean } = {},
): Promise<SandboxDownResult> {
  assertSandboxName(name);
  const logger = options.logger ?? nullLogger;
  const docker = new DockerCli({ logger, ...(options.signal ? { signal: options.signal } : {}) });
  await docker.serverVersion();
  const label = `${LABEL.sandbox}=${name}`;

  const containers = await docker.containersLabelled(label);
  // Their addresses, for known_hosts: from the engine, and from the description if a container is gone.
  const addresses = new Set(containers.map((c) => c.labels[LABEL.address]).filter((a): a is string => !!a));
  for (const h of (await readDescription(name))?.hosts ?? []) addresses.add(h.address);

  await docker.removeContainers(containers.map((c) => c.name));
  const volumes = await docker.volumesLabelled(label);
  await docker.removeVolumes(volumes);
  const networks = await docker.networksLabelled(label);
  await docker.removeNetworks(networks);

  const files: string[] = [];
  const knownHosts = sandboxKnownHostsFile(name);
  if (existsSync(knownHosts) && addresses.size > 0) {
    await forgetHostKeys(knownHosts, [...addresses]);
    files.push(`${knownHosts} (${addresses.size} hosts)`);
  }
  const stateDir = sandboxStateDir(name);
  if (existsSync(stateDir)) {
    if (options.keepLogs) await removeAllBut(stateDir, 'logs');
    else await removeStateDir(name);
    files.push(stateDir);
  }
  const result = { name, containers: containers.map((c) => c.name), volumes, networks, files };
  logger.debug(`sandbox down ${name}: ${JSON.stringify(result)}`);
  return result;
}

async function removeAllBut(dir: string, keep: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry !== keep) await rm(join(dir, entry), { recursive: true, force: true });
  }
}
