import { createPublicKey, type KeyObject } from 'node:crypto';

/** Whether a key is ECDSA P-256, the only key type cosign signs with. */
export const isP256 = (key: KeyObject): boolean =>
  key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

/**
 * Reads a PEM public key and checks that it is ECDSA P-256; throws an Error whose message says why not
 * (for the cluster file's load-time check and the signature code alike).
 */
export function p256PublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('not a PEM public key (use the .pub file that cosign generate-key-pair wrote)');
  }
  if (!isP256(key)) throw new Error('not an ECDSA P-256 key (the key type cosign signs with)');
  return key;
}
