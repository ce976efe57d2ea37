import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clusterDir } from '../util/log.js';
import { archiveName } from './retention.js';

/** Where archives go by default: `~/.eectl/<cluster>/backups/`. */
export const defaultBackupDir = (cluster: string): string => join(clusterDir(cluster), 'backups');

/**
 * The archive's path from `--out`: a file as given, or — for a directory (existing, or written with a
 * trailing slash) or no flag — a time-stamped name in it, which `--keep` recognises.
 */
export function archivePath(cluster: string, out: string | undefined, at: Date): string {
  const dir = out === undefined ? defaultBackupDir(cluster) : out;
  const isDir = out === undefined || out.endsWith('/') || (existsSync(out) && statSync(out).isDirectory());
  return resolve(isDir ? join(dir, archiveName(cluster, at)) : out);
}
