import { EectlError, ExitCode } from '../errors.js';

/** Thrown when a host's part of a dump took longer than its bound. */
export class DeadlineError extends EectlError {
  constructor(readonly ms: number) {
    super(`gave up after ${Math.round(ms / 1000)} s (--host-timeout)`, {
      code: 'EHOST_TIMEOUT',
      kind: 'external',
      exitCode: ExitCode.failure,
      suggestions: ['Give slow hosts more time with --host-timeout.'],
    });
  }
}

/**
 * Runs `work` with a signal that fires after `ms` (or with the run's own), and gives up at that moment
 * even when the work does not stop: a host that hangs costs the dump `ms`, never more.
 */
export async function withDeadline<T>(
  ms: number,
  runSignal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const signal = runSignal ? AbortSignal.any([runSignal, deadline.signal]) : deadline.signal;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadline.abort(new DeadlineError(ms));
      reject(new DeadlineError(ms));
    }, ms);
  });
  const running = work(signal);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
