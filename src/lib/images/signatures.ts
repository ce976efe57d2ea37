import type { KeyObject } from 'node:crypto';
import { EectlError } from '../errors.js';
import type { TrustedKey } from './cosign-key.js';
import { repositoryName, signatureTag, type ImageReference } from './reference.js';
import { OCI_MANIFEST, sha256Digest, type RegistryClient } from './registry-client.js';
import {
  checkSignature,
  SIGNATURE_ANNOTATION,
  signaturePayload,
  signPayload,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from './simple-signing.js';

/**
 * Signatures as cosign stores them: for the image digest `sha256:<hex>`, an OCI manifest tagged
 * `sha256-<hex>.sig` in the image's repository, one layer per signature (the payload as the blob, the
 * signature in the layer's annotation), and a config blob listing the layers.
 */

/** A blob as a manifest names it. */
export interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
}

interface SignatureManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The digest a reference names: its own, or the one its tag points at now. */
export async function resolveDigest(client: RegistryClient, ref: ImageReference): Promise<string> {
  if (ref.digest) return ref.digest;
  const manifest = await client.manifest(ref.repository, ref.tag ?? 'latest');
  if (!manifest) {
    throw new EectlError(`${repositoryName(ref)}:${ref.tag ?? 'latest'} is not in the registry`, {
      code: 'ENOIMAGE',
      kind: 'user',
      suggestions: ['Push the image first, or name it by the digest it has.'],
    });
  }
  return manifest.digest;
}

/** What verification found for one image. */
export interface Verification {
  digest: string;
  /** The name of the key that vouches for the digest, when one does. */
  signedBy?: string;
  /** Why each signature found did not count; empty with no signature at all. */
  rejected: string[];
  signatures: number;
}

/** Checks every signature stored for `digest` against `keys`. */
export async function verifyDigest(
  client: RegistryClient,
  repository: string,
  digest: string,
  keys: readonly TrustedKey[],
): Promise<Verification> {
  const result: Verification = { digest, rejected: [], signatures: 0 };
  const stored = await client.manifest(repository, signatureTag(digest));
  if (!stored) return result;
  const manifest = JSON.parse(stored.body.toString('utf8')) as SignatureManifest;
  for (const layer of manifest.layers ?? []) {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
    result.signatures++;
    const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (!signature) {
      result.rejected.push(`layer ${layer.digest.slice(0, 19)}: no signature annotation`);
      continue;
    }
    const payload = await client.blob(repository, layer.digest);
    const check = checkSignature(payload, signature, digest, keys);
    if (check.valid) {
      result.signedBy = check.key;
      return result;
    }
    result.rejected.push(`layer ${layer.digest.slice(0, 19)}: ${check.reason}`);
  }
  return result;
}

/**
 * Signs `digest` of `ref`'s repository with `key` and stores the signature next to the image, keeping
 * the signatures already there (as cosign does). Signing the same payload twice adds nothing.
 */
export async function signDigest(
  client: RegistryClient,
  ref: ImageReference,
  digest: string,
  key: KeyObject,
): Promise<{ tag: string; manifestDigest: string; added: boolean }> {
  const tag = signatureTag(digest);
  const payload = signaturePayload(repositoryName(ref), digest);
  const signature = signPayload(payload, key);
  const existing = await client.manifest(ref.repository, tag);
  const layers: Descriptor[] = existing
    ? ((JSON.parse(existing.body.toString('utf8')) as SignatureManifest).layers ?? [])
    : [];
  const payloadDigest = await client.pushBlob(ref.repository, payload);
  // ECDSA signatures differ on every run; one per key and payload is enough.
  const same = layers.find(
    (l) =>
      l.digest === payloadDigest &&
      l.annotations?.[SIGNATURE_ANNOTATION] !== undefined &&
      checkSignature(payload, l.annotations[SIGNATURE_ANNOTATION]!, digest, [{ name: 'k', key }]).valid,
  );
  if (same && existing) return { tag, manifestDigest: existing.digest, added: false };
  layers.push({
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    size: payload.length,
    digest: payloadDigest,
    annotations: { [SIGNATURE_ANNOTATION]: signature },
  });
  const built = buildSignatureManifest(layers);
  await client.pushBlob(ref.repository, built.config);
  const manifestDigest = await client.putManifest(ref.repository, tag, built.manifest, OCI_MANIFEST);
  return { tag, manifestDigest, added: true };
}

/** The config blob and the manifest of a signature image, byte for byte as cosign writes them. */
export function buildSignatureManifest(layers: readonly Descriptor[]): { config: Buffer; manifest: Buffer } {
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const manifest: SignatureManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: config.length,
      digest: sha256Digest(config),
    },
    layers: [...layers],
  };
  return { config, manifest: Buffer.from(JSON.stringify(manifest)) };
}
