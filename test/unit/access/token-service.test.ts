import { describe, expect, it } from 'vitest';
import { directoryTls } from '../../../src/lib/access/directory-bind.js';
import {
  FailureLimiter,
  parseBasicAuth,
  parseLogins,
  tokenAuditLine,
} from '../../../src/lib/access/token-service.js';
import { parseAuditLines } from '../../../src/lib/actions/access.js';

const HASH = '$2b$10$vfPupPo87TqxCob.9EXJ/OOnexup.3WROH/v1v77FAjtXXWRM6GUC';
const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('HTTP basic auth, read as Go’s Request.BasicAuth reads it', () => {
  it('splits at the first colon, so a password may hold colons', () => {
    expect(parseBasicAuth(basic('alice:pa:ss'))).toEqual({ user: 'alice', password: 'pa:ss' });
    expect(parseBasicAuth(basic('alice:'))).toEqual({ user: 'alice', password: '' });
    expect(parseBasicAuth(`bAsIc ${Buffer.from('a:b').toString('base64')}`)).toEqual({
      user: 'a',
      password: 'b',
    });
  });

  it('refuses what is not strict standard base64 of user:password', () => {
    for (const header of [
      'Bearer abc',
      'Basic',
      'Basic ',
      basic('no-colon'),
      'Basic YWxpY2U6cHc', // unpadded
      'Basic YWxp Y2U6cHc=',
      'Basic YWxpY2U6cHc=\n',
      'Basic YWxpY2U6cHc-_w==', // base64url
      `Basic ${'A'.repeat(9000)}`,
    ]) {
      expect(parseBasicAuth(header), JSON.stringify(header)).toBeUndefined();
    }
  });

  it('hands hostile user names through unchanged (the service refuses them by the name rule)', () => {
    expect(parseBasicAuth(basic('*)(uid=*:x'))?.user).toBe('*)(uid=*');
    expect(parseBasicAuth(basic('a\u0000b:x'))?.user).toBe('a\u0000b');
  });
});

describe('the failed-login limit', () => {
  it('blocks a key after max failures within the window, and forgets it after', () => {
    const limiter = new FailureLimiter(3, 60_000, 100);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blocked(['user:a'], 1000)).toBe(false);
      limiter.fail(['user:a', 'address:x'], 1000);
    }
    expect(limiter.blocked(['user:a'], 1000)).toBe(true);
    expect(limiter.blocked(['user:b', 'address:x'], 1000)).toBe(true);
    expect(limiter.blocked(['user:b', 'address:y'], 1000)).toBe(false);
    expect(limiter.blocked(['user:a'], 62_000)).toBe(false);
  });

  it('keeps at most maxKeys keys, whatever an attacker sends', () => {
    const limiter = new FailureLimiter(3, 60_000, 50);
    for (let i = 0; i < 10_000; i++) limiter.fail([`user:${i}`], 1000);
    expect(limiter.size).toBe(50);
  });
});

describe('the logins file', () => {
  it('keeps only bcrypt hashes', () => {
    expect(parseLogins(JSON.stringify({ users: { a: HASH, b: 'plain', c: 42, d: `${HASH}x` } }))).toEqual({
      users: { a: HASH },
    });
    expect(() => parseLogins('{}')).toThrow(/not an eectl registry logins file/);
    expect(() => parseLogins('null')).toThrow();
  });
});

describe('the audit line', () => {
  it('is one JSON line that eectl access log reads, with scopes asked and granted', () => {
    const line = tokenAuditLine({
      user: 'alice',
      method: 'directory',
      remote: '10.0.0.5',
      asked: ['repository:api/app:pull,push'],
      granted: [{ type: 'repository', name: 'api/app', actions: ['pull'] }],
      allow: true,
      reason: 'public',
      now: new Date('2026-12-06T06:00:00Z'),
    });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toMatchObject({
      auth: 'directory',
      remote: '10.0.0.5',
      scopes: ['repository:api/app:pull,push'],
      granted: ['repository:api/app:pull'],
    });
    const [entry] = parseAuditLines('m1', line, { user: 'alice' });
    expect(entry).toMatchObject({ host: 'm1', user: 'alice', path: '/token', allow: true });
  });
});

describe('the directory connection', () => {
  const d = { url: 'ldap://dir.example.org', startTLS: false, insecure: false, timeoutSeconds: 5 };
  it('refuses plain ldap:// unless the policy says insecure or StartTLS', () => {
    expect(directoryTls(d)).toMatch(/refused/);
    expect(directoryTls({ ...d, startTLS: true })).toMatchObject({ servername: 'dir.example.org' });
    expect(typeof directoryTls({ ...d, insecure: true })).toBe('object');
    expect(directoryTls({ ...d, url: 'ldaps://10.0.0.1', caPem: 'PEM' })).toEqual({
      ca: ['PEM'],
      minVersion: 'TLSv1.2',
    });
  });
});
