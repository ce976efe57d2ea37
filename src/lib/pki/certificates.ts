import { randomBytes } from 'node:crypto';
import { generateLeafKey, importSigningKey, type LeafKey, type SigningKey } from './keys.js';
import { x509 } from './x509.js';

/** The cluster CA lives ten years: replacing it means new client bundles for everyone. */
export const CA_VALIDITY_DAYS = 3650;
/** Server and client certificates live a year; install renews server certificates in their last 30 days. */
export const LEAF_VALIDITY_DAYS = 365;
/** A certificate with fewer days left is due: status flags it, install renews it (server certificates). */
export const RENEW_BEFORE_DAYS = 30;
/** Certificates start a little in the past, so a host whose clock runs behind still accepts them. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  certPem: string;
  keyPem: string;
}

/** The names a server certificate is valid for (its subject alternative names). */
export interface ServerNames {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** A positive 127-bit serial: random, as RFC 5280 advises, so two certificates never share one. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + days * DAY_MS),
  };
}

/**
 * A new self-signed cluster CA (ECDSA P-256): basicConstraints CA with path length 0 (it signs only
 * server and client certificates) and keyCertSign + cRLSign, both critical.
 */
export async function createCa(cluster: string, now = new Date()): Promise<CertifiedKey> {
  const key = await generateLeafKey();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [`eectl ${cluster} CA`] }, { O: ['eectl'] }],
    ...validity(now, CA_VALIDITY_DAYS),
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: key.keyPem };
}

/** Signs a leaf certificate for `key` with the CA. */
async function issue(
  ca: CertifiedKey,
  signer: SigningKey,
  key: LeafKey,
  subject: string,
  purpose: x509.ExtendedKeyUsage | undefined,
  extra: x509.Extension[],
  now: Date,
): Promise<x509.X509Certificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  return x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [subject] }],
    issuer: caCert.subjectName,
    ...validity(now, LEAF_VALIDITY_DAYS),
    publicKey: key.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // ECDSA keys only sign the TLS handshake: digitalSignature is the one usage they need.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...(purpose === undefined ? [] : [new x509.ExtendedKeyUsageExtension([purpose])]),
      await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      ...extra,
    ],
  });
}

/** A server certificate for a manager's engine API: serverAuth, valid for `names`. */
export async function issueServerCert(
  ca: CertifiedKey,
  names: ServerNames,
  now = new Date(),
): Promise<CertifiedKey> {
  const signer = await importSigningKey(ca.keyPem, 'the cluster CA key');
  const key = await generateLeafKey();
  const san = new x509.SubjectAlternativeNameExtension([
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ]);
  const cert = await issue(ca, signer, key, names.commonName, x509.ExtendedKeyUsage.serverAuth, [san], now);
  return { certPem: cert.toString('pem'), keyPem: key.keyPem };
}

/** A client certificate for the engine API (a client bundle): clientAuth, CN = the user. */
export async function issueClientCert(
  ca: CertifiedKey,
  user: string,
  now = new Date(),
): Promise<CertifiedKey> {
  const signer = await importSigningKey(ca.keyPem, 'the cluster CA key');
  const key = await generateLeafKey();
  const cert = await issue(ca, signer, key, user, x509.ExtendedKeyUsage.clientAuth, [], now);
  return { certPem: cert.toString('pem'), keyPem: key.keyPem };
}

/**
 * The registry's token-signing certificate: a P-256 key that signs registry tokens (digitalSignature, no
 * TLS purpose). The registry trusts this certificate alone (auth.token.rootcertbundle), not the CA.
 */
export async function issueTokenSigningCert(
  ca: CertifiedKey,
  cluster: string,
  now = new Date(),
): Promise<CertifiedKey> {
  const signer = await importSigningKey(ca.keyPem, 'the cluster CA key');
  const key = await generateLeafKey();
  const cert = await issue(ca, signer, key, `eectl ${cluster} registry token signer`, undefined, [], now);
  return { certPem: cert.toString('pem'), keyPem: key.keyPem };
}
