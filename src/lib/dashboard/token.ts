import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the cookie that carries the access token after the first visit. */
export const TOKEN_COOKIE = 'eectl_dashboard';

/** A fresh access token: 32 random bytes, URL-safe. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether `given` is the token, in time that does not depend on where they differ: both are hashed
 * first, so the comparison is always of 32 bytes, whatever length an attacker sends.
 */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token value of a Cookie header, if it has one. */
export function tokenFromCookie(header: string | undefined | null): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return value.join('=');
  }
  return undefined;
}

/**
 * The dashboard's tokens: the one printed for the user, and single-use ones that expire within a minute
 * (for `--open`, whose URL goes on a browser's command line, which other users of the machine can read).
 */
export class AccessTokens {
  private readonly oneTime = new Map<string, number>();

  constructor(readonly main: string = newAccessToken()) {}

  /** A token that works once, within `ttlMs`. */
  issueOneTime(ttlMs = 60_000): string {
    const t = newAccessToken();
    this.oneTime.set(t, Date.now() + ttlMs);
    return t;
  }

  /** Whether `given` is the main token. */
  isMain(given: string | undefined | null): boolean {
    return tokenMatches(this.main, given);
  }

  /** Whether `given` is the main token or an unused, unexpired one-time token (which is then used up). */
  redeem(given: string | undefined | null): boolean {
    if (this.isMain(given)) return true;
    const now = Date.now();
    for (const [t, expires] of this.oneTime) {
      if (expires < now) this.oneTime.delete(t);
      else if (tokenMatches(t, given)) {
        this.oneTime.delete(t);
        return true;
      }
    }
    return false;
  }
}
