import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterDir } from '../util/log.js';
import { writeFileAtomically } from '../util/exclusive-file.js';
import { daysLeft, isDue, summarizeCertificate } from './inspect.js';
import type { CertExpiry } from './expiry.js';
import { X509Certificate } from 'node:crypto';

/**
 * What this machine remembers of a client bundle it issued: no key, only what says when it ends and which
 * CA signed it, so `certs status` can list it and a new cluster CA can name the bundles to issue again.
 */
export interface IssuedBundle {
  user: string;
  dir: string;
  serial: string;
  notAfter: string;
  issuedAt: string;
  /** SHA-256 of the CA certificate that signed it (lowercase hex, no colons). */
  caFingerprint: string;
}

/** `~/.eectl/<cluster>/issued-bundles.json`: one record per bundle directory, the newest issue kept. */
export function issuedBundlesFile(cluster: string): string {
  return join(clusterDir(cluster), 'issued-bundles.json');
}

/** The records, or none when the file is missing; a damaged file is an error that names it. */
export async function readIssuedBundles(cluster: string): Promise<IssuedBundle[]> {
  const path = issuedBundlesFile(cluster);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const parsed = JSON.parse(text) as { bundles?: IssuedBundle[] };
    return Array.isArray(parsed.bundles) ? parsed.bundles : [];
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); remove it to start a new record`, {
      cause: e,
    });
  }
}

/** The record of a bundle just written: replaces an earlier one for the same directory. */
export function bundleRecord(
  user: string,
  dir: string,
  certPem: string,
  caPem: string,
  now = new Date(),
): IssuedBundle {
  const cert = new X509Certificate(certPem);
  return {
    user,
    dir,
    serial: cert.serialNumber.toLowerCase(),
    notAfter: new Date(cert.validTo).toISOString(),
    issuedAt: now.toISOString(),
    caFingerprint: summarizeCertificate(caPem).fingerprint,
  };
}

/** Adds a record (0600, written atomically; the cluster's directory made 0700 when new). */
export async function recordIssuedBundle(cluster: string, record: IssuedBundle): Promise<void> {
  const kept = (await readIssuedBundles(cluster)).filter((b) => b.dir !== record.dir);
  await mkdir(clusterDir(cluster), { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify({ bundles: [...kept, record] }, null, 2)}\n`;
  await writeFileAtomically(issuedBundlesFile(cluster), text, 0o600);
}

/** A recorded bundle as a row of the expiry table (from the record: the bundle itself may have moved). */
export function bundleExpiry(b: IssuedBundle, now = new Date()): CertExpiry {
  const notAfter = new Date(b.notAfter);
  return {
    kind: 'client-bundle',
    owner: b.user,
    where: b.dir,
    subject: `CN=${b.user}`,
    serial: b.serial,
    notAfter: b.notAfter,
    daysLeft: daysLeft(notAfter, now),
    due: isDue(notAfter, now),
  };
}

/**
 * The recorded bundles the cluster CA did not sign (issued before the cluster got another CA): their
 * certificates no longer get in, so each must be issued again with `eectl client-config`.
 */
export function bundlesToReissue(records: readonly IssuedBundle[], caPem: string): IssuedBundle[] {
  const current = summarizeCertificate(caPem).fingerprint;
  return records.filter((b) => b.caFingerprint !== current);
}
