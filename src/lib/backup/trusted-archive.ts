import type { Logger } from '../util/log.js';
import { readArchive, type ArchiveCheck, type ArchiveEntry } from './archive-reader.js';
import type { DecryptionKeys } from './keys.js';
import { checkArchiveSignature, requireTrust, type ArchiveSignature, type TrustPolicy } from './signature.js';

/** An archive read whole, every checksum held, and who signed it. */
export interface TrustedArchive extends ArchiveCheck {
  signature: ArchiveSignature;
}

/**
 * How `backup verify` and `restore` read an archive: with no trust anchor (and no --accept-unsigned) they
 * stop before decrypting anything; then the archive is read whole, every entry checked against the
 * manifest, and the manifest's signature against the anchor the operator holds (never the archive's own
 * CA). Refused (exit 2) when the archive is unsigned, signed by another CA or altered, unless
 * --accept-unsigned. `onEntry` is readArchive's: it gets the entries' bytes before the signature is known,
 * so it may only look at them (restore keeps the unlock key in memory), never act on a host.
 */
export async function readTrustedArchive(
  path: string,
  keys: DecryptionKeys,
  policy: TrustPolicy,
  log: Pick<Logger, 'warn'>,
  onEntry?: (entry: ArchiveEntry) => Promise<void>,
): Promise<TrustedArchive> {
  requireTrust(path, policy);
  const { raw, ...check } = await readArchive(path, keys, onEntry);
  return { ...check, signature: checkArchiveSignature(path, raw, policy, log) };
}
