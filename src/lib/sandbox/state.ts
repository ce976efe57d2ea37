import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Role } from '../config/schema.js';
import { clusterDir, eectlHome } from '../util/log.js';

/**
 * What a sandbox consists of and where each part lives. Everything `up` creates on the Docker engine
 * carries the label `eectl.sandbox=<name>`, so `down` removes exactly that and `ls` finds it.
 */

export const LABEL = {
  sandbox: 'eectl.sandbox',
  /** `host` or `mirror`. */
  kind: 'eectl.sandbox.kind',
  hostname: 'eectl.sandbox.hostname',
  role: 'eectl.sandbox.role',
  address: 'eectl.sandbox.address',
  user: 'eectl.sandbox.user',
} as const;

export const DEFAULT_SANDBOX_NAME = 'sandbox';

/** The cluster schema's default registry storage path; registry hosts share one volume there. */
export const REGISTRY_STORAGE_PATH = '/var/lib/eectl/registry';

/** One throwaway host: a container that looks like a machine. */
export interface SandboxHost {
  hostname: string;
  role: Role;
  address: string;
  /** The SSH user the cluster file gives this host: root (managers) or eectl with sudo (the others). */
  user: string;
  container: string;
}

/** The description `up` returns, writes to `sandbox.json` and `ls` shows. */
export interface SandboxDescription {
  name: string;
  network: { name: string; subnet: string; gateway: string };
  hosts: SandboxHost[];
  mirrorUrl: string;
  /** The public key that signs the mirror (engine.repoKey of the cluster file). */
  mirrorKey?: string;
  clusterFile: string;
  keyPath: string;
  knownHostsFile: string;
  stateDir: string;
  /** Present when the sandbox has registry hosts: the image bundle named in the cluster file. */
  registry?: { image: string; bundle: string };
  /** The first workload's image (busybox with a shell and httpd) and its bundle, named in the cluster file. */
  workload?: { image: string; bundle: string };
  createdAt: string;
}

// A sandbox named "sandboxes" would put its cluster directory on top of every sandbox's state.
const RESERVED_NAMES = new Set(['sandboxes']);

/** Refuses names that cannot be a cluster name (they become ~/.eectl/<name> and the cluster file's name). */
export function assertSandboxName(name: string): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(name) || RESERVED_NAMES.has(name)) {
    throw new UsageError(`"${name}" cannot name a sandbox`, {
      code: 'ESANDBOXNAME',
      suggestions: [
        'Use up to 42 lower-case letters, digits and dashes (not "sandboxes"), e.g. --name dev1.',
      ],
    });
  }
}

export const networkName = (sandbox: string): string => `eectl-${sandbox}`;
export const containerName = (sandbox: string, hostname: string): string => `eectl-${sandbox}-${hostname}`;
export const volumeName = (sandbox: string, hostname: string): string =>
  `eectl-${sandbox}-${hostname}-docker`;
export const registryVolumeName = (sandbox: string): string => `eectl-${sandbox}-registry`;
export const mirrorContainerName = (sandbox: string): string => `eectl-${sandbox}-mirror`;

/** Shared by every sandbox and kept across `down`: debootstrap root, .debs, registry bundle. */
export function sandboxCacheDir(): string {
  return process.env.EECTL_SANDBOX_CACHE ?? '/var/cache/eectl-sandbox';
}

/** `~/.eectl/sandboxes/<name>/`: key pair, cluster.yaml, sandbox.json, the log of `up`. */
export function sandboxStateDir(name: string): string {
  return join(eectlHome(), 'sandboxes', name);
}

/** Where the SSH layer looks for this cluster's host keys (cluster name = sandbox name). */
export function sandboxKnownHostsFile(name: string): string {
  return join(clusterDir(name), 'known_hosts');
}

const DESCRIPTION_FILE = 'sandbox.json';

export async function writeDescription(description: SandboxDescription): Promise<void> {
  await mkdir(description.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(join(description.stateDir, DESCRIPTION_FILE), `${JSON.stringify(description, null, 2)}\n`, {
    mode: 0o600,
  });
}

/** The description written by `up`, or undefined when this machine has none for the name. */
export async function readDescription(name: string): Promise<SandboxDescription | undefined> {
  try {
    return JSON.parse(
      await readFile(join(sandboxStateDir(name), DESCRIPTION_FILE), 'utf8'),
    ) as SandboxDescription;
  } catch {
    return undefined;
  }
}

/** Names of the sandboxes that have a state directory on this machine. */
export async function stateDirNames(): Promise<string[]> {
  try {
    const entries = await readdir(join(eectlHome(), 'sandboxes'), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Removes the sandbox's state directory, and `sandboxes/` too when it was the last one. */
export async function removeStateDir(name: string): Promise<void> {
  await rm(sandboxStateDir(name), { recursive: true, force: true });
  await rmdir(join(eectlHome(), 'sandboxes')).catch(() => undefined);
}
