import type { Client, SFTPWrapper } from 'ssh2';
import { Limiter } from './limiter.js';

const CHUNK = 32 * 1024; // what OpenSSH's sftp-server takes in one WRITE
const IN_FLIGHT = 16; // WRITE requests outstanding at once, so a large file is not one round trip per chunk
const NO_SUCH_FILE = 2; // SSH_FX_NO_SUCH_FILE

/** Runs `task` with an SFTP session that is closed afterwards (it holds one of the host's channels). */
export async function withSftp<T>(client: Client, task: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    client.sftp((error, session) => (error ? reject(error) : resolve(session))),
  );
  try {
    return await task(sftp);
  } finally {
    sftp.end();
  }
}

/**
 * Creates `path` (it must not exist: no following a planted symlink) with at most `mode` and writes
 * `data`; the mode is set again before closing because the server's umask may have narrowed it.
 */
export async function writeNewFile(
  sftp: SFTPWrapper,
  path: string,
  data: Buffer,
  mode: number,
): Promise<void> {
  const handle = await call<Buffer>((cb) => sftp.open(path, 'wx', { mode }, cb));
  try {
    const writes = new Limiter(IN_FLIGHT);
    const offsets: number[] = [];
    for (let offset = 0; offset < data.length; offset += CHUNK) offsets.push(offset);
    await Promise.all(
      offsets.map((offset) =>
        writes.run(() =>
          call<void>((cb) =>
            sftp.write(handle, data, offset, Math.min(CHUNK, data.length - offset), offset, cb),
          ),
        ),
      ),
    );
    await call<void>((cb) => sftp.fchmod(handle, mode, cb));
  } finally {
    await call<void>((cb) => sftp.close(handle, cb)).catch(() => undefined);
  }
}

/** The file's bytes, or undefined when it does not exist. */
export async function readFileIfExists(sftp: SFTPWrapper, path: string): Promise<Buffer | undefined> {
  try {
    return await call<Buffer>((cb) => sftp.readFile(path, cb));
  } catch (error) {
    if ((error as { code?: unknown }).code === NO_SUCH_FILE) return undefined;
    throw error;
  }
}

/** Removes a file, ignoring any failure (cleanup of a temp file after another error). */
export async function removeQuietly(sftp: SFTPWrapper, path: string): Promise<void> {
  await call<void>((cb) => sftp.unlink(path, cb)).catch(() => undefined);
}

function call<T>(start: (cb: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    start((error, value) => (error ? reject(error) : resolve(value))),
  );
}
