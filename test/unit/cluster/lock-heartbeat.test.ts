import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterLock, STALE_AFTER_S } from '../../../src/lib/cluster/lock.js';
import type { HostSpec } from '../../../src/lib/config/schema.js';
import { ExitCode, toEectlError } from '../../../src/lib/errors.js';
import { Host } from '../../../src/lib/host/host.js';
import { ScriptedConnection } from '../../helpers/scripted-connection.js';

/** The lock host: takes the lock, then answers each heartbeat with the next of `answers` ("ok" after). */
function lockHost(answers: string[]) {
  const conn = new ScriptedConnection('10.0.0.11', [
    { match: /echo acquired/, answer: { stdout: 'acquired\n' } },
    { match: /touch "\$d\/owner"/, answer: () => ({ stdout: `${answers.shift() ?? 'ok'}\n` }) },
    { match: /rm -rf "\$d"/, answer: { stdout: 'ok\n' } },
  ]);
  return new Host({ address: '10.0.0.11', role: 'manager' } as HostSpec, conn);
}

const heldAfter = (lock: ClusterLock): unknown => {
  try {
    lock.assertHeld('before "Label nodes"');
    return undefined;
  } catch (error) {
    return toEectlError(error);
  }
};

describe('the cluster lock heartbeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('"not-owner": lost at once, for the holder and every nested handle, with ELOCK_LOST (exit 4) and what to do', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const lock = await ClusterLock.acquire(lockHost(['ok', 'not-owner']), 'install');
    const nested = lock.reenter();
    vi.advanceTimersByTime(30_000);
    await vi.waitFor(() => expect(lock.lost).toBeUndefined());
    expect(heldAfter(nested)).toBeUndefined();
    vi.advanceTimersByTime(30_000);
    await vi.waitFor(() => expect(lock.lost).toMatch(/another run holds it now/));
    for (const handle of [lock, nested]) {
      expect(heldAfter(handle)).toMatchObject({
        code: 'ELOCK_LOST',
        exitCode: ExitCode.partial,
        message: expect.stringMatching(
          /^lost the cluster lock on 10\.0\.0\.11: .*; stopped before "Label nodes"$/,
        ),
      });
    }
    await lock.release();
  });

  it('"busy" or a failed refresh: still held, until STALE_AFTER_S pass without a refresh', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const lock = await ClusterLock.acquire(lockHost(['busy', 'busy', 'busy', 'busy', 'busy']), 'upgrade');
    vi.advanceTimersByTime(30_000);
    await Promise.resolve();
    expect(heldAfter(lock)).toBeUndefined();
    vi.advanceTimersByTime(STALE_AFTER_S * 1000 - 30_000);
    await vi.waitFor(() =>
      expect(lock.lost).toMatch(/not refreshed for 120s, so another run may have broken it/),
    );
    expect(heldAfter(lock)).toMatchObject({ code: 'ELOCK_LOST' });
    await lock.release();
  });
});
