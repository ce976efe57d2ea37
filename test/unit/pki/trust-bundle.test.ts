import { beforeAll, describe, expect, it } from 'vitest';
import { certificateIdentity } from '../../../src/lib/access/plugin.js';
import { createCa, issueClientCert, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { signedBy } from '../../../src/lib/pki/inspect.js';
import { watcherCertProblem } from '../../../src/lib/phases/ingress-watcher.js';
import {
  firstCertificate,
  parseTrustBundle,
  pemCertificates,
  trustBundle,
} from '../../../src/lib/pki/trust-bundle.js';

/** Every reader of a CA file, given the two-CA bundle of a cluster CA rotation. */
describe('a CA file with the old and the new cluster CA (trust bundle)', () => {
  let oldCa: CertifiedKey;
  let newCa: CertifiedKey;
  let unknown: CertifiedKey;
  let bundle: string;
  const b64 = (c: CertifiedKey) => Buffer.from(c.certPem).toString('base64');

  beforeAll(async () => {
    [oldCa, newCa, unknown] = await Promise.all([createCa('t'), createCa('t'), createCa('other')]);
    bundle = trustBundle([oldCa.certPem, newCa.certPem]);
  });

  it('holds both, in order, once each', () => {
    expect(pemCertificates(bundle)).toEqual([oldCa.certPem.trim(), newCa.certPem.trim()]);
    expect(trustBundle([bundle, newCa.certPem])).toBe(bundle);
    expect(firstCertificate(bundle)).toBe(oldCa.certPem.trim());
    expect(parseTrustBundle(bundle)).toHaveLength(2);
    expect(() => parseTrustBundle('nothing')).toThrow(/no PEM certificate/);
  });

  it('the plugin and the token service (certificateIdentity) take a client of either CA, and refuse another CA', async () => {
    const cas = parseTrustBundle(bundle);
    const [fromOld, fromNew, stranger] = await Promise.all([
      issueClientCert(oldCa, 'alice'),
      issueClientCert(newCa, 'bob'),
      issueClientCert(unknown, 'alice'),
    ]);
    expect(certificateIdentity(b64(fromOld), cas)).toMatchObject({ kind: 'certificate', user: 'alice' });
    expect(certificateIdentity(b64(fromNew), cas)).toMatchObject({ kind: 'certificate', user: 'bob' });
    expect(certificateIdentity(b64(stranger), cas)).toEqual({
      kind: 'invalid',
      why: 'not issued by the cluster CA',
    });
    // Once the old CA is gone from the file, its certificates are refused.
    const newOnly = parseTrustBundle(newCa.certPem);
    expect(certificateIdentity(b64(fromOld), newOnly)).toMatchObject({ kind: 'invalid' });
    expect(certificateIdentity(b64(fromNew), newOnly)).toMatchObject({ kind: 'certificate' });
  });

  it('signedBy (install, the watcher) accepts either CA of the bundle and no other', async () => {
    const [fromOld, fromNew, stranger] = await Promise.all([
      issueClientCert(oldCa, 'eectl-ingress-watcher'),
      issueClientCert(newCa, 'eectl-ingress-watcher'),
      issueClientCert(unknown, 'eectl-ingress-watcher'),
    ]);
    expect(signedBy(fromOld.certPem, bundle)).toBe(true);
    expect(signedBy(fromNew.certPem, bundle)).toBe(true);
    expect(signedBy(stranger.certPem, bundle)).toBe(false);
    expect(signedBy(fromNew.certPem, oldCa.certPem)).toBe(false);
    expect(watcherCertProblem(fromNew.certPem, fromNew.keyPem, bundle)).toBeUndefined();
    expect(watcherCertProblem(stranger.certPem, stranger.keyPem, bundle)).toBe(
      'not issued by the cluster CA',
    );
  });
});
