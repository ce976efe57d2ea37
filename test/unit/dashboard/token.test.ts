import { describe, expect, it } from 'vitest';
import {
  AccessTokens,
  newAccessToken,
  tokenFromCookie,
  tokenMatches,
} from '../../../src/lib/dashboard/token.js';

describe('dashboard access token', () => {
  it('is 32 random bytes, URL-safe, new each time', () => {
    const a = newAccessToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newAccessToken()).not.toBe(a);
  });

  it('matches only itself: not a prefix, not a longer string, not empty or missing', () => {
    const t = newAccessToken();
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(t, t.slice(0, -1))).toBe(false);
    expect(tokenMatches(t, `${t}x`)).toBe(false);
    expect(tokenMatches(t, t.toUpperCase())).toBe(false);
    expect(tokenMatches(t, '')).toBe(false);
    expect(tokenMatches(t, undefined)).toBe(false);
    expect(tokenMatches(t, null)).toBe(false);
  });

  it('is read from its cookie among others', () => {
    expect(tokenFromCookie('a=1; eectl_dashboard=abc-_9; b=2')).toBe('abc-_9');
    expect(tokenFromCookie('eectl_dashboardx=abc')).toBeUndefined();
    expect(tokenFromCookie(undefined)).toBeUndefined();
  });

  it('a one-time token works once, and not after it expired; the main token always', () => {
    const tokens = new AccessTokens();
    const once = tokens.issueOneTime();
    expect(tokens.isMain(once)).toBe(false);
    expect(tokens.redeem(once)).toBe(true);
    expect(tokens.redeem(once)).toBe(false);
    const expired = tokens.issueOneTime(-1);
    expect(tokens.redeem(expired)).toBe(false);
    expect(tokens.redeem(tokens.main)).toBe(true);
    expect(tokens.redeem(tokens.main)).toBe(true);
    expect(tokens.redeem('guess')).toBe(false);
  });
});
