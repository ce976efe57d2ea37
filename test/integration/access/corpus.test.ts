import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePlugin } from '../../../src/lib/access/plugin.js';
import { createCa, issueClientCert, type CertifiedKey } from '../../../src/lib/pki/certificates.js';
import { CORPUS, CORPUS_POLICY, corpusLookup, type CorpusRequest } from '../../helpers/access-corpus.js';

/**
 * The hostile-request corpus through the plugin's own socket, sent the way the engine sends it
 * (docker.authz/1.0: the raw request target, the body base64 or absent, the client certificate as base64
 * PEM), with real certificates of a cluster CA and the policy read from its file: every hostile request
 * refused with its reason, every twin allowed.
 */
describe('the hostile-request corpus on the plugin’s socket', () => {
  let dir = '';
  let socket = '';
  let plugin: { close: () => Promise<void> };
  const certs = new Map<string, CertifiedKey>();
  const audit: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eectl-authz-corpus-'));
    socket = join(dir, 'authz.sock');
    const ca = await createCa('corpus');
    for (const user of new Set(CORPUS.flatMap((c) => [c.hostile.user, c.twin.user]))) {
      certs.set(user, await issueClientCert(ca, user));
    }
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    await writeFile(join(dir, 'policy.json'), JSON.stringify(CORPUS_POLICY));
    plugin = await servePlugin({
      socket,
      policyFile: join(dir, 'policy.json'),
      caFile: join(dir, 'ca.pem'),
      lookup: corpusLookup,
      log: (line) => audit.push(line),
    });
  });
  afterAll(async () => {
    await plugin?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** One AuthZReq as the engine sends it; the plugin's answer. */
  const authz = (r: CorpusRequest) =>
    new Promise<{ Allow: boolean; Msg?: string }>((resolve, reject) => {
      const body =
        r.body === undefined || r.body === null
          ? undefined
          : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)).toString('base64');
      const text = JSON.stringify({
        User: r.user,
        UserAuthNMethod: 'TLS',
        RequestMethod: r.method,
        RequestUri: r.uri,
        RequestBody: body,
        RequestHeaders: { 'Content-Type': 'application/json' },
        RequestPeerCertificates: [Buffer.from(certs.get(r.user)!.certPem).toString('base64')],
      });
      const req = request(
        {
          socketPath: socket,
          path: '/AuthZPlugin.AuthZReq',
          method: 'POST',
          headers: { 'Content-Length': Buffer.byteLength(text) },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        },
      );
      req.on('timeout', () => req.destroy(new Error('the plugin did not answer in 10 s')));
      req.on('error', reject);
      req.end(text);
    });

  it.each(CORPUS)('$class: $name', async (c) => {
    const refused = await authz(c.hostile);
    expect(refused.Allow, `hostile request allowed`).toBe(false);
    expect(refused.Msg).toMatch(c.hostile.reason);
    const twin = await authz(c.twin);
    expect(twin, `allowed twin refused: ${twin.Msg}`).toEqual({ Allow: true });
  });

  it('wrote one audit line per decision', () => {
    expect(audit.filter((l) => l.includes('"allow":false')).length).toBeGreaterThanOrEqual(CORPUS.length);
  });
});
