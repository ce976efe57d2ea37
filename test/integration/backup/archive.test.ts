import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchive } from '../../../src/lib/backup/archive-reader.js';
import { ArchiveWriter } from '../../../src/lib/backup/archive-writer.js';
import type { Manifest } from '../../../src/lib/backup/manifest.js';
import { createCa, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { EectlError } from '../../../src/lib/errors.js';
import { manifestMeta } from '../../helpers/backup-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'eectl-archive-'));
let identity = '';
let recipient = '';
/** The cluster CA that signs the manifests (as `eectl backup` signs them). */
let ca: CertifiedKey;

const meta = manifestMeta();

/** A real `tar -c` of a directory streamed into the archive, as a host's output is. */
async function addDirectory(writer: ArchiveWriter, from: string, name: string, prefix: string) {
  const { sink, done } = writer.tarSink(prefix);
  const child = spawn('tar', ['-c', '-C', from, name]);
  child.stdout.pipe(sink, { end: false });
  await new Promise((r) => child.on('close', r));
  await done();
}

async function makeArchive(path: string, keys: { recipients: string[] } | { passphrase: string }) {
  const source = join(dir, 'source');
  await mkdir(join(source, 'swarm', 'raft'), { recursive: true });
  writeFileSync(join(source, 'swarm', 'raft', 'wal'), Buffer.alloc(300_000, 7));
  writeFileSync(join(source, 'swarm', 'state.json'), '{"a":1}');
  const writer = await ArchiveWriter.create(path, keys);
  await addDirectory(writer, source, 'swarm', '');
  await writer.addFile('cluster.yaml', Buffer.from('apiVersion: eectl/v1\n'));
  return writer.finish(meta, ca);
}

const expectCode = async (p: Promise<unknown>, code: string) => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EectlError);
  expect((error as EectlError).code).toBe(code);
  expect((error as EectlError).exitCode).toBe(2);
};

describe('backup archive: age-encrypted tar with a manifest of checksums', () => {
  beforeAll(async () => {
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    ca = await createCa('test');
    writeFileSync(join(dir, 'key.txt'), `# created: test\n${identity}\n`, { mode: 0o600 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a 0600 archive that reads back with every checksum, and leaves no partial file', async () => {
    const path = join(dir, 'a.tar.age');
    const written = await makeArchive(path, { recipients: [recipient] });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.includes('partial'))).toEqual([]);
    expect(written.manifest.entries.map((e) => e.name).sort()).toEqual([
      'cluster.yaml',
      'swarm/raft/wal',
      'swarm/state.json',
    ]);
    const check = await readArchive(path, { identities: [identity] });
    expect(check.manifest.swarmId).toBe('swarm-id');
    expect(check.files).toBe(3);
  });

  it('opens with the age command-line tool and tar, without eectl', async () => {
    const path = join(dir, 'b.tar.age');
    await makeArchive(path, { recipients: [recipient] });
    const plain = execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), path]);
    const out = join(dir, 'out');
    await mkdir(out);
    execFileSync('tar', ['-x', '-C', out], { input: plain });
    expect(readFileSync(join(out, 'swarm', 'raft', 'wal')).length).toBe(300_000);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const sum = execFileSync('sha256sum', [join(out, 'swarm', 'state.json')])
      .toString()
      .split(' ')[0];
    expect(manifest.entries.find((e) => e.name === 'swarm/state.json')?.sha256).toBe(sum);
    // The manifest's signature checks with openssl and the CA certificate, as the README shows.
    writeFileSync(join(out, 'ca.pem'), ca.certPem);
    const script = [
      'set -e',
      `sed -n 's/.*"signature": "\\(.*\\)".*/\\1/p' manifest.sig | base64 -d > manifest.sig.der`,
      "{ printf 'eectl backup manifest v1\\n'; cat manifest.json; } > manifest.signed",
      'openssl x509 -in ca.pem -pubkey -noout > ca-pub.pem',
      'openssl dgst -sha256 -verify ca-pub.pem -signature manifest.sig.der manifest.signed',
    ].join('\n');
    expect(execFileSync('sh', ['-c', script], { cwd: out }).toString()).toContain('Verified OK');
    writeFileSync(join(out, 'manifest.json'), `${readFileSync(join(out, 'manifest.json'), 'utf8')} `);
    // One byte more (a space) and openssl refuses it (exit 1, "Verification failure").
    expect(() => execFileSync('sh', ['-c', script], { cwd: out, stdio: 'pipe' })).toThrow();
  });

  it('refuses a wrong identity or passphrase, a truncated archive and a flipped byte (exit 2)', async () => {
    const path = join(dir, 'c.tar.age');
    await makeArchive(path, { passphrase: 'right horse battery' });
    await expect(readArchive(path, { passphrase: 'right horse battery' })).resolves.toBeDefined();
    await expectCode(readArchive(path, { passphrase: 'wrong' }), 'EBACKUP_DECRYPT');
    await expectCode(readArchive(path, { identities: [identity] }), 'EBACKUP_DECRYPT');

    const size = statSync(path).size;
    const cut = join(dir, 'cut.tar.age');
    writeFileSync(cut, readFileSync(path));
    await truncate(cut, Math.floor(size / 2));
    await expectCode(readArchive(cut, { passphrase: 'right horse battery' }), 'EBACKUP_DAMAGED');

    const flipped = readFileSync(path);
    flipped[Math.floor(size * 0.7)]! ^= 0x01;
    const bad = join(dir, 'flipped.tar.age');
    writeFileSync(bad, flipped);
    await expectCode(readArchive(bad, { passphrase: 'right horse battery' }), 'EBACKUP_DAMAGED');
  }, 180_000); // five age passphrase (scrypt) derivations: seconds each on a busy 2-core machine
});
