import { setTimeout as sleep } from 'node:timers/promises';

/** Network error codes worth another try: the host may be booting, sshd restarting, a link flapping. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** An error marked transient by the transport: a connect timeout, a refused or reset connection. */
export class TransientConnectError extends Error {
  override readonly name = 'TransientConnectError';
}

/** Whether a connection failure may go away on its own; auth and host-key failures never do. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransientConnectError) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/** How often and how patiently to retry. */
export interface RetryOptions {
  attempts: number;
  /** Delay before the second attempt; doubled after each further failure. */
  delayMs: number;
  signal?: AbortSignal | undefined;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Retries `task` on transient failures only, with exponential backoff, at most `attempts` times. */
export async function withRetries<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !isTransient(error)) throw error;
      const delay = options.delayMs * 2 ** (attempt - 1);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}
