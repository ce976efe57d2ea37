import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EectlError, ExitCode, UsageError } from '../errors.js';
import { addSecret } from '../util/redact.js';
import { writeFileAtomically } from '../util/exclusive-file.js';
import type { CertifiedKey } from './certificates.js';
import { summarizeCertificate } from './inspect.js';
import { keyMatchesCert } from './keys.js';
import { CA_CERT_FILE, CA_KEY_FILE, localNextPkiDir, localPkiDir } from './paths.js';

/** A CA certificate found somewhere (a manager, this machine, the file), with its key when read. */
export interface CaCandidate {
  /** Where it was found, for messages: "10.0.0.11:/etc/eectl/pki/ca.pem", "~/.eectl/prod/pki". */
  where: string;
  certPem: string;
  keyPem?: string | undefined;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** This machine's copy of the cluster CA, or undefined when there is none (the key may be missing). */
export async function readLocalCa(
  cluster: string,
  dir = localPkiDir(cluster),
): Promise<CaCandidate | undefined> {
  const certPem = await readIfExists(join(dir, CA_CERT_FILE));
  if (certPem === undefined) return undefined;
  const keyPem = await readIfExists(join(dir, CA_KEY_FILE));
  addSecret(keyPem);
  return { where: dir, certPem, keyPem };
}

/**
 * Saves the cluster CA on this machine: directory 0700, key 0600, each file written to a temporary name
 * and renamed, key first, so a reader never sees a certificate without its key.
 */
export async function writeLocalCa(
  cluster: string,
  ca: CertifiedKey,
  dir = localPkiDir(cluster),
): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeAtomically(join(dir, CA_KEY_FILE), ca.keyPem, 0o600);
  await writeAtomically(join(dir, CA_CERT_FILE), ca.certPem, 0o644);
  return dir;
}

/** This machine's copy of the new cluster CA during a rotation's overlap (`certs rotate --cluster-ca`). */
export const readLocalNextCa = (cluster: string) => readLocalCa(cluster, localNextPkiDir(cluster));

/** Writes a file through a temporary sibling and a rename, with its mode set before any content. */
export async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  await writeFileAtomically(path, content, mode);
}

/** The CA given in `controlPlane.ca`: both files must exist, the key must match and the certificate be a CA. */
export async function readGivenCa(paths: { certPath: string; keyPath: string }): Promise<CaCandidate> {
  const certPem = await readIfExists(paths.certPath);
  const keyPem = await readIfExists(paths.keyPath);
  addSecret(keyPem);
  const where = `controlPlane.ca (${paths.certPath})`;
  const missing = [certPem === undefined ? paths.certPath : '', keyPem === undefined ? paths.keyPath : ''];
  if (certPem === undefined || keyPem === undefined) {
    throw new UsageError(`controlPlane.ca: cannot read ${missing.filter(Boolean).join(' and ')}`, {
      code: 'ECA_FILES',
      suggestions: ['Fix the paths in controlPlane.ca (they are relative to the cluster file).'],
    });
  }
  let isCa: boolean;
  try {
    isCa = new X509Certificate(certPem).ca;
  } catch (error) {
    throw new UsageError(`${where}: not a PEM certificate (${(error as Error).message})`, {
      code: 'ECA_FILES',
    });
  }
  if (!isCa)
    throw new UsageError(`${where}: the certificate is not a CA (basicConstraints CA:FALSE)`, {
      code: 'ECA_FILES',
    });
  if (!keyMatchesCert(keyPem, certPem)) {
    throw new UsageError(`controlPlane.ca: ${paths.keyPath} is not the key of ${paths.certPath}`, {
      code: 'ECA_FILES',
    });
  }
  return { where, certPem, keyPem };
}

/**
 * The one CA that every place agrees on. `found` is in order of precedence; the first one wins, but
 * only when every other place holds the same certificate: two different CAs would split the cluster
 * (clients trusted by some managers only), so that is an error naming where each one is.
 */
export function agreeOnCa(found: readonly CaCandidate[]): CaCandidate | undefined {
  const [first] = found;
  if (!first) return undefined;
  const fingerprint = (c: CaCandidate) => summarizeCertificate(c.certPem).fingerprint;
  const chosen = fingerprint(first);
  const others = found.filter((c) => fingerprint(c) !== chosen);
  if (others.length === 0) return first;
  const describe = (c: CaCandidate) => {
    const s = summarizeCertificate(c.certPem);
    return `  ${c.where}: ${s.subject}, SHA-256 ${s.fingerprint.slice(0, 16)}…, from ${s.notBefore.toISOString().slice(0, 10)}`;
  };
  throw new EectlError(
    `different cluster CAs were found; nothing was changed:\n${found.map(describe).join('\n')}`,
    {
      code: 'ECA_MISMATCH',
      kind: 'user',
      exitCode: ExitCode.preflight,
      suggestions: [
        'Keep the CA the managers have: remove the other copy (~/.eectl/<cluster>/pki, or controlPlane.ca from the file).',
        'A cluster CA rotation stopped during its finish leaves this too: run eectl certs rotate --cluster-ca --finish again.',
        'To replace the cluster CA, use eectl certs rotate --cluster-ca (in two steps, with an overlap).',
      ],
    },
  );
}

/** The CA's certificate and key, once both are known and belong together. */
export function completeCa(candidate: CaCandidate): CertifiedKey | undefined {
  if (candidate.keyPem === undefined || !keyMatchesCert(candidate.keyPem, candidate.certPem))
    return undefined;
  return { certPem: candidate.certPem, keyPem: candidate.keyPem };
}
