import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../src/lib/config/did-you-mean.js';

describe('closest', () => {
  const hostKeys = ['address', 'role', 'ssh', 'localhost', 'privateAddress', 'labels'];

  it('finds typos, transpositions, case and separator slips', () => {
    expect(closest('adress', hostKeys)).toBe('address');
    expect(closest('addrses', hostKeys)).toBe('address');
    expect(closest('rol', hostKeys)).toBe('role');
    expect(closest('private_address', hostKeys)).toBe('privateAddress');
    expect(closest('Labels', hostKeys)).toBe('labels');
    expect(closest('key-path', ['keyPath', 'user'])).toBe('keyPath');
  });

  it('finds a name that was cut short', () => {
    expect(closest('password', ['passwordEnv', 'keyPassphraseEnv'])).toBe('passwordEnv');
  });

  it('suggests nothing when nothing is close', () => {
    expect(closest('mtu', hostKeys)).toBeUndefined();
    expect(closest('hostname', hostKeys)).toBeUndefined();
  });

  it('prefers the nearest candidate', () => {
    expect(closest('port', ['ports', 'part', 'port2'])).toBe('ports');
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps', () => {
    expect(editDistance('role', 'role')).toBe(0);
    expect(editDistance('role', 'roles')).toBe(1);
    expect(editDistance('role', 'rle')).toBe(1);
    expect(editDistance('role', 'rote')).toBe(1);
    expect(editDistance('role', 'rloe')).toBe(1);
    expect(editDistance('', 'ssh')).toBe(3);
  });
});
