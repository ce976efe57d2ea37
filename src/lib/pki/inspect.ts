import { X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import { RENEW_BEFORE_DAYS, type ServerNames } from './certificates.js';
import { issuerIn, parseTrustBundle } from './trust-bundle.js';
import { x509 } from './x509.js';

const DAY_MS = 86_400_000;

/** What eectl decides on about a certificate. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER, colon-free lowercase hex: two certificates are the same exactly when this is. */
  fingerprint: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** Reads a PEM certificate; throws on anything else. */
export function summarizeCertificate(pem: string): CertificateSummary {
  const node = new NodeX509(pem);
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprint: node.fingerprint256.replace(/:/g, '').toLowerCase(),
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => n.value),
  };
}

/** Whether two PEM texts hold the same certificate (whitespace and line length aside). */
export function sameCertificate(a: string, b: string): boolean {
  try {
    return new NodeX509(a).fingerprint256 === new NodeX509(b).fingerprint256;
  } catch {
    return false;
  }
}

/** Whether a CA of the CA file (one, or a trust bundle of several) signed the certificate (issuer and signature checked). */
export function signedBy(certPem: string, caPem: string): boolean {
  try {
    return issuerIn(new NodeX509(certPem), parseTrustBundle(caPem)) !== undefined;
  } catch {
    return false;
  }
}

/** Whole days until the certificate expires (negative once it has). */
export function daysLeft(notAfter: Date, now = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** Whether a certificate is in its last RENEW_BEFORE_DAYS (or expired). */
export function isDue(notAfter: Date, now = new Date()): boolean {
  return notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS;
}

/**
 * The names a manager's API certificate must cover: its hostname, every address it has or is known by,
 * the loopback (so `docker -H tcp://127.0.0.1:2376` works on the host itself) and `controlPlane.san`.
 * Sorted and deduplicated, so the same host gives the same names on every run.
 */
export function serverNames(
  hostname: string,
  addresses: readonly string[],
  san: readonly string[],
): ServerNames {
  const all = [hostname, 'localhost', '127.0.0.1', ...addresses, ...san].filter((n) => n !== '');
  const unique = [...new Set(all.map((n) => (isIP(n) ? n : n.toLowerCase())))].sort();
  return {
    commonName: hostname || addresses[0] || 'localhost',
    dnsNames: unique.filter((n) => isIP(n) === 0),
    ipAddresses: unique.filter((n) => isIP(n) !== 0),
  };
}

/**
 * Why a manager's server certificate must be (re)issued, or undefined when it is fine: missing, not
 * readable, signed by another CA, in its last 30 days, or for other names than the host has now.
 */
export function serverCertificateProblem(
  certPem: string | undefined,
  caPem: string,
  wanted: ServerNames,
  now = new Date(),
): string | undefined {
  if (certPem === undefined) return 'no server certificate yet';
  let cert: CertificateSummary;
  try {
    cert = summarizeCertificate(certPem);
  } catch {
    return 'the server certificate cannot be read';
  }
  if (!signedBy(certPem, caPem)) return 'the server certificate was signed by another CA';
  if (isDue(cert.notAfter, now))
    return `the server certificate expires in ${daysLeft(cert.notAfter, now)} days`;
  const have = new Set([...cert.dnsNames, ...cert.ipAddresses]);
  const want = new Set([...wanted.dnsNames, ...wanted.ipAddresses]);
  const missing = [...want].filter((n) => !have.has(n));
  const extra = [...have].filter((n) => !want.has(n));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `lacks ${missing.join(', ')}` : '',
      extra.length > 0 ? `no longer needs ${extra.join(', ')}` : '',
    ];
    return `the server certificate's names changed (${parts.filter(Boolean).join('; ')})`;
  }
  return undefined;
}
