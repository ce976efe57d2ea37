import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessSchema, clusterSchema } from '../../../src/lib/config/schema.js';
import { ClusterCollector } from '../../../src/lib/dashboard/collector.js';
import { fullControlPermissions } from '../../../src/lib/dashboard/permissions.js';
import { policyPermissions } from '../../../src/lib/dashboard/policy-permissions.js';
import { dashboardApp } from '../../../src/lib/dashboard/server.js';
import { AccessTokens } from '../../../src/lib/dashboard/token.js';
import { EngineApi, EngineApiError, NoManagerAnswersError } from '../../../src/lib/engine-api/client.js';
import { createCa, issueClientCert, issueServerCert } from '../../../src/lib/pki/certificates.js';
import { serverNames } from '../../../src/lib/pki/inspect.js';
import { nullLogger } from '../../../src/lib/util/log.js';

/**
 * A stand-in for a manager's engine API on loopback with real mutual TLS from a cluster CA: it answers
 * reads, and refuses service updates with 403 and a message, as an authorization plugin does.
 */
describe('engine API client and the dashboard server, against an mTLS API on loopback', () => {
  let server: Server;
  let endpoint = '';
  let deadEndpoint = '';
  let api: EngineApi;
  let tls: { ca: string; cert: string; key: string };
  const seen: string[] = [];

  beforeAll(async () => {
    const ca = await createCa('test');
    const serverCert = await issueServerCert(ca, serverNames('localhost', ['127.0.0.1'], []));
    const client = await issueClientCert(ca, 'alice');
    tls = { ca: ca.certPem, cert: client.certPem, key: client.keyPem };
    server = createServer(
      {
        ca: ca.certPem,
        cert: serverCert.certPem,
        key: serverCert.keyPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.setHeader('Content-Type', 'application/json');
        if (req.url === '/_ping') return res.end('OK');
        if (req.url?.startsWith('/services/web/update')) {
          res.statusCode = 403;
          return res.end(
            JSON.stringify({
              message: 'authorization denied by plugin eectl-authz: alice may not update web',
            }),
          );
        }
        if (req.url === '/services/web') {
          return res.end(
            JSON.stringify({
              ID: 'web',
              Version: { Index: 7 },
              Spec: { Name: 'web', Mode: { Replicated: { Replicas: 2 } } },
            }),
          );
        }
        if (req.url === '/nodes' || req.url?.startsWith('/services') || req.url === '/tasks')
          return res.end('[]');
        if (req.url?.startsWith('/events')) return res.end('');
        res.statusCode = 404;
        res.end(JSON.stringify({ message: `page not found` }));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A port nothing listens on: a manager that is down.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    deadEndpoint = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    api = new EngineApi({ endpoints: [deadEndpoint, endpoint], tls, timeoutMs: 2000 });
  });

  afterAll(async () => {
    api?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('falls over from a manager that does not answer to the next, and stays with it', async () => {
    expect(await api.get('/nodes')).toEqual([]);
    expect(api.current).toBe(endpoint);
    const down = await api.probe(deadEndpoint);
    expect(down).toMatchObject({ reachable: false, error: 'ECONNREFUSED' });
    const up = await api.probe(endpoint);
    expect(up.reachable).toBe(true);
    expect(new Date(up.certificateNotAfter!).getTime()).toBeGreaterThan(Date.now());
  });

  it('no manager answering is one error naming each', async () => {
    const alone = new EngineApi({ endpoints: [deadEndpoint], tls });
    await expect(alone.get('/nodes')).rejects.toBeInstanceOf(NoManagerAnswersError);
    alone.close();
  });

  it('a certificate of another CA is refused by the API', async () => {
    const other = await createCa('other');
    const mallory = await issueClientCert(other, 'mallory');
    const rogue = new EngineApi({
      endpoints: [endpoint],
      tls: { ca: tls.ca, cert: mallory.certPem, key: mallory.keyPem },
    });
    await expect(rogue.get('/nodes')).rejects.toBeInstanceOf(NoManagerAnswersError);
    rogue.close();
  });

  it('a 403 is a denial carrying the API message, not retried on another manager', async () => {
    const before = seen.length;
    const e = await api.post('/services/web/update?version=7', {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineApiError);
    expect((e as EngineApiError).denied).toBe(true);
    expect((e as EngineApiError).apiMessage).toBe(
      'authorization denied by plugin eectl-authz: alice may not update web',
    );
    expect(seen.slice(before)).toEqual(['POST /services/web/update?version=7']);
  });

  it('the dashboard shows a denied action as denied, with the message of the API', async () => {
    const config = clusterSchema.parse({
      apiVersion: 'eectl/v1',
      kind: 'Cluster',
      metadata: { name: 'test' },
      spec: { hosts: [{ address: '127.0.0.1', role: 'manager' }] },
    });
    const collector = new ClusterCollector({ config, api, caPem: tls.ca, caNotAfter: undefined });
    const tokens = new AccessTokens();
    const app = dashboardApp({
      tokens,
      collector,
      api,
      bundleDir: '/nonexistent',
      user: { name: 'alice' },
      permissions: fullControlPermissions,
      log: nullLogger,
    });
    const auth = { Authorization: `Bearer ${tokens.main}`, 'Content-Type': 'application/json' };
    const noToken = await app.request('/api/services/web/scale', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"replicas":3}',
    });
    expect(noToken.status).toBe(401);
    const r = await app.request('/api/services/web/scale', {
      method: 'POST',
      headers: auth,
      body: '{"replicas":3}',
    });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({
      ok: false,
      denied: true,
      by: 'managers',
      message: 'authorization denied by plugin eectl-authz: alice may not update web',
    });
    // The access policy of the file: what it refuses is refused before the update reaches the API (the
    // service is read, to decide on the very update the action would send).
    const viewOnly = dashboardApp({
      tokens,
      collector,
      api,
      bundleDir: '/nonexistent',
      user: { name: 'bob' },
      permissions: policyPermissions({
        file: 'cluster.yaml',
        cluster: 'test',
        access: accessSchema.parse({
          users: [{ name: 'root', admin: true }, { name: 'bob' }],
          grants: [{ user: 'bob', role: 'viewOnly', collection: '/Shared' }],
        }),
        api,
      }),
      log: nullLogger,
    });
    const before = seen.length;
    const refused = await viewOnly.request('/api/services/web/scale', {
      method: 'POST',
      headers: auth,
      body: '{"replicas":3}',
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      ok: false,
      denied: true,
      by: 'dashboard',
      message: 'refused by the dashboard for bob: service web in /System: /System is for admins only',
    });
    expect(seen.slice(before)).toEqual(['GET /services/web']);
    collector.stop();
  });
});
