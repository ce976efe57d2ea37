import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { settleCommand, type CommandEnd, type CommandOutput } from './command-output.js';
import type { Connection, UploadOptions } from './connection.js';
import { prepareCommand, type PreparedCommand } from './prepare-command.js';
import { sudoPrefix, type SudoState } from './sudo.js';

/**
 * Uploads and reads, one flow shared by the SSH and local connections: the bytes are written to a temp
 * file by the transport (SFTP, or fs locally), then one small script puts the file in place with its mode
 * and owner set before the rename, so the target never exists half-written or with looser permissions
 * than asked. A read as root of a file the login user cannot read goes through `sudo cat`.
 */

/** What a connection lends the shared flows: its own way to move bytes and to run a command. */
export interface FileTransport {
  /** The sudo state detected on connect. */
  sudo(): SudoState;
  /** Where the login user's private copy waits before root installs it (default /tmp). */
  tmpDir?: string;
  /** Creates `path` with `data` and `mode`, refusing a file that exists. */
  writeNew(path: string, data: Buffer, mode: number): Promise<void>;
  /** Removes `path` if it is there. */
  remove(path: string): Promise<void>;
  /** The file's bytes as the login user reads them; undefined when it does not exist. */
  read(path: string): Promise<Buffer | undefined>;
  /** Runs a prepared command without logging its stdout (a read file may be a key or a token). */
  runQuiet(prepared: PreparedCommand): Promise<{ end: CommandEnd; output: CommandOutput }>;
}

type Side = Pick<Connection, 'name' | 'log' | 'isRoot' | 'exec'>;

/**
 * Writes `content` to `target` on a connected host: as root, or without sudo, to a temp file next to the
 * target that is then renamed over it; as a non-root user under sudo, to a private temp that root
 * installs with the final mode and owner. The temp never stays, whatever fails.
 */
export async function uploadFile(
  conn: Side,
  transport: FileTransport,
  target: string,
  content: string | Buffer,
  options: UploadOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  // As a non-root user, write a private copy that root then installs; as root, write next to the target.
  const viaSudo = options.sudo === true && !conn.isRoot;
  if (viaSudo) sudoPrefix(transport.sudo(), conn.name);
  const temp = viaSudo ? privateTempPath(transport.tmpDir) : siblingTempPath(target);
  const owner = options.owner ?? (options.sudo ? '0:0' : undefined);
  const place = viaSudo
    ? installAsRootArgv(temp, target, mode, owner ?? '0:0')
    : moveIntoPlaceArgv(temp, target, owner);
  await throughTemp(
    () => transport.writeNew(temp, data, viaSudo ? 0o600 : mode),
    async () => void (await conn.exec(place, { sudo: viaSudo })),
    () => transport.remove(temp),
  );
  conn.log.debug(
    `uploaded ${data.length} bytes to ${target} (mode ${octalMode(mode)}${owner ? `, owner ${owner}` : ''})`,
  );
}

/** The bytes of `path` on a connected host (as root when `sudo`), or undefined when it does not exist. */
export async function readHostFile(
  conn: Side,
  transport: FileTransport,
  path: string,
  options: { sudo?: boolean } = {},
): Promise<Buffer | undefined> {
  if (!options.sudo || conn.isRoot) return transport.read(path);
  const prepared = prepareCommand(conn.name, readFileArgv(path), { sudo: true }, transport.sudo(), true);
  // The file may be a key or a token: its bytes are neither logged nor put in an error.
  const { end, output } = await transport.runQuiet(prepared);
  if (end.code === MISSING_FILE_EXIT) return undefined;
  settleCommand(conn.log, end, output);
  return output.stdout();
}

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
