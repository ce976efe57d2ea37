import { afterEach, describe, expect, it } from 'vitest';
import { addSecret, clearSecrets, redact, REDACTED } from '../../../src/lib/util/redact.js';

afterEach(() => clearSecrets());

/** Every secret form must be gone from the text: no 6-character run of its base64 may be left. */
const SECRET = 'http-secret-Zq8Lr2Vw9Xp4';

describe('redact', () => {
  it('removes a secret raw, and in hex and URL encoding', () => {
    addSecret('p@ss word/1234');
    const hex = Buffer.from('p@ss word/1234').toString('hex');
    expect(redact('pw=p@ss word/1234')).toBe(`pw=${REDACTED}`);
    expect(redact(`hex ${hex} HEX ${hex.toUpperCase()}`)).toBe(`hex ${REDACTED} HEX ${REDACTED}`);
    expect(redact(`url ${encodeURIComponent('p@ss word/1234')}`)).toBe(`url ${REDACTED}`);
  });

  it('removes the base64 of a secret on its own, and inside a larger file at each of the three alignments', () => {
    addSecret(SECRET);
    expect(redact(Buffer.from(SECRET).toString('base64'))).not.toContain(
      Buffer.from(SECRET).toString('base64').slice(0, 20),
    );
    for (const before of ['', 'a', 'ab', 'abc', 'x: 1\nkey: ']) {
      const file = `${before}${SECRET}\nafter: true\n`;
      for (const encoded of [Buffer.from(file).toString('base64'), Buffer.from(file).toString('base64url')]) {
        const out = redact(`/etc/eectl/registry/http-secret ${encoded}`);
        expect(out, `prefix ${JSON.stringify(before)}`).toContain(REDACTED);
        // What is left decodes to the neighbours only, never to the secret or a long piece of it.
        const left = out.split(' ')[1]!.split(REDACTED).join('');
        expect(Buffer.from(left, 'base64').toString('latin1')).not.toContain(SECRET.slice(2, 12));
      }
    }
  });

  it('removes each line of a multi-line secret, because logs are written line by line', () => {
    const key = [
      '-----BEGIN PRIVATE KEY-----',
      'MC4CAQAwBQYDK2VwBCIEIJ0u1Y4p0aZ1qX8Hh2k3Jm4L5n6o7p8q9r0s1t2u3v4w',
      'c2Vjb25kIGxpbmUgb2YgdGhlIGtleQ==',
      '-----END PRIVATE KEY-----',
      '',
    ].join('\n');
    addSecret(key);
    for (const line of key.split('\n').slice(1, 3)) expect(redact(`out: ${line}`)).toBe(`out: ${REDACTED}`);
    // Armour lines are not secret alone.
    expect(redact('-----BEGIN PRIVATE KEY-----')).toBe('-----BEGIN PRIVATE KEY-----');
  });

  it('leaves ordinary text alone', () => {
    addSecret(SECRET);
    expect(redact('docker swarm init --advertise-addr 10.0.0.11')).toBe(
      'docker swarm init --advertise-addr 10.0.0.11',
    );
  });
});
