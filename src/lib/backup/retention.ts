import { basename } from 'node:path';

/** The suffix of every archive eectl writes. */
export const ARCHIVE_SUFFIX = '.tar.age';

/** `<cluster>-backup-<UTC time>.tar.age`: the name sorts by time, and `--keep` finds a cluster's archives by it. */
export function archiveName(cluster: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${cluster}-backup-${stamp}${ARCHIVE_SUFFIX}`;
}

const STAMP = /^(\d{8}T\d{6}Z)$/;

/** The time stamp of one of this cluster's archive names, or undefined when the name is not one. */
export function archiveStamp(cluster: string, file: string): string | undefined {
  const name = basename(file);
  const prefix = `${cluster}-backup-`;
  if (!name.startsWith(prefix) || !name.endsWith(ARCHIVE_SUFFIX)) return undefined;
  const stamp = name.slice(prefix.length, -ARCHIVE_SUFFIX.length);
  return STAMP.test(stamp) ? stamp : undefined;
}

/**
 * The archives `--keep N` removes: this cluster's archives among `files` (names as eectl writes them),
 * oldest first, all but the newest `keep`. Files of other clusters, or named otherwise, are never touched.
 */
export function archivesToPrune(cluster: string, files: readonly string[], keep: number): string[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error('keep must be a positive integer');
  const ours = files
    .map((file) => ({ file, stamp: archiveStamp(cluster, file) }))
    .filter((f): f is { file: string; stamp: string } => f.stamp !== undefined)
    .sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
  return ours.slice(0, Math.max(0, ours.length - keep)).map((f) => f.file);
}
