import { generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  checkArchiveSignature,
  clusterTrustAnchor,
  requireTrust,
  SIGNED_PREFIX,
  signatureProblem,
  signManifest,
  trustAnchor,
  type ManifestSignature,
  type TrustAnchor,
  type TrustPolicy,
} from '../../../src/lib/backup/signature.js';
import { trustPolicy } from '../../../src/lib/backup/trust-flags.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { EectlError } from '../../../src/lib/errors.js';
import { createCa, issueClientCert, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { localPkiDir } from '../../../src/lib/pki/paths.js';
import { x509 } from '../../../src/lib/pki/x509.js';

const manifest = Buffer.from('{\n  "format": 2,\n  "cluster": "prod",\n  "entries": []\n}\n');

let ours: CertifiedKey;
let theirs: CertifiedKey;
let anchor: TrustAnchor;

/** A self-signed CA of another key type (RSA, ECDSA P-384), as controlPlane.ca may name one. */
async function otherCa(
  algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams,
): Promise<CertifiedKey> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=supplied CA',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-384' } : algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem };
}

const refusal = (f: () => unknown): EectlError => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(EectlError);
    return error as EectlError;
  }
  throw new Error('expected a refusal');
};

const policy = (over: Partial<TrustPolicy> = {}): TrustPolicy => ({ anchor, acceptUnsigned: false, ...over });
const quiet = { warn: () => undefined };

describe("the manifest's signature with the cluster CA's key", () => {
  beforeAll(async () => {
    ours = await createCa('prod');
    theirs = await createCa('prod'); // the same name, another key: what a forger would make
    anchor = trustAnchor(ours.certPem, '~/.eectl/prod/pki/ca.pem');
  });

  it('verifies a good signature: ECDSA P-256 (the CA eectl makes), over the manifest bytes as stored', () => {
    const sig = signManifest(manifest, ours);
    const body = JSON.parse(sig.toString()) as ManifestSignature;
    expect(body).toMatchObject({ format: 1, signed: 'manifest.json', algorithm: 'ecdsa-p256-sha256' });
    expect(body.signer.fingerprint).toBe(anchor.fingerprint);
    expect(signatureProblem(manifest, sig, anchor)).toBeUndefined();
    expect(checkArchiveSignature('a.tar.age', { manifest, signature: sig }, policy(), quiet)).toEqual({
      verified: true,
      signer: anchor.fingerprint,
      anchor: '~/.eectl/prod/pki/ca.pem',
    });
  });

  it('refuses the signature when one byte of the manifest changed (exit 2, EBACKUP_SIGNATURE)', () => {
    const sig = signManifest(manifest, ours);
    const changed = Buffer.from(manifest);
    changed[changed.indexOf('prod')] = 'q'.charCodeAt(0);
    expect(signatureProblem(changed, sig, anchor)?.kind).toBe('invalid');
    // Whitespace counts too: the bytes as stored are signed, not the JSON they parse to.
    expect(signatureProblem(Buffer.concat([manifest, Buffer.from(' ')]), sig, anchor)?.kind).toBe('invalid');
    const error = refusal(() =>
      checkArchiveSignature('a.tar.age', { manifest: changed, signature: sig }, policy(), quiet),
    );
    expect([error.code, error.exitCode]).toEqual(['EBACKUP_SIGNATURE', 2]);
    expect(error.message).toMatch(/does not verify against ~\/.eectl\/prod\/pki\/ca.pem/);
    expect(error.message).toContain('--accept-unsigned');
  });

  it('refuses a signature made with another key, whatever signer it names', () => {
    const sig = signManifest(manifest, theirs);
    const found = signatureProblem(manifest, sig, anchor);
    expect(found?.kind).toBe('other-ca');
    const error = refusal(() =>
      checkArchiveSignature('a.tar.age', { manifest, signature: sig }, policy(), quiet),
    );
    expect([error.code, error.exitCode]).toEqual(['EBACKUP_SIGNATURE', 2]);
    expect(error.message).toMatch(/signed by another CA .* not by ~\/.eectl\/prod\/pki\/ca.pem/);
    expect(error.message).toContain('--trust');
    // Claiming to be our CA does not help: the signature is checked with the anchor's key.
    const claimed = JSON.parse(sig.toString()) as ManifestSignature;
    claimed.signer.fingerprint = anchor.fingerprint;
    expect(signatureProblem(manifest, Buffer.from(JSON.stringify(claimed)), anchor)?.kind).toBe('invalid');
    // Nor does naming another algorithm than the anchor's key has (an Ed25519 signature by another key).
    const made: ManifestSignature = {
      ...claimed,
      algorithm: 'ed25519',
      signature: sign(
        null,
        Buffer.from(SIGNED_PREFIX + manifest.toString()),
        generateKeyPairSync('ed25519').privateKey,
      ).toString('base64'),
    };
    expect(signatureProblem(manifest, Buffer.from(JSON.stringify(made)), anchor)?.kind).toBe('invalid');
  });

  it('refuses an unsigned archive, and a signature entry that is not one', () => {
    expect(signatureProblem(manifest, undefined, anchor)?.kind).toBe('unsigned');
    const error = refusal(() =>
      checkArchiveSignature('a.tar.age', { manifest, signature: undefined }, policy(), quiet),
    );
    expect([error.code, error.exitCode]).toEqual(['EBACKUP_SIGNATURE', 2]);
    expect(error.message).toMatch(/a.tar.age: the archive is not signed .*--accept-unsigned/);
    for (const bad of ['not json', '{}', '{"format":9,"signed":"manifest.json","signature":"AA=="}'])
      expect(signatureProblem(manifest, Buffer.from(bad), anchor)?.kind, bad).toBe('malformed');
  });

  it('--accept-unsigned goes on with a warning that says why, and reports the archive as not verified', () => {
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m) };
    const accepted = checkArchiveSignature(
      'a.tar.age',
      { manifest, signature: signManifest(manifest, theirs) },
      policy({ acceptUnsigned: true }),
      log,
    );
    expect(accepted).toMatchObject({ verified: false, problem: expect.stringMatching(/another CA/) });
    expect(warnings.join('\n')).toMatch(/--accept-unsigned.*nothing says who wrote this archive/);
    // A good signature is still verified under --accept-unsigned.
    expect(
      checkArchiveSignature(
        'a.tar.age',
        { manifest, signature: signManifest(manifest, ours) },
        policy({ acceptUnsigned: true }),
        log,
      ).verified,
    ).toBe(true);
  });

  it('signs and verifies with the other CA keys controlPlane.ca may hold: RSA and ECDSA P-384', async () => {
    const rsa = await otherCa({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    });
    const p384 = await otherCa({ name: 'ECDSA', namedCurve: 'P-384' });
    for (const [label, ca, algorithm] of [
      ['rsa', rsa, 'rsa-pkcs1-sha256'],
      ['p384', p384, 'ecdsa-p384-sha384'],
    ] as const) {
      const sig = signManifest(manifest, ca);
      expect((JSON.parse(sig.toString()) as ManifestSignature).algorithm, label).toBe(algorithm);
      const theirAnchor = trustAnchor(ca.certPem, label);
      expect(signatureProblem(manifest, sig, theirAnchor), label).toBeUndefined();
      expect(signatureProblem(manifest, sig, anchor)?.kind, label).toBe('other-ca');
    }
  });
});

describe('trust anchors: only what the operator holds', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'eectl-trust-'));
    process.env.EECTL_HOME = home;
  });
  afterEach(() => {
    delete process.env.EECTL_HOME;
    rmSync(home, { recursive: true, force: true });
  });
  const config = (name: string, controlPlane: Record<string, unknown> = {}) =>
    clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name },
      spec: { hosts: [{ address: '10.0.0.11', role: 'manager' }], controlPlane },
    });

  it("takes the cluster's CA from this machine (~/.eectl/<cluster>/pki/ca.pem), else controlPlane.ca", async () => {
    mkdirSync(localPkiDir('prod'), { recursive: true });
    writeFileSync(join(localPkiDir('prod'), 'ca.pem'), ours.certPem);
    const local = await clusterTrustAnchor(config('prod'));
    expect(local?.fingerprint).toBe(anchor.fingerprint);
    expect(local?.where).toBe(join(localPkiDir('prod'), 'ca.pem'));
    const supplied = join(home, 'supplied-ca.pem');
    writeFileSync(supplied, theirs.certPem);
    const given = await clusterTrustAnchor(
      config('prod', { ca: { certPath: supplied, keyPath: join(home, 'nowhere.pem') } }),
    );
    expect(given?.where).toBe(`controlPlane.ca (${supplied})`);
  });

  it('has no anchor for a cluster this machine never installed (a new site), and then refuses before reading the archive', async () => {
    const dr = config('dr-site');
    expect(await clusterTrustAnchor(dr)).toBeUndefined();
    const p = await trustPolicy({ trust: undefined, acceptUnsigned: false, cluster: dr });
    expect(p.anchor).toBeUndefined();
    const error = refusal(() => requireTrust('prod.tar.age', p));
    expect([error.code, error.exitCode]).toEqual(['EBACKUP_SIGNATURE', 2]);
    expect(error.message).toMatch(/cluster dr-site has no CA certificate on this machine/);
    expect(error.message).toMatch(/Pass --trust with .*the old cluster's ca.pem.*or --accept-unsigned/);
    // With --accept-unsigned it goes on (a warning comes once the archive is read), with --trust it checks.
    expect(() => requireTrust('prod.tar.age', { ...p, acceptUnsigned: true })).not.toThrow();
    const trusted = join(home, 'bundle-ca.pem');
    writeFileSync(trusted, ours.certPem);
    const withTrust = await trustPolicy({ trust: trusted, acceptUnsigned: false, cluster: dr });
    expect(withTrust.anchor).toMatchObject({ where: `--trust ${trusted}`, fingerprint: anchor.fingerprint });
  });

  it('never takes the anchor from the archive: with none, an archive whose own CA signed it is still refused', () => {
    // What a forger writes: their CA in pki/ca.pem and a manifest signed with its key. The reader has no
    // anchor of its own, so nothing in the archive is trusted, however consistent.
    const sig = signManifest(manifest, theirs);
    const error = refusal(() =>
      checkArchiveSignature(
        'forged.tar.age',
        { manifest, signature: sig },
        { anchor: undefined, acceptUnsigned: false, noAnchor: 'no --trust and no cluster file' },
        quiet,
      ),
    );
    expect(error.code).toBe('EBACKUP_SIGNATURE');
  });

  it('refuses a --trust file that is no CA certificate (a bundle cert.pem, or not PEM)', async () => {
    const leaf = await issueClientCert(ours, 'alice');
    expect(refusal(() => trustAnchor(leaf.certPem, '--trust cert.pem')).message).toMatch(/not a CA's/);
    expect(refusal(() => trustAnchor('hello', '--trust x')).code).toBe('EBACKUP_TRUST');
    await expect(
      trustPolicy({ trust: join(home, 'missing.pem'), acceptUnsigned: false, cluster: undefined }),
    ).rejects.toMatchObject({ code: 'EBACKUP_TRUST', exitCode: 2 });
  });
});
