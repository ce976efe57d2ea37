import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * How many run logs a directory keeps (`~/.eectl/<cluster>/logs`): the newest `runs` of them, and no more
 * than `bytes` together, the oldest deleted first. 0 lifts a limit.
 *
 * Defaults: 50 runs is two days of an hourly cron job, or a few weeks of a person's runs, enough to find
 * the run that went wrong; 100 MiB bounds the directory whatever the runs write (a `status` writes about
 * 0.2 MB, an install of many hosts several MB), so a cron job every minute never fills a disk.
 */
export interface LogRetention {
  runs: number;
  bytes: number;
}

export const DEFAULT_LOG_RETENTION: LogRetention = { runs: 50, bytes: 100 * 1024 * 1024 };

/** A file eectl's RunLog names: `<ISO time with - for : and .>-<command>.log`. Nothing else is ever removed. */
const RUN_LOG = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[a-z0-9-]+\.log$/i;

export function isRunLogName(name: string): boolean {
  return RUN_LOG.test(name);
}

/** Logs written to this recently may belong to a run still going (another terminal, a dashboard): kept. */
const BUSY_MS = 10 * 60_000;

/**
 * The retention the environment asks for: EECTL_LOG_KEEP_RUNS (runs) and EECTL_LOG_KEEP_MIB (MiB),
 * each a whole number, 0 for no limit; unset, the defaults. A value that is not one is a usage error.
 */
export function logRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): LogRetention {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    if (!/^\d+$/.test(raw.trim()))
      throw new UsageError(`${name}=${raw}: a whole number is expected (0: no limit)`, {
        code: 'EUSAGE',
        suggestions: [`Unset ${name} for the default, or set it to e.g. ${name}=${fallback}.`],
      });
    return Number(raw.trim());
  };
  return {
    runs: read('EECTL_LOG_KEEP_RUNS', DEFAULT_LOG_RETENTION.runs),
    bytes: read('EECTL_LOG_KEEP_MIB', DEFAULT_LOG_RETENTION.bytes / (1024 * 1024)) * 1024 * 1024,
  };
}

/**
 * Deletes the oldest run logs of `dir` beyond `keep`, never `current` (this run's file, counted among the
 * kept), never a file that is not a run log (by name; regular files only), and never one written to in
 * the last BUSY_MS (another run may still be writing it). Returns the names deleted, oldest first.
 * Files it cannot read or delete are left alone: housekeeping never fails a run.
 */
export function pruneRunLogs(dir: string, keep: LogRetention, current: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const logs: { name: string; size: number; busy: boolean }[] = [];
  for (const name of names) {
    if (!isRunLogName(name)) continue;
    try {
      const st = lstatSync(join(dir, name));
      if (!st.isFile()) continue;
      logs.push({ name, size: st.size, busy: name === current || now - st.mtimeMs < BUSY_MS });
    } catch {
      // gone meanwhile (another run pruned it)
    }
  }
  // Names start with the run's start time: sorted by name is oldest first.
  logs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let count = logs.length;
  let bytes = logs.reduce((sum, l) => sum + l.size, 0);
  const deleted: string[] = [];
  for (const log of logs) {
    const overCount = keep.runs > 0 && count > keep.runs;
    const overBytes = keep.bytes > 0 && bytes > keep.bytes;
    if (!overCount && !overBytes) break;
    if (log.busy) continue;
    try {
      unlinkSync(join(dir, log.name));
    } catch {
      continue;
    }
    deleted.push(log.name);
    count--;
    bytes -= log.size;
  }
  return deleted;
}
