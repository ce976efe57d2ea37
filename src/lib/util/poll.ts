import { interruptedError } from '../errors.js';

/** What one check saw: the value waited for, or what is still awaited (reported between checks). */
export type Observation<T, W> = { value: T } | { waiting: W };

/** A check's answer: here is the value, the wait is over. */
export function done<T>(value: T): { value: T } {
  return { value };
}

/** A check's answer: not yet, `waiting` is what is still awaited. */
export function pending<W>(waiting: W): { waiting: W } {
  return { waiting };
}

/** How a wait ended: with the value, or at the deadline with what the last check still awaited. */
export type PollOutcome<T, W> = { value: T } | { timedOut: true; waiting: W };

export interface PollOptions<W> {
  /** After this long the wait ends with `timedOut` (the check that crosses it is the last). */
  timeoutMs: number;
  /** The pause between two checks. */
  intervalMs: number;
  /** The run's interrupt: a wait stops at once, with the interrupted error (exit 130). */
  signal?: AbortSignal | undefined;
  /** Told what is still awaited before each pause (a progress line). */
  onWait?: (waiting: W) => void;
}

/**
 * Checks until `check` yields a value or `timeoutMs` has passed, pausing `intervalMs` between checks.
 * Always checks at least once. A timeout is a result, not an error: the caller builds its own error from
 * what was still awaited, naming the host and what to do. An abort (Ctrl-C) throws `interruptedError()`;
 * an error of the check itself is thrown as it is.
 */
export async function pollUntil<T, W>(
  check: () => Promise<Observation<T, W>>,
  options: PollOptions<W>,
): Promise<PollOutcome<T, W>> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted) throw interruptedError();
    const seen = await check();
    if ('value' in seen) return seen;
    if (Date.now() >= deadline) return { timedOut: true, waiting: seen.waiting };
    options.onWait?.(seen.waiting);
    await pause(options.intervalMs, options.signal);
  }
}

/** Waits `ms`, or rejects with the interrupted error as soon as `signal` fires. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(interruptedError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(interruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
