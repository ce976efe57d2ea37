import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterDir, nullLogger, type Logger } from '../util/log.js';
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
  /** The docker CLI's contexts for the sandbox's cluster (`eectl-<name>-<user>`, made by client-config). */
  contexts: string[];
  /** The cluster's state directory (~/.eectl/<name>: CA key, bundles, backups, logs), what it held, and whether --keep-state kept it. */
  clusterState?: { dir: string; entries: string[]; kept: boolean };
}

/** What of the sandbox's cluster lives on this machine outside the engine: contexts, ~/.eectl/<name>. */
export interface SandboxLeftovers {
  contexts: string[];
  clusterState?: { dir: string; entries: string[] };
}

/**
 * The docker contexts `eectl client-config` made for the sandbox's cluster: named `eectl-<name>-<user>`
 * and described `eectl <name> (<user>)`. Both must match: sandbox "dev" must not take "dev-2"'s contexts.
 */
export function sandboxContexts(
  name: string,
  contexts: readonly { name: string; description: string }[],
): string[] {
  return contexts
    .filter((c) => c.name.startsWith(`eectl-${name}-`) && c.description.startsWith(`eectl ${name} (`))
    .map((c) => c.name);
}

/** What ~/.eectl/<name> holds, one entry a name: `pki/ (the cluster CA and its key)`, `backups/ (2 files)`. */
export async function describeClusterState(dir: string): Promise<string[] | undefined> {
  if (!existsSync(dir)) return undefined;
  const entries = await readdir(dir, { withFileTypes: true });
  const described = await Promise.all(
    entries
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (e) => {
        if (!e.isDirectory()) return e.name;
        const inside = await readdir(join(dir, e.name)).catch(() => []);
        const what: Record<string, string> = {
          pki: 'the cluster CA and its key',
          bundles: `client bundles: ${inside.join(', ') || 'none'}`,
          backups: `${inside.length} file${inside.length === 1 ? '' : 's'}`,
          logs: `${inside.length} run log${inside.length === 1 ? '' : 's'}`,
        };
        return `${e.name}/ (${what[e.name] ?? `${inside.length} entr${inside.length === 1 ? 'y' : 'ies'}`})`;
      }),
  );
  return described;
}

/** What `down` would remove besides the engine's objects: said before it asks, and in its result. */
export async function sandboxLeftovers(
  name: string,
  options: { logger?: Logger; docker?: Pick<DockerCli, 'contexts'> } = {},
): Promise<SandboxLeftovers> {
  assertSandboxName(name);
  const logger = options.logger ?? nullLogger;
  const docker = options.docker ?? new DockerCli({ logger });
  const contexts = await docker.contexts().then(
    (all) => sandboxContexts(name, all),
    (error: unknown) => {
      logger.warn(`docker context ls failed, the sandbox's contexts stay: ${String(error)}`);
      return [];
    },
  );
  const dir = clusterDir(name);
  const entries = await describeClusterState(dir);
  return { contexts, ...(entries !== undefined && { clusterState: { dir, entries } }) };
}

/**
 * Removes everything `up` made for the sandbox — the containers (hosts and mirror server), volumes and
 * network labelled `eectl.sandbox=<name>`, its key pair, cluster file and known_hosts entries — and what
 * using it made on this machine: the docker contexts of its cluster and ~/.eectl/<name> (unless
 * keepState). Nothing else; the shared cache stays. Running it twice is harmless.
 */
export async function sandboxDown(
  name: string,
  options: {
    logger?: Logger;
    signal?: AbortSignal;
    keepLogs?: boolean;
    /** Keep ~/.eectl/<name> (CA key, bundles, backups, logs); its known_hosts entries still go. */
    keepState?: boolean;
    /** The outer engine's CLI (tests give a scripted one). */
    docker?: SandboxDocker;
  } = {},
): Promise<SandboxDownResult> {
  assertSandboxName(name);
  const logger = options.logger ?? nullLogger;
  const docker =
    options.docker ?? new DockerCli({ logger, ...(options.signal ? { signal: options.signal } : {}) });
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
  const leftovers = await sandboxLeftovers(name, { logger, docker });
  if (leftovers.contexts.length > 0) await docker.removeContexts(leftovers.contexts);
  let clusterState: SandboxDownResult['clusterState'];
  if (leftovers.clusterState) {
    const kept = options.keepState === true;
    if (!kept) await rm(leftovers.clusterState.dir, { recursive: true, force: true });
    clusterState = { ...leftovers.clusterState, kept };
  }
  const result: SandboxDownResult = {
    name,
    containers: containers.map((c) => c.name),
    volumes,
    networks,
    files,
    contexts: leftovers.contexts,
    ...(clusterState && { clusterState }),
  };
  logger.debug(`sandbox down ${name}: ${JSON.stringify(result)}`);
  return result;
}

/** The outer engine's commands `down` uses. */
export type SandboxDocker = Pick<
  DockerCli,
  | 'serverVersion'
  | 'containersLabelled'
  | 'removeContainers'
  | 'volumesLabelled'
  | 'removeVolumes'
  | 'networksLabelled'
  | 'removeNetworks'
  | 'contexts'
  | 'removeContexts'
>;

async function removeAllBut(dir: string, keep: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry !== keep) await rm(join(dir, entry), { recursive: true, force: true });
  }
}
