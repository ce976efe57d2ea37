import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownPullToken } from '../../../src/lib/access/signed-images.js';
import {
  libtrustKeyId,
  signRegistryToken,
  verifyRegistryToken,
  type RegistryClaims,
} from '../../../src/lib/access/registry-token.js';

/** A test-only P-256 key, and its libtrust key ID as Python computed it (SHA-256 of the SPKI, base32). */
const TEST_KEY = createPrivateKey(`-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdwKyP0AfPX+90S7O
NYw+rTyOe//4pGOz8fhAQsv9+16hRANCAASJHPPkL3mvPXzgGdG9x2QON3MQbr5c
7FV+14KFhZgr+yORpDaseQz4aimwu96ttqBs1rnUtfTYLCfsRI9YPB+8
-----END PRIVATE KEY-----
`);
const TEST_KID = 'YI5S:5VZM:D24T:JXGG:ULKJ:GL4O:6FLC:ICHU:DBCY:NOZK:VJRC:J33B';

const NOW = new Date('2026-12-06T06:00:00Z');
const base = {
  key: TEST_KEY,
  issuer: 'eectl-prod-token-service',
  audience: 'eectl-prod-registry',
  subject: 'alice',
  expirySeconds: 300,
  now: NOW,
};
const expect_ = { issuer: base.issuer, audience: base.audience };
const part = (token: string, i: number) =>
  JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('registry tokens', () => {
  it('name the key by its libtrust ID, from the private or the public key', () => {
    expect(libtrustKeyId(TEST_KEY)).toBe(TEST_KID);
    expect(libtrustKeyId(createPublicKey(TEST_KEY))).toBe(TEST_KID);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(libtrustKeyId(other)).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(libtrustKeyId(other)).not.toBe(TEST_KID);
  });

  it('are ES256 JWTs with the claims of the token spec and only the granted actions', () => {
    const issued = signRegistryToken({
      ...base,
      access: [
        { type: 'repository', name: 'web/app', actions: ['pull', 'push'] },
        { type: 'repository', name: 'api/app', actions: [] },
      ],
    });
    expect(part(issued.token, 0)).toEqual({ typ: 'JWT', alg: 'ES256', kid: TEST_KID });
    const claims = part(issued.token, 1) as unknown as RegistryClaims;
    const t = NOW.getTime() / 1000;
    expect(claims).toMatchObject({
      iss: base.issuer,
      sub: 'alice',
      aud: base.audience,
      iat: t,
      nbf: t,
      exp: t + 300,
    });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(claims.access).toEqual([{ type: 'repository', name: 'web/app', actions: ['pull', 'push'] }]);
    // A raw r||s signature of 64 bytes, as JWS and libtrust want it (not DER).
    expect(Buffer.from(issued.token.split('.')[2]!, 'base64url')).toHaveLength(64);
    expect(issued.expiresIn).toBe(300);
    expect(verifyRegistryToken(issued.token, [TEST_KEY], { ...expect_, now: NOW })).toMatchObject({
      sub: 'alice',
    });
  });

  it('expire: accepted up to exp plus Distribution’s 60 s leeway, refused after', () => {
    const { token } = signRegistryToken({ ...base, access: [] });
    const at = (s: number) => ({ ...expect_, now: new Date(NOW.getTime() + s * 1000) });
    expect(typeof verifyRegistryToken(token, [TEST_KEY], at(299))).toBe('object');
    expect(typeof verifyRegistryToken(token, [TEST_KEY], at(360))).toBe('object');
    expect(verifyRegistryToken(token, [TEST_KEY], at(361))).toBe('expired');
    expect(verifyRegistryToken(token, [TEST_KEY], at(-61))).toBe('not yet valid');
  });

  it('are refused when signed by another key, changed, or for another service', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const { token } = signRegistryToken({ ...base, key: other, access: [] });
    expect(verifyRegistryToken(token, [TEST_KEY], { ...expect_, now: NOW })).toMatch(/untrusted key/);
    const good = signRegistryToken({ ...base, access: [] }).token;
    const [h, , sig] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ ...part(good, 1), sub: 'ops' })).toString('base64url');
    expect(verifyRegistryToken(`${h}.${forged}.${sig}`, [TEST_KEY], { ...expect_, now: NOW })).toBe(
      'bad signature',
    );
    expect(verifyRegistryToken(good, [TEST_KEY], { ...expect_, audience: 'x', now: NOW })).toMatch(
      /audience/,
    );
  });

  it('refuse to be signed by a key that is not P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signRegistryToken({ ...base, key: rsa, access: [] })).toThrow(/P-256/);
  });
});

describe('the plugin’s own pull tokens (a key, not a password)', () => {
  const rules = { service: base.audience, issuer: base.issuer, expirySeconds: 300, namespaces: [] };
  const challenge = { realm: 'https://10.0.0.11:5444/token', service: base.audience };

  it('hold pull of the one repository read, for a minute, signed with the token-signing key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eectl-own-token-'));
    const keyFile = join(dir, 'token-key.pem');
    writeFileSync(keyFile, TEST_KEY.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const token = ownPullToken(rules, 'web/app', challenge, keyFile);
    const claims = verifyRegistryToken(token, [TEST_KEY], expect_);
    expect(claims).toMatchObject({
      sub: 'eectl-authz',
      access: [{ type: 'repository', name: 'web/app', actions: ['pull'] }],
    });
    expect((claims as RegistryClaims).exp - (claims as RegistryClaims).iat).toBe(60);
    expect(() => ownPullToken(rules, 'web/app', { ...challenge, service: 'elsewhere' }, keyFile)).toThrow(
      /not of this cluster's/,
    );
    expect(() => ownPullToken(rules, 'web/app', challenge, join(dir, 'missing.pem'))).toThrow(
      /no token-signing key in .*missing\.pem \(ENOENT\): run eectl install/,
    );
    rmSync(dir, { recursive: true });
  });
});
