import { posix } from 'node:path';
import type { FileSpec, HostSpec } from '../config/schema.js';
import { refusedDestination } from '../config/destinations.js';

/**
 * What `files:` wants on one host against what the host has, decided without I/O: which files to write
 * (new, changed, or only their mode or owner), which services restart because a file of theirs changed,
 * and whether the engine restarts (through the rolling path on a serving host).
 */

/** Services whose restart restarts the serving engine: such a file goes through a rolling turn. */
export const ENGINE_SERVICES: ReadonlySet<string> = new Set(['docker', 'containerd']);

/** One file to put on a host: the file's entry with the local file's bytes. */
export interface WantedFile {
  spec: FileSpec;
  /** Where the entry is in the cluster file (`spec.files[0]`, `spec.hosts[1].files[0]`), for messages. */
  at: string;
  content: Buffer;
  /** SHA-256 of `content`, hex. */
  sha256: string;
}

/** What a host has at a destination, as host-state.ts reads it. */
export type FileOnHost =
  | { kind: 'missing'; realDir: string | undefined }
  | { kind: 'other'; what: string; realDir: string | undefined }
  | {
      kind: 'file';
      sha256: string;
      /** Permission bits, e.g. 0o644. */
      mode: number;
      user: string;
      uid: string;
      group: string;
      gid: string;
      realDir: string | undefined;
    };

/** Why a file is written. */
export type FileChangeKind = 'new' | 'changed' | 'mode' | 'owner' | 'mode and owner';

export interface FileChange {
  file: WantedFile;
  kind: FileChangeKind;
}

/** What converging one host's files does. */
export interface HostFilePlan {
  changes: FileChange[];
  /** Refusals found on the host (a symbolic link, a directory, a resolved place eectl owns): nothing is written. */
  refusals: string[];
  /** Engine services (docker, containerd) whose file content changed: one rolling turn restarts the engine. */
  engineRestarts: string[];
  /** Other services whose file content changed, each restarted once after the files are written. */
  serviceRestarts: string[];
}

/** What was read and decided for one host's files before any change (phases/files-check.ts). */
export interface HostFilesWork {
  plan: HostFilePlan;
  /** `user NAME` / `group NAME` the host did not know when read (the engine package may create `docker`). */
  unknownOwners: string[];
  /** Every owner named, as the read took them (`u:NAME`, `g:NAME`). */
  owners: string[];
}

/** The files of a host: spec.files, with the host's own entry winning for the same destination. */
export function filesForHost(
  clusterFiles: readonly FileSpec[],
  host: Pick<HostSpec, 'files'>,
  hostIndex: number,
): { spec: FileSpec; at: string }[] {
  const byDestination = new Map<string, { spec: FileSpec; at: string }>();
  clusterFiles.forEach((spec, i) => byDestination.set(spec.destination, { spec, at: `spec.files[${i}]` }));
  (host.files ?? []).forEach((spec, i) =>
    byDestination.set(spec.destination, { spec, at: `spec.hosts[${hostIndex}].files[${i}]` }),
  );
  return [...byDestination.values()];
}

/** `0644` → 0o644. */
export const parseMode = (mode: string): number => Number.parseInt(mode, 8);

/** The owner as chown takes it: `user:group`, root's when the entry has none. */
export function ownerOf(spec: FileSpec): { user: string; group: string | undefined } {
  if (spec.owner === undefined) return { user: 'root', group: 'root' };
  const [user, group] = spec.owner.split(':');
  return { user: user!, group: group === '' ? undefined : group };
}

/** Compares each wanted file with what the host has; `onHost[i]` is `wanted[i]`'s destination. */
export function planHostFiles(wanted: readonly WantedFile[], onHost: readonly FileOnHost[]): HostFilePlan {
  const plan: HostFilePlan = { changes: [], refusals: [], engineRestarts: [], serviceRestarts: [] };
  wanted.forEach((file, i) => {
    const state = onHost[i];
    const dest = file.spec.destination;
    if (!state) {
      plan.refusals.push(`${dest} (${file.at}): its state on the host was not read`);
      return;
    }
    // Judged again where the host resolves it: a symbolic link in its directories could lead into eectl's places.
    const resolved =
      state.realDir === undefined ? undefined : posix.join(state.realDir, posix.basename(dest));
    const why =
      resolved === undefined
        ? 'its directory could not be resolved on the host'
        : refusedDestination(resolved);
    if (why) {
      plan.refusals.push(`${dest} (${file.at}) resolves to ${resolved ?? '?'} on the host: refused, ${why}`);
      return;
    }
    if (state.kind === 'other') {
      plan.refusals.push(
        `${dest} (${file.at}) is a ${state.what} on the host: eectl replaces only regular files`,
      );
      return;
    }
    const kind = changeKind(file, state);
    if (kind === undefined) return;
    plan.changes.push({ file, kind });
    if (kind !== 'new' && kind !== 'changed') return;
    const restart = file.spec.restart;
    if (restart === undefined) return;
    const list = ENGINE_SERVICES.has(restart) ? plan.engineRestarts : plan.serviceRestarts;
    if (!list.includes(restart)) list.push(restart);
  });
  return plan;
}

function changeKind(file: WantedFile, state: FileOnHost): FileChangeKind | undefined {
  if (state.kind !== 'file') return 'new';
  if (state.sha256 !== file.sha256) return 'changed';
  const modeDiffers = state.mode !== parseMode(file.spec.mode);
  const { user, group } = ownerOf(file.spec);
  const ownerDiffers =
    (user !== state.user && user !== state.uid) ||
    (group !== undefined && group !== state.group && group !== state.gid);
  if (modeDiffers && ownerDiffers) return 'mode and owner';
  if (modeDiffers) return 'mode';
  if (ownerDiffers) return 'owner';
  return undefined;
}

/** How a change reads in the change list and the dry run. */
export function describeFileChange(change: FileChange): string {
  const { spec } = change.file;
  const owner = spec.owner ?? 'root:root';
  const what =
    change.kind === 'new'
      ? 'new'
      : change.kind === 'changed'
        ? 'changed'
        : `same content, new ${change.kind}`;
  return `upload ${spec.destination} (${what}; mode ${spec.mode}, owner ${owner}) from ${posix.basename(spec.source)}`;
}
