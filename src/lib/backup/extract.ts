import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { UsageError } from '../errors.js';
import type { Host } from '../host/host.js';
import { readArchive, type ArchiveCheck } from './archive-reader.js';
import type { DecryptionKeys } from './keys.js';
import { attributesDiffer, type EntryAttributes, type Manifest } from './manifest.js';

/** Entries under `prefix` go to `dir` on `host` (with the prefix taken off when `strip`). */
export interface ExtractRoute {
  prefix: string;
  host: Host;
  dir: string;
  strip: boolean;
}

/** A restore of a large registry can take long: a bound all the same. */
const EXTRACT_TIMEOUT_MS = 6 * 60 * 60_000;

/**
 * Reads the archive once and streams the entries of each route into `tar -x` on its host (as root, owners
 * and modes kept), one tar stream per route; entries of no route are read and checked, not sent.
 *
 * `expected` is the manifest of the archive as it was checked whole before (restore reads the archive to
 * its end first). Each file goes to a host only once it was verified against it, from the same bytes: it
 * is decrypted into a local temporary file (0600, in a 0700 directory), hashed on the way, compared with
 * its entry in `expected` (SHA-256 and size), and only then sent from that file. A file not in `expected`,
 * or one whose bytes differ — the archive changed since it was checked — stops the restore before its
 * first byte leaves.
 */
export async function extractToHosts(
  archive: string,
  keys: DecryptionKeys,
  routes: readonly ExtractRoute[],
  expected: Pick<Manifest, 'entries' | 'directories'>,
): Promise<ArchiveCheck> {
  const spool = await mkdtemp(join(tmpdir(), 'eectl-restore-'));
  try {
    return await extractVerified(archive, keys, routes, expected, spool);
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

function notWritten(archive: string, name: string, why: string): UsageError {
  return new UsageError(
    `${archive}: entry ${JSON.stringify(name)} was not written: ${why}; nothing more was sent`,
    {
      code: 'EBACKUP_DAMAGED',
      suggestions: ['Check the archive with `eectl backup verify FILE`, then run restore again.'],
    },
  );
}

/** A directory's attributes as the manifest lists them, or why it may not be written. */
function listedDirectory(
  name: string,
  header: { mode?: number; uid?: number; gid?: number },
  expected: Pick<Manifest, 'directories'>,
): EntryAttributes | Record<string, never> | string {
  if (!expected.directories) return {}; // format 1: the manifest lists no directories
  const listed = expected.directories.find((d) => d.name === name);
  if (!listed) return 'it is not in the manifest';
  const differs = attributesDiffer(header, listed);
  return differs
    ? `${differs} (the archive changed since it was checked)`
    : { mode: listed.mode, uid: listed.uid, gid: listed.gid };
}

/**
 * Decrypts one entry into `file` and says whether its bytes, and the mode and owner of its header, are the
 * ones `expected` lists.
 */
export async function spoolAndVerify(
  name: string,
  stream: Readable,
  file: string,
  expected: Pick<Manifest, 'entries'>,
  header: { mode?: number; uid?: number; gid?: number },
): Promise<string | undefined> {
  const want = expected.entries.find((e) => e.name === name);
  if (!want) {
    stream.resume();
    return 'it is not in the manifest';
  }
  const differs = attributesDiffer(header, want);
  if (differs) {
    stream.resume();
    return `${differs} (the archive changed since it was checked)`;
  }
  const hash = createHash('sha256');
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    out.on('finish', resolve).on('error', reject);
    stream.on('error', reject);
    stream.pipe(out);
  });
  return hash.digest('hex') === want.sha256 && size === want.size
    ? undefined
    : 'its bytes differ from the checksum in the manifest (the archive changed since it was checked)';
}

async function extractVerified(
  archive: string,
  keys: DecryptionKeys,
  routes: readonly ExtractRoute[],
  expected: Pick<Manifest, 'entries' | 'directories'>,
  spool: string,
): Promise<ArchiveCheck> {
  let spooled = 0;
  const open = new Map<ExtractRoute, { pack: tarStream.Pack; stdin: PassThrough; ran: Promise<unknown> }>();
  const sinkFor = (route: ExtractRoute) => {
    let sink = open.get(route);
    if (!sink) {
      const pack = tarStream.pack();
      const stdin = new PassThrough();
      // Destroyed with the read's error when it fails (below); the restore reports that error itself.
      pack.on('error', () => undefined);
      stdin.on('error', () => undefined);
      pack.pipe(stdin);
      const ran = route.host.sudo(
        ['sh', '-c', 'mkdir -p "$1" && exec tar -x -p --same-owner -C "$1"', 'sh', route.dir],
        { stdinFrom: stdin, timeoutMs: EXTRACT_TIMEOUT_MS },
      );
      ran.catch(() => undefined);
      sink = { pack, stdin, ran };
      open.set(route, sink);
    }
    return sink;
  };
  let check: ArchiveCheck;
  try {
    check = await readArchive(archive, keys, async ({ name, header, stream }) => {
      const route = routes.find((r) => name === r.prefix.replace(/\/$/, '') || name.startsWith(r.prefix));
      if (!route) {
        stream.resume();
        return;
      }
      const rest = route.strip ? name.slice(route.prefix.length) : name;
      if (rest === '' || rest === '/') {
        stream.resume();
        return;
      }
      if ((header.type ?? 'file') !== 'file') {
        stream.resume();
        // readArchive admits only directories besides files: one the manifest lists, with its attributes.
        const listed = listedDirectory(name, header, expected);
        if (typeof listed === 'string') throw notWritten(archive, name, listed);
        const { pack } = sinkFor(route);
        await new Promise<void>((resolve, reject) => {
          pack.entry({ ...header, ...listed, name: rest }, (error) => (error ? reject(error) : resolve()));
        });
        return;
      }
      const file = join(spool, String(spooled++));
      const wrong = await spoolAndVerify(name, stream, file, expected, header);
      if (wrong) {
        await rm(file, { force: true });
        throw notWritten(archive, name, wrong);
      }
      // What is written is what the manifest lists: the signature covers it, the tar header it does not.
      const want = expected.entries.find((e) => e.name === name)!;
      const attributes = want.mode === undefined ? {} : { mode: want.mode, uid: want.uid, gid: want.gid };
      const { pack } = sinkFor(route);
      try {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...header, ...attributes, name: rest }, (error) =>
            error ? reject(error) : resolve(),
          );
          createReadStream(file)
            .on('error', reject)
            .pipe(entry as unknown as NodeJS.WritableStream);
        });
      } finally {
        await rm(file, { force: true });
      }
    });
  } catch (error) {
    // A half-sent tar makes each `tar -x` fail rather than end cleanly on a partial tree.
    // The host's stdin fails too (a pipe does not pass an error on): its command is stopped, not left waiting.
    for (const { pack, stdin } of open.values()) {
      pack.destroy(error as Error);
      stdin.destroy(error as Error);
    }
    await Promise.allSettled([...open.values()].map((s) => s.ran));
    throw error;
  }
  for (const { pack } of open.values()) pack.finalize();
  await Promise.all([...open.values()].map((s) => s.ran));
  return check;
}
