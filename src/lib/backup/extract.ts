import { PassThrough } from 'node:stream';
import tarStream from 'tar-stream';
import type { Host } from '../host/host.js';
import { readArchive, type ArchiveCheck } from './archive-reader.js';
import type { DecryptionKeys } from './keys.js';

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
 */
export async function extractToHosts(
  archive: string,
  keys: DecryptionKeys,
  routes: readonly ExtractRoute[],
): Promise<ArchiveCheck> {
  const open = new Map<ExtractRoute, { pack: tarStream.Pack; ran: Promise<unknown> }>();
  const sinkFor = (route: ExtractRoute) => {
    let sink = open.get(route);
    if (!sink) {
      const pack = tarStream.pack();
      const stdin = new PassThrough();
      pack.pipe(stdin);
      const ran = route.host.sudo(
        ['sh', '-c', 'mkdir -p "$1" && exec tar -x -p --same-owner -C "$1"', 'sh', route.dir],
        { stdinFrom: stdin, timeoutMs: EXTRACT_TIMEOUT_MS },
      );
      ran.catch(() => undefined);
      sink = { pack, ran };
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
      const { pack } = sinkFor(route);
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...header, name: rest }, (error) => (error ? reject(error) : resolve()));
        stream.pipe(entry as unknown as NodeJS.WritableStream);
      });
    });
  } catch (error) {
    // A half-sent tar makes each `tar -x` fail rather than end cleanly on a partial tree.
    for (const { pack } of open.values()) pack.destroy(error as Error);
    await Promise.allSettled([...open.values()].map((s) => s.ran));
    throw error;
  }
  for (const { pack } of open.values()) pack.finalize();
  await Promise.all([...open.values()].map((s) => s.ran));
  return check;
}
