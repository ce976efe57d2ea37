import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { Decrypter } from 'age-encryption';
import tarStream, { type Header } from 'tar-stream';
import { UsageError } from '../errors.js';
import type { DecryptionKeys } from './keys.js';
import {
  attributesDiffer,
  MANIFEST_ENTRY,
  manifestProblems,
  SIGNATURE_ENTRY,
  type Manifest,
} from './manifest.js';

/** One entry as a reader is handed it: its tar header and its bytes, to be consumed before the next. */
export interface ArchiveEntry {
  name: string;
  header: Header;
  stream: Readable;
}

/** What `openArchive` found: the manifest, and whether every checksum held. */
export interface ArchiveCheck {
  manifest: Manifest;
  /** Entries read, with their computed sizes. */
  files: number;
  bytes: number;
}

/** An archive read whole, with what its signature check needs (see signature.ts). */
export interface ArchiveRead extends ArchiveCheck {
  /** manifest.json's bytes exactly as stored, and manifest.sig's when the archive has one. */
  raw: { manifest: Buffer; signature: Buffer | undefined };
}

/**
 * Decrypts and reads an archive to its end, hashing every entry, and checks it against its manifest. age
 * authenticates every 64 KiB chunk and the end of the file, so a wrong key fails before any entry, and a
 * truncated or altered archive fails where the damage is: nothing is trusted until the whole file was read.
 * `onEntry` (restore) gets each entry's bytes as they are decrypted; it must consume the stream. The
 * manifest and its signature (manifest.sig) are not handed on. Who wrote the archive is not checked here:
 * see `readTrustedArchive` (trusted-archive.ts), which `backup verify` and `restore` read through.
 */
export async function readArchive(
  path: string,
  keys: DecryptionKeys,
  onEntry?: (entry: ArchiveEntry) => Promise<void>,
): Promise<ArchiveRead> {
  const decrypter = new Decrypter();
  if ('passphrase' in keys) decrypter.addPassphrase(keys.passphrase);
  else for (const id of keys.identities) decrypter.addIdentity(id);
  const file = createReadStream(path);
  let plaintext: ReadableStream<Uint8Array>;
  try {
    plaintext = await decrypter.decrypt(Readable.toWeb(file) as ReadableStream<Uint8Array>);
  } catch (error) {
    file.destroy();
    throw decryptError(path, keys, error);
  }
  const sums = new Map<string, { sha256: string; size: number; header: EntryHeader }>();
  const directories = new Map<string, EntryHeader>();
  let manifestBytes: Buffer | undefined;
  let signatureBytes: Buffer | undefined;
  const extract = tarStream.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.on('entry', (header, stream, next) => {
    const refusal = entryRefusal(header);
    if (refusal) {
      // Ends the read here: nothing of this entry, or of any after it, is handed on. (The entry's stream is
      // destroyed with the error too; the read's own promise reports it.)
      stream.on('error', () => undefined);
      extract.destroy(refusedEntryError(path, header.name, refusal));
      return;
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    const isManifest = header.name === MANIFEST_ENTRY;
    const isSignature = header.name === SIGNATURE_ENTRY;
    const kept = isManifest || isSignature;
    // Read whole into memory before the signature is known: bounded from the header, so a forged
    // archive cannot make eectl hold gigabytes.
    const limit = isManifest ? MAX_MANIFEST_BYTES : MAX_SIGNATURE_BYTES;
    if (kept && (header.size ?? 0) > limit) {
      stream.on('error', () => undefined);
      extract.destroy(
        refusedEntryError(
          path,
          header.name,
          `it is ${header.size} bytes, more than ${limit} (eectl writes far less)`,
        ),
      );
      return;
    }
    stream.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      hash.update(chunk);
      size += chunk.length;
      if (kept) chunks.push(chunk);
    });
    stream.on('end', () => {
      if (isManifest) manifestBytes = Buffer.concat(chunks);
      else if (isSignature) signatureBytes = Buffer.concat(chunks);
      else if ((header.type ?? 'file') === 'file')
        sums.set(header.name, { sha256: hash.digest('hex'), size, header });
      else directories.set(header.name, header);
    });
    const handed =
      onEntry && !kept
        ? onEntry({ name: header.name, header, stream: stream as unknown as Readable })
        : (stream.resume(), Promise.resolve());
    // Wait for both: the consumer's work and the entry's end, so the next entry never overtakes.
    Promise.all([handed, new Promise<void>((r) => stream.on('end', () => r()))]).then(
      () => next(),
      (error: unknown) => next(error as Error),
    );
  });
  try {
    const source = Readable.fromWeb(plaintext as never);
    const failed = new Promise<never>((_, reject) => source.on('error', reject));
    source.pipe(extract as unknown as Writable);
    await Promise.race([done, failed]);
  } catch (error) {
    file.destroy();
    if (error instanceof UsageError) throw error;
    throw damagedError(path, (error as Error).message ?? String(error));
  }
  const check = checkAgainstManifest(path, manifestBytes?.toString('utf8'), sums, directories);
  return { ...check, raw: { manifest: manifestBytes!, signature: signatureBytes } };
}

/** The most a manifest may take: a listing of a few hundred thousand files. */
export const MAX_MANIFEST_BYTES = 128 * 1024 * 1024;
/** The most a signature entry may take: a few hundred bytes of JSON in practice. */
export const MAX_SIGNATURE_BYTES = 64 * 1024;

/**
 * Why an entry may not be in an archive, or undefined: an archive holds regular files and directories only
 * (eectl writes nothing else), with no setuid or setgid bit, under a relative name with no `..`. Checked
 * from the entry's header, before a byte of it is handed on: a symlink or a hard link would make the
 * host's `tar -x` write outside its directory, a device or a FIFO is no state of eectl's.
 */
export function entryRefusal(header: Pick<Header, 'name' | 'type' | 'mode'>): string | undefined {
  const type = header.type ?? 'file';
  if (type !== 'file' && type !== 'directory')
    return `it is a ${type}: an archive holds only regular files and directories`;
  if (((header.mode ?? 0) & 0o6000) !== 0) return 'it has the setuid or setgid bit';
  const name = header.name;
  if (name === '' || name.startsWith('/') || name.split('/').includes('..') || name.includes('\0'))
    return 'its name is absolute or climbs out with ..';
  return undefined;
}

function refusedEntryError(path: string, name: string, why: string): UsageError {
  return new UsageError(`${path}: entry ${JSON.stringify(name)} is refused: ${why}; nothing was changed`, {
    code: 'EBACKUP_ENTRY',
    suggestions: [
      'eectl never writes such an entry: this archive was not made by `eectl backup`, or was altered.',
    ],
  });
}

/** What of a tar header the manifest vouches for. */
type EntryHeader = Pick<Header, 'mode' | 'uid' | 'gid'>;

function checkAgainstManifest(
  path: string,
  manifestText: string | undefined,
  sums: Map<string, { sha256: string; size: number; header: EntryHeader }>,
  directories: Map<string, EntryHeader>,
): ArchiveCheck {
  if (manifestText === undefined) throw damagedError(path, `it has no ${MANIFEST_ENTRY} (truncated?)`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestText) as Manifest;
  } catch (error) {
    throw damagedError(path, `${MANIFEST_ENTRY} is not JSON: ${(error as Error).message}`);
  }
  const problems = manifestProblems(manifest);
  if (problems.length > 0) throw damagedError(path, `${MANIFEST_ENTRY}: ${problems.join('; ')}`);
  const bad: string[] = [];
  for (const entry of manifest.entries) {
    const found = sums.get(entry.name);
    if (!found) bad.push(`${entry.name}: missing`);
    else if (found.sha256 !== entry.sha256 || found.size !== entry.size)
      bad.push(`${entry.name}: checksum differs`);
    else {
      const differs = attributesDiffer(found.header, entry);
      if (differs) bad.push(`${entry.name}: ${differs}`);
    }
  }
  for (const name of sums.keys())
    if (!manifest.entries.some((e) => e.name === name)) bad.push(`${name}: not in the manifest`);
  if (manifest.directories) {
    for (const dir of manifest.directories) {
      const found = directories.get(dir.name);
      const differs = found && attributesDiffer(found, dir);
      if (!found) bad.push(`${dir.name}/: missing`);
      else if (differs) bad.push(`${dir.name}/: ${differs}`);
    }
    for (const name of directories.keys())
      if (!manifest.directories.some((d) => d.name === name)) bad.push(`${name}/: not in the manifest`);
  }
  if (bad.length > 0)
    throw damagedError(
      path,
      `${bad.length} entries do not match the manifest (checksum, mode or owner):\n  ${bad.slice(0, 10).join('\n  ')}`,
    );
  let bytes = 0;
  for (const s of sums.values()) bytes += s.size;
  return { manifest, files: sums.size, bytes };
}

function decryptError(path: string, keys: DecryptionKeys, cause: unknown): UsageError {
  const how = 'passphrase' in keys ? 'the passphrase' : 'the identity';
  return new UsageError(
    `${path}: cannot decrypt with ${how} (${(cause as Error).message}); nothing was changed`,
    {
      code: 'EBACKUP_DECRYPT',
      cause,
      suggestions:
        'passphrase' in keys
          ? [
              'Set EECTL_BACKUP_PASSPHRASE to the passphrase the backup was made with.',
              'Archives made for age recipients open with --identity FILE.',
            ]
          : [
              'Pass the identity file whose public key the backup was encrypted to.',
              'Archives made with a passphrase open with EECTL_BACKUP_PASSPHRASE.',
            ],
    },
  );
}

function damagedError(path: string, detail: string): UsageError {
  return new UsageError(
    `${path}: the archive is damaged (truncated or altered): ${detail}; nothing was changed`,
    {
      code: 'EBACKUP_DAMAGED',
      suggestions: [
        'Use another copy of the archive; `eectl backup verify FILE` checks one without changing anything.',
      ],
    },
  );
}
