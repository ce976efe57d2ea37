import {
  existsSync,
  readFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_LOG_RETENTION,
  isRunLogName,
  logRetentionFromEnv,
  pruneRunLogs,
} from '../../../src/lib/util/log-retention.js';
import { RunLog } from '../../../src/lib/util/log.js';

const MiB = 1024 * 1024;
// Now, so that RunLog.openFile (which prunes at the real time) sees the test's old logs as old.
const NOW = Date.now();

describe('run log rotation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A run log started `minutesAgo` before NOW (its name) and last written then (its mtime). */
  function runLog(minutesAgo: number, command = 'status', bytes = 10): string {
    const at = new Date(NOW - minutesAgo * 60_000);
    const name = `${at.toISOString().replace(/[:.]/g, '-')}-${command}.log`;
    const path = join(dir, name);
    writeFileSync(path, 'x'.repeat(bytes));
    utimesSync(path, at, at);
    return name;
  }
  const left = () => readdirSync(dir).sort();

  it('keeps the newest N runs, deleting the oldest first', () => {
    const names = [100, 90, 80, 70, 60].map((m) => runLog(m));
    const deleted = pruneRunLogs(dir, { runs: 3, bytes: 0 }, names[4]!, NOW);
    expect(deleted).toEqual([names[0], names[1]]);
    expect(left()).toEqual(names.slice(2));
  });

  it('keeps at most M bytes together, deleting the oldest first, never the current run’s file', () => {
    const old = runLog(300, 'install', 3 * MiB);
    const mid = runLog(200, 'status', 1 * MiB);
    const current = runLog(100, 'upgrade', 5 * MiB);
    const deleted = pruneRunLogs(dir, { runs: 0, bytes: 4 * MiB }, current, NOW);
    // The current run alone is over the limit: the others go, it stays.
    expect(deleted).toEqual([old, mid]);
    expect(left()).toEqual([current]);
  });

  it('never deletes what is not a run log: other files, directories, symlinks', () => {
    const names = [100, 90, 80].map((m) => runLog(m));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, '2026-01-01-status.log'), 'not ours: no time');
    mkdirSync(join(dir, '2020-01-01T00-00-00-000Z-dir.log'));
    symlinkSync('/etc/hostname', join(dir, '2020-01-01T00-00-00-001Z-link.log'));
    pruneRunLogs(dir, { runs: 1, bytes: 0 }, names[2]!, NOW);
    expect(left()).toEqual(
      [
        '2020-01-01T00-00-00-000Z-dir.log',
        '2020-01-01T00-00-00-001Z-link.log',
        '2026-01-01-status.log',
        names[2],
        'notes.txt',
      ].sort(),
    );
    expect(existsSync('/etc/hostname')).toBe(true);
  });

  it('leaves logs written in the last 10 minutes: another run may still be writing them', () => {
    const old = runLog(120);
    const running = runLog(3, 'dashboard');
    const current = runLog(0);
    expect(pruneRunLogs(dir, { runs: 1, bytes: 0 }, current, NOW)).toEqual([old]);
    expect(left()).toEqual([running, current].sort());
  });

  it('0 lifts a limit; a missing directory is no error', () => {
    const names = [100, 90, 80].map((m) => runLog(m));
    expect(pruneRunLogs(dir, { runs: 0, bytes: 0 }, names[2]!, NOW)).toEqual([]);
    expect(pruneRunLogs(join(dir, 'missing'), DEFAULT_LOG_RETENTION, 'x', NOW)).toEqual([]);
  });

  it('a cron job of status every minute for a day stays within the defaults', () => {
    let current = '';
    for (let m = 24 * 60; m >= 0; m--) {
      current = runLog(m, 'status', 186_000);
      pruneRunLogs(dir, DEFAULT_LOG_RETENTION, current, NOW - m * 60_000);
    }
    const files = left();
    // 50 runs, plus those of the last 10 minutes that are newer than the 50th: never more.
    expect(files.length).toBeLessThanOrEqual(DEFAULT_LOG_RETENTION.runs);
    expect(files).toContain(current);
  });

  it('RunLog.openFile prunes with the retention it is given, and says so in the new log', () => {
    const names = [100, 90, 80].map((m) => runLog(m));
    const log = new RunLog('error');
    const path = log.openFile(dir, 'status', { runs: 2, bytes: 0 });
    log.close();
    expect(left()).toEqual([names[2], path.split('/').at(-1)].sort());
    expect(readFileSync(path, 'utf8')).toContain(`run logs: deleted the 2 oldest`);
  });

  it('reads EECTL_LOG_KEEP_RUNS and EECTL_LOG_KEEP_MIB; a bad value is a usage error', () => {
    expect(logRetentionFromEnv({})).toEqual({ runs: 50, bytes: 100 * MiB });
    expect(logRetentionFromEnv({ EECTL_LOG_KEEP_RUNS: '7', EECTL_LOG_KEEP_MIB: '0' })).toEqual({
      runs: 7,
      bytes: 0,
    });
    expect(() => logRetentionFromEnv({ EECTL_LOG_KEEP_MIB: '1.5G' })).toThrow(
      /EECTL_LOG_KEEP_MIB=1.5G: a whole number/,
    );
  });

  it('names: only what RunLog writes', () => {
    expect(isRunLogName('2026-12-06T03-47-04-489Z-dashboard.log')).toBe(true);
    expect(isRunLogName('2026-12-06T03-47-04-489Z-node-ls.log')).toBe(true);
    expect(isRunLogName('2026-12-06T03-47-04-489Z-status.log.gz')).toBe(false);
    expect(isRunLogName('backup.log')).toBe(false);
  });
});
