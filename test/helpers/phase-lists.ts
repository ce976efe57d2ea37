import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Phase } from '../../src/lib/phases/runner/phase.js';

const ACTIONS_DIR = fileURLToPath(new URL('../../src/lib/actions/', import.meta.url));

/** One exported phase list of an action module. */
export interface PhaseList {
  /** The export's name (`UPGRADE_PHASES`). */
  name: string;
  /** The module it is exported from, relative to src/lib/actions (`upgrade.ts`). */
  module: string;
  phases: readonly Phase<never>[];
}

/**
 * Every exported `*_PHASES` list of every module in src/lib/actions, found by reading the folder: a new
 * action's list is covered by the tests that use this without editing them.
 */
export async function phaseLists(): Promise<PhaseList[]> {
  const modules = readdirSync(ACTIONS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const lists: PhaseList[] = [];
  for (const module of modules) {
    const exports = (await import(`${ACTIONS_DIR}${module}`)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      if (!/^[A-Z0-9_]+_PHASES$/.test(name) || !Array.isArray(value)) continue;
      lists.push({ name, module, phases: value as Phase<never>[] });
    }
  }
  return lists;
}

/** The titles of a phase list, in order. */
export const titles = (phases: readonly Phase<never>[]): string[] => phases.map((p) => p.title);

/** The title of the phase that takes the cluster lock (phases/lock.ts, phases/node-connect.ts). */
export const LOCK_TITLE = 'Lock the cluster';
/** The phases that may come before the lock: they open connections and read nothing from a host. */
export const BEFORE_LOCK = new Set(['Connect to hosts']);
/**
 * Phase lists of actions that change no host (and so take no lock). A read-only list must be named here on
 * purpose; any other new list is held to the lock rule. `support dump` reads and writes nothing on a host,
 * and is wanted most while a stuck run holds the lock. `upgrade --list` refreshes the hosts' package lists
 * and reads them, as any package manager run does. `certs status` only reads certificates, as `status`.
 * `status` reads facts and the node list, and is wanted while another run holds the lock: it must not wait.
 */
export const READ_ONLY_LISTS = new Set<string>([
  'SUPPORT_DUMP_PHASES',
  'UPGRADE_LIST_PHASES',
  'CERTS_STATUS_PHASES',
  'STATUS_PHASES',
]);
/**
 * Phase lists of actions that reach no cluster's hosts, so there is no cluster lock to take: `sandbox up`
 * makes containers on this machine's Docker engine, and refuses a name in use before its first phase.
 */
export const NO_CLUSTER_LISTS = new Set<string>(['SANDBOX_UP_PHASES']);

/** The lists held to the lock rule: every list but the read-only ones and those that reach no cluster. */
export const lockingLists = (lists: readonly PhaseList[]): PhaseList[] =>
  lists.filter((l) => !READ_ONLY_LISTS.has(l.name) && !NO_CLUSTER_LISTS.has(l.name));
