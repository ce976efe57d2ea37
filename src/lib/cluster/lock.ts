import { LOCK_DIR } from '../host-layout.js';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';
import { machineId } from './machine-id.js';
import { UNINTERRUPTIBLE } from '../ssh/signal-connection.js';

/** A holder refreshes the lock this often; a lock not refreshed for STALE_AFTER_S belongs to a dead run. */
const HEARTBEAT_MS = 30_000;
export const STALE_AFTER_S = 120;

export interface LockOwner {
  id: string;
  user: string;
  /** The hostname, for people reading the owner record. */
  machine: string;
  /** This machine's random ID (~/.eectl/machine-id): what "a run of this machine" is judged by. */
  machineId: string;
  pid: number;
  command: string;
  since: string;
}

// Every script runs under flock(1) on the lock's parent directory (util-linux, on every distribution eectl
// supports), so reading the owner and acting on it is one step: no run can take, refresh, release or break
// the lock between the two. The lock itself is a directory made by mkdir, its owner file's mtime the
// heartbeat. Values arrive as arguments only.
const SERIALIZED = String.raw`
d="$1"; p=$(dirname "$d")
mkdir -p "$p" && exec 9<"$p" && flock -w 30 9 || { echo "busy"; exit 0; }
`;
// $2 our owner record. With $3 = 1, $4 is the exact owner record to replace when it is at least $5 seconds
// old: breaking a dead lock is a compare-and-swap of the record judged dead, so two runs breaking it at
// once cannot both win, and a lock taken in the meantime by a third run is never removed. Prints
// "acquired", "replaced", or "held <age-seconds> <owner record>".
const ACQUIRE = String.raw`${SERIALIZED}
if mkdir "$d" 2>/dev/null; then printf '%s' "$2" > "$d/owner"; echo acquired; exit 0; fi
age=$(( $(date +%s) - $(stat -c %Y "$d/owner" 2>/dev/null || echo 0) ))
current=$(cat "$d/owner" 2>/dev/null)
if [ "$3" = 1 ] && [ "$current" = "$4" ] && [ "$age" -ge "$5" ]; then
  printf '%s' "$2" > "$d/owner.new" && mv -f "$d/owner.new" "$d/owner" && { echo replaced; exit 0; }
fi
echo "held $age $current"
`;
// Only the holder (the same record) may refresh or release.
const IF_OWNER = String.raw`${SERIALIZED}
[ "$(cat "$d/owner" 2>/dev/null)" = "$2" ] || { echo "not-owner"; exit 0; }
`;
const HEARTBEAT = `${IF_OWNER}touch "$d/owner"; echo ok`;
const RELEASE = `${IF_OWNER}rm -rf "$d"; echo ok`;
/** The lock's scripts, for the benchmark's host simulator (bench/simulator/), which answers them by name. */
export const LOCK_SCRIPTS = { acquire: ACQUIRE, heartbeat: HEARTBEAT, release: RELEASE };

/**
 * A lock on the cluster held on one host, refreshed while held. Re-entrant for its own run: an action run
 * inside another (node remove --reset runs reset's phases, upgrade takes a backup) is handed the holder's
 * lock and `reenter()`s it instead of asking the host again, which would find it held and refuse.
 */
export class ClusterLock {
  private timer: NodeJS.Timeout | undefined;
  /** A handle of a nested run: releasing it leaves the lock held, for its holder to release. */
  private nested = false;
  /** The holder's handle, for a nested one: whether the lock is still held is the holder's to know. */
  private holder: ClusterLock | undefined;
  /** When the lock host last confirmed this run's record (taken, or a heartbeat answered ok). */
  private refreshedAt = Date.now();
  /** Why this run no longer holds the lock, once a heartbeat found another record there. */
  private lostBecause: string | undefined;

  private constructor(
    private readonly host: Host,
    readonly owner: LockOwner,
    private readonly dir: string,
    private readonly record: string,
  ) {}

  /** Takes the lock or throws (exit 5) naming who holds it and since when; breaks a stale lock. */
  static async acquire(host: Host, command: string, dir = LOCK_DIR): Promise<ClusterLock> {
    const owner: LockOwner = {
      id: randomUUID(),
      user: userInfo().username,
      machine: hostname(),
      machineId: machineId(),
      pid: process.pid,
      command,
      since: new Date().toISOString(),
    };
    const record = JSON.stringify(owner);
    let replace: { record: string; minAge: number } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const { stdout } = await host.sudo([
        'sh',
        '-c',
        ACQUIRE,
        'sh',
        dir,
        record,
        replace ? '1' : '0',
        replace?.record ?? '',
        String(replace?.minAge ?? 0),
      ]);
      const answer = stdout.trim();
      if (answer === 'acquired' || answer === 'replaced') {
        const lock = new ClusterLock(host, owner, dir, record);
        lock.timer = setInterval(() => void lock.heartbeat(), HEARTBEAT_MS).unref();
        host.log.debug(`cluster lock taken (${dir})`);
        return lock;
      }
      const m = /^held (\d+) ?(.*)$/s.exec(answer);
      if (!m) throw lockError(host, `the lock on ${host.name} is busy (${answer || 'no answer'})`);
      const age = Number(m[1]);
      const held = m[2] ?? '';
      const holder = parseOwner(held);
      // A run of this machine that was killed (kill -9, a closed laptop lid) cannot refresh or release.
      const dead = holder?.machineId === owner.machineId && !processAlive(holder.pid);
      if ((age >= STALE_AFTER_S || dead) && replace?.record !== held) {
        const why = dead ? `its process ${holder.pid} on this machine is gone` : `not refreshed for ${age}s`;
        host.log.warn(`breaking a stale cluster lock (${why}) held by ${describeOwner(holder)}`);
        replace = { record: held, minAge: dead ? 0 : STALE_AFTER_S };
        continue;
      }
      throw lockError(
        host,
        `another eectl run holds the cluster lock on ${host.name}: ${describeOwner(holder)}`,
      );
    }
    throw lockError(host, `the cluster lock on ${host.name} changed hands while it was being taken`);
  }

  /**
   * Refreshes the lock (every HEARTBEAT_MS while held). "not-owner" means another run took it: this run
   * has lost it, and stops at its next safe point (`assertHeld`). "busy" or a failed command only means
   * it was not refreshed this time; after STALE_AFTER_S without a refresh another run may break it, so
   * that counts as lost too.
   */
  async heartbeat(): Promise<void> {
    const answer = await this.host
      .sudo(['sh', '-c', HEARTBEAT, 'sh', this.dir, this.record])
      .then((r) => r.stdout.trim())
      .catch((e: unknown) => `failed: ${String(e)}`);
    if (answer === 'ok') {
      this.refreshedAt = Date.now();
      return;
    }
    if (answer === 'not-owner') {
      this.lostBecause = `another run holds it now (this run's record is gone from ${this.dir})`;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.host.log.warn(`the cluster lock is no longer this run's: ${this.lostBecause}`);
      return;
    }
    this.host.log.warn(`could not refresh the cluster lock (${answer || 'no answer'})`);
  }

  /** Why this run no longer holds the lock, or undefined while it does. */
  get lost(): string | undefined {
    if (this.holder) return this.holder.lost;
    if (this.lostBecause) return this.lostBecause;
    const age = Math.round((Date.now() - this.refreshedAt) / 1000);
    if (age >= STALE_AFTER_S) return `not refreshed for ${age}s, so another run may have broken it as stale`;
    return undefined;
  }

  /**
   * At a safe point of the run (between phases; after a host's turn in the rolling path): throws
   * ELOCK_LOST (exit 4) when this run no longer holds the lock, so it changes nothing more while another
   * run may be changing the cluster. `where` says where the run stopped.
   */
  assertHeld(where: string): void {
    const why = this.lost;
    if (why === undefined) return;
    throw new EectlError(`lost the cluster lock on ${this.host.name}: ${why}; stopped ${where}`, {
      code: 'ELOCK_LOST',
      kind: 'external',
      exitCode: ExitCode.partial,
      host: this.host.name,
      suggestions: [
        `Another eectl run may be changing the cluster now: see who holds the lock (sudo cat ${this.dir}/owner on ${this.host.name}) and let it finish.`,
        'Then run the same command again: it continues where this one stopped.',
      ],
    });
  }

  /** The host the lock lives on. */
  get hostName(): string {
    return this.host.name;
  }

  /** Whether this handle is a nested run's (its release leaves the lock held). */
  get reentered(): boolean {
    return this.nested;
  }

  /** The same lock for a run nested inside the holder's: it is not taken again, and its release is a no-op. */
  reenter(): ClusterLock {
    const handle = new ClusterLock(this.host, this.owner, this.dir, this.record);
    handle.nested = true;
    handle.holder = this.holder ?? this;
    return handle;
  }

  async release(): Promise<void> {
    if (this.nested) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Not under the run's signal: an interrupted run still releases its lock.
    await this.host.sudo(['sh', '-c', RELEASE, 'sh', this.dir, this.record], { signal: UNINTERRUPTIBLE });
    this.host.log.debug('cluster lock released');
  }
}

/** Whether a process of this machine still runs (signal 0 checks without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(host: Host, message: string): EectlError {
  return new EectlError(message, {
    code: 'ELOCKED',
    kind: 'user',
    exitCode: ExitCode.locked,
    host: host.name,
    suggestions: [
      'Wait for that run to finish, then run again.',
      `If that run is dead, the lock expires by itself ${STALE_AFTER_S}s after its last refresh.`,
    ],
  });
}

function parseOwner(text: string | undefined): LockOwner | undefined {
  try {
    return text ? (JSON.parse(text) as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return 'an unknown run';
  return `${owner.user}@${owner.machine} (pid ${owner.pid}, \`eectl ${owner.command}\`) since ${owner.since}`;
}
