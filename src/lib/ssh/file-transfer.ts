import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';

/**
 * The host-side half of uploads and reads, shared by the SSH and local connections: the bytes are
 * written to a temp file by the transport (SFTP, or fs locally), then one small script puts the file in
 * place with its mode and owner set before the rename, so the target never exists half-written or with
 * looser permissions than asked.
 */

/** Exit code of the read script when the file does not exist (cat itself exits 1 on errors). */
export const MISSING_FILE_EXIT = 3;

/** A temp name in the target's directory, so the final rename is atomic (same filesystem). */
export function siblingTempPath(target: string): string {
  return posix.join(
    posix.dirname(target),
    `.${posix.basename(target)}.eectl-${randomBytes(6).toString('hex')}`,
  );
}

/** A temp name in /tmp for the login user's copy before root installs it elsewhere. */
export function privateTempPath(tmpDir = '/tmp'): string {
  return posix.join(tmpDir, `.eectl-upload-${randomBytes(8).toString('hex')}`);
}

/**
 * An upload's two steps around its temp file: `write` it, then `place` it (the script that moves it into
 * place removes it too, whatever happens inside). When either fails, `remove` takes the temp away: a
 * secret staged in /tmp for a non-root upload must not stay there because sudo refused, the connection
 * dropped, or the run was interrupted before the script could clean up.
 */
export async function throughTemp(
  write: () => Promise<void>,
  place: () => Promise<void>,
  remove: () => Promise<void>,
): Promise<void> {
  try {
    await write();
    await place();
  } catch (error) {
    await remove().catch(() => undefined);
    throw error;
  }
}

/** `0o600` → `0600`, as install(1) and chmod(1) take it. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** Run as the user who wrote `temp`: optional chown, then rename over the target; the temp never stays. */
export function moveIntoPlaceArgv(temp: string, target: string, owner: string | undefined): string[] {
  const script = 'trap \'rm -f -- "$1"\' EXIT; set -e; [ -z "$3" ] || chown -- "$3" "$1"; mv -f -- "$1" "$2"';
  return ['sh', '-c', script, 'eectl-upload', temp, target, owner ?? ''];
}

/**
 * Run as root (under sudo): copy the login user's private temp file next to the target with install(1)
 * (created with the final mode, owned by root), chown, rename; both temps are removed whatever happens.
 */
export function installAsRootArgv(source: string, target: string, mode: number, owner: string): string[] {
  const script =
    'tmp=$2.eectl-$4; trap \'rm -f -- "$1" "$tmp"\' EXIT; set -e; ' +
    'install -m "$3" -- "$1" "$tmp"; chown -- "$5" "$tmp"; mv -f -- "$tmp" "$2"';
  return [
    'sh',
    '-c',
    script,
    'eectl-upload',
    source,
    target,
    octalMode(mode),
    randomBytes(6).toString('hex'),
    owner,
  ];
}

/** Run as root: the file's bytes on stdout, or exit MISSING_FILE_EXIT when it does not exist. */
export function readFileArgv(path: string): string[] {
  return ['sh', '-c', `[ -e "$1" ] || exit ${MISSING_FILE_EXIT}; exec cat -- "$1"`, 'eectl-read', path];
}
