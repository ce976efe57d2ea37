import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { servePlugin } from '../../../src/lib/access/plugin.js';
import { createCa, issueClientCert, type CertifiedKey } from '../../../src/lib/pki/certificates.js';

/**
 * The plugin on a real unix socket, called the way the engine calls it (docker.authz/1.0: JSON over HTTP,
 * Go's []byte fields base64, the peer certificates as base64 PEM), with real certificates from the cluster CA.
 */
describe('authorization plugin over its socket', () => {
  let dir: string;
  let socket: string;
  let policyFile: string;
  let ca: CertifiedKey;
  let alice: CertifiedKey;
  let stranger: CertifiedKey;
  const lines: string[] = [];
  let plugin: { close: () => Promise<void> };

  const policy = (grants: AccessPolicy['grants']): AccessPolicy => ({
    version: 1,
    cluster: 't',
    users: [{ name: 'alice', admin: false, defaultCollection: '/Shared/Private/alice' }],
    teams: [],
    grants,
    revoked: [],
  });
  const writePolicy = async (p: AccessPolicy) => {
    await writeFile(`${policyFile}.tmp`, JSON.stringify(p));
    await rename(`${policyFile}.tmp`, policyFile);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eectl-authz-'));
    socket = join(dir, 'plugins', 'eectl-authz.sock');
    policyFile = join(dir, 'policy.json');
    ca = await createCa('t');
    alice = await issueClientCert(ca, 'alice');
    stranger = await issueClientCert(await createCa('other'), 'alice');
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    await writePolicy(policy([{ user: 'alice', role: 'viewOnly', collection: '/Shared' }]));
    plugin = await servePlugin({
      socket,
      policyFile,
      caFile: join(dir, 'ca.pem'),
      lookup: { inspect: async () => ({ Spec: { Labels: { 'eectl.collection': '/Shared/team' } } }) },
      log: (l) => lines.push(l),
    });
  });
  afterAll(async () => {
    await plugin.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (path: string, body: unknown): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(
        { socketPath: socket, path, method: 'POST', headers: { 'Content-Length': Buffer.byteLength(text) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>),
          );
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  const authz = (method: string, uri: string, cert?: CertifiedKey, body?: unknown) =>
    call('/AuthZPlugin.AuthZReq', {
      User: cert ? 'alice' : undefined,
      RequestMethod: method,
      RequestUri: uri,
      RequestBody: body === undefined ? undefined : Buffer.from(JSON.stringify(body)).toString('base64'),
      RequestPeerCertificates: cert ? [Buffer.from(cert.certPem).toString('base64')] : undefined,
    });

  it('activates as an authz plugin', async () => {
    expect(await call('/Plugin.Activate', {})).toEqual({ Implements: ['authz'] });
    expect(await call('/AuthZPlugin.AuthZRes', {})).toEqual({ Allow: true });
    expect((await readdir(join(dir, 'plugins'))).includes('eectl-authz.sock')).toBe(true);
  });

  it('decides by the certificate and logs every decision as a JSON line', async () => {
    expect(await authz('GET', '/v1.41/services/web', alice)).toEqual({ Allow: true });
    const denied = await authz('DELETE', '/v1.41/services/web', alice);
    expect(denied.Allow).toBe(false);
    expect(String(denied.Msg)).toMatch(/no delete permission on \/Shared\/team/);
    const last = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({
      user: 'alice',
      method: 'DELETE',
      path: '/v1.41/services/web',
      allow: false,
    });
    expect(last.resource).toBe('service web in /Shared/team');
  });

  it("holds the ingress watcher's certificate to its rule, and logs its writes and refusals, not its reads", async () => {
    const watcher = await issueClientCert(ca, 'eectl-ingress-watcher');
    const asWatcher = (method: string, uri: string) =>
      call('/AuthZPlugin.AuthZReq', {
        User: 'eectl-ingress-watcher',
        RequestMethod: method,
        RequestUri: uri,
        RequestPeerCertificates: [Buffer.from(watcher.certPem).toString('base64')],
      });
    const before = lines.length;
    expect(await asWatcher('GET', '/services')).toEqual({ Allow: true });
    expect(await asWatcher('GET', '/info')).toEqual({ Allow: true });
    expect(lines.length).toBe(before);
    const refused = await asWatcher('GET', '/containers/json');
    expect(refused.Allow).toBe(false);
    expect(String(refused.Msg)).toContain("the ingress watcher's rule");
    expect(lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ user: 'eectl-ingress-watcher', path: '/containers/json', allow: false }),
    ]);
  });

  it('refuses a certificate of another CA with the same name', async () => {
    const d = await authz('GET', '/_ping', stranger);
    expect(d.Allow).toBe(false);
    expect(String(d.Msg)).toMatch(/not issued by the cluster CA/);
  });

  it('takes either CA of a two-CA file (a cluster CA rotation), read without a restart, and still no other', async () => {
    const next = await createCa('t');
    const bob = await issueClientCert(next, 'alice');
    expect((await authz('GET', '/_ping', bob)).Allow).toBe(false);
    await writeFile(join(dir, 'ca.pem.tmp'), ca.certPem + next.certPem);
    await rename(join(dir, 'ca.pem.tmp'), join(dir, 'ca.pem'));
    await new Promise((r) => setTimeout(r, 1100));
    try {
      expect(await authz('GET', '/v1.41/services/web', bob)).toEqual({ Allow: true });
      expect(await authz('GET', '/v1.41/services/web', alice)).toEqual({ Allow: true });
      expect((await authz('GET', '/_ping', stranger)).Allow).toBe(false);
    } finally {
      await writeFile(join(dir, 'ca.pem.tmp'), ca.certPem);
      await rename(join(dir, 'ca.pem.tmp'), join(dir, 'ca.pem'));
      await new Promise((r) => setTimeout(r, 1100));
    }
  });

  it('allows the local socket (no certificate)', async () => {
    expect(await authz('POST', '/v1.41/swarm/leave')).toEqual({ Allow: true });
  });

  it('reads a changed policy file without a restart', async () => {
    await writePolicy(policy([{ user: 'alice', role: 'fullControl', collection: '/Shared' }]));
    await new Promise((r) => setTimeout(r, 1100));
    expect(await authz('DELETE', '/v1.41/services/web', alice)).toEqual({ Allow: true });
  });

  it('keeps the last good policy when the file is broken', async () => {
    await writeFile(policyFile, '{ broken');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await authz('DELETE', '/v1.41/services/web', alice)).toEqual({ Allow: true });
    expect(lines.some((l) => l.includes('keeping the last good copy'))).toBe(true);
    expect(await readFile(policyFile, 'utf8')).toBe('{ broken');
  });
});
