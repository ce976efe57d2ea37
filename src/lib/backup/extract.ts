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
import type { Manifest } from './manifest.js';

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
  expected: Pick<Manifest, 'entries'>,
): Promise<ArchiveCheck> {
  const spool = await mkdtemp(join(tmpdir(), 'eectl-restore-'));
  try {
    return await extractVerified(archive, keys, routes, expected, spool);
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

/** Decrypts one entry into `file` and says whether its bytes are the ones `expected` lists. */
export async function spoolAndVerify(
  name: string,
  stream: Readable,
  file: string,
  expected: Pick<Manifest, 'entries'>,
): Promise<string | undefined> {
  const want = expected.entries.find((e) => e.name === name);
  if (!want) {
    stream.resume();
    return 'it is not in the manifest';
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
  expected: Pick<Manifest, 'entries'>,
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
        const { pack } = sinkFor(route);
        await new Promise<void>((resolve, reject) => {
          pack.entry({ ...header, name: rest }, (error) => (error ? reject(error) : resolve()));
        });
        return;
      }
      const file = join(spool, String(spooled++));
      const wrong = await spoolAndVerify(name, stream, file, expected);
      if (wrong) {
        await rm(file, { force: true });
        throw new UsageError(
          `${archive}: entry ${JSON.stringify(name)} was not written: ${wrong}; nothing more was sent`,
          {
            code: 'EBACKUP_DAMAGED',
            suggestions: ['Check the archive with `eectl backup verify FILE`, then run restore again.'],
          },
        );
      }
      const { pack } = sinkFor(route);
      try {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...header, name: rest }, (error) => (error ? reject(error) : resolve()));
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
