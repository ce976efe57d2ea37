import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
