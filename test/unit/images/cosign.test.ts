import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCosignPrivateKey, parseCosignPublicKey } from '../../../src/lib/images/cosign-key.js';
import { sha256Digest } from '../../../src/lib/images/registry-client.js';
import { buildSignatureManifest, type Descriptor } from '../../../src/lib/images/signatures.js';
import {
  checkSignature,
  SIGNATURE_ANNOTATION,
  signaturePayload,
  signPayload,
} from '../../../src/lib/images/simple-signing.js';

// Made by the real cosign 2.5.0; test/fixtures/cosign/README.md has the commands.
const dir = join(import.meta.dirname, '../../fixtures/cosign');
const fixture = (name: string): string => readFileSync(join(dir, name), 'utf8');
const DIGEST = 'sha256:fc0ab4bb4da01470160d6aeba961c1a2ff46cf15ce2badc1a80c22970c1f8875';
const REPOSITORY = '127.0.0.1:5999/demo/busybox';

const cosignManifest = JSON.parse(fixture('signature-manifest.json')) as { layers: Descriptor[] };
const cosignLayer = cosignManifest.layers[0]!;
const cosignSignature = cosignLayer.annotations![SIGNATURE_ANNOTATION]!;
const payload = Buffer.from(fixture('payload.json'));
const trusted = [parseCosignPublicKey(fixture('cosign.pub'), 'cosign.pub')];
const other = [parseCosignPublicKey(fixture('other.pub'), 'other.pub')];

describe('cosign signatures', () => {
  it('builds the payload byte for byte as cosign does', () => {
    expect(signaturePayload(REPOSITORY, DIGEST).equals(payload)).toBe(true);
    expect(sha256Digest(payload)).toBe(cosignLayer.digest);
  });

  it("builds the signature image's config and manifest byte for byte as cosign does", () => {
    const built = buildSignatureManifest([cosignLayer]);
    expect(built.config.toString()).toBe(fixture('config.json'));
    expect(built.manifest.toString()).toBe(fixture('signature-manifest.json'));
  });

  it("accepts cosign's signature with cosign's public key", () => {
    expect(checkSignature(payload, cosignSignature, DIGEST, trusted)).toEqual({
      valid: true,
      key: 'cosign.pub',
    });
  });

  it('rejects it with another key, for another digest, or with a changed payload', () => {
    expect(checkSignature(payload, cosignSignature, DIGEST, other)).toEqual({
      valid: false,
      reason: 'signed by none of the trusted keys',
    });
    const otherDigest = `sha256:${'0'.repeat(64)}`;
    expect(checkSignature(payload, cosignSignature, otherDigest, trusted)).toMatchObject({ valid: false });
    const tampered = Buffer.from(payload.toString().replace('demo/busybox', 'demo/evil'));
    expect(checkSignature(tampered, cosignSignature, DIGEST, trusted)).toMatchObject({
      valid: false,
      reason: 'signed by none of the trusted keys',
    });
    expect(checkSignature(Buffer.from('{}'), cosignSignature, DIGEST, trusted)).toMatchObject({
      reason: 'the payload is not a cosign signature',
    });
  });

  it("opens cosign's encrypted private key with its password, and its signatures verify with the .pub", () => {
    const key = openCosignPrivateKey(fixture('cosign.key'), 'fixture-pass', 'cosign.key');
    const publicPem = createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
    expect(publicPem.trim()).toBe(fixture('cosign.pub').trim());
    const ours = signPayload(signaturePayload(REPOSITORY, DIGEST), key);
    expect(checkSignature(payload, ours, DIGEST, trusted)).toMatchObject({ valid: true });
  });

  it('refuses a wrong password without naming it', () => {
    let message = '';
    try {
      openCosignPrivateKey(fixture('cosign.key'), 'not-it', 'cosign.key');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^cosign.key: wrong password/);
    expect(message).not.toContain('not-it');
  });

  it('refuses keys that are not ECDSA P-256 PEM', () => {
    expect(() => parseCosignPublicKey('hello', 'k.pub')).toThrow(/k.pub: not a PEM public key/);
    const rsa = `-----BEGIN PUBLIC KEY-----
MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAM8bgx7YDHWKUwxLKHALLdXDFfBnAUCq
3vw2r6XyAYmDMlwZBm5t2jWc3+dNCYd+WQp0xz10M+kbvNyKThnKm3kCAwEAAQ==
-----END PUBLIC KEY-----`;
    expect(() => parseCosignPublicKey(rsa, 'rsa.pub')).toThrow(/not an ECDSA P-256 key/);
  });
});
