import { createPrivateKey, scryptSync, type KeyObject } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { UsageError } from '../errors.js';
import { addSecret } from '../util/redact.js';
import { isP256, p256PublicKey } from '../util/p256-key.js';

/**
 * cosign's key files. The public key is a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), ECDSA P-256. The
 * private key `cosign generate-key-pair` writes is a PEM `ENCRYPTED SIGSTORE PRIVATE KEY` (older:
 * `ENCRYPTED COSIGN PRIVATE KEY`) whose body is JSON: the password through scrypt gives a 32-byte key
 * that opens a NaCl secretbox (XSalsa20-Poly1305) holding the PKCS#8 DER private key.
 */

/** A trusted public key, with where it came from for messages. */
export interface TrustedKey {
  name: string;
  key: KeyObject;
}

/** Parses a cosign public key (PEM); throws a UsageError that says why it is not one. */
export function parseCosignPublicKey(pem: string, name = 'the key'): TrustedKey {
  try {
    return { name, key: p256PublicKey(pem) };
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`, { code: 'ECOSIGN_KEY' });
  }
}

const ENCRYPTED_LABEL = /-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----([\s\S]*?)-----END/;

interface EncryptedKeyFile {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/**
 * Opens a cosign private key with its password (cosign's COSIGN_PASSWORD), or reads a plain PKCS#8 /
 * SEC1 PEM key. A wrong password is a UsageError naming the file, never the password.
 */
export function openCosignPrivateKey(pem: string, password: string, name = 'the key'): KeyObject {
  const match = ENCRYPTED_LABEL.exec(pem);
  if (!match) {
    try {
      const key = createPrivateKey({ key: pem, format: 'pem' });
      assertP256(key, name);
      return key;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${name} is neither a cosign private key nor a PEM private key`, {
        code: 'ECOSIGN_KEY',
      });
    }
  }
  let file: EncryptedKeyFile;
  try {
    file = JSON.parse(
      Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64').toString('utf8'),
    ) as EncryptedKeyFile;
  } catch {
    throw new UsageError(`${name}: the encrypted key's body is not cosign's JSON`, { code: 'ECOSIGN_KEY' });
  }
  if (file.kdf?.name !== 'scrypt' || file.cipher?.name !== 'nacl/secretbox') {
    throw new UsageError(
      `${name}: unsupported key encryption (${file.kdf?.name ?? '?'} / ${file.cipher?.name ?? '?'})`,
      { code: 'ECOSIGN_KEY', suggestions: ['Write the key again with cosign generate-key-pair.'] },
    );
  }
  const { N, r, p } = file.kdf.params;
  const secret = scryptSync(password, Buffer.from(file.kdf.salt, 'base64'), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r,
  });
  let der: Uint8Array;
  try {
    der = xsalsa20poly1305(secret, Buffer.from(file.cipher.nonce, 'base64')).decrypt(
      Buffer.from(file.ciphertext, 'base64'),
    );
  } catch {
    throw new UsageError(`${name}: wrong password (the key did not open)`, {
      code: 'ECOSIGN_PASSWORD',
      suggestions: ['Set COSIGN_PASSWORD to the password the key was written with.'],
    });
  }
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  addSecret(key.export({ format: 'pem', type: 'pkcs8' }).toString());
  assertP256(key, name);
  return key;
}

function assertP256(key: KeyObject, name: string): void {
  if (!isP256(key)) {
    throw new UsageError(`${name} is not an ECDSA P-256 key (cosign's key type)`, {
      code: 'ECOSIGN_KEY',
      suggestions: ['Make a key pair with `cosign generate-key-pair`.'],
    });
  }
}
