import { readFile } from 'node:fs/promises';

/**
 * systemd in every host takes inotify instances (one per path unit, journald, logind, dbus, an inner
 * engine's containerd …), and all hosts of all sandboxes count against one limit: root's on this machine.
 * Debian's default of 128 is used up by about fifteen hosts; then units fail and hosts never finish booting.
 */

/** A generous budget per host, measured at about 7 on an idle host. */
export const INOTIFY_PER_HOST = 12;
export const INOTIFY_ADVICE =
  'sysctl -w fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288';

/** fs.inotify.max_user_instances, or undefined where it cannot be read. */
export async function inotifyInstanceLimit(): Promise<number | undefined> {
  const text = await readFile('/proc/sys/fs/inotify/max_user_instances', 'utf8').catch(() => '');
  const limit = Number.parseInt(text, 10);
  return Number.isFinite(limit) ? limit : undefined;
}

/** A warning when the hosts already running plus the new ones may exceed the limit, else undefined. */
export function inotifyWarning(
  limit: number | undefined,
  runningHosts: number,
  newHosts: number,
): string | undefined {
  if (limit === undefined) return undefined;
  const needed = (runningHosts + newHosts) * INOTIFY_PER_HOST;
  if (needed <= limit) return undefined;
  return (
    `${runningHosts + newHosts} sandbox hosts may need about ${needed} inotify instances, more than ` +
    `fs.inotify.max_user_instances=${limit}: systemd units may fail and hosts not boot. Raise it: ${INOTIFY_ADVICE}`
  );
}
