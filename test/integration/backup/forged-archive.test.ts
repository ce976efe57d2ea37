import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Decrypter, Encrypter, generateIdentity, identityToRecipient } from 'age-encryption';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveWriter } from '../../../src/lib/backup/archive-writer.js';
import type { Manifest } from '../../../src/lib/backup/manifest.js';
import { signManifest, type ManifestSignature } from '../../../src/lib/backup/signature.js';
import { createCa, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { eectl } from '../commands/cli.js';
import { manifestMeta, sha256 } from '../../helpers/backup-fixtures.js';

// Issue 22: an archive that anyone holding the age recipient's PUBLIC key can write — a valid age
// encryption of a tar whose manifest lists every entry with its true checksum — must not pass
// `backup verify` or `restore`: only the cluster CA's key signs a manifest they accept, and the CA they
// check against is the operator's, never the one inside the archive. Runs the built CLI (npm run build).

// TEST-NET-1 addresses: a restore that went as far as connecting would fail differently (and slowly).
const clusterFile = (name: string) => `apiVersion: eectl/v1
kind: Cluster
metadata: { name: ${name} }
spec:
  hosts:
    - { address: 192.0.2.11, role: manager }
    - { address: 192.0.2.21, role: worker }
`;

const meta = manifestMeta({
  cluster: 'lab',
  source: { address: '192.0.2.11', nodeId: 'n1', hostname: 'm1' },
});

const sha = sha256;

interface Entry {
  name: string;
  body: Buffer;
  /** The tar header's (0600, root's when not given). */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** The tar of `entries`, then manifest.json (true checksums) and, when given, manifest.sig. */
async function tarOf(entries: Entry[], manifest: Buffer, signature?: Buffer): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const { name, body, mode, uid, gid } of [
    ...entries,
    { name: 'manifest.json', body: manifest },
    ...(signature ? [{ name: 'manifest.sig', body: signature }] : []),
  ] as Entry[])
    pack.entry({ name, mode: mode ?? 0o600, uid: uid ?? 0, gid: gid ?? 0 }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(pack)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const manifestOf = (entries: Entry[]) =>
  Buffer.from(
    // A well-formed manifest, as eectl writes one (entries with their mode and owner, directories): only
    // the signature is missing or wrong.
    `${JSON.stringify({ ...meta, entries: entries.map((e) => ({ name: e.name, size: e.body.length, sha256: sha(e.body), mode: 0o600, uid: 0, gid: 0 })), directories: [] }, null, 2)}\n`,
  );

/** age-encrypts to the recipient: all a forger needs is the public key. */
async function encryptTo(recipient: string, path: string, plain: Buffer): Promise<void> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  writeFileSync(path, await e.encrypt(plain));
}

/** The entries of a decrypted tar, in order. */
async function entriesOf(plain: Buffer): Promise<Entry[]> {
  const extract = tarStream.extract();
  const entries: Entry[] = [];
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      const { mode, uid, gid } = header;
      entries.push({ name: header.name, body: Buffer.concat(chunks), mode, uid, gid });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  Readable.from([plain]).pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return entries;
}

interface Envelope {
  status: number;
  result?: { signature: { verified: boolean; signer?: string; problem?: string } };
  error?: { code: string; message: string; suggestions: string[] };
}

describe('archives written with only the public recipient key are refused: the signed manifest', () => {
  let dir: string;
  let identity: string;
  let recipient: string;
  let labCa: CertifiedKey;
  let forgerCa: CertifiedKey;
  const path = (name: string) => join(dir, name);
  const run = async (args: string[], cwd = dir) => {
    const r = await eectl([...args, '--json'], { cwd, env: { HOME: dir } });
    return { ...r, json: JSON.parse(r.stdout) as Envelope };
  };
  const verify = (archive: string, ...more: string[]) =>
    run(['backup', 'verify', path(archive), '--identity', path('key.txt'), ...more]);
  const refused = (r: Awaited<ReturnType<typeof run>>, pattern: RegExp) => {
    expect([r.code, r.json.error?.code], r.stdout).toEqual([2, 'EBACKUP_SIGNATURE']);
    expect(r.json.error?.message).toMatch(pattern);
  };

  /** What the forger puts in: their own CA as pki/ca.pem, a swarm state of their choosing. */
  const forgedEntries = (): Entry[] => [
    { name: 'swarm/state.json', body: Buffer.from('{"forged":true}') },
    { name: 'pki/ca.pem', body: Buffer.from(forgerCa.certPem) },
    { name: 'cluster.yaml', body: Buffer.from(clusterFile('lab')) },
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eectl-forged-'));
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    writeFileSync(path('key.txt'), `# created: test\n${identity}\n`, { mode: 0o600 });
    writeFileSync(path('cluster.yaml'), clusterFile('lab'));
    writeFileSync(path('dr-site.yaml'), clusterFile('dr-site'));
    // The cluster's CA as install leaves it on the operator's machine (~/.eectl/lab/pki, HOME=dir).
    labCa = await createCa('lab');
    forgerCa = await createCa('lab');
    const pki = join(dir, '.eectl', 'lab', 'pki');
    mkdirSync(pki, { recursive: true, mode: 0o700 });
    writeFileSync(join(pki, 'ca.pem'), labCa.certPem);
    writeFileSync(join(pki, 'ca-key.pem'), labCa.keyPem, { mode: 0o600 });
    writeFileSync(path('bundle-ca.pem'), labCa.certPem);

    // A genuine archive, as `eectl backup` writes it.
    const writer = await ArchiveWriter.create(path('genuine.tar.age'), { recipients: [recipient] });
    await writer.addFile('swarm/state.json', Buffer.from('{"genuine":true}'));
    await writer.addFile('pki/ca.pem', Buffer.from(labCa.certPem));
    await writer.addFile('cluster.yaml', Buffer.from(clusterFile('lab')));
    await writer.finish(meta, labCa);

    // Forgeries, each with only `recipient` (the public key):
    const entries = forgedEntries();
    const manifest = manifestOf(entries);
    // no signature at all;
    await encryptTo(recipient, path('unsigned.tar.age'), await tarOf(entries, manifest));
    // a made-up signature that names the cluster's CA;
    const madeUp: ManifestSignature = {
      format: 1,
      signed: 'manifest.json',
      algorithm: 'ecdsa-p256-sha256',
      signer: { fingerprint: '00'.repeat(32), subject: 'CN=eectl lab CA' },
      signature: randomBytes(72).toString('base64'),
    };
    madeUp.signer.fingerprint = JSON.parse(signManifest(manifest, labCa).toString()).signer.fingerprint;
    await encryptTo(
      recipient,
      path('made-up.tar.age'),
      await tarOf(entries, manifest, Buffer.from(JSON.stringify(madeUp))),
    );
    // a valid signature by the forger's own CA, which is also the CA inside the archive.
    await encryptTo(
      recipient,
      path('own-ca.tar.age'),
      await tarOf(entries, manifest, signManifest(manifest, forgerCa)),
    );

    // The genuine archive with one entry changed and the manifest's checksums made to match (age
    // authenticates the result: it is re-encrypted to the recipient), keeping the CA's signature.
    const d = new Decrypter();
    d.addIdentity(identity);
    const plain = Buffer.from(await d.decrypt(readFileSync(path('genuine.tar.age'))));
    const genuine = await entriesOf(plain);
    const files = genuine
      .filter((e) => e.name !== 'manifest.json' && e.name !== 'manifest.sig')
      .map((e) => (e.name === 'swarm/state.json' ? { ...e, body: Buffer.from('{"genuine":false}') } : e));
    const signature = genuine.find((e) => e.name === 'manifest.sig')!.body;
    const original = JSON.parse(genuine.find((e) => e.name === 'manifest.json')!.body.toString()) as Manifest;
    const rewritten = Buffer.from(
      `${JSON.stringify(
        {
          ...original,
          entries: original.entries.map((e) => {
            const body = files.find((f) => f.name === e.name)!.body;
            return { ...e, size: body.length, sha256: sha(body) };
          }),
        },
        null,
        2,
      )}\n`,
    );
    await encryptTo(recipient, path('changed-entry.tar.age'), await tarOf(files, rewritten, signature));

    // The genuine archive, bytes, manifest and signature untouched, with one entry's tar header made
    // world-writable and another's owned by a user: what a restore would write is not the header's.
    const manifestEntry = genuine.find((e) => e.name === 'manifest.json')!;
    const [first, second] = genuine.filter((e) => e.name !== 'manifest.json' && e.name !== 'manifest.sig');
    const loosened = genuine
      .filter((e) => e.name !== 'manifest.json' && e.name !== 'manifest.sig')
      .map((e) => (e === first ? { ...e, mode: 0o666 } : e === second ? { ...e, uid: 1000, gid: 1000 } : e));
    await encryptTo(
      recipient,
      path('loosened.tar.age'),
      await tarOf(loosened, manifestEntry.body, signature),
    );
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("verifies the genuine archive against the cluster's CA on this machine (-c), and against --trust", async () => {
    const local = await verify('genuine.tar.age', '-c', path('cluster.yaml'));
    expect(local.code, local.stdout).toBe(0);
    expect(local.json.result?.signature).toMatchObject({ verified: true });
    const trusted = await verify('genuine.tar.age', '--trust', path('bundle-ca.pem'));
    expect(trusted.code, trusted.stdout).toBe(0);
  });

  it('refuses an unsigned forgery, one with a made-up signature and one signed by its own CA (exit 2)', async () => {
    refused(await verify('unsigned.tar.age', '-c', path('cluster.yaml')), /the archive is not signed/);
    refused(await verify('made-up.tar.age', '-c', path('cluster.yaml')), /signature does not verify/);
    const own = await verify('own-ca.tar.age', '-c', path('cluster.yaml'));
    refused(own, /signed by another CA .* not by .*\.eectl\/lab\/pki\/ca\.pem/);
    expect(own.json.error?.message).toContain('--trust');
    expect(own.json.error?.message).toContain('--accept-unsigned');
  }, 60_000);

  it('refuses a changed entry whose checksum was made to match, under valid age authentication', async () => {
    refused(
      await verify('changed-entry.tar.age', '-c', path('cluster.yaml')),
      /signature does not verify .*manifest\.json was changed after it was signed/,
    );
  });

  it('refuses an entry whose mode or owner in the tar differs from the signed manifest (exit 2), the bytes and signature intact', async () => {
    const r = await verify('loosened.tar.age', '-c', path('cluster.yaml'));
    expect([r.code, r.json.error?.code], r.stdout).toEqual([2, 'EBACKUP_DAMAGED']);
    expect(r.json.error?.message).toMatch(/mode 666, the manifest says 600/);
    expect(r.json.error?.message).toMatch(/owner 1000:1000, the manifest says 0:0/);
  });

  it('never takes the anchor from the archive: without -c or --trust even a self-consistent forgery is refused before it is read', async () => {
    // A folder with no cluster file: the only CA around is the one inside the archive.
    const elsewhere = path('elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    for (const archive of ['own-ca.tar.age', 'genuine.tar.age']) {
      const r = await run(['backup', 'verify', path(archive), '--identity', path('key.txt')], elsewhere);
      refused(r, /nothing to check the archive's signature against: no --trust, and no cluster file/);
    }
    // Before any key is asked for: no identity and no passphrase, still the signature's refusal.
    refused(
      await run(['backup', 'verify', path('genuine.tar.age')], elsewhere),
      /nothing to check the archive's signature against/,
    );
  });

  it('--accept-unsigned reads a forgery knowingly, with a warning', async () => {
    const r = await verify('unsigned.tar.age', '-c', path('cluster.yaml'), '--accept-unsigned');
    expect(r.code, r.stdout).toBe(0);
    expect(r.json.result?.signature).toMatchObject({ verified: false });
    expect(r.stderr).toMatch(/not signed.*--accept-unsigned/);
  });

  it('restore refuses a forgery before any host is reached (exit 2)', async () => {
    const r = await run([
      'restore',
      path('own-ca.tar.age'),
      '-c',
      path('cluster.yaml'),
      '--identity',
      path('key.txt'),
      '--force',
      '--yes',
    ]);
    refused(r, /signed by another CA/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/192\.0\.2\./);
  });

  it('restore onto a new cluster file (disaster recovery) has no CA of its own: it names --trust and --accept-unsigned', async () => {
    const r = await run([
      'restore',
      path('genuine.tar.age'),
      '-c',
      path('dr-site.yaml'),
      '--identity',
      path('key.txt'),
      '--dry-run',
    ]);
    refused(r, /cluster dr-site has no CA certificate on this machine.*disaster recovery/);
    expect(r.json.error?.message).toMatch(
      /Pass --trust with .*the old cluster's ca\.pem.*or --accept-unsigned/,
    );
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/192\.0\.2\./);
  });
});
