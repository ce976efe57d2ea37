import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';

/**
 * Writes a file through a temporary sibling with a random name, created exclusively (O_CREAT|O_EXCL:
 * a symlink or file planted under that name makes the open fail instead of being followed) with its
 * mode from the start, then renamed over `path` (rename replaces a symlink, never writes through it).
 */
export async function writeFileAtomically(
  path: string,
  content: string | Uint8Array,
  mode: number,
): Promise<void> {
  const temp = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      // The umask may have narrowed the mode given to open; the file is ours alone, so set it exactly.
      await handle.chmod(mode);
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
