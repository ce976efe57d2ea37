import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CA_VALIDITY_DAYS,
  createCa,
  issueClientCert,
  issueServerCert,
  LEAF_VALIDITY_DAYS,
  type CertifiedKey,
} from '../../../src/lib/pki/certificates.js';
import { signedBy, summarizeCertificate } from '../../../src/lib/pki/inspect.js';
import { importSigningKey, keyMatchesCert } from '../../../src/lib/pki/keys.js';
import { subtle, x509 } from '../../../src/lib/pki/x509.js';
import { redact } from '../../../src/lib/util/redact.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const names = {
  commonName: 'm1',
  dnsNames: ['cluster.example.com', 'localhost', 'm1'],
  ipAddresses: ['10.0.0.11', '127.0.0.1'],
};

function extensions(pem: string) {
  const cert = new x509.X509Certificate(pem);
  return {
    basic: cert.getExtension(x509.BasicConstraintsExtension),
    usage: cert.getExtension(x509.KeyUsagesExtension),
    extended: cert.getExtension(x509.ExtendedKeyUsageExtension),
    san: cert.getExtension(x509.SubjectAlternativeNameExtension),
  };
}

describe('cluster CA', () => {
  it('is a self-signed ECDSA P-256 CA: basicConstraints CA (critical, path length 0), keyCertSign + cRLSign, ten years', async () => {
    const ca = await createCa('prod', NOW);
    const cert = new X509Certificate(ca.certPem);
    expect(cert.subject).toContain('CN=eectl prod CA');
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const { basic, usage, extended } = extensions(ca.certPem);
    expect(basic).toMatchObject({ ca: true, pathLength: 0, critical: true });
    expect(usage?.critical).toBe(true);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(extended).toBeNull();
    const s = summarizeCertificate(ca.certPem);
    expect(s.notBefore.getTime()).toBeLessThan(NOW.getTime());
    expect(Math.round((s.notAfter.getTime() - NOW.getTime()) / DAY)).toBe(CA_VALIDITY_DAYS);
    expect(keyMatchesCert(ca.keyPem, ca.certPem)).toBe(true);
  });

  it('never shows its key in a log line', async () => {
    const ca = await createCa('prod', NOW);
    expect(redact(`uploading ${ca.keyPem}`)).not.toContain(ca.keyPem.split('\n')[1]);
  });
});

describe('server and client certificates', () => {
  let ca: CertifiedKey;
  let other: CertifiedKey;

  it('server: serverAuth only, digitalSignature, not a CA, the wanted names, one year, signed by the CA', async () => {
    ca = await createCa('prod', NOW);
    other = await createCa('prod', NOW);
    const server = await issueServerCert(ca, names, NOW);
    const { basic, usage, extended, san } = extensions(server.certPem);
    expect(basic?.ca).toBe(false);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(extended?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(san).not.toBeNull();
    const s = summarizeCertificate(server.certPem);
    expect(s.subject).toBe('CN=m1');
    expect(s.dnsNames.sort()).toEqual(names.dnsNames);
    expect(s.ipAddresses.sort()).toEqual(names.ipAddresses);
    expect(Math.round((s.notAfter.getTime() - NOW.getTime()) / DAY)).toBe(LEAF_VALIDITY_DAYS);
    expect(new X509Certificate(server.certPem).checkHost('m1')).toBe('m1');
    expect(new X509Certificate(server.certPem).checkIP('10.0.0.11')).toBe('10.0.0.11');
    expect(new X509Certificate(server.certPem).checkIP('10.0.0.12')).toBeUndefined();
    expect(signedBy(server.certPem, ca.certPem)).toBe(true);
    expect(signedBy(server.certPem, other.certPem)).toBe(false);
    expect(keyMatchesCert(server.keyPem, server.certPem)).toBe(true);
    expect(keyMatchesCert(ca.keyPem, server.certPem)).toBe(false);
  });

  it('client: clientAuth only, CN = the user, no names, signed by the CA', async () => {
    const client = await issueClientCert(ca, 'alice', NOW);
    const { basic, usage, extended, san } = extensions(client.certPem);
    expect(basic?.ca).toBe(false);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(extended?.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(san).toBeNull();
    expect(summarizeCertificate(client.certPem).subject).toBe('CN=alice');
    expect(signedBy(client.certPem, ca.certPem)).toBe(true);
  });

  it('signs with a CA given as an RSA key in PKCS#1 PEM (an older CA of the site)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const signer = await importSigningKey(keyPem, 'test');
    const publicKey = await subtle.importKey(
      'spki',
      rsa.publicKey.export({ type: 'spki', format: 'der' }),
      signer.algorithm,
      true,
      ['verify'],
    );
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=site CA',
      keys: { privateKey: signer.key, publicKey },
      signingAlgorithm: signer.algorithm,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const site = { certPem: caCert.toString('pem'), keyPem };
    const server = await issueServerCert(site, names, NOW);
    expect(signedBy(server.certPem, site.certPem)).toBe(true);
  });

  it('refuses a key that is not PEM', async () => {
    await expect(importSigningKey('not a key', 'controlPlane.ca')).rejects.toThrow(/not a PEM private key/);
  });
});
