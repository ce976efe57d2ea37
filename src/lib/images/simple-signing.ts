import { sign as signBytes, verify as verifyBytes, type KeyObject } from 'node:crypto';
import type { TrustedKey } from './cosign-key.js';

/**
 * cosign's signature payload (the "simple signing" format of its signature spec): a JSON document that
 * names the image digest, signed as bytes with ECDSA P-256 / SHA-256, the signature DER-encoded and
 * base64'd into the layer annotation `dev.cosignproject.cosign/signature`.
 */

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const SIGNATURE_TYPE = 'cosign container image signature';

/** The payload for `digest` of the repository `dockerReference`, byte for byte as cosign writes it. */
export function signaturePayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: SIGNATURE_TYPE,
      },
      optional: null,
    }),
  );
}

/** The base64 DER signature of a payload. */
export function signPayload(payload: Buffer, key: KeyObject): string {
  return signBytes('sha256', payload, key).toString('base64');
}

/** Why one signature does or does not vouch for a digest. */
export type SignatureCheck = { valid: true; key: string } | { valid: false; reason: string };

/**
 * Whether `signature` over `payload` is by one of `keys` and the payload claims `digest` (the digest is
 * what counts: a signature made for another image, or a payload that is not cosign's, vouches for nothing).
 */
export function checkSignature(
  payload: Buffer,
  signature: string,
  digest: string,
  keys: readonly TrustedKey[],
): SignatureCheck {
  let claimed: unknown;
  try {
    claimed = JSON.parse(payload.toString('utf8'));
  } catch {
    return { valid: false, reason: 'the payload is not JSON' };
  }
  const critical = (claimed as { critical?: { type?: unknown; image?: Record<string, unknown> } })?.critical;
  if (critical?.type !== SIGNATURE_TYPE)
    return { valid: false, reason: 'the payload is not a cosign signature' };
  const claimedDigest = critical.image?.['docker-manifest-digest'];
  if (claimedDigest !== digest) {
    return { valid: false, reason: `the payload signs ${String(claimedDigest)}, not ${digest}` };
  }
  const der = Buffer.from(signature, 'base64');
  for (const trusted of keys) {
    if (verifyBytes('sha256', payload, trusted.key, der)) return { valid: true, key: trusted.name };
  }
  return { valid: false, reason: 'signed by none of the trusted keys' };
}
