import { X509Certificate } from 'node:crypto';

/**
 * A CA file may hold several certificates: while the cluster CA is rotated (`certs rotate --cluster-ca`)
 * every place that trusts it holds the old and the new one, and a certificate is good when it chains to
 * either. Every reader of a CA file goes through here, so none of them stops at the first PEM block.
 */
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Each PEM certificate of the text, in order, as its own PEM string (BEGIN to END, as eectl writes one). */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => m[0]);
}

/** Every certificate of a CA file; throws when there is none or one cannot be read (say which). */
export function parseTrustBundle(text: string): X509Certificate[] {
  const blocks = pemCertificates(text);
  if (blocks.length === 0) throw new Error('no PEM certificate in it');
  return blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new Error(`certificate ${i + 1} of ${blocks.length}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
}

/** The CA of `cas` that issued and signed `cert`, or undefined when none did. */
export function issuerIn(
  cert: X509Certificate,
  cas: readonly X509Certificate[],
): X509Certificate | undefined {
  return cas.find((ca) => {
    try {
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

/** One CA file that trusts each of these CAs (PEM), duplicates dropped, in the order given. */
export function trustBundle(cas: readonly string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of cas.flatMap(pemCertificates)) {
    const fp = new X509Certificate(pem).fingerprint256;
    if (seen.has(fp)) continue;
    seen.add(fp);
    out.push(pem);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The first certificate of a CA file (the one that signs, by eectl's convention); a file of one
 * certificate (or none) is returned as it is, byte for byte, as callers compare it with other copies.
 */
export function firstCertificate(text: string): string {
  const blocks = pemCertificates(text);
  return blocks.length > 1 ? blocks[0]! : text;
}
