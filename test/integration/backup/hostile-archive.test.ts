import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Decrypter, Encrypter, generateIdentity, identityToRecipient } from 'age-encryption';
import tarStream from 'tar-stream';

type Header = Parameters<tarStream.Pack['entry']>[0];
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entryRefusal,
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  readArchive,
} from '../../../src/lib/backup/archive-reader.js';
import { ArchiveWriter } from '../../../src/lib/backup/archive-writer.js';
import { extractToHosts } from '../../../src/lib/backup/extract.js';
import type { Manifest } from '../../../src/lib/backup/manifest.js';
import { createCa, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { EectlError } from '../../../src/lib/errors.js';
import type { Host } from '../../../src/lib/host/host.js';
import { manifestMeta, sha256 } from '../../helpers/backup-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'eectl-hostile-'));
let identity = '';
let recipient = '';
/** The cluster CA that signs the manifests (as `eectl backup` signs them). */
let ca: CertifiedKey;

const meta = manifestMeta();

const sha = sha256;

async function encryptTo(path: string, plain: Buffer): Promise<void> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  writeFileSync(path, await e.encrypt(plain));
}

async function decrypt(path: string): Promise<Buffer> {
  const d = new Decrypter();
  d.addIdentity(identity);
  return Buffer.from(await d.decrypt(readFileSync(path)));
}

/**
 * An archive as an attacker who holds only the recipient's public key writes it: any tar entries, and a
 * manifest that lists every regular file with its true checksum (so only the entry's kind is wrong).
 */
async function forged(path: string, entries: { header: Header; body?: Buffer }[]): Promise<void> {
  const pack = tarStream.pack();
  const listed: Manifest['entries'] = [];
  for (const { header, body } of entries) {
    if (body) pack.entry(header, body);
    else pack.entry(header, '');
    if ((header.type ?? 'file') === 'file' && body)
      listed.push({ name: header.name, size: body.length, sha256: sha(body) });
  }
  const manifest = Buffer.from(JSON.stringify({ ...meta, entries: listed }));
  pack.entry({ name: 'manifest.json', mode: 0o600 }, manifest);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk as Buffer);
  await encryptTo(path, Buffer.concat(chunks));
}

/** A real archive of eectl's, with `state` as the content of swarm/state.json. */
async function genuine(path: string, state: string): Promise<Manifest> {
  const writer = await ArchiveWriter.create(path, { recipients: [recipient] });
  await writer.addFile('swarm/state.json', Buffer.from(state));
  await writer.addFile('swarm/raft/wal', Buffer.alloc(100_000, 7));
  return (await writer.finish(meta, ca)).manifest;
}

const refusedWith = async (p: Promise<unknown>, code: string, pattern: RegExp) => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EectlError);
  expect([(error as EectlError).code, (error as EectlError).exitCode]).toEqual([code, 2]);
  expect((error as Error).message).toMatch(pattern);
};

/** A host that records what its `tar -x` would be sent. */
function recordingHost(): { host: Host; received: () => Buffer } {
  const chunks: Buffer[] = [];
  const host = {
    name: 'm1',
    sudo: async (_argv: string[], options: { stdinFrom: Readable }) => {
      for await (const chunk of options.stdinFrom) chunks.push(chunk as Buffer);
      return { code: 0, stdout: '', stderr: '' };
    },
  } as unknown as Host;
  return { host, received: () => Buffer.concat(chunks) };
}

describe('archives an attacker with the public recipient key writes are refused before anything is written', () => {
  beforeAll(async () => {
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    ca = await createCa('test');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('refuses a symlink, a hard link, a device, a FIFO, a setuid file and a name that climbs out (EBACKUP_ENTRY)', async () => {
    const ok = Buffer.from('x');
    const cases: [string, Header][] = [
      ['symlink', { name: 'swarm/raft', type: 'symlink', linkname: '/etc' }],
      ['link', { name: 'swarm/passwd', type: 'link', linkname: 'etc/passwd' }],
      ['character-device', { name: 'swarm/mem', type: 'character-device', devmajor: 1, devminor: 1 }],
      ['block-device', { name: 'swarm/sda', type: 'block-device', devmajor: 8, devminor: 0 }],
      ['fifo', { name: 'swarm/pipe', type: 'fifo' }],
      ['setuid', { name: 'swarm/sh', mode: 0o4755, size: 1 }],
      ['setgid', { name: 'swarm/sg', mode: 0o2755, size: 1 }],
      ['..', { name: 'swarm/../../etc/cron.d/x', mode: 0o644, size: 1 }],
    ];
    for (const [label, header] of cases) {
      const path = join(dir, `forged-${label.replace(/\W/g, '')}.tar.age`);
      const isFile = header.type === undefined;
      await forged(path, [
        { header: { name: 'swarm/state.json', mode: 0o600 }, body: ok },
        { header, ...(isFile ? { body: ok } : {}) },
      ]);
      await refusedWith(readArchive(path, { identities: [identity] }), 'EBACKUP_ENTRY', /is refused/);
      // restore's write path refuses it too, and its host gets nothing of the forged entry.
      const { host, received } = recordingHost();
      await refusedWith(
        extractToHosts(
          path,
          { identities: [identity] },
          [{ prefix: 'swarm/', host, dir: '/x', strip: false }],
          {
            entries: [{ name: 'swarm/state.json', size: 1, sha256: sha(ok) }],
          },
        ),
        'EBACKUP_ENTRY',
        /is refused/,
      );
      expect(received().includes(Buffer.from(header.name)), label).toBe(false);
    }
  }, 120_000);

  it('refuses a manifest or a signature too large to read whole, from its header, before reading it (EBACKUP_ENTRY)', async () => {
    for (const [name, size] of [
      ['manifest.json', MAX_MANIFEST_BYTES + 1],
      ['manifest.sig', MAX_SIGNATURE_BYTES + 1],
    ] as const) {
      const path = join(dir, `huge-${name}.tar.age`);
      const pack = tarStream.pack();
      pack.entry({ name, mode: 0o600 }, Buffer.alloc(size, 0x20));
      pack.finalize();
      const chunks: Buffer[] = [];
      for await (const chunk of Readable.from(pack)) chunks.push(chunk as Buffer);
      await encryptTo(path, Buffer.concat(chunks));
      await refusedWith(
        readArchive(path, { identities: [identity] }),
        'EBACKUP_ENTRY',
        new RegExp(`${name.replace('.', '\\.')}.*more than`),
      );
    }
  }, 120_000);

  it('takes regular files and directories with ordinary modes', () => {
    expect(entryRefusal({ name: 'swarm/', type: 'directory', mode: 0o700 })).toBeUndefined();
    expect(entryRefusal({ name: 'pki/ca-key.pem', type: 'file', mode: 0o600 })).toBeUndefined();
    expect(entryRefusal({ name: '/etc/passwd', type: 'file', mode: 0o644 })).toMatch(/absolute/);
  });

  it('refuses an entry changed under valid age authentication (a re-encrypted, modified tar): the checksum comparison', async () => {
    const path = join(dir, 'genuine.tar.age');
    await genuine(path, '{"role":"worker"}');
    const plain = await decrypt(path);
    const at = plain.indexOf('{"role":"worker"}');
    expect(at).toBeGreaterThan(0);
    plain.write('{"role":"leader"}', at);
    const changed = join(dir, 'changed.tar.age');
    await encryptTo(changed, plain);
    // age accepts it (anyone with the recipient key can encrypt); only the manifest's checksum catches it.
    await expect(decrypt(changed)).resolves.toBeDefined();
    await refusedWith(
      readArchive(changed, { identities: [identity] }),
      'EBACKUP_DAMAGED',
      /swarm\/state.json: checksum differs/,
    );
  });

  it('sends an entry to a host only after its bytes matched the checked manifest: an archive swapped after the check sends nothing of it', async () => {
    const checkedPath = join(dir, 'checked.tar.age');
    const checked = await genuine(checkedPath, '{"a":"checked"}');
    await expect(readArchive(checkedPath, { identities: [identity] })).resolves.toBeDefined();
    // Between the check and the write, the file is replaced by another archive, consistent in itself.
    const swapped = join(dir, 'swapped.tar.age');
    await genuine(swapped, '{"a":"swapped"}');
    await expect(readArchive(swapped, { identities: [identity] })).resolves.toBeDefined();
    const { host, received } = recordingHost();
    await refusedWith(
      extractToHosts(
        swapped,
        { identities: [identity] },
        [{ prefix: 'swarm/', host, dir: '/x', strip: false }],
        checked,
      ),
      'EBACKUP_DAMAGED',
      /swarm\/state.json.*not written/,
    );
    expect(received().includes(Buffer.from('swapped'))).toBe(false);
    // The genuine archive goes through whole.
    const good = recordingHost();
    await extractToHosts(
      checkedPath,
      { identities: [identity] },
      [{ prefix: 'swarm/', host: good.host, dir: '/x', strip: false }],
      checked,
    );
    expect(good.received().includes(Buffer.from('{"a":"checked"}'))).toBe(true);
  });
});
