import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrySignatures } from '../../../src/lib/access/signed-images.js';
import { parseCosignPublicKey } from '../../../src/lib/images/cosign-key.js';
import { parseImageReference, signatureTag } from '../../../src/lib/images/reference.js';
import { createCa, issueServerCert } from '../../../src/lib/pki/certificates.js';

/**
 * The plugin's registry reader against a real HTTPS registry on loopback (a certificate from the cluster
 * CA, basic auth) that serves what the real cosign stored for a digest (test/fixtures/cosign).
 */
describe('the plugin reads signatures from the cluster registry', () => {
  const fixtures = join(import.meta.dirname, '../../fixtures/cosign');
  const DIGEST = 'sha256:fc0ab4bb4da01470160d6aeba961c1a2ff46cf15ce2badc1a80c22970c1f8875';
  const PASSWORD = 'registry-admin-password';
  const keys = [parseCosignPublicKey(readFileSync(join(fixtures, 'cosign.pub'), 'utf8'), 'cosign.pub')];
  let dir = '';
  let server: Server;
  let registry = '';
  const seen: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eectl-signatures-'));
    const ca = await createCa('t');
    const cert = await issueServerCert(ca, {
      commonName: '127.0.0.1',
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
    });
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    await writeFile(join(dir, 'other-ca.pem'), (await createCa('other')).certPem);
    await writeFile(join(dir, 'admin-password'), `${PASSWORD}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'wrong-password'), 'nope\n', { mode: 0o600 });
    const expected = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end('{"errors":[]}');
        return;
      }
      const manifest = `/v2/demo/busybox/manifests/${signatureTag(DIGEST)}`;
      if (req.url === manifest) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(readFileSync(join(fixtures, 'signature-manifest.json')));
      } else if (req.url?.startsWith('/v2/demo/busybox/blobs/sha256:b4b5422d')) {
        res.writeHead(200).end(readFileSync(join(fixtures, 'payload.json')));
      } else {
        res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const ref = () => parseImageReference(`${registry}/demo/busybox@${DIGEST}`);

  it('as the registry admin, trusting the cluster CA: the cosign signature verifies', async () => {
    const read = registrySignatures({
      caFile: join(dir, 'ca.pem'),
      passwordFile: join(dir, 'admin-password'),
    });
    const found = await read(ref(), DIGEST, keys);
    expect(found).toMatchObject({ signedBy: 'cosign.pub', signatures: 1 });
    expect(seen).toContain(`GET /v2/demo/busybox/manifests/${signatureTag(DIGEST)}`);
    // Another digest of the repository: no signature manifest, nothing vouches.
    const other = `sha256:${'c'.repeat(64)}`;
    expect(await read(ref(), other, keys)).toEqual({ digest: other, rejected: [], signatures: 0 });
  });

  it('refuses a registry whose certificate is not from the cluster CA, and a wrong password', async () => {
    const foreign = registrySignatures({
      caFile: join(dir, 'other-ca.pem'),
      passwordFile: join(dir, 'admin-password'),
    });
    await expect(foreign(ref(), DIGEST, keys)).rejects.toThrow(/certificate|self[- ]signed|issuer/i);
    const wrong = registrySignatures({
      caFile: join(dir, 'ca.pem'),
      passwordFile: join(dir, 'wrong-password'),
    });
    await expect(wrong(ref(), DIGEST, keys)).rejects.toThrow(/HTTP 401/);
  });
});
