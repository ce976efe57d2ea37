import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { redactEntries } from '../../../src/lib/support/archive.js';
import { addSecret, clearSecrets, secretsLeftIn } from '../../../src/lib/util/redact.js';
import { leakForms } from '../../helpers/support-dump.js';

// The redaction of a support dump's texts: every registered secret, raw and in each encoding, wherever it
// sits in the text; join tokens and private keys by their shape; and the final scan that stops the dump.

afterEach(() => clearSecrets());

const password = 'dump-Passw0rd-9c1e7b';
const httpSecret = randomBytes(32).toString('hex');
const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();
const secrets = { password, httpSecret, keyPem };

/** The secret inside a text that is base64-encoded whole, with `pad` bytes before it (offset pad mod 3). */
const encodedAt = (secret: string, pad: number): string =>
  Buffer.from(`${'x'.repeat(pad)}${secret} and after`).toString('base64');

describe('redactEntries', () => {
  it('removes every registered secret raw, in hex, URL-encoded, and base64 at each of the 3 offsets', () => {
    for (const s of Object.values(secrets)) addSecret(s);
    const texts: string[] = [];
    for (const s of Object.values(secrets)) {
      texts.push(`raw: ${s}`, `hex: ${Buffer.from(s).toString('hex')}`, `url: ${encodeURIComponent(s)}`);
      for (let pad = 0; pad < 6; pad++) texts.push(`b64 ${pad}: ${encodedAt(s, pad)}`);
      texts.push(`b64url: ${Buffer.from(`yy${s}`).toString('base64url')}`);
    }
    const entries = texts.map((text, i) => ({ name: `f${i}.txt`, text }));
    const clean = redactEntries(entries);
    for (const [i, entry] of clean.entries()) {
      for (const [what, value] of Object.entries(secrets))
        for (const form of leakForms(value)) expect(entry.text, `${what} in ${texts[i]}`).not.toContain(form);
      expect(entry.text).toContain('[REDACTED]');
    }
  });

  it('removes join tokens and private keys by their shape, even never registered', () => {
    const token = `SWMTKN-1-${'3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl'}-${'1awxwuwd3z9j1z3puu7rcgdbx'}`;
    const [clean] = redactEntries([{ name: 'j.txt', text: `join with ${token} now\n${keyPem}` }]);
    expect(clean!.text).not.toContain(token.slice(10));
    expect(clean!.text).not.toMatch(/PRIVATE KEY-----\n[A-Za-z0-9+/]/);
    expect(secretsLeftIn(clean!.text)).toEqual([]);
  });

  it('takes a key header cut from its key (a log cut at its start) as no key: the dump goes on', () => {
    const text = 'out: -----BEGIN EC PRIVATE KEY-----\n(the first 1024 bytes are left out)\n';
    expect(redactEntries([{ name: 'eectl-logs/x.log', text }])[0]!.text).toBe(text);
    expect(secretsLeftIn(keyPem)).toEqual(['a private key']);
  });

  it('leaves a text without secrets as it is', () => {
    addSecret(password);
    const text = '{"ServerVersion":"27.3.1","Swarm":{"LocalNodeState":"active"}}\n';
    expect(redactEntries([{ name: 'docker-info.json', text }])[0]!.text).toBe(text);
  });

  it('the final scan names what is left, without the secret', () => {
    addSecret(password);
    const left = secretsLeftIn(`x ${Buffer.from(`--${password}`).toString('base64')} SWMTKN-1-abc`);
    expect(left).toEqual(['1 form(s) of registered secrets', 'a swarm join token']);
    expect(left.join(' ')).not.toContain(password);
  });
});
