import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EectlError } from '../errors.js';
import { done, pending, pollUntil } from '../util/poll.js';

/**
 * One builder of the shared cache at a time: two `sandbox up` started together (two engineers, two test
 * runs) would otherwise share one apt workspace. The lock is a directory (mkdir is atomic) holding the
 * owner's pid; a lock whose owner is dead is taken over.
 */

const WAIT_MS = 30 * 60_000;

/** Runs `build` holding the cache lock; `waiting` is told when another process holds it. */
export async function withCacheLock<T>(
  cacheDir: string,
  build: () => Promise<T>,
  waiting: (message: string) => void = () => {},
): Promise<T> {
  await ensureWritable(cacheDir);
  const lock = join(cacheDir, '.lock');
  const outcome = await pollUntil(
    async () => {
      for (;;) {
        try {
          await mkdir(lock);
          return done(true);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
        // A dead owner's lock is taken over at once.
        if (owner > 0 && !alive(owner)) {
          await rm(lock, { recursive: true, force: true });
          continue;
        }
        return pending(owner);
      }
    },
    {
      timeoutMs: WAIT_MS,
      intervalMs: 1_000,
      onWait: (owner) => waiting(`waiting for pid ${owner || '?'} to finish building the sandbox cache`),
    },
  );
  if ('timedOut' in outcome) {
    throw new EectlError(
      `the sandbox cache ${cacheDir} stayed locked by pid ${outcome.waiting || '?'} for 30 minutes`,
      {
        code: 'ESANDBOXCACHELOCK',
        kind: 'external',
        suggestions: [`If no eectl sandbox up is running, remove ${lock} and run again.`],
      },
    );
  }
  try {
    await writeFile(join(lock, 'pid'), String(process.pid));
    return await build();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function ensureWritable(cacheDir: string): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(join(cacheDir, '.writable'), '');
  } catch (error) {
    throw new EectlError(`the sandbox cache ${cacheDir} is not writable: ${(error as Error).message}`, {
      code: 'ESANDBOXCACHE',
      suggestions: [
        'Run eectl sandbox up as root (it needs root to build the host image anyway),',
        'or set EECTL_SANDBOX_CACHE to a directory you can write.',
      ],
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
