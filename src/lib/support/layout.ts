/**
 * Where each thing goes in a support dump (one place, so the command's help, the README and the tests
 * name the same files). Every entry lies under one top folder, `<TOP>/…`, so unpacking makes one folder.
 */

/** One file of the archive: its path under the top folder, and its text (redacted before it is written). */
export interface DumpEntry {
  name: string;
  text: string;
}

/** The run: when, by which eectl, what was collected and what could not be (summary.json). */
export const SUMMARY = 'summary.json';
/** `eectl status --json`'s result, from what the dump read. */
export const STATUS = 'status.json';
/** The swarm as a manager sees it. */
export const SWARM_NODES = 'swarm/nodes.json';
export const SWARM_SERVICES = 'swarm/services.json';
export const SWARM_TASKS = 'swarm/tasks.json';
/** The tasks that failed or were rejected, with their error, one per line: the first thing to read. */
export const SWARM_TASK_ERRORS = 'swarm/task-errors.txt';
/** Why the swarm could not be read. */
export const SWARM_ERROR = 'swarm/ERROR.txt';
/** eectl's own recent run logs from this machine (`~/.eectl/<cluster>/logs`). */
export const RUN_LOGS_DIR = 'eectl-logs';

/** The files of one host. */
export const HOST_FILES = {
  facts: 'facts.json',
  dockerInfo: 'docker-info.json',
  daemonJson: 'daemon.json',
  /** Why the host, or a part of it, could not be read: the dump goes on without it. */
  error: 'ERROR.txt',
} as const;

/** A host's folder: `hosts/<address as written in the file>`, with anything but a safe character as `_`. */
export function hostDir(address: string): string {
  return `hosts/${address.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}`;
}

/** The journal of a unit on a host: `journal-docker.service.txt`. */
export function journalFile(unit: string): string {
  return `journal-${unit.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`;
}

/** The archive's top folder: `eectl-support-<cluster>-<time>`. */
export function topFolder(cluster: string, at: Date): string {
  return `eectl-support-${cluster}-${at.toISOString().replace(/[:.]/g, '-')}`;
}

/** The default file name: the top folder, `.tar.gz`. */
export const defaultArchiveName = (cluster: string, at: Date): string => `${topFolder(cluster, at)}.tar.gz`;
