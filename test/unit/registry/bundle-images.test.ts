import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledImageId } from '../../../src/lib/registry/bundle-images.js';

/** A ustar archive of `files`, as `docker save` writes one (headers, contents padded to 512 bytes, end). */
function tar(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('ustar\0', 257);
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

const ID = 'db5d6c3a58b5bb4b6f37651f0463241c274b2f401a9e11a0a6f8dc34ff065f82';
const dir = await mkdtemp(join(tmpdir(), 'eectl-bundle-test-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('image ID of a bundled image', () => {
  it('is read from manifest.json after the layers, in the legacy layout (Config "<id>.json")', async () => {
    const path = join(dir, 'legacy.tar');
    await writeFile(
      path,
      tar({
        'abc/layer.tar': Buffer.alloc(5000, 1),
        [`${ID}.json`]: '{}',
        'manifest.json': JSON.stringify([
          { Config: `${ID}.json`, RepoTags: ['eectl-sandbox/registry:2.8.2'] },
        ]),
      }),
    );
    expect(await bundledImageId([path], 'eectl-sandbox/registry:2.8.2')).toBe(`sha256:${ID}`);
    expect(await bundledImageId([path], 'eectl-sandbox/registry:2.8.3')).toBeUndefined();
  });

  it('reads the OCI layout (Config "blobs/sha256/<id>") and Docker Hub names in either spelling', async () => {
    const path = join(dir, 'oci.tar');
    const manifest = [{ Config: `blobs/sha256/${ID}`, RepoTags: ['registry:2.8.3'] }];
    await writeFile(path, tar({ 'oci-layout': '{}', 'manifest.json': JSON.stringify(manifest) }));
    expect(await bundledImageId([path], 'docker.io/library/registry:2.8.3')).toBe(`sha256:${ID}`);
  });
});
