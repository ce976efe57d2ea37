import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EectlError, ExitCode } from '../../src/lib/errors.js';
import { done, pending, pollUntil } from '../../src/lib/util/poll.js';

describe('pollUntil', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returns the value of the first check that has one, reporting what was awaited before', async () => {
    const answers = [pending('a'), pending('b'), done(42)];
    const check = vi.fn(async () => answers.shift()!);
    const onWait = vi.fn();
    const outcome = pollUntil(check, { timeoutMs: 60_000, intervalMs: 1000, onWait });
    await vi.advanceTimersByTimeAsync(2000);
    expect(await outcome).toEqual({ value: 42 });
    expect(check).toHaveBeenCalledTimes(3);
    expect(onWait.mock.calls).toEqual([['a'], ['b']]);
  });

  it('checks once without pausing when the first answer is the value', async () => {
    const onWait = vi.fn();
    expect(await pollUntil(async () => done('up'), { timeoutMs: 0, intervalMs: 1000, onWait })).toEqual({
      value: 'up',
    });
    expect(onWait).not.toHaveBeenCalled();
  });

  it('pauses intervalMs between checks', async () => {
    const at: number[] = [];
    const outcome = pollUntil(
      async () => {
        at.push(Date.now());
        return at.length === 4 ? done(true) : pending(at.length);
      },
      { timeoutMs: 60_000, intervalMs: 1500 },
    );
    await vi.advanceTimersByTimeAsync(1499);
    expect(at).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(at).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(3000);
    await outcome;
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([1500, 1500, 1500]);
  });

  it('ends with timedOut and the last observation once the deadline has passed', async () => {
    let n = 0;
    const check = vi.fn(async () => pending(++n));
    const outcome = pollUntil(check, { timeoutMs: 3000, intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(10_000);
    // Checks at 0, 1, 2 and 3 s: the one at the deadline is the last.
    expect(await outcome).toEqual({ timedOut: true, waiting: 4 });
    expect(check).toHaveBeenCalledTimes(4);
  });

  it('stops a pause as soon as the signal fires, with the interrupted error (exit 130)', async () => {
    const interrupt = new AbortController();
    const check = vi.fn(async () => pending('x'));
    const outcome = pollUntil(check, { timeoutMs: 600_000, intervalMs: 10_000, signal: interrupt.signal });
    const settled = outcome.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    interrupt.abort(new Error('interrupted by SIGINT'));
    const error = await settled;
    expect(error).toBeInstanceOf(EectlError);
    expect(error).toMatchObject({ code: 'EINTERRUPTED', exitCode: ExitCode.interrupted });
    expect(check).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not check at all when the run is already interrupted', async () => {
    const interrupt = new AbortController();
    interrupt.abort();
    const check = vi.fn(async () => done(1));
    await expect(
      pollUntil(check, { timeoutMs: 1000, intervalMs: 10, signal: interrupt.signal }),
    ).rejects.toMatchObject({ code: 'EINTERRUPTED' });
    expect(check).not.toHaveBeenCalled();
  });

  it('throws an error of the check as it is', async () => {
    const boom = new Error('connection lost');
    await expect(
      pollUntil(
        async () => {
          throw boom;
        },
        { timeoutMs: 1000, intervalMs: 10 },
      ),
    ).rejects.toBe(boom);
  });
});
