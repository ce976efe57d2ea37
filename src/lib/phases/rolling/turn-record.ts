import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterDir } from '../../util/log.js';

/**
 * How long each host's last turn of a rolling change took, kept in the cluster's state directory
 * (`~/.eectl/<cluster>/rolling-turns.json`) by every real run, so a dry run can estimate the next one.
 */

export const TURNS_FILE = 'rolling-turns.json';

/** One host's last measured turn: from its drain (or restart) until it was active again. */
export interface MeasuredTurn {
  seconds: number;
  /** When it ended (ISO time). */
  at: string;
  drained: boolean;
  /** Why the engine restarted then ("new /etc/docker/daemon.json", "engine 20.10.24 → 26.1.5"). */
  what: string;
}

/** The last measured turn by host address. */
export type TurnRecord = Record<string, MeasuredTurn>;

export const turnsFile = (cluster: string): string => join(clusterDir(cluster), TURNS_FILE);

/** The record, or an empty one when there is none (or it cannot be read: an estimate is never a failure). */
export async function readTurns(cluster: string): Promise<TurnRecord> {
  try {
    const parsed = JSON.parse(await readFile(turnsFile(cluster), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const record: TurnRecord = {};
    for (const [host, turn] of Object.entries(parsed as Record<string, Partial<MeasuredTurn>>)) {
      if (typeof turn?.seconds === 'number' && Number.isFinite(turn.seconds) && turn.seconds >= 0) {
        record[host] = {
          seconds: turn.seconds,
          at: String(turn.at ?? ''),
          drained: turn.drained === true,
          what: String(turn.what ?? ''),
        };
      }
    }
    return record;
  } catch {
    return {};
  }
}

/** Keeps these turns as their hosts' last ones (others stay); written whole, then renamed into place. */
export async function recordTurns(
  cluster: string,
  turns: readonly { host: string; seconds: number; drained: boolean; what: string }[],
  now: Date = new Date(),
): Promise<void> {
  if (turns.length === 0) return;
  const record = await readTurns(cluster);
  for (const t of turns) {
    record[t.host] = { seconds: t.seconds, at: now.toISOString(), drained: t.drained, what: t.what };
  }
  const file = turnsFile(cluster);
  await mkdir(clusterDir(cluster), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/** What a dry run says about how long the rolling change will take. */
export interface RollingEstimate {
  /** Absent when no host of the change has a measured turn. */
  seconds?: number;
  /** Hosts whose last measured turn counts, with it. */
  measured: { host: string; seconds: number; at: string; what: string }[];
  /** Hosts without one: counted as the longest measured turn, or the reason there is no estimate. */
  unmeasured: string[];
}

/**
 * The turns run one group after another, the hosts of a group at once: the sum over groups of the
 * group's longest turn. A host without a measured turn counts as the longest measured one.
 */
export function estimateRoll(groups: readonly (readonly string[])[], record: TurnRecord): RollingEstimate {
  const hosts = groups.flat();
  const measured = hosts.flatMap((host) => {
    const t = record[host];
    return t ? [{ host, seconds: t.seconds, at: t.at, what: t.what }] : [];
  });
  const unmeasured = hosts.filter((h) => record[h] === undefined);
  if (measured.length === 0) return { measured, unmeasured };
  const longest = Math.max(...measured.map((m) => m.seconds));
  const seconds = groups.reduce(
    (sum, group) => sum + Math.max(0, ...group.map((h) => record[h]?.seconds ?? longest)),
    0,
  );
  return { seconds: Math.round(seconds), measured, unmeasured };
}

/** "about 3 min 20 s, from the last measured turns (…)", or that no earlier turn was measured. */
export function describeEstimate(e: RollingEstimate): string {
  if (e.seconds === undefined) return 'no earlier turn measured (a real run records each host’s turn)';
  const what =
    e.measured.length === 1
      ? `the last measured turn (${e.measured[0]!.host}: ${formatSeconds(e.measured[0]!.seconds)})`
      : `the last measured turns (${e.measured.map((m) => `${m.host} ${formatSeconds(m.seconds)}`).join(', ')})`;
  const rest =
    e.unmeasured.length > 0
      ? `; no earlier turn measured for ${e.unmeasured.join(', ')}, counted as the longest one`
      : '';
  return `about ${formatSeconds(e.seconds)}, from ${what}${rest}`;
}

export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}
