import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  entryMatchesHost,
  fingerprintSha256,
  formatKnownHostsLine,
  hostToken,
  keyTypeOf,
  knownKeyTypes,
  parseKnownHosts,
} from '../../../src/lib/ssh/known-hosts.js';

/** A syntactically valid SSH key blob: string type, then key bytes. */
function blob(type: string, fill: number): Buffer {
  const name = Buffer.from(type);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(name.length);
  const body = Buffer.alloc(36, fill);
  body.writeUInt32BE(32, 0);
  return Buffer.concat([header, name, body]);
}

const ED_A = blob('ssh-ed25519', 1);
const ED_B = blob('ssh-ed25519', 2);
const RSA = blob('ssh-rsa', 3);
const line = (hosts: string, key: Buffer): string => `${hosts} ${keyTypeOf(key)} ${key.toString('base64')}`;

function hashed(token: string, salt = Buffer.alloc(20, 9)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
}

describe('parseKnownHosts', () => {
  it('reads entries with line numbers, markers, and skips comments, blanks and garbage', () => {
    const text = [
      '# comment',
      '',
      line('a.example,10.0.0.1', ED_A),
      `@revoked ${line('*', ED_B)}`,
      `@cert-authority ${line('*.example', RSA)}`,
      'too few fields',
      `b.example ssh-rsa ${ED_A.toString('base64')}`, // type does not match the blob
      `@unknown ${line('c.example', ED_A)}`,
    ].join('\n');
    const entries = parseKnownHosts(text, '/kh');
    expect(entries.map((e) => [e.line, e.marker, e.hosts])).toEqual([
      [3, undefined, 'a.example,10.0.0.1'],
      [4, '@revoked', '*'],
      [5, '@cert-authority', '*.example'],
    ]);
    expect(entries[0]?.file).toBe('/kh');
    expect(entries[0]?.key.equals(ED_A)).toBe(true);
  });
});

describe('host matching', () => {
  const entry = (hosts: string) => parseKnownHosts(line(hosts, ED_A), 'f')[0]!;

  it('names non-standard ports as [host]:port', () => {
    expect(hostToken('h', 22)).toBe('h');
    expect(hostToken('h', 2222)).toBe('[h]:2222');
  });

  it('matches comma lists, wildcards, negations and is case-insensitive', () => {
    expect(entryMatchesHost(entry('a,b,c'), 'b')).toBe(true);
    expect(entryMatchesHost(entry('a,b,c'), 'd')).toBe(false);
    expect(entryMatchesHost(entry('*.example.com'), 'web.example.com')).toBe(true);
    expect(entryMatchesHost(entry('web?.example.com'), 'web1.example.com')).toBe(true);
    expect(entryMatchesHost(entry('*.example.com,!db.example.com'), 'db.example.com')).toBe(false);
    expect(entryMatchesHost(entry('Web.Example.com'), 'web.example.com')).toBe(true);
    expect(entryMatchesHost(entry('a.b'), 'aXb')).toBe(false); // a dot is not a wildcard
  });

  it('keeps ports apart: host on 22 is not [host]:2222', () => {
    expect(entryMatchesHost(entry('h'), '[h]:2222')).toBe(false);
    expect(entryMatchesHost(entry('[h]:2222'), '[h]:2222')).toBe(true);
    expect(entryMatchesHost(entry('[h]:2222'), 'h')).toBe(false);
  });

  it('matches hashed names (|1|salt|hmac-sha1) for the exact token only', () => {
    expect(entryMatchesHost(entry(hashed('10.0.0.5')), '10.0.0.5')).toBe(true);
    expect(entryMatchesHost(entry(hashed('10.0.0.5')), '10.0.0.6')).toBe(false);
    expect(entryMatchesHost(entry(hashed('[10.0.0.5]:2200')), '[10.0.0.5]:2200')).toBe(true);
  });
});

describe('checkHostKey', () => {
  const text = [line('h1', ED_A), line('h2,h3', ED_A), `@revoked ${line('*', ED_B)}`, line('h4', RSA)].join(
    '\n',
  );
  const entries = parseKnownHosts(text, '/kh');

  it('known when the key of that host matches', () => {
    expect(checkHostKey(entries, 'h3', ED_A)).toMatchObject({ kind: 'known', entry: { line: 2 } });
  });

  it('changed when the host has another key of the same type, naming the line', () => {
    expect(checkHostKey(entries, 'h1', blob('ssh-ed25519', 7))).toMatchObject({
      kind: 'changed',
      entry: { line: 1 },
    });
  });

  it('revoked beats everything', () => {
    expect(checkHostKey(entries, 'h1', ED_B)).toMatchObject({ kind: 'revoked', entry: { line: 3 } });
  });

  it('unknown only for a host with no key on record', () => {
    expect(checkHostKey(entries, 'h9', ED_A)).toEqual({ kind: 'unknown' });
  });

  it('changed when the host is recorded with a key of another type', () => {
    expect(checkHostKey(entries, 'h4', ED_A)).toMatchObject({ kind: 'changed', entry: { line: 4 } });
  });

  it('lists the key types known for a host, ignoring markers', () => {
    expect(knownKeyTypes(entries, 'h4')).toEqual(['ssh-rsa']);
    expect(knownKeyTypes(entries, 'h9')).toEqual([]);
  });
});

describe('formatting', () => {
  it('writes lines that parse back, and OpenSSH-style fingerprints', () => {
    const text = formatKnownHostsLine('[h]:2222', ED_A);
    expect(text).toBe(`[h]:2222 ssh-ed25519 ${ED_A.toString('base64')}`);
    expect(checkHostKey(parseKnownHosts(text, 'f'), '[h]:2222', ED_A).kind).toBe('known');
    // The same key through `ssh-keygen -lf`.
    const real = Buffer.from(
      'AAAAC3NzaC1lZDI1NTE5AAAAIN62Au5TiIo0Er8FkdpjxKrcfGx6xIwfDAnD1d3L3YFS',
      'base64',
    );
    expect(fingerprintSha256(real)).toBe('SHA256:fdKsImUlhTYP0KW6DZXLsJJDbJeHCum/ncSTmI09bag');
  });
});

describe('looking hosts up in a large file', () => {
  it('finds plain names through the index and patterns one by one, in file order, case-insensitively', () => {
    const text = [
      line('*.example', RSA),
      line('A.Example,10.0.0.1', ED_A),
      `@revoked ${line(hashed('b.example'), ED_B)}`,
      line('b.example', ED_B),
      line('c.example,!b.example', RSA),
    ].join('\n');
    const entries = parseKnownHosts(text, 'f');
    expect(knownKeyTypes(entries, 'a.example')).toEqual(['ssh-rsa', 'ssh-ed25519']);
    expect(checkHostKey(entries, 'a.EXAMPLE', ED_A)).toMatchObject({ kind: 'known', entry: { line: 2 } });
    expect(checkHostKey(entries, 'b.example', ED_B).kind).toBe('revoked');
    expect(checkHostKey(entries, 'c.example', blob('ssh-rsa', 4))).toMatchObject({
      kind: 'changed',
      entry: { line: 1 },
    });
    expect(checkHostKey(entries, 'd.other', ED_A).kind).toBe('unknown');
  });

  it('answers for every host of a 1000-line file from one parse (no per-host rescan needed)', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => line(`[10.1.${i >> 8}.${i & 255}]:2222`, ED_A));
    const entries = parseKnownHosts(lines.join('\n'), 'f');
    for (let i = 0; i < 1000; i += 97) {
      expect(checkHostKey(entries, `[10.1.${i >> 8}.${i & 255}]:2222`, ED_A)).toMatchObject({
        kind: 'known',
        entry: { line: i + 1 },
      });
    }
    expect(checkHostKey(entries, '[10.1.9.9]:2222', ED_A).kind).toBe('unknown');
  });
});
