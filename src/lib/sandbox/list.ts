import type { Role } from '../config/schema.js';
import { nullLogger, type Logger } from '../util/log.js';
import { DockerCli, type ContainerInfo } from './docker.js';
import { LABEL, readDescription, stateDirNames, type SandboxDescription } from './state.js';

/** One host as `ls` shows it: what it is and whether its container runs. */
export interface ListedHost {
  hostname: string;
  role: Role;
  address: string;
  user: string;
  container: string;
  state: string;
}

/** One sandbox on this machine, from the engine's labels and its state directory. */
export interface ListedSandbox {
  name: string;
  network: SandboxDescription['network'] | undefined;
  hosts: ListedHost[];
  /** The mirror server container's state, or `missing`. */
  mirror: string;
  mirrorUrl: string | undefined;
  clusterFile: string | undefined;
  /** False when only part of it exists (an interrupted up, a removed container, state without hosts). */
  complete: boolean;
}

/** Every sandbox found on the engine (by label) or on disk, sorted by name. */
export async function sandboxList(options: { logger?: Logger } = {}): Promise<ListedSandbox[]> {
  const docker = new DockerCli({ logger: options.logger ?? nullLogger });
  await docker.serverVersion();
  const containers = await docker.containersLabelled(LABEL.sandbox);
  const names = new Set([
    ...containers.map((c) => c.labels[LABEL.sandbox] ?? ''),
    ...(await stateDirNames()),
  ]);
  names.delete('');
  const listed = await Promise.all(
    [...names].sort().map(async (name) => describeListed(name, containers, await readDescription(name))),
  );
  return listed;
}

/** Joins what the engine has for one sandbox with what its description says it should have. */
export function describeListed(
  name: string,
  allContainers: ContainerInfo[],
  description: SandboxDescription | undefined,
): ListedSandbox {
  const mine = allContainers.filter((c) => c.labels[LABEL.sandbox] === name);
  const hosts: ListedHost[] = mine
    .filter((c) => c.labels[LABEL.kind] === 'host')
    .map((c) => ({
      hostname: c.labels[LABEL.hostname] ?? '?',
      role: (c.labels[LABEL.role] ?? 'worker') as Role,
      address: c.labels[LABEL.address] ?? '?',
      user: c.labels[LABEL.user] ?? '?',
      container: c.name,
      state: c.state,
    }));
  for (const expected of description?.hosts ?? []) {
    if (!hosts.some((h) => h.hostname === expected.hostname)) hosts.push({ ...expected, state: 'missing' });
  }
  hosts.sort((a, b) => a.address.localeCompare(b.address, undefined, { numeric: true }));
  const mirror = mine.find((c) => c.labels[LABEL.kind] === 'mirror')?.state ?? 'missing';
  const complete =
    description !== undefined &&
    hosts.length > 0 &&
    hosts.every((h) => h.state !== 'missing') &&
    mirror !== 'missing';
  return {
    name,
    network: description?.network,
    hosts,
    mirror,
    mirrorUrl: description?.mirrorUrl,
    clusterFile: description?.clusterFile,
    complete,
  };
}

/** The sandboxes `down --all --prefix P` removes: only those whose name starts with P (all without one). */
export function sandboxesWithPrefix(names: readonly string[], prefix: string | undefined): string[] {
  return prefix === undefined ? [...names] : names.filter((n) => n.startsWith(prefix));
}
