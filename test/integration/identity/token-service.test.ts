import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessPolicy } from '../../../src/lib/access/model.js';
import { signRegistryToken } from '../../../src/lib/access/registry-token.js';
import { FailureLimiter, mintFromStdin, serveTokens } from '../../../src/lib/access/token-service.js';
import { clusterSchema } from '../../../src/lib/config/schema.js';
import { RegistryReader } from '../../../src/lib/dashboard/registry-reader.js';
import { OCI_MANIFEST, RegistryClient } from '../../../src/lib/images/registry-client.js';
import {
  createCa,
  issueClientCert,
  issueServerCert,
  issueTokenSigningCert,
  type CertifiedKey,
} from '../../../src/lib/pki/certificates.js';
import { nullLogger } from '../../../src/lib/util/log.js';
import { freePort, registryBinary, startDistribution } from '../../helpers/distribution.js';
import { haveSlapd, startSlapd, type Slapd } from '../../helpers/slapd.js';

/**
 * The token service over HTTPS on loopback, with a real OpenLDAP directory (slapd) for directory users'
 * passwords and the real Distribution 2.8 registry (the sandbox image's binary) checking its tokens.
 */

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const SERVICE = 'eectl-t-registry';
const ISSUER = 'eectl-t-token-service';

describe.runIf(haveSlapd())('the registry token service', () => {
  let dir = '';
  let ca: CertifiedKey;
  let signing: CertifiedKey;
  let slapd: Slapd;
  let tokens: { port: number; close: () => Promise<void> };
  let registry: Awaited<ReturnType<typeof startDistribution>> | undefined;
  const log: string[] = [];
  let policy: AccessPolicy;
  const policyFile = () => join(dir, 'policy.json');

  const get = (
    url: string,
    headers: Record<string, string> = {},
    tls: { cert?: string; key?: string } = {},
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request(url, { ca: [ca.certPem], headers, timeout: 10_000, ...tls }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const tokenUrl = (scopes: string[] = [], port = tokens.port) =>
    `https://127.0.0.1:${port}/token?service=${SERVICE}${scopes.map((s) => `&scope=${encodeURIComponent(s)}`).join('')}`;
  const claims = (reply: Reply) => {
    const { token } = JSON.parse(reply.body) as { token: string };
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
      sub: string;
      access: { name: string; actions: string[] }[];
    };
  };
  const writePolicy = async (p: AccessPolicy) => {
    await writeFile(policyFile(), JSON.stringify(p));
    // The service checks the file for a change once a second.
    await new Promise((r) => setTimeout(r, 1200));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eectl-token-'));
    ca = await createCa('t');
    const server = await issueServerCert(ca, {
      commonName: '127.0.0.1',
      dnsNames: [],
      ipAddresses: ['127.0.0.1'],
    });
    signing = await issueTokenSigningCert(ca, 't');
    slapd = await startSlapd({
      users: [
        { uid: 'alice', password: 'alice-pw' },
        { uid: 'mallory', password: 'mallory-pw' },
      ],
    });
    policy = {
      version: 1,
      cluster: 't',
      users: [
        { name: 'ops', admin: true, defaultCollection: '/', source: 'file' },
        { name: 'dev', admin: false, defaultCollection: '/Shared/web', source: 'file' },
        { name: 'nohash', admin: false, defaultCollection: '/Shared/web', source: 'file' },
        {
          name: 'alice',
          admin: false,
          defaultCollection: '/Shared/web',
          source: 'ldap',
          dn: slapd.userDn('alice'),
        },
      ],
      teams: [{ name: 'web', members: ['dev', 'alice'] }],
      grants: [{ team: 'web', role: 'restrictedControl', collection: '/Shared/web' }],
      revoked: [],
      registry: {
        service: SERVICE,
        issuer: ISSUER,
        expirySeconds: 300,
        namespaces: [
          { name: 'web', collection: '/Shared/web', public: false },
          { name: 'api', collection: '/Shared/api', public: true },
        ],
      },
      directory: {
        url: slapd.ldapsUrl,
        startTLS: false,
        insecure: false,
        caPem: slapd.caPem,
        timeoutSeconds: 5,
      },
    };
    const files: [string, string][] = [
      ['ca.pem', ca.certPem],
      ['server-cert.pem', server.certPem],
      ['server-key.pem', server.keyPem],
      ['token-cert.pem', signing.certPem],
      ['token-key.pem', signing.keyPem],
      ['policy.json', JSON.stringify(policy)],
      [
        'logins.json',
        JSON.stringify({
          users: { ops: await bcrypt.hash('ops-pw', 4), dev: await bcrypt.hash('dev-pw', 4) },
        }),
      ],
    ];
    for (const [name, content] of files) await writeFile(join(dir, name), content, { mode: 0o600 });
    tokens = await serveTokens({
      port: 0,
      host: '127.0.0.1',
      policyFile: policyFile(),
      caFile: join(dir, 'ca.pem'),
      certFile: join(dir, 'server-cert.pem'),
      keyFile: join(dir, 'server-key.pem'),
      signingKeyFile: join(dir, 'token-key.pem'),
      loginsFile: join(dir, 'logins.json'),
      log: (line) => log.push(line),
      limiter: new FailureLimiter(1000),
    });
    const binary = await registryBinary(dir);
    if (binary) {
      registry = await startDistribution({
        binary,
        dir,
        certFile: join(dir, 'server-cert.pem'),
        keyFile: join(dir, 'server-key.pem'),
        auth: [
          'token:',
          `  realm: https://127.0.0.1:${tokens.port}/token`,
          `  service: ${SERVICE}`,
          `  issuer: ${ISSUER}`,
          `  rootcertbundle: ${join(dir, 'token-cert.pem')}`,
        ],
      });
    }
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
    await tokens?.close();
    await slapd?.stop(true);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives a file user a token for docker login (no scope), which the real registry accepts', async () => {
    const reply = await get(tokenUrl(), basic('dev', 'dev-pw'));
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.body) as Record<string, unknown>;
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    expect(claims(reply)).toMatchObject({ sub: 'dev', access: [] });
    if (!registry)
      return expect.fail(`the sandbox registry image is not on this engine: eectl sandbox up builds it`);
    const v2 = await get(`https://${registry.address}/v2/`, {
      authorization: `Bearer ${body.token as string}`,
    });
    expect(v2.status).toBe(200);
    expect((await get(`https://${registry.address}/v2/`)).headers['www-authenticate']).toBe(
      `Bearer realm="https://127.0.0.1:${tokens.port}/token",service="${SERVICE}"`,
    );
  });

  it("lets a team member push to the team's namespace and pull a public one, and the registry denies a push there", async () => {
    const admin = new RegistryClient({
      registry: registry!.address,
      ca: [ca.certPem],
      credentials: { username: 'ops', password: 'ops-pw' },
    });
    const published = await admin.pushBlob('api/app', Buffer.from('api layer'));
    const dev = new RegistryClient({
      registry: registry!.address,
      ca: [ca.certPem],
      credentials: { username: 'dev', password: 'dev-pw' },
    });
    const own = await dev.pushBlob('web/app', Buffer.from('web layer'));
    expect((await dev.blob('web/app', own)).toString()).toBe('web layer');
    expect((await dev.blob('api/app', published)).toString()).toBe('api layer');
    await expect(dev.pushBlob('api/app', Buffer.from('overwrite'))).rejects.toThrow(/HTTP 401/);
    // What docker sees: a token with pull only, and the registry's insufficient_scope (the CLI's "denied").
    const asked = await get(tokenUrl(['repository:api/app:pull,push']), basic('dev', 'dev-pw'));
    expect(claims(asked).access).toEqual([{ type: 'repository', name: 'api/app', actions: ['pull'] }]);
    const { token } = JSON.parse(asked.body) as { token: string };
    const push = await new Promise<Reply>((resolve, reject) => {
      const req = request(
        `https://${registry!.address}/v2/api/app/blobs/uploads/`,
        { method: 'POST', ca: [ca.certPem], headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(push.status).toBe(401);
    expect(push.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    const line = log
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.user === 'dev' && (e.scopes as string[]).includes('repository:api/app:pull,push'));
    expect(line).toMatchObject({
      user: 'dev',
      auth: 'password',
      allow: true,
      granted: ['repository:api/app:pull'],
    });
  });

  /** Pushes a one-layer image under `repository:tag` as ops; returns its digest. */
  const pushImage = async (repository: string, tag: string) => {
    const ops = new RegistryClient({
      registry: registry!.address,
      ca: [ca.certPem],
      credentials: { username: 'ops', password: 'ops-pw' },
    });
    const config = Buffer.from(JSON.stringify({ created: '2026-12-01T00:00:00Z', architecture: 'amd64' }));
    const layer = Buffer.from(`${repository}:${tag}`);
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: await ops.pushBlob(repository, config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: await ops.pushBlob(repository, layer),
          size: layer.length,
        },
      ],
    };
    return ops.putManifest(repository, tag, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
  };

  it("eectl's own tokens (registry ls and prune with no login), minted by the manager's mint mode: the real registry lists, reads and deletes, and refuses a push", async () => {
    if (!registry) return expect.fail('the sandbox registry image is not on this engine');
    const digest = await pushImage('web/own', '1');
    const files = { policyFile: policyFile(), keyFile: join(dir, 'token-key.pem') };
    const audits: string[] = [];
    const mint = (request: unknown) => {
      const outcome = mintFromStdin(JSON.stringify(request), files);
      audits.push(outcome.audit);
      return outcome;
    };
    const own = new RegistryClient({
      registry: registry.address,
      ca: [ca.certPem],
      token: async (challenge) => {
        const scopes = (challenge.scope ?? '').split(' ').filter(Boolean);
        const outcome = mint({ service: challenge.service, subject: 'eectl-admin@tester', scopes });
        if (!outcome.allow) throw new Error(outcome.reason);
        return outcome.token;
      },
    });
    expect(await own.catalog()).toContain('web/own');
    expect(await own.tags('web/own')).toEqual(['1']);
    expect((await own.manifest('web/own', '1'))?.digest).toBe(digest);
    // A push asks for push: the manager refuses to mint at all (and says so in its audit log).
    await expect(own.pushBlob('web/own', Buffer.from('not allowed'))).rejects.toThrow(
      /only the catalog, pull and delete/,
    );
    expect(await own.deleteManifest('web/own', digest)).toBe('deleted');
    expect(await own.tags('web/own')).toEqual([]);
    // Every token issued and the refused push are one audit line each, as the HTTPS service writes them.
    const lines = audits.map(
      (a) => JSON.parse(a) as { user: string; allow: boolean; path: string; action: string },
    );
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.every((l) => l.user === 'eectl-admin@tester' && l.path === 'mint')).toBe(true);
    expect(lines.filter((l) => !l.allow)).toHaveLength(1);
    // A registry of another service gets no token of this cluster.
    expect(mint({ service: 'other', subject: 'eectl-admin@tester', scopes: [] })).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/is not eectl-t-registry/) as unknown,
    });
  });

  it("the dashboard's Registry page through a login's tokens, one repository after another: only what the viewer may pull", async () => {
    if (!registry) return expect.fail('the sandbox registry image is not on this engine');
    await pushImage('web/site', '1');
    await pushImage('web/site', '2');
    await pushImage('api/lib', '1');
    await pushImage('ops/private', '1');
    await pushImage('webx/lookalike', '1');
    const cluster = clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 't' },
      spec: {
        hosts: [
          { address: '127.0.0.1', role: 'manager' },
          { address: '127.0.0.2', role: 'registry' },
        ],
        registry: {
          auth: { token: {} },
          namespaces: [
            { name: 'web', collection: '/Shared/web' },
            { name: 'api', collection: '/Shared/api', public: true },
          ],
        },
        access: {
          users: [{ name: 'ops', admin: true }, { name: 'dev' }],
          teams: [{ name: 'web', members: ['dev'] }],
          grants: [{ team: 'web', role: 'restrictedControl', collection: '/Shared/web' }],
        },
      },
    });
    // The catalog needs an admin's login (as `eectl registry ls`); the viewer is dev.
    const client = new RegistryClient({
      registry: registry.address,
      ca: [ca.certPem],
      credentials: { username: 'ops', password: 'ops-pw' },
    });
    const page = await new RegistryReader({
      config: cluster,
      user: 'dev',
      file: 'cluster.yaml',
      log: nullLogger,
      client: async () => ({ client, registry: registry!.address }),
    }).page();
    expect(page.error).toBeUndefined();
    const shown = page.repositories.map((r) => `${r.name}:${r.tags.map((t) => t.tag).join(',')}`);
    expect(shown).toContain('web/site:1,2');
    expect(shown).toContain('api/lib:1');
    expect(shown.join(' ')).not.toMatch(/ops\/private|webx/);
    // A login that may not read the catalog: the page says so, and shows nothing.
    const devClient = new RegistryClient({
      registry: registry.address,
      ca: [ca.certPem],
      credentials: { username: 'dev', password: 'dev-pw' },
    });
    const refused = await new RegistryReader({
      config: cluster,
      user: 'dev',
      file: 'cluster.yaml',
      log: nullLogger,
      client: async () => ({ client: devClient, registry: registry!.address }),
    }).page();
    expect(refused.repositories).toEqual([]);
    expect(refused.error?.suggestions.join(' ')).toMatch(/catalog is for admins only/);
    const tag = page.repositories.find((r) => r.name === 'web/site')!.tags[0]!;
    expect(tag).toMatchObject({
      tag: '1',
      digest: expect.stringMatching(/^sha256:/),
      size: expect.any(Number),
    });
  });

  it('refuses a wrong password, an unknown user and a user without a hash, and logs no secret', async () => {
    expect((await get(tokenUrl(), basic('dev', 'wrong'))).status).toBe(401);
    expect((await get(tokenUrl(), basic('nobody', 'x'))).status).toBe(401);
    expect((await get(tokenUrl(), basic('nohash', ''))).status).toBe(401);
    expect((await get(tokenUrl())).status).toBe(401);
    const refusals = log
      .map((l) => JSON.parse(l) as { allow?: boolean; user?: string; reason?: string })
      .filter((e) => e.allow === false);
    expect(refusals.map((e) => [e.user, e.reason])).toEqual(
      expect.arrayContaining([
        ['dev', 'wrong password'],
        ['nobody', 'nobody is not a user of the access policy'],
        ['nohash', 'nohash has no registry password (spec.access.users[].passwordHashEnv)'],
        ['(unknown)', 'no credentials'],
      ]),
    );
    expect(log.join('\n')).not.toMatch(/\$2[aby]\$|dev-pw|ops-pw|alice-pw/);
  });

  it('checks a directory user by a bind to slapd; an empty password and a filter-like name find nobody', async () => {
    const ok = await get(tokenUrl(['repository:web/app:push,pull']), basic('alice', 'alice-pw'));
    expect(ok.status).toBe(200);
    expect(claims(ok)).toMatchObject({
      sub: 'alice',
      access: [{ name: 'web/app', actions: ['push', 'pull'] }],
    });
    expect((await get(tokenUrl(), basic('alice', 'wrong'))).status).toBe(401);
    expect((await get(tokenUrl(), basic('alice', ''))).status).toBe(401);
    expect((await get(tokenUrl(), basic('*)(uid=*', 'alice-pw'))).status).toBe(401);
    // mallory is in the directory but not in the policy (no mapped group): nothing.
    expect((await get(tokenUrl(), basic('mallory', 'mallory-pw'))).status).toBe(401);
    const reasons = log.map((l) => JSON.parse(l) as { user?: string; reason?: string; auth?: string });
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          user: 'alice',
          auth: 'directory',
          reason: 'wrong password (empty password)',
        }),
        expect.objectContaining({
          user: 'alice',
          auth: 'directory',
          reason: 'wrong password (the directory refused the password)',
        }),
        expect.objectContaining({ user: '*)(uid=*', reason: 'not a user name of the access policy' }),
      ]),
    );
  });

  it('takes a client certificate of the cluster CA instead of a password, and no other CA’s', async () => {
    const ops = await issueClientCert(ca, 'ops');
    const reply = await get(tokenUrl(['registry:catalog:*']), {}, { cert: ops.certPem, key: ops.keyPem });
    expect(reply.status).toBe(200);
    expect(claims(reply)).toMatchObject({ sub: 'ops', access: [{ name: 'catalog', actions: ['*'] }] });
    const stranger = await issueClientCert(await createCa('other'), 'ops');
    expect((await get(tokenUrl(), {}, { cert: stranger.certPem, key: stranger.keyPem })).status).toBe(401);
  });

  it('takes a client certificate of either CA of a two-CA file (a cluster CA rotation), read without a restart', async () => {
    const next = await createCa('t');
    const ops = await issueClientCert(next, 'ops');
    expect((await get(tokenUrl(), {}, { cert: ops.certPem, key: ops.keyPem })).status).toBe(401);
    await writeFile(join(dir, 'ca.pem'), ca.certPem + next.certPem);
    await new Promise((r) => setTimeout(r, 1100));
    try {
      expect((await get(tokenUrl(), {}, { cert: ops.certPem, key: ops.keyPem })).status).toBe(200);
      const old = await issueClientCert(ca, 'ops');
      expect((await get(tokenUrl(), {}, { cert: old.certPem, key: old.keyPem })).status).toBe(200);
    } finally {
      await writeFile(join(dir, 'ca.pem'), ca.certPem);
      await new Promise((r) => setTimeout(r, 1100));
    }
  });

  it('has tokens the real registry refuses when another key signed them, a client bundle’s key of the same CA included, or when expired', async () => {
    if (!registry) return expect.fail('no registry binary');
    const everything = [{ type: 'repository', name: 'web/app', actions: ['pull', 'push'] }];
    const bundle = await issueClientCert(ca, 'dev');
    const keys = [
      createPrivateKey(bundle.keyPem),
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    ];
    const upload = async (token: string) =>
      await new Promise<number>((resolve, reject) => {
        const req = request(
          `https://${registry!.address}/v2/web/app/blobs/uploads/`,
          { method: 'POST', ca: [ca.certPem], headers: { authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const sign = (key = createPrivateKey(signing.keyPem), now = new Date()) =>
      signRegistryToken({
        key,
        issuer: ISSUER,
        audience: SERVICE,
        subject: 'dev',
        access: everything,
        expirySeconds: 60,
        now,
      }).token;
    expect(await upload(sign())).toBe(202);
    for (const key of keys) expect(await upload(sign(key))).toBe(401);
    expect(await upload(sign(undefined, new Date(Date.now() - 10 * 60_000)))).toBe(401);
  });

  it('refuses revoked certificates, and refuses directory logins when the directory is unreachable (fail closed)', async () => {
    const ops = await issueClientCert(ca, 'ops');
    const closed = await freePort();
    await writePolicy({
      ...policy,
      revoked: [{ user: 'ops', since: new Date(Date.now() + 3_600_000).toISOString() }],
      directory: { ...policy.directory!, url: `ldaps://127.0.0.1:${closed}` },
    });
    expect((await get(tokenUrl(), {}, { cert: ops.certPem, key: ops.keyPem })).status).toBe(401);
    expect((await get(tokenUrl(), basic('alice', 'alice-pw'))).status).toBe(401);
    expect(
      log.some((l) => /"error":"directory unreachable, login of alice refused \(fail closed\)/.test(l)),
    ).toBe(true);
    // ldap:// with StartTLS (checked against the test CA) works; plain ldap:// without `insecure` is refused.
    await writePolicy({ ...policy, directory: { ...policy.directory!, url: slapd.ldapUrl, startTLS: true } });
    expect((await get(tokenUrl(), basic('alice', 'alice-pw'))).status).toBe(200);
    await writePolicy({ ...policy, directory: { ...policy.directory!, url: slapd.ldapUrl } });
    expect((await get(tokenUrl(), basic('alice', 'alice-pw'))).status).toBe(401);
    await writePolicy(policy);
    expect((await get(tokenUrl(), basic('alice', 'alice-pw'))).status).toBe(200);
  });

  it("gives pull-only tokens for a mirror's own service, judged by the namespace of the mirror's name", async () => {
    const mirror = 'eectl-t-mirror-hub';
    const withMirror: AccessPolicy = {
      ...policy,
      registry: {
        ...policy.registry!,
        namespaces: [
          ...policy.registry!.namespaces,
          { name: 'hub', collection: '/Shared/web', public: false },
        ],
        mirrors: [{ name: 'hub', service: mirror }],
      },
    };
    await writePolicy(withMirror);
    try {
      const url = tokenUrl(['repository:library/alpine:pull,push', 'registry:catalog:*']).replace(
        SERVICE,
        mirror,
      );
      const reply = await get(url, basic('dev', 'dev-pw'));
      expect(reply.status, reply.body).toBe(200);
      const { token } = JSON.parse(reply.body) as { token: string };
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
        aud: string;
        access: unknown[];
      };
      // Good for the mirror only; `library/alpine` as the mirror asked for it; never push, never the catalog.
      expect(payload.aud).toBe(mirror);
      expect(payload.access).toEqual([{ type: 'repository', name: 'library/alpine', actions: ['pull'] }]);
      // A mirror the policy does not name gets nothing: the service is refused.
      const other = await get(tokenUrl().replace(SERVICE, 'eectl-t-mirror-quay'), basic('dev', 'dev-pw'));
      expect(other.status).toBe(400);
    } finally {
      await writePolicy(policy);
    }
  });

  it('refuses a wrong service, and limits failed logins per user and address', async () => {
    expect((await get(tokenUrl().replace(SERVICE, 'other'), basic('dev', 'dev-pw'))).status).toBe(400);
    const strict = await serveTokens({
      port: 0,
      host: '127.0.0.1',
      policyFile: policyFile(),
      caFile: join(dir, 'ca.pem'),
      certFile: join(dir, 'server-cert.pem'),
      keyFile: join(dir, 'server-key.pem'),
      signingKeyFile: join(dir, 'token-key.pem'),
      loginsFile: join(dir, 'logins.json'),
      log: () => undefined,
      limiter: new FailureLimiter(3),
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await get(tokenUrl([], strict.port), basic('dev', 'wrong'))).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // The right password does not help while blocked: nothing is checked.
      expect((await get(tokenUrl([], strict.port), basic('dev', 'dev-pw'))).status).toBe(429);
    } finally {
      await strict.close();
    }
  });
});
