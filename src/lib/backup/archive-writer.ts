import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Encrypter } from 'age-encryption';
import tarStream, { type Header } from 'tar-stream';
import type { EncryptionKeys } from './keys.js';
import {
  attributesOf,
  MANIFEST_ENTRY,
  SIGNATURE_ENTRY,
  type Manifest,
  type ManifestDirectory,
  type ManifestEntry,
} from './manifest.js';
import { signManifest, type ManifestSigner } from './signature.js';

/**
 * Writes one archive: an ordinary tar (tar-stream), encrypted with age (age-encryption) as it is made, into
 * a temporary file beside the target that is renamed into place (mode 0600) only once it is whole. Entries
 * are streamed: a host's tar output goes through entry by entry, each hashed on the way, never held whole.
 */
export class ArchiveWriter {
  private readonly entries: ManifestEntry[] = [];
  private readonly directories: ManifestDirectory[] = [];
  private readonly written: Promise<void>;
  private failed: unknown;

  private constructor(
    readonly path: string,
    private readonly temp: string,
    private readonly pack: tarStream.Pack,
    encrypted: ReadableStream<Uint8Array>,
  ) {
    const file = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    this.written = pipeline(Readable.fromWeb(encrypted as never), file);
    this.written.catch((error: unknown) => (this.failed = error));
  }

  /** Starts an archive at `path` (written at `path`'s temporary sibling until `finish`). */
  static async create(path: string, keys: EncryptionKeys): Promise<ArchiveWriter> {
    const encrypter = new Encrypter();
    if ('passphrase' in keys) encrypter.setPassphrase(keys.passphrase);
    else for (const r of keys.recipients) encrypter.addRecipient(r);
    const pack = tarStream.pack();
    const encrypted = await encrypter.encrypt(
      Readable.toWeb(Readable.from(pack)) as ReadableStream<Uint8Array>,
    );
    return new ArchiveWriter(path, `${path}.${process.pid}.partial`, pack, encrypted);
  }

  /** Adds one file from memory (small things: the cluster file, a key). */
  async addFile(name: string, content: Buffer, mode = 0o600): Promise<void> {
    this.entries.push({ name, size: content.length, sha256: sha256(content), mode, uid: 0, gid: 0 });
    await new Promise<void>((resolve, reject) =>
      this.pack.entry(
        { name, mode, uid: 0, gid: 0, size: content.length, mtime: new Date() },
        content,
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  }

  /**
   * A writable that takes a tar stream (a host's `tar -c` output) and adds each of its entries under
   * `prefix`, hashing regular files as they pass. Call `done()` once the stream was fully written.
   */
  tarSink(prefix: string): { sink: Writable; done: () => Promise<void> } {
    const extract = tarStream.extract();
    const finished = new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    extract.on('entry', (header: Header, stream, next) => {
      const name = joinEntryName(prefix, header.name);
      if (name === '') {
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      const entry = this.pack.entry({ ...header, name }, (error) => {
        if (error) return next(error);
        if (header.type === 'file' || header.type === undefined)
          this.entries.push({ name, size, sha256: hash.digest('hex'), ...attributesOf(header) });
        else if (header.type === 'directory') this.directories.push({ name, ...attributesOf(header) });
        next();
      });
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        hash.update(chunk);
        size += chunk.length;
      });
      stream.pipe(entry);
    });
    // tar-stream's streams are streamx streams: a Node PassThrough in front gives the SSH channel a Writable.
    const sink = new PassThrough();
    sink.pipe(extract as unknown as Writable);
    return {
      sink,
      done: async () => {
        sink.end();
        await finished;
      },
    };
  }

  /**
   * Appends the manifest (with every entry's checksum) and its signature with the cluster CA's key
   * (manifest.sig; `null` writes an unsigned archive, which readers refuse without --accept-unsigned),
   * closes the tar, and renames the archive into place.
   */
  async finish(
    manifest: Omit<Manifest, 'entries' | 'directories'>,
    signer: Pick<ManifestSigner, 'certPem' | 'keyPem'> | null,
  ): Promise<{ path: string; bytes: number; manifest: Manifest }> {
    const full: Manifest = { ...manifest, entries: [...this.entries], directories: [...this.directories] };
    const body = Buffer.from(`${JSON.stringify(full, null, 2)}\n`);
    await this.addEntry(MANIFEST_ENTRY, body);
    if (signer) await this.addEntry(SIGNATURE_ENTRY, signManifest(body, signer));
    this.pack.finalize();
    await this.written;
    const handle = await open(this.temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(this.temp, 0o600);
    await rename(this.temp, this.path);
    return { path: this.path, bytes: (await stat(this.path)).size, manifest: full };
  }

  /** An entry outside the manifest's list (the manifest itself, its signature). */
  private addEntry(name: string, body: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.pack.entry({ name, mode: 0o600, size: body.length, mtime: new Date() }, body, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }

  /** Stops writing and removes the partial file; nothing is left where the archive would have been. */
  async abort(): Promise<void> {
    this.pack.destroy();
    await this.written.catch(() => undefined);
    await rm(this.temp, { force: true });
  }

  get error(): unknown {
    return this.failed;
  }
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** `prefix` + a host tar's entry name, without `./` and with no way out of the prefix. */
export function joinEntryName(prefix: string, name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`tar entry "${name}" leaves its directory`);
  const rest = parts.join('/');
  if (prefix === '') return rest;
  return rest === '' ? `${prefix.replace(/\/$/, '')}/` : `${prefix.replace(/\/$/, '')}/${rest}`;
}
