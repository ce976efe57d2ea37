import { open } from 'node:fs/promises';

const BLOCK = 512;

/** `docker save`'s manifest.json: each image's config blob (its ID) and the names it was saved under. */
interface SavedImage {
  Config: string;
  RepoTags?: string[] | null;
}

/** Reads one file of a tar archive by walking its headers (the contents of other files are skipped). */
async function readTarFile(path: string, wanted: string): Promise<Buffer | undefined> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(BLOCK);
    for (let offset = 0; ;) {
      const { bytesRead } = await file.read(header, 0, BLOCK, offset);
      if (bytesRead < BLOCK || header.every((b) => b === 0)) return undefined;
      const field = (start: number, length: number) =>
        header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
      const size = parseInt(field(124, 12).trim() || '0', 8);
      const prefix = field(345, 155);
      const name = (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)).replace(/^\.\//, '');
      if (name === wanted) {
        const content = Buffer.alloc(size);
        await file.read(content, 0, size, offset + BLOCK);
        return content;
      }
      offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally {
    await file.close();
  }
}

/** `registry:2` and `docker.io/library/registry:2` name the same image. */
const normalize = (ref: string): string => ref.replace(/^docker\.io\//, '').replace(/^library\//, '');

/**
 * The image ID (`sha256:…`) of `image` when one of the bundles holds it. A service that names its image
 * by ID is never pulled: without it every replica start first waits for a pull from Docker Hub, which an
 * air-gapped site cannot reach (seconds of DNS timeouts per replica).
 */
export async function bundledImageId(bundles: readonly string[], image: string): Promise<string | undefined> {
  for (const bundle of bundles) {
    const manifest = await readTarFile(bundle, 'manifest.json');
    if (!manifest) continue;
    for (const saved of JSON.parse(manifest.toString('utf8')) as SavedImage[]) {
      if (!(saved.RepoTags ?? []).some((tag) => normalize(tag) === normalize(image))) continue;
      const id = /([0-9a-f]{64})(\.json)?$/.exec(saved.Config)?.[1];
      if (id) return `sha256:${id}`;
    }
  }
  return undefined;
}
