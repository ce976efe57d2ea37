import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueServerCert } from '../../../src/lib/pki/certificates.js';
import { serveGate } from '../../../src/lib/registry/gate.js';
import { htpasswdFile } from '../../../src/lib/registry/htpasswd.js';
import { registryBinary, startDistribution } from '../../helpers/distribution.js';

/**
 * The immutable-tag gate in front of the real Distribution (2.8.2, the sandbox image's binary) listening
 * on a unix socket only, as install runs them on a registry host: pushes, re-pushes and moves by HTTP,
 * and hostile spellings of a move, each followed by reading the tag from Distribution.
 */

const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';
const AUTH = `Basic ${Buffer.from('ci:ci-password').toString('base64')}`;
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let dir: string;
let caPem: string;
let gate: { port: number; close: () => Promise<void> } | undefined;
let registry: { stop: () => Promise<void>; output: () => string } | undefined;
const gateLog: string[] = [];

function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer | string; auth?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gate!.port,
        method,
        path,
        ca: caPem,
        headers: { ...(options.auth === false ? {} : { authorization: AUTH }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Uploads a blob in two steps (POST, then PATCH streamed, then PUT with the digest), as docker push does. */
async function pushBlob(repository: string, content: Buffer): Promise<string> {
  const start = await call('POST', `/v2/${repository}/blobs/uploads/`);
  expect(start.status, start.body).toBe(202);
  const location = new URL(start.headers.location as string);
  // Distribution was told how the gate was reached: its Location is the gate's HTTPS URL.
  expect(location.origin).toBe(`https://127.0.0.1:${gate!.port}`);
  const patch = await call('PATCH', `${location.pathname}${location.search}`, {
    body: content,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(patch.status, patch.body).toBe(202);
  const next = new URL(patch.headers.location as string);
  const digest = sha(content);
  next.searchParams.set('digest', digest);
  const done = await call('PUT', `${next.pathname}${next.search}`);
  expect(done.status, done.body).toBe(201);
  return digest;
}

/** A schema2 manifest whose config is `marker`; its blobs pushed to `repository` first. */
async function image(
  repository: string,
  marker: string,
  layer: Buffer,
): Promise<{ body: string; digest: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', marker }));
  const configDigest = await pushBlob(repository, config);
  const layerDigest = await pushBlob(repository, layer);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: SCHEMA2,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: config.length,
      digest: configDigest,
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.length,
        digest: layerDigest,
      },
    ],
  });
  return { body, digest: sha(body) };
}

const putManifest = (path: string, body: string, headers: Record<string, string> = {}, auth = true) =>
  call('PUT', path, { body, headers: { 'content-type': SCHEMA2, ...headers }, auth });

async function tagDigest(repository: string, tag: string): Promise<string | undefined> {
  const r = await call('HEAD', `/v2/${repository}/manifests/${tag}`, { headers: { accept: SCHEMA2 } });
  return r.status === 200 ? (r.headers['docker-content-digest'] as string) : undefined;
}

describe('the registry gate before a real Distribution (registry.immutable)', () => {
  let layer: Buffer;
  let a: { body: string; digest: string };
  let b: { body: string; digest: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eectl-gate-'));
    const binary = await registryBinary(dir);
    if (!binary)
      throw new Error('the sandbox registry image is not on this engine: eectl sandbox up builds it');
    const ca = await createCa('t');
    caPem = ca.certPem;
    const server = await issueServerCert(ca, {
      commonName: '127.0.0.1',
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
    });
    await writeFile(join(dir, 'cert.pem'), server.certPem);
    await writeFile(join(dir, 'key.pem'), server.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'htpasswd'), await htpasswdFile([{ name: 'ci', password: 'ci-password' }]));
    const socket = join(dir, 'registry.sock');
    registry = await startDistribution({
      binary,
      dir,
      certFile: join(dir, 'cert.pem'),
      keyFile: join(dir, 'key.pem'),
      auth: ['htpasswd:', '  realm: test', `  path: ${JSON.stringify(join(dir, 'htpasswd'))}`],
      socket,
    });
    gate = await serveGate(
      {
        port: 0,
        host: '127.0.0.1',
        socket,
        immutable: ['release/*'],
        certFile: join(dir, 'cert.pem'),
        keyFile: join(dir, 'key.pem'),
      },
      (line) => gateLog.push(line),
    );
    layer = randomBytes(3 << 20); // 3 MiB, streamed in one PATCH
    a = await image('release/app', 'a', layer);
    b = await image('release/app', 'b', layer);
    await image('other/app', 'a', layer);
    await image('other/app', 'b', layer);
  }, 60_000);

  afterAll(async () => {
    await gate?.close();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets a new tag, the same image again and a new tag for another image through', async () => {
    expect((await putManifest('/v2/release/app/manifests/1.0', a.body)).status).toBe(201);
    expect((await putManifest('/v2/release/app/manifests/1.0', a.body)).status).toBe(201);
    expect((await putManifest('/v2/release/app/manifests/1.1', b.body)).status).toBe(201);
    expect(await tagDigest('release/app', '1.0')).toBe(a.digest);
    expect(await tagDigest('release/app', '1.1')).toBe(b.digest);
  });

  it('refuses moving the tag with a DENIED error naming the pattern and what to do; the tag stays', async () => {
    const moved = await putManifest('/v2/release/app/manifests/1.0', b.body);
    expect(moved.status).toBe(403);
    const error = (JSON.parse(moved.body) as { errors: { code: string; message: string }[] }).errors[0]!;
    expect(error.code).toBe('DENIED');
    expect(error.message).toContain("tag release/app:1.0 is immutable (registry.immutable 'release/*')");
    expect(error.message).toContain('Push the image under a new tag instead');
    expect(await tagDigest('release/app', '1.0')).toBe(a.digest);
    expect(gateLog.some((l) => l.includes('"status":403') && l.includes('release/app/manifests/1.0'))).toBe(
      true,
    );
  });

  it('lets a repository no pattern names move its tag', async () => {
    expect((await putManifest('/v2/other/app/manifests/1.0', a.body)).status).toBe(201);
    expect((await putManifest('/v2/other/app/manifests/1.0', b.body)).status).toBe(201);
    expect(await tagDigest('other/app', '1.0')).toBe(b.digest);
  });

  it("answers an unsigned push with the registry's own challenge, and the tag stays", async () => {
    const r = await putManifest('/v2/release/app/manifests/1.0', b.body, {}, false);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="test"');
    expect(await tagDigest('release/app', '1.0')).toBe(a.digest);
  });

  it('refuses hostile spellings of the move before Distribution sees them; the tag stays', async () => {
    const hostile: [string, Record<string, string>][] = [
      ['/v2/release%2Fapp/manifests/1.0', {}],
      ['/v2/release/app/manifests/1%2E0', {}],
      ['/v2/release/x/../app/manifests/1.0', {}],
      ['/v2/release/./app/manifests/1.0', {}],
      ['/v2/release//app/manifests/1.0', {}],
      ['//v2/release/app/manifests/1.0', {}],
      ['/v2/release/app/manifests/1.0/', {}],
      ['/v2/Release/app/manifests/1.0', {}],
      [`/v2/release/app/manifests/${a.digest}?tag=1.0`, {}],
    ];
    for (const [path, headers] of hostile) {
      const r = await putManifest(path, b.body, headers);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).not.toBe(401);
    }
    const override = await call('POST', '/v2/release/app/blobs/uploads/', {
      headers: { 'x-http-method-override': 'PUT' },
    });
    expect(override.status).toBe(400);
    const typed = await putManifest('/v2/release/app/manifests/1.0', b.body, {
      'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws',
    });
    expect(typed.status).toBe(400);
    const deleted = await call('DELETE', `/v2/release/app/manifests/${a.digest}`);
    expect(deleted.status).toBe(403);
    expect(await tagDigest('release/app', '1.0')).toBe(a.digest);
  });

  it('streams pulls through: a 3 MiB layer comes back whole', async () => {
    const r = await new Promise<Buffer>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: gate!.port,
          path: `/v2/release/app/blobs/${sha(layer)}`,
          ca: caPem,
          headers: { authorization: AUTH },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(sha(r)).toBe(sha(layer));
  });
});
