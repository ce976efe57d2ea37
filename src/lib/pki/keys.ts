import {
  createPrivateKey,
  createPublicKey,
  X509Certificate,
  type KeyObject,
  type webcrypto,
} from 'node:crypto';
import { UsageError } from '../errors.js';
import { addSecret } from '../util/redact.js';
import { subtle } from './x509.js';

/** ECDSA P-256: small keys, fast to make and to verify, and what Go's TLS (the engine) prefers. */
const LEAF_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A key pair to certify, with the private key as PKCS#8 PEM for the files. */
export interface LeafKey {
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  keyPem: string;
}

/** A private key that signs certificates, with the signature algorithm that goes with it. */
export interface SigningKey {
  key: webcrypto.CryptoKey;
  algorithm: webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
}

/** A new ECDSA P-256 key for a server or client certificate; its PEM is registered as a secret. */
export async function generateLeafKey(): Promise<LeafKey> {
  const pair = await subtle.generateKey(LEAF_KEY_ALGORITHM, true, ['sign', 'verify']);
  const der = Buffer.from(await subtle.exportKey('pkcs8', pair.privateKey));
  const keyPem = toPem('PRIVATE KEY', der);
  addSecret(keyPem);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, keyPem };
}

const EC_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const EC_HASH: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/**
 * Imports a CA key in any PEM form OpenSSL writes (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE
 * KEY"), because a CA given in `controlPlane.ca` may be an older RSA one. Certificates it signs use
 * ECDSA with the curve's hash, or RSA PKCS#1 v1.5 with SHA-256.
 */
export async function importSigningKey(keyPem: string, what: string): Promise<SigningKey> {
  addSecret(keyPem);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(keyPem);
  } catch (error) {
    throw new UsageError(`${what} is not a PEM private key (${(error as Error).message})`, {
      code: 'ECA_KEY',
    });
  }
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = EC_CURVES[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new UsageError(`${what}: unsupported elliptic curve`, { code: 'ECA_KEY' });
    const key = await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
    return { key, algorithm: { name: 'ECDSA', hash: EC_HASH[curve]! } };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await subtle.importKey('pkcs8', der, algorithm, false, ['sign']), algorithm };
  }
  throw new UsageError(`${what}: a ${keyObject.asymmetricKeyType} key cannot sign certificates here`, {
    code: 'ECA_KEY',
    suggestions: ['Use an ECDSA (P-256/P-384) or RSA CA key.'],
  });
}

/** Whether the private key is the one the certificate certifies (their public keys are the same). */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** DER bytes as PEM with 64-column lines. */
export function toPem(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
