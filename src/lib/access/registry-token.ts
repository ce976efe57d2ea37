import { createHash, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { RegistryAccess } from './registry-scopes.js';

/**
 * The registry's bearer tokens (Distribution's token spec, docs/spec/auth/jwt.md): ES256 JWTs whose
 * header names the signing key by its libtrust key ID (`kid`), which Distribution 2.8 looks up among the
 * public keys of the certificates in `auth.token.rootcertbundle` (registry/auth/token/token.go,
 * VerifySigningKey).
 */

/** Distribution accepts a token this long after `exp` and before `nbf` (token.go, Leeway). */
export const DISTRIBUTION_LEEWAY_SECONDS = 60;

/** The claims of a registry token. */
export interface RegistryClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: { type: string; class?: string; name: string; actions: string[] }[];
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/**
 * libtrust's key ID of a public key: the SHA-256 of its DER SubjectPublicKeyInfo, the first 240 bits,
 * base32 without padding, in twelve groups of four joined by `:` (libtrust/util.go, keyIDFromCryptoKey).
 */
export function libtrustKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const digest = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest()
    .subarray(0, 30);
  return base32(digest).match(/.{4}/g)!.join(':');
}

function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** What a token is made of. */
export interface TokenRequest {
  /** The token-signing key (P-256). */
  key: KeyObject;
  issuer: string;
  /** The registry's `service` (the token's `aud`). */
  audience: string;
  subject: string;
  access: readonly RegistryAccess[];
  expirySeconds: number;
  now?: Date;
}

/** A signed token and the answer fields of the token spec. */
export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
  claims: RegistryClaims;
}

/** Signs a registry token (ES256, `kid` = the key's libtrust ID); actions nobody was granted are left out. */
export function signRegistryToken(request: TokenRequest): IssuedToken {
  const now = request.now ?? new Date();
  const seconds = Math.floor(now.getTime() / 1000);
  if (request.key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the token-signing key is not an ECDSA P-256 key');
  }
  const header = { typ: 'JWT', alg: 'ES256', kid: libtrustKeyId(request.key) };
  const claims: RegistryClaims = {
    iss: request.issuer,
    sub: request.subject,
    aud: request.audience,
    exp: seconds + request.expirySeconds,
    nbf: seconds,
    iat: seconds,
    jti: randomBytes(15).toString('base64url'),
    access: request.access
      .filter((a) => a.actions.length > 0)
      .map((a) => ({
        type: a.type,
        ...(a.class !== undefined && { class: a.class }),
        name: a.name,
        actions: [...a.actions],
      })),
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  // JWS ES256 is the raw r || s pair (libtrust's ecPublicKey.Verify reads it so), not DER.
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: request.key,
    dsaEncoding: 'ieee-p1363',
  });
  return {
    token: `${signingInput}.${b64url(signature)}`,
    expiresIn: request.expirySeconds,
    issuedAt: now.toISOString(),
    claims,
  };
}

/**
 * Checks a token as Distribution 2.8 does (issuer, audience, exp and nbf with its leeway, a `kid` among
 * the trusted keys, the signature); returns the claims or why not. For tests and for `access check`.
 */
export function verifyRegistryToken(
  token: string,
  trusted: readonly KeyObject[],
  expect: { issuer: string; audience: string; now?: Date },
): RegistryClaims | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWT';
  let header: { alg?: string; kid?: string };
  let claims: RegistryClaims;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as RegistryClaims;
  } catch {
    return 'not a JWT';
  }
  if (claims.iss !== expect.issuer) return `untrusted issuer ${claims.iss}`;
  if (claims.aud !== expect.audience) return `another audience: ${claims.aud}`;
  const now = Math.floor((expect.now ?? new Date()).getTime() / 1000);
  if (now > claims.exp + DISTRIBUTION_LEEWAY_SECONDS) return 'expired';
  if (now < claims.nbf - DISTRIBUTION_LEEWAY_SECONDS) return 'not yet valid';
  const key = trusted.find((k) => libtrustKeyId(k) === header.kid);
  if (!key || header.alg !== 'ES256') return `signed by an untrusted key ${header.kid ?? '(no kid)'}`;
  const ok = verify(
    'sha256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(parts[2]!, 'base64url'),
  );
  return ok ? claims : 'bad signature';
}
