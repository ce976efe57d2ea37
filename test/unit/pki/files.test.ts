import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleFiles, writeBundle } from '../../../src/lib/pki/bundle.js';
import { readGivenCa, readLocalCa, writeLocalCa } from '../../../src/lib/pki/ca-store.js';
import { createCa, issueClientCert } from '../../../src/lib/pki/certificates.js';
import { localPkiDir } from '../../../src/lib/pki/paths.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('files on the operator machine', () => {
  let home: string;
  const savedHome = process.env.EECTL_HOME;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'eectl-pki-'));
    process.env.EECTL_HOME = home;
  });
  afterEach(async () => {
    if (savedHome === undefined) delete process.env.EECTL_HOME;
    else process.env.EECTL_HOME = savedHome;
    await rm(home, { recursive: true, force: true });
  });

  it('keeps the cluster CA in ~/.eectl/<cluster>/pki: directory 0700, key 0600, and reads it back', async () => {
    const ca = await createCa('prod');
    expect(await readLocalCa('prod')).toBeUndefined();
    const dir = await writeLocalCa('prod', ca);
    expect(dir).toBe(join(home, 'prod', 'pki'));
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'ca-key.pem'))).toBe(0o600);
    expect(mode(join(dir, 'ca.pem'))).toBe(0o644);
    expect(await readLocalCa('prod')).toEqual({ where: localPkiDir('prod'), ...ca });
  });

  it('writes a client bundle: key 0600 in a 0700 directory, env files pointing the docker CLI at the cluster', async () => {
    const ca = await createCa('prod');
    const client = await issueClientCert(ca, 'alice');
    const dir = join(home, "alice's bundle");
    const files = bundleFiles({
      cluster: 'prod',
      user: 'alice',
      caPem: ca.certPem,
      certPem: client.certPem,
      keyPem: client.keyPem,
      dockerHost: 'tcp://10.0.0.11:2376',
      dir,
      expires: new Date('2027-06-01T00:00:00Z'),
    });
    const written = await writeBundle(dir, files);
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual([
      'ca.pem',
      'cert.pem',
      'key.pem',
      'env.sh',
      'env.ps1',
    ]);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'key.pem'))).toBe(0o600);
    expect(mode(join(dir, 'cert.pem'))).toBe(0o644);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(client.keyPem);
    const envSh = readFileSync(join(dir, 'env.sh'), 'utf8');
    expect(envSh).toContain("export DOCKER_HOST='tcp://10.0.0.11:2376'\n");
    expect(envSh).toContain('export DOCKER_TLS_VERIFY=1\n');
    expect(envSh).toContain(`export DOCKER_CERT_PATH='${join(home, "alice'\\''s bundle")}'\n`);
    const envPs1 = readFileSync(join(dir, 'env.ps1'), 'utf8');
    expect(envPs1).toContain('$Env:DOCKER_HOST = "tcp://10.0.0.11:2376"');
    expect(envPs1).toContain('$Env:DOCKER_CERT_PATH = $PSScriptRoot');
    // A second bundle for the same user replaces the files and keeps the modes.
    await writeBundle(dir, files);
    expect(mode(join(dir, 'key.pem'))).toBe(0o600);
  });

  describe('client-config --out into a directory that exists', () => {
    const bundle = async (dir: string) => {
      const ca = await createCa('prod');
      const client = await issueClientCert(ca, 'bob');
      return bundleFiles({
        cluster: 'prod',
        user: 'bob',
        caPem: ca.certPem,
        certPem: client.certPem,
        keyPem: client.keyPem,
        dockerHost: 'tcp://10.0.0.11:2376',
        dir,
        expires: new Date('2027-06-01T00:00:00Z'),
      });
    };

    it('never chmods it: an empty 0755 directory stays 0755, the key is still 0600', async () => {
      const dir = join(home, 'empty');
      mkdirSync(dir, { mode: 0o755 });
      chmodSync(dir, 0o755);
      await writeBundle(dir, await bundle(dir));
      expect(mode(dir)).toBe(0o755);
      expect(mode(join(dir, 'key.pem'))).toBe(0o600);
    });

    it('refuses a non-empty directory that is not an earlier bundle, writing nothing and changing no mode', async () => {
      const dir = join(home, 'shared');
      mkdirSync(dir, { mode: 0o755 });
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'notes.txt'), 'mine');
      await expect(writeBundle(dir, await bundle(dir))).rejects.toMatchObject({
        code: 'EBUNDLE_DIR',
        message: expect.stringContaining('not empty (notes.txt)'),
      });
      expect(readdirSync(dir)).toEqual(['notes.txt']);
      expect(mode(dir)).toBe(0o755);
    });

    it('refuses a directory others can write to (as /tmp), and a symbolic link', async () => {
      const open = join(home, 'open');
      mkdirSync(open);
      chmodSync(open, 0o1777);
      await expect(writeBundle(open, await bundle(open))).rejects.toMatchObject({ code: 'EBUNDLE_DIR' });
      expect(mode(open)).toBe(0o777);
      expect(readdirSync(open)).toEqual([]);
      const link = join(home, 'link');
      symlinkSync(join(home, 'elsewhere'), link);
      mkdirSync(join(home, 'elsewhere'), { mode: 0o700 });
      await expect(writeBundle(link, await bundle(link))).rejects.toMatchObject({ code: 'EBUNDLE_DIR' });
      expect(readdirSync(join(home, 'elsewhere'))).toEqual([]);
    });

    it('does not follow a symlink planted where a file goes: it is replaced, its target untouched', async () => {
      const dir = join(home, 'planted');
      mkdirSync(dir, { mode: 0o700 });
      const target = join(home, 'victim');
      writeFileSync(target, 'precious', { mode: 0o644 });
      symlinkSync(target, join(dir, 'key.pem'));
      const files = await bundle(dir);
      await writeBundle(dir, files);
      expect(readFileSync(target, 'utf8')).toBe('precious');
      expect(lstatSync(join(dir, 'key.pem')).isSymbolicLink()).toBe(false);
      expect(mode(join(dir, 'key.pem'))).toBe(0o600);
      // No temporary file is left behind.
      expect(readdirSync(dir).sort()).toEqual(['ca.pem', 'cert.pem', 'env.ps1', 'env.sh', 'key.pem']);
    });
  });

  it('writes through exclusively created temporary files: a symlink planted at a guessable name is not followed', async () => {
    const dir = localPkiDir('prod');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const victim = join(home, 'victim');
    writeFileSync(victim, 'precious');
    // The name the temporary file had before (the pid): a local attacker could plant it.
    symlinkSync(victim, join(dir, `ca-key.pem.${process.pid}.tmp`));
    const ca = await createCa('prod');
    await writeLocalCa('prod', ca);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readFileSync(join(dir, 'ca-key.pem'), 'utf8')).toBe(ca.keyPem);
  });

  it('reads controlPlane.ca only when both files are there, the certificate is a CA and the key is its own', async () => {
    const ca = await createCa('prod');
    const other = await createCa('prod');
    const leaf = await issueClientCert(ca, 'x');
    const put = (name: string, text: string) => {
      writeFileSync(join(home, name), text);
      return join(home, name);
    };
    const certPath = put('ca.pem', ca.certPem);
    const keyPath = put('ca-key.pem', ca.keyPem);
    expect(await readGivenCa({ certPath, keyPath })).toMatchObject({
      certPem: ca.certPem,
      keyPem: ca.keyPem,
    });
    await expect(readGivenCa({ certPath, keyPath: join(home, 'nope.pem') })).rejects.toThrow(
      /cannot read .*nope.pem/,
    );
    await expect(readGivenCa({ certPath, keyPath: put('other.pem', other.keyPem) })).rejects.toThrow(
      /is not the key of/,
    );
    await expect(
      readGivenCa({ certPath: put('leaf.pem', leaf.certPem), keyPath: put('leaf-key.pem', leaf.keyPem) }),
    ).rejects.toThrow(/not a CA/);
  });
});
