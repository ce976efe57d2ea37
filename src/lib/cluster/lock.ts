import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { EectlError, ExitCode } from '../errors.js';
import type { Host } from '../host/host.js';

/** Where the lock lives on the lock host; with the rest of eectl's state (design.md). */
export const LOCK_DIR = '/var/lib/eectl/lock';
/** A holder refreshes the lock this often; a lock not refreshed for STALE_AFTER_S belongs to a dead run. */
const HEARTBEAT_MS = 30_000;
export const STALE_AFTER_S = 120;

export interface LockOwner {
  id: string;
  user: string;
  machine: string;
  pid: number;
  command: string;
  since: string;
}

// mkdir is atomic: exactly one of two racing runs creates the directory. The owner file's mtime is the
// heartbeat. Prints "acquired", or "held <age-seconds> <owner json>".
const ACQUIRE = String.raw`
d="$1"; mkdir -p "$(dirname "$d")"
if mkdir "$d" 2>/dev/null; then printf '%s' "$2" > "$d/owner"; echo acquired; exit 0; fi
age=$(( $(date +%s) - $(stat -c %Y "$d/owner" 2>/dev/null || echo 0) ))
echo "held $age $(cat "$d/owner" 2>/dev/null)"
`;
// Only the holder (same id) may refresh or release.
const IF_OWNER = String.raw`grep -q "\"id\":\"$2\"" "$1/owner" 2>/dev/null || exit 0`;
const HEARTBEAT = `${IF_OWNER}; touch "$1/owner"`;
const RELEASE = `${IF_OWNER}; rm -rf "$1"`;
const BREAK_STALE = String.raw`[ $(( $(date +%s) - $(stat -c %Y "$1/owner" 2>/dev/null || echo 0) )) -ge "$2" ] && rm -rf "$1"; true`;

/** A lock on the cluster held on one host, refreshed while held. */
export class ClusterLock {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly host: Host,
    readonly owner: LockOwner,
    private readonly dir: string,
  ) {}

  /** Takes the lock or throws (exit 5) naming who holds it and since when; breaks a stale lock. */
  static async acquire(host: Host, command: string, dir = LOCK_DIR): Promise<ClusterLock> {
    const owner: LockOwner = {
      id: randomUUID(),
      user: userInfo().username,
      machine: hostname(),
      pid: process.pid,
      command,
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const { stdout } = await host.sudo(['sh', '-c', ACQUIRE, 'sh', dir, JSON.stringify(owner)]);
      if (stdout.trim() === 'acquired') {
        const lock = new ClusterLock(host, owner, dir);
        lock.timer = setInterval(() => void lock.heartbeat(), HEARTBEAT_MS).unref();
        host.log.debug(`cluster lock taken (${dir})`);
        return lock;
      }
      const m = /^held (\d+) (.*)$/s.exec(stdout.trim());
      const age = Number(m?.[1] ?? 0);
      const holder = parseOwner(m?.[2]);
      // A run of this machine that was killed (kill -9, a closed laptop lid) cannot refresh or release.
      const dead = holder !== undefined && holder.machine === hostname() && !processAlive(holder.pid);
      if ((age >= STALE_AFTER_S || dead) && attempt === 0) {
        const why = dead ? `its process ${holder.pid} on this machine is gone` : `not refreshed for ${age}s`;
        host.log.warn(`breaking a stale cluster lock (${why}) held by ${describeOwner(holder)}`);
        await host.sudo(['sh', '-c', BREAK_STALE, 'sh', dir, dead ? '0' : String(STALE_AFTER_S)]);
        continue;
      }
      throw new EectlError(
        `another eectl run holds the cluster lock on ${host.name}: ${describeOwner(holder)}`,
        {
          code: 'ELOCKED',
          kind: 'user',
          exitCode: ExitCode.locked,
          host: host.name,
          suggestions: [
            'Wait for that run to finish, then run again.',
            `If that run is dead, the lock expires by itself ${STALE_AFTER_S}s after its last refresh.`,
          ],
        },
      );
    }
    throw new Error('unreachable');
  }

  private async heartbeat(): Promise<void> {
    await this.host.sudo(['sh', '-c', HEARTBEAT, 'sh', this.dir, this.owner.id]).catch((e: unknown) => {
      this.host.log.warn(`could not refresh the cluster lock: ${String(e)}`);
    });
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.host.sudo(['sh', '-c', RELEASE, 'sh', this.dir, this.owner.id]);
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
