import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { htpasswdFile, htpasswdVerifies, parseHtpasswd } from '../../../src/lib/registry/htpasswd.js';

describe('htpasswd', () => {
  it('has one bcrypt line per user that verifies the password and nothing else', async () => {
    const text = await htpasswdFile([
      { name: 'admin', password: 'first-password' },
      { name: 'ci', password: 'second-password' },
    ]);
    const lines = text.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['admin', 'ci']);
    for (const line of lines) expect(line.split(':')[1]).toMatch(/^\$2[aby]\$10\$/);
    const hashes = parseHtpasswd(text);
    expect(bcrypt.compareSync('first-password', hashes.get('admin')!)).toBe(true);
    expect(bcrypt.compareSync('second-password', hashes.get('ci')!)).toBe(true);
    expect(bcrypt.compareSync('second-password', hashes.get('admin')!)).toBe(false);
    expect(text).not.toContain('password');
  });

  it('keeps a hash that still verifies (the file, and so its secret, stays the same) and rehashes a changed password', async () => {
    const first = await htpasswdFile([{ name: 'ci', password: 'one' }]);
    expect(await htpasswdFile([{ name: 'ci', password: 'one' }], first)).toBe(first);
    const changed = await htpasswdFile([{ name: 'ci', password: 'two' }], first);
    expect(changed).not.toBe(first);
    expect(await htpasswdVerifies(changed, 'ci', 'two')).toBe(true);
    expect(await htpasswdVerifies(changed, 'ci', 'one')).toBe(false);
  });

  it('drops users no longer listed', async () => {
    const both = await htpasswdFile([
      { name: 'a', password: 'pa' },
      { name: 'b', password: 'pb' },
    ]);
    const onlyB = await htpasswdFile([{ name: 'b', password: 'pb' }], both);
    expect([...parseHtpasswd(onlyB).keys()]).toEqual(['b']);
    expect(parseHtpasswd(onlyB).get('b')).toBe(parseHtpasswd(both).get('b'));
  });
});
