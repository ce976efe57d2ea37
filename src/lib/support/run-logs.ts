import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { clusterDir } from '../util/log.js';
import { isRunLogName } from '../util/log-retention.js';

/** A run log larger than this is cut to its last bytes: the end of a run is where it went wrong. */
export const RUN_LOG_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The newest `count` run logs of the cluster (`~/.eectl/<cluster>/logs`, by their names, which start with
 * the run's time), oldest first, without `exclude` (this run's own); each at most RUN_LOG_MAX_BYTES, its end.
 */
export async function newestRunLogs(
  cluster: string,
  count: number,
  exclude?: string,
): Promise<{ name: string; text: string }[]> {
  const dir = join(clusterDir(cluster), 'logs');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const own = exclude === undefined ? undefined : basename(exclude);
  const chosen = names
    .filter((n) => isRunLogName(n) && n !== own)
    .sort()
    .slice(-count);
  const logs: { name: string; text: string }[] = [];
  for (const name of chosen) {
    const path = join(dir, name);
    try {
      const { size } = await stat(path);
      const start = Math.max(0, size - RUN_LOG_MAX_BYTES);
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        const text = buffer.toString('utf8');
        logs.push({ name, text: start > 0 ? `(the first ${start} bytes are left out)\n${text}` : text });
      } finally {
        await handle.close();
      }
    } catch {
      // gone meanwhile (pruned by another run)
    }
  }
  return logs;
}
