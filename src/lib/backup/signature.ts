import {
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { CA_CERT_FILE, localPkiDir } from '../pki/paths.js';
import type { Logger } from '../util/log.js';
import { addSecret } from '../util/redact.js';
import { MANIFEST_ENTRY, SIGNATURE_ENTRY } from './manifest.js';

export { SIGNATURE_ENTRY };

/**
 * Who wrote an archive. age encrypts to a public key, so anyone who has the recipient's public key can
 * write an archive that decrypts and whose checksums hold: encryption alone says nothing about the writer.
 * So `eectl backup` signs the manifest with the cluster CA's private key, and `backup verify` and `restore`
 * check that signature against a CA certificate the operator holds — this machine's copy of the cluster's
 * CA (`~/.eectl/<cluster>/pki/ca.pem`, or controlPlane.ca of the file), or `--trust FILE` — never against
 * anything in the archive (which holds a copy of the CA: a forger would put in their own). The manifest
 * lists every entry with its SHA-256 and the reader checks every entry against it, so the signature covers
 * the whole content.
 */

/** The format of the signature entry; a reader refuses a newer one. */
export const SIGNATURE_FORMAT = 1;
/**
 * What is signed: this line, then manifest.json's bytes exactly as stored. The line keeps the CA key's
 * signature of a manifest from ever being read as a signature of something else, and the other way round.
 */
export const SIGNED_PREFIX = 'eectl backup manifest v1\n';

/** The algorithms a CA key signs with: ECDSA with its curve's hash, RSA PKCS#1 v1.5 with SHA-256, Ed25519. */
export type SignatureAlgorithm =
  'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ecdsa-p521-sha512' | 'rsa-pkcs1-sha256' | 'ed25519';

/** `manifest.sig`, JSON. */
export interface ManifestSignature {
  format: number;
  /** The entry the signature is of (always manifest.json). */
  signed: string;
  algorithm: SignatureAlgorithm;
  /** The signing CA certificate, as the writer says: for messages only, never trusted. */
  signer: { fingerprint: string; subject: string };
  /** Base64 of the signature of SIGNED_PREFIX + manifest.json (ECDSA: DER, as OpenSSL writes it). */
  signature: string;
}

/** The CA a backup signs with: its certificate and private key (PEM), and where they were found. */
export interface ManifestSigner {
  certPem: string;
  keyPem: string;
  where: string;
}

/** A CA certificate the operator holds, that an archive's signature is checked against. */
export interface TrustAnchor {
  certPem: string;
  /** Where it came from, for messages: "--trust ca.pem", "~/.eectl/prod/pki/ca.pem". */
  where: string;
  /** SHA-256 of the certificate (hex, lower case), as eectl shows certificates elsewhere. */
  fingerprint: string;
  subject: string;
}

/** How an archive's signature is checked (from the command's flags and the cluster file). */
export interface TrustPolicy {
  anchor: TrustAnchor | undefined;
  /** --accept-unsigned: an unsigned or unverifiable archive is used all the same, with a warning. */
  acceptUnsigned: boolean;
  /** Why there is no anchor (when there is none), for the message. */
  noAnchor?: string;
}

/** What the signature check found, as `backup verify` and `restore` report it (--json). */
export type ArchiveSignature =
  | { verified: true; signer: string; anchor: string }
  /** Used under --accept-unsigned: why it could not be verified. */
  | { verified: false; problem: string };

const fingerprintOf = (cert: X509Certificate): string => cert.fingerprint256.replace(/:/g, '').toLowerCase();
/** Text from an archive, fit for a message: no control characters, not too long. */
// eslint-disable-next-line no-control-regex
const printable = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200);
const short = (fingerprint: string): string => `SHA-256 ${printable(fingerprint.slice(0, 16))}…`;

const EC_ALGORITHMS: Record<string, { algorithm: SignatureAlgorithm; hash: string }> = {
  prime256v1: { algorithm: 'ecdsa-p256-sha256', hash: 'sha256' },
  secp384r1: { algorithm: 'ecdsa-p384-sha384', hash: 'sha384' },
  secp521r1: { algorithm: 'ecdsa-p521-sha512', hash: 'sha512' },
};

/** The algorithm a key signs manifests with (the hash for crypto.sign; null for Ed25519), or undefined. */
function algorithmFor(key: KeyObject): { algorithm: SignatureAlgorithm; hash: string | null } | undefined {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
    case 'rsa':
      return { algorithm: 'rsa-pkcs1-sha256', hash: 'sha256' };
    case 'ed25519':
      return { algorithm: 'ed25519', hash: null };
    default:
      return undefined;
  }
}

/** The bytes a signature is of: SIGNED_PREFIX, then the manifest as stored. */
export function signedBytes(manifest: Buffer): Buffer {
  return Buffer.concat([Buffer.from(SIGNED_PREFIX, 'utf8'), manifest]);
}

/** `manifest.sig` for these manifest bytes, signed with the CA's key (node:crypto). */
export function signManifest(manifest: Buffer, signer: Pick<ManifestSigner, 'certPem' | 'keyPem'>): Buffer {
  addSecret(signer.keyPem);
  const key = createPrivateKey(signer.keyPem);
  const cert = new X509Certificate(signer.certPem);
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey)))
    throw new Error('the signing key is not the key of the CA certificate');
  const how = algorithmFor(key);
  if (!how) {
    throw new UsageError(`a ${key.asymmetricKeyType} CA key cannot sign a backup manifest`, {
      code: 'EBACKUP_SIGNING_KEY',
      suggestions: ['Use an ECDSA (P-256, P-384, P-521), RSA or Ed25519 CA key.'],
    });
  }
  const body: ManifestSignature = {
    format: SIGNATURE_FORMAT,
    signed: MANIFEST_ENTRY,
    algorithm: how.algorithm,
    signer: { fingerprint: fingerprintOf(cert), subject: cert.subject.replace(/\n/g, ', ') },
    signature: sign(how.hash, signedBytes(manifest), key).toString('base64'),
  };
  return Buffer.from(`${JSON.stringify(body, null, 2)}\n`);
}

/** A trust anchor from a CA certificate's PEM; refuses what is no certificate, or no CA's. */
export function trustAnchor(certPem: string, where: string): TrustAnchor {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw new UsageError(`${where}: not a PEM certificate (${(error as Error).message})`, {
      code: 'EBACKUP_TRUST',
      suggestions: [
        "Pass the cluster CA's certificate: ca.pem of a client bundle, or ~/.eectl/<cluster>/pki/ca.pem.",
      ],
    });
  }
  if (!cert.ca) {
    throw new UsageError(`${where}: the certificate is not a CA's (${cert.subject.replace(/\n/g, ', ')})`, {
      code: 'EBACKUP_TRUST',
      suggestions: [
        'Pass ca.pem of the client bundle, not its cert.pem: the CA certificate signs the archives.',
      ],
    });
  }
  return { certPem, where, fingerprint: fingerprintOf(cert), subject: cert.subject.replace(/\n/g, ', ') };
}

/** `--trust FILE`: a CA certificate the operator holds. */
export async function trustAnchorFromFile(path: string): Promise<TrustAnchor> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--trust ${path}: ${(error as Error).message}`, { code: 'EBACKUP_TRUST' });
  }
  return trustAnchor(pem, `--trust ${path}`);
}

/**
 * The cluster's own CA certificate on this machine: controlPlane.ca's certificate when the file names one,
 * else `~/.eectl/<cluster>/pki/ca.pem` (saved by install). Undefined when there is none: a cluster file
 * this machine never installed, such as a new site a backup is restored onto.
 */
export async function clusterTrustAnchor(config: ClusterConfig): Promise<TrustAnchor | undefined> {
  const given = config.spec.controlPlane.ca;
  const path = given ? given.certPath : join(localPkiDir(config.metadata.name), CA_CERT_FILE);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return trustAnchor(pem, given ? `controlPlane.ca (${path})` : path);
}

/** The reason there is no anchor for a cluster file, naming the file eectl looked for. */
export function noClusterAnchor(config: ClusterConfig): string {
  const given = config.spec.controlPlane.ca;
  const path = given ? given.certPath : join(localPkiDir(config.metadata.name), CA_CERT_FILE);
  return `cluster ${config.metadata.name} has no CA certificate on this machine (${path} does not exist)`;
}

const TRUST_SUGGESTION =
  'Pass --trust FILE with the CA certificate of the cluster the backup was taken from: ca.pem of a client bundle issued before the backup (`eectl client-config`), or ~/.eectl/<that cluster>/pki/ca.pem of the machine that took it. Never a ca.pem from the archive: whoever wrote the archive chose that one.';
const ACCEPT_SUGGESTION =
  "Or pass --accept-unsigned to go on without knowing who wrote the archive (anyone with the age recipient's public key can write one).";

/**
 * Before the archive is read: with no anchor and no --accept-unsigned there is nothing to check a
 * signature against, so the command stops here (exit 2), before decrypting anything or reaching a host.
 */
export function requireTrust(path: string, policy: TrustPolicy): void {
  if (policy.anchor || policy.acceptUnsigned) return;
  throw new UsageError(
    `${path}: nothing to check the archive's signature against: ${policy.noAnchor ?? 'no trust anchor'}. Pass --trust with the CA certificate of the cluster the backup was taken from (the old cluster's ca.pem, from a client bundle), or --accept-unsigned; nothing was changed`,
    { code: 'EBACKUP_SIGNATURE', suggestions: [TRUST_SUGGESTION, ACCEPT_SUGGESTION] },
  );
}

/** Why a signature does not hold against the anchor, or undefined when it does. */
export function signatureProblem(
  manifest: Buffer,
  signature: Buffer | undefined,
  anchor: TrustAnchor,
): { kind: 'unsigned' | 'malformed' | 'other-ca' | 'invalid'; problem: string } | undefined {
  if (signature === undefined)
    return { kind: 'unsigned', problem: `the archive is not signed (it has no ${SIGNATURE_ENTRY})` };
  let body: Partial<ManifestSignature>;
  try {
    body = JSON.parse(signature.toString('utf8')) as Partial<ManifestSignature>;
  } catch (error) {
    return { kind: 'malformed', problem: `${SIGNATURE_ENTRY} is not JSON (${(error as Error).message})` };
  }
  if (typeof body !== 'object' || body === null || typeof body.signature !== 'string')
    return { kind: 'malformed', problem: `${SIGNATURE_ENTRY} holds no signature` };
  if (typeof body.format !== 'number' || body.format > SIGNATURE_FORMAT)
    return {
      kind: 'malformed',
      problem: `${SIGNATURE_ENTRY} is of format ${String(body.format)}, newer than this eectl reads (${SIGNATURE_FORMAT}): upgrade eectl`,
    };
  if (body.signed !== MANIFEST_ENTRY)
    return { kind: 'malformed', problem: `${SIGNATURE_ENTRY} is not a signature of ${MANIFEST_ENTRY}` };
  // The algorithm is the anchor's, never the one the archive names.
  const cert = new X509Certificate(anchor.certPem);
  const how = algorithmFor(cert.publicKey);
  const claimed = typeof body.signer?.fingerprint === 'string' ? body.signer.fingerprint.toLowerCase() : '';
  let valid = false;
  if (how && body.algorithm === how.algorithm) {
    try {
      valid = verify(how.hash, signedBytes(manifest), cert.publicKey, Buffer.from(body.signature, 'base64'));
    } catch {
      valid = false;
    }
  }
  if (valid) return undefined;
  if (claimed !== anchor.fingerprint) {
    const subject = typeof body.signer?.subject === 'string' ? ` "${printable(body.signer.subject)}"` : '';
    return {
      kind: 'other-ca',
      problem: `the archive is signed by another CA (${claimed ? short(claimed) : 'unnamed'}${subject}), not by ${anchor.where} (${short(anchor.fingerprint)})`,
    };
  }
  return {
    kind: 'invalid',
    problem: `the manifest's signature does not verify against ${anchor.where} (${short(anchor.fingerprint)}): ${MANIFEST_ENTRY} was changed after it was signed, or the signature was made up`,
  };
}

/**
 * The signature check of an archive read whole: verified against the anchor, or refused (exit 2,
 * EBACKUP_SIGNATURE) — unless --accept-unsigned, which goes on with a warning that says why.
 */
export function checkArchiveSignature(
  path: string,
  raw: { manifest: Buffer; signature: Buffer | undefined },
  policy: TrustPolicy,
  log: Pick<Logger, 'warn'>,
): ArchiveSignature {
  const found = policy.anchor
    ? signatureProblem(raw.manifest, raw.signature, policy.anchor)
    : {
        kind: 'no-anchor' as const,
        problem: `its signature was not checked: ${policy.noAnchor ?? 'no trust anchor'}`,
      };
  if (!found) return { verified: true, signer: policy.anchor!.fingerprint, anchor: policy.anchor!.where };
  if (policy.acceptUnsigned) {
    log.warn(
      `${path}: ${found.problem}; going on as --accept-unsigned asks: nothing says who wrote this archive`,
    );
    return { verified: false, problem: found.problem };
  }
  const todo =
    found.kind === 'unsigned'
      ? 'If you know where it comes from (an eectl from before signed archives), pass --accept-unsigned'
      : found.kind === 'other-ca'
        ? 'Pass --trust with the ca.pem of the cluster the backup was taken from (from a client bundle), or --accept-unsigned'
        : 'Use another copy, or pass --accept-unsigned';
  const suggestions =
    found.kind === 'other-ca'
      ? [
          "If it is a backup of another cluster (a restore onto a new cluster file), pass --trust with that cluster's ca.pem (from a client bundle issued before the backup).",
          ACCEPT_SUGGESTION,
        ]
      : found.kind === 'unsigned'
        ? [
            'eectl signs every archive it writes; an archive of an eectl from before signing is unsigned. If you know where this one comes from, pass --accept-unsigned.',
          ]
        : [
            'Use another copy of the archive; `eectl backup verify FILE` checks one without changing anything.',
            ACCEPT_SUGGESTION,
          ];
  throw new UsageError(`${path}: ${found.problem}; the archive is refused, nothing was changed. ${todo}`, {
    code: 'EBACKUP_SIGNATURE',
    suggestions,
  });
}
